"""The one suppression routine: small counts hidden, and enough others that none is recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._policy import as_policy


def suppress(counts: pd.DataFrame, min_count: int = 5, *, k: int | None = None) -> pd.DataFrame:
    """Counts with small numbers hidden, and enough others that none can be recovered.

    Primary suppression hides every cell from 1 to ``min_count - 1``. Secondary suppression then
    hides, in any column (then any row) with exactly one hidden cell, the smallest other
    non-zero cell, until no row or column has a single hidden cell: published totals minus
    published cells then never reveal a hidden one. Totals (``total`` column and row) are
    added, and are hidden only when they themselves are small.

    Examples
    --------
    >>> table = pd.DataFrame({"a": [1, 6], "b": [7, 8]}, index=["x", "y"])
    >>> suppress(table, min_count=5)
              a     b  total
    x      <NA>  <NA>      8
    y      <NA>  <NA>     14
    total     7    15     22
    """
    if k is not None:
        min_count = as_policy(k=k).min_count
    values = counts.to_numpy(dtype="int64")
    hidden = (values > 0) & (values < min_count)
    _secondary(values, hidden)
    out = pd.DataFrame(values, index=counts.index, columns=counts.columns).astype("Int64")
    out = out.mask(hidden)
    row_total = pd.Series(values.sum(axis=1), index=counts.index, dtype="Int64")
    col_total = pd.Series(values.sum(axis=0), index=counts.columns, dtype="Int64")
    out["total"] = row_total.mask((row_total > 0) & (row_total < min_count))
    grand = int(values.sum())
    out.loc["total"] = [
        *col_total.mask((col_total > 0) & (col_total < min_count)),
        grand if grand >= min_count or grand == 0 else pd.NA,
    ]
    return out


def protect(counts: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """Counts of records kept back, as an audience receives them: every cell below
    ``min_count`` hidden, zeros included, and no totals.

    Nothing else an audience receives counts these records (maps, links, reports and their
    charts count only what they show), so with no margins a hidden cell stays anywhere from 0 to
    ``min_count - 1`` for whoever holds every file of a run: :func:`suppress`'s secondary
    suppression is not needed, and a zero beside a hidden cell says nothing.

    Examples
    --------
    >>> protect(pd.DataFrame({"individual": [0, 3, 7]}, index=["a", "b", "c"]), 5)
       individual
    a        <NA>
    b        <NA>
    c           7
    """
    values = counts.to_numpy(dtype=np.int64)
    hidden = values < min_count
    out = pd.DataFrame(  # column by column, as Int64 (no pandas pass per cell or per column)
        {k: pd.arrays.IntegerArray(values[:, k], hidden[:, k]) for k in range(values.shape[1])},
        index=counts.index,
    )
    out.columns = counts.columns
    return out


def _secondary(values: np.ndarray, hidden: np.ndarray) -> None:
    """Hide more cells (in place) until no row or column holds exactly one hidden cell."""
    changed = True
    while changed:
        changed = False
        for axis in (0, 1):
            lines = hidden if axis == 1 else hidden.T
            vals = values if axis == 1 else values.T
            for r in range(lines.shape[0]):
                if lines[r].sum() == 1:
                    candidates = np.flatnonzero(~lines[r] & (vals[r] > 0))
                    if len(candidates):
                        pick = candidates[np.argmin(vals[r][candidates])]
                        lines[r, pick] = True
                        changed = True
