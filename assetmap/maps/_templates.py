"""Texts that differ mostly in their numbers ("offers x; 140 m"), packed as one template per
shape and the numbers in one column (:func:`templated`).

The numbers are found in the texts' UTF-8 bytes all at once (Arrow holds the texts as one
buffer of bytes and their offsets; an ASCII digit or point is never part of another
character's bytes), and the templates are written back as one buffer: no Python object per
text.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._json import arrow_or_list, arrow_texts
from ._packed import Factorised, Texts, ints

#: A whole number in a text: ASCII digits only (``\d`` would take in other scripts' digits,
#: which ``int`` reads but the page cannot spell back).
_DIGITS = re.compile(r"(?<![0-9.])(0|[1-9][0-9]{0,8})(?![0-9])")


def _template(text: str) -> str:
    """``text`` as a template: ``#`` for each whole number, ``\\`` before a ``#`` or ``\\``
    of its own (the rule :func:`_shapes` follows, one text at a time)."""
    escaped = text.replace("\\", "\\\\").replace("#", "\\#")
    return _DIGITS.sub("#", escaped)


def _found(c: np.ndarray, off: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:data:`_DIGITS` over texts held as bytes ``c`` (text ``i`` is ``c[off[i]:off[i+1]]``),
    escaped already: the templates' bytes and offsets, every number found (text after text)
    and how many each text has."""
    n, size = len(off) - 1, len(c)
    digit = (c >= 48) & (c <= 57)
    nonempty = off[:-1] < off[1:]
    first = np.zeros(size, dtype=bool)
    first[off[:-1][nonempty]] = True
    last = np.zeros(size, dtype=bool)
    last[off[1:][nonempty] - 1] = True
    # runs of digits within a text; a run a number where _DIGITS would match it (not after a
    # point or a digit, no leading zero, nine digits at most)
    starts = np.flatnonzero(digit & ~(np.concatenate([[False], digit[:-1]]) & ~first))
    ends = np.flatnonzero(digit & ~(np.concatenate([digit[1:], [False]]) & ~last)) + 1
    length = ends - starts
    after_point = (c[np.maximum(starts - 1, 0)] == 46) & ~first[starts]
    keep = ~after_point & (length <= 9) & ((length == 1) | (c[starts] != 48))
    starts, ends, length = starts[keep], ends[keep], length[keep]
    at = np.repeat(starts, length) + _within_rows(length)  # each kept digit
    power = np.repeat(ends, length) - 1 - at
    values = (c[at].astype(np.int64) - 48) * 10 ** power.astype(np.int64)
    whole = np.add.reduceat(values, np.cumsum(length) - length) if len(starts) else values
    out = c.copy()
    out[starts] = 35  # "#"
    kept = np.ones(size, dtype=bool)
    kept[at] = False
    kept[starts] = True
    new_off = np.concatenate([[0], np.cumsum(kept)])[off]
    per = np.bincount(np.searchsorted(off, starts, side="right") - 1, minlength=n)
    return out[kept], new_off, whole.astype(np.int64), per.astype(np.int64)


def _shapes(said: pa.Array | list[str]) -> tuple[Any, np.ndarray, np.ndarray]:
    """Each text's template (:func:`_template`), all their numbers in one column, and how
    many each text has (with a 0 after the last). Texts held by Arrow (none missing) give
    their templates in Arrow; a list (a text Arrow cannot hold) gives a list."""
    if isinstance(said, list):
        parts = [t.replace("\\", "\\\\").replace("#", "\\#").encode("utf-8", "surrogatepass")
                 for t in said]  # fmt: skip
        lengths = np.array([len(p) for p in parts], dtype=np.int64)
        off = np.concatenate([[0], np.cumsum(lengths)])
        c = np.frombuffer(b"".join(parts), dtype=np.uint8)
        shape_bytes, new_off, whole, per = _found(c, off)
        raw = shape_bytes.tobytes()
        bounds = new_off.tolist()
        shapes: Any = [raw[a:b].decode("utf-8", "surrogatepass") for a, b in pairwise(bounds)]
        return shapes, whole, np.append(per, 0)
    escaped = pc.replace_substring(pc.replace_substring(said, "\\", "\\\\"), "#", "\\#")
    escaped = escaped.cast(pa.string())
    n = len(escaped)
    _, offsets, data = escaped.buffers()
    off = np.frombuffer(offsets, dtype=np.int32)[escaped.offset : escaped.offset + n + 1]
    off = off.astype(np.int64)
    c = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    c = c[off[0] : off[-1]]
    shape_bytes, new_off, whole, per = _found(c, off - off[0])
    shapes = pa.StringArray.from_buffers(
        n, pa.py_buffer(new_off.astype(np.int32)), pa.py_buffer(shape_bytes)
    )
    return shapes, whole, np.append(per, 0)


def _distinct_texts(values: Any) -> tuple[np.ndarray, pa.Array | list[str]]:
    """A column's codes (``-1``: missing) into its distinct texts, in the order first met."""
    if isinstance(values, pd.Series) and isinstance(values.array, pd.arrays.ArrowStringArray):
        encoded = pc.dictionary_encode(arrow_texts(values.array))
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        return np.asarray(codes, dtype=np.int64), encoded.dictionary
    column = Factorised.of(values)
    return column.codes, arrow_or_list([str(u) for u in column.uniques])


def templated(values: Any, texts: Texts) -> dict[str, Any]:
    """A column of texts that differ mostly in their numbers ("offers x; 140 m"), as one
    template per distinct shape, with ``#`` for each whole number (written without leading
    zeros, up to nine digits, not after a decimal point; a ``#`` or ``\\`` of the text's own
    follows a ``\\``), and those numbers in one column, row after row:
    ``{"tpl": codes into texts, "num": numbers}``; ``-1`` where there is no text. ``values``
    may be given factorised (:class:`Factorised`, its distinct texts in the order first met)."""
    if isinstance(values, Factorised):
        codes, uniques = values.codes, values.uniques
        missing = pd.isna(uniques) if len(uniques) else np.zeros(0, dtype=bool)
        keep = np.flatnonzero(~missing)
        renumber = np.full(len(uniques), -1, dtype=np.int64)
        renumber[keep] = np.arange(len(keep))
        codes = np.where(codes >= 0, renumber[np.maximum(codes, 0)], -1)
        # texts said of values: the same text, once (in the order of the values)
        again, said = _distinct_texts(pd.Series([str(u) for u in uniques[keep]], dtype=object))
        codes = np.where(codes >= 0, again[np.maximum(codes, 0)] if len(again) else -1, -1)
    else:
        codes, said = _distinct_texts(values)
    shapes, flat, per = _shapes(said)
    tpl = np.append(texts.codes(shapes), -1)  # (-1: no text)
    rows = np.where(codes >= 0, codes, len(said))
    counts = per[rows]
    starts = np.concatenate([[0], np.cumsum(per[:-1])])
    pick = np.repeat(starts[rows], counts) + _within_rows(counts)
    return {"tpl": texts.packed(tpl[rows]), "num": ints(flat[pick] if len(flat) else [])}


def _within_rows(counts: np.ndarray) -> np.ndarray:
    """0, 1, … within each row's share of a flat column (rows of ``counts`` values each)."""
    total = int(counts.sum())
    ends = np.cumsum(counts)
    return np.asarray(np.arange(total, dtype=np.int64) - np.repeat(ends - counts, counts))
