"""Benchmark: a 100,000-row register read from CSV bytes, side by side with today's reader.

Run by hand (not a test)::

    python benchmarks/read_csv.py [--rows 100000]

Times :func:`assetmap._sources.read_csv_bytes` (encoding decided per file, physical lines,
ragged rows and stray quotes checked) against the plain path it replaces (decode, then
``pd.read_csv`` twice as ``io._read_table`` does), and checks both give the same frame.
Target: no more than 1.3 times the plain path on a well-formed file.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Collection

import pandas as pd
from _timing import Timed

from assetmap import datasets
from assetmap._sources import read_csv_bytes
from assetmap._tabular import from_csv_cells, from_csv_text, to_csv_cells

TEXT = {"asset_id", "name", "kind", "category", "postcode", "address", "privacy", "offers"}


def text_columns(headings: list[str]) -> Collection[str]:
    return [h for h in headings if h in TEXT]


def plain(raw: bytes) -> pd.DataFrame:
    """What ``io._read_table`` does today for a CSV."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    written = list(pd.read_csv(io.StringIO(text), nrows=0, dtype=str).columns)
    headings = [from_csv_text(h) for h in written]
    chosen = set(text_columns(headings))
    frame = pd.read_csv(
        io.StringIO(text),
        dtype={w: str for w, h in zip(written, headings, strict=True) if h in chosen},
        keep_default_na=False,
        na_values={h: [""] for h in written},
    )
    return from_csv_cells(frame)


def register(rows: int) -> pd.DataFrame:
    sample = pd.read_csv(datasets.sample_register_path(), dtype=str, keep_default_na=False)
    big = pd.concat([sample] * -(-rows // len(sample)), ignore_index=True).iloc[:rows].copy()
    big["asset_id"] = [f"a{i}" for i in range(rows)]
    return big


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    frame = register(args.rows)
    files = {
        "UTF-8, quoted values (RFC 4180 quoting)": to_csv_cells(frame).to_csv(index=False).encode(),
        "cp1252": to_csv_cells(frame.replace("Grove", "Grové", regex=True))
        .to_csv(index=False)
        .encode("cp1252"),
        'a quote inside a value (12" wide: the quote loop)': to_csv_cells(frame)
        .to_csv(index=False)
        .replace("\n", ',12" wide\n')
        .replace(',12" wide\n', ",size\n", 1)
        .encode(),
        "a three-line address in every row": to_csv_cells(
            frame.assign(address=[f"Flat {i}, Block A\nHigh St\nSmethwick" for i in frame.index])
        )
        .to_csv(index=False)
        .encode(),
    }
    for name, raw in files.items():
        old = Timed(lambda raw=raw: plain(raw), repeat=5)
        new = Timed(
            lambda raw=raw: read_csv_bytes(raw, what="bench", text_columns=text_columns), repeat=5
        )
        pd.testing.assert_frame_equal(new.result.frame, old.result)
        print(
            f"{name}: {len(raw) / 1e6:.1f} MB, {args.rows:,} rows: plain {old.wall:.3f} s, "
            f"read_csv_bytes {new.wall:.3f} s ({new.wall / old.wall:.2f}x); CPU {old.cpu:.3f} s "
            f"and {new.cpu:.3f} s ({new.cpu / old.cpu:.2f}x)"
        )


if __name__ == "__main__":
    main()
