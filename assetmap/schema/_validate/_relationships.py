"""Validation of declared relationships against the canonical schema.

This module owns :func:`validate_relationships`: ids that must be in the register, the
relationship vocabulary, weights.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from ...errors import SchemaError
from .._columns import RELATIONSHIP_TYPES
from ._cells import Collector, clean_text, closest, numbers, vocab_key

__all__ = ["validate_relationships"]


def validate_relationships(
    frame: pd.DataFrame,
    asset_ids: Iterable[str] | None = None,
    *,
    where: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Check declared relationships and return them in canonical form.

    Parameters
    ----------
    frame
        Columns ``source``, ``target``, ``type``; optional ``weight`` (default 1) and ``note``.
    asset_ids
        The register's ids; any ``source``/``target`` not among them is a problem.
    where
        Where each row stands in its source, for the messages.

    Raises
    ------
    SchemaError
        Listing every problem, including every unknown id.
    """
    frame = frame.reset_index(drop=True)
    n = len(frame)
    where = list(where) if where is not None else [f"row {i + 1}" for i in range(n)]
    label = pd.Series([None] * n, dtype=object)
    bad = Collector(label, where)
    missing = [c for c in ("source", "target", "type") if c not in frame.columns]
    for c in missing:
        bad.table(f"there is no {c!r} column (relationships need source, target and type)")
    if missing:
        raise SchemaError("relationships", bad.sorted())
    known = set(asset_ids) if asset_ids is not None else None
    out = pd.DataFrame(index=frame.index)
    for col in ("source", "target"):
        ids = clean_text(frame[col])
        bad.add(ids.isna(), col, f"{col} is missing")
        if known is not None:
            unknown = ids.notna() & ~ids.isin(known)
            bad.add(
                unknown,
                col,
                lambda i, ids=ids, col=col: (
                    f"{col} {ids.iloc[i]!r} is not an asset_id of the register"
                ),
            )
        out[col] = ids
    bad.add(
        (out["source"] == out["target"]).fillna(False),
        "target",
        "a relationship links an asset to itself",
    )
    rtype = vocab_key(frame["type"])
    bad.add(rtype.isna(), "type", f"type is missing; one of {list(RELATIONSHIP_TYPES)}")
    bad.add(
        rtype.notna() & ~rtype.isin(RELATIONSHIP_TYPES),
        "type",
        lambda i: closest(str(frame["type"].iloc[i]), RELATIONSHIP_TYPES),
    )
    out["type"] = rtype
    weight = numbers(frame, "weight", bad, "a number")
    bad.add(weight < 0, "weight", "weight must not be negative")
    out["weight"] = weight.fillna(1.0)
    out["note"] = (
        clean_text(frame["note"])
        if "note" in frame
        else pd.Series(None, index=frame.index, dtype="str")
    )
    for c in frame.columns:
        if c not in out.columns:
            out[c] = frame[c]
    problems = bad.sorted()
    if problems:
        raise SchemaError("relationships", problems)
    return out
