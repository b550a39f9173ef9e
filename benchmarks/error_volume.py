"""Measure: how long the error for a whole register's repeated mistake is, in each style.

Run by hand (not a test)::

    PYTHONPATH=. python benchmarks/error_volume.py

Writes registers of 498 and 3,487 rows as councils publish them (cp1252, two-line quoted
addresses, no id column, a ``Type`` column in the register's own words, no category the
vocabulary knows), reads them without a mapping, and prints the message's lines and characters
in the Python, command-line and project-file styles, beside one line per problem (what a
per-row list gives), with how many problems the exception keeps for ``err.table()``.
"""

from __future__ import annotations

import random
import tempfile
import warnings
from pathlib import Path

import assetmap
from assetmap.errors import SchemaError


def _size(text: str) -> str:
    return f"{len(text.splitlines())} lines, {len(text):,} chars"


def register(path: Path, n: int) -> Path:
    rng = random.Random(1)
    postcodes = ["B18 7BH", "B66 1AA", "B16 0AA", "B21 9ND", "B16 8HJ"]
    rows = ["Library name,Type,Address,Postcode"]
    for i in range(n):
        kind = rng.choice(["Static Library", "Mobile Library"])
        rows.append(f'Library {i},{kind},"{i} High Street\nTown",{rng.choice(postcodes)}')
    path.write_text("\n".join(rows) + "\n", encoding="cp1252")
    return path


def main() -> None:
    print("| rows | problems kept | python | cli | project | one line per problem |")
    print("|---:|---:|---|---|---|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for n in (498, 3487):
            path = register(Path(folder) / f"libraries-{n}.csv", n)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    assetmap.read_assets(path, columns={"Library name": "name"})
                except SchemaError as err:
                    styles = [err.message(style=s) for s in ("python", "cli", "project")]
                    flat = "\n".join(str(p) for p in err.problems)
                    cells = " | ".join(
                        f"{len(m.splitlines())} lines, {len(m):,} chars" for m in styles
                    )
                    print(
                        f"| {n:,} | {len(err.problems):,} | {cells} "
                        f"| {len(flat.splitlines()):,} lines, {len(flat):,} chars |"
                    )


if __name__ == "__main__":
    main()
