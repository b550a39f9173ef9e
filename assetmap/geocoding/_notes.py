"""What the geocoder says about each row (``geocode_note``), gathered in bulk.

Notes are said in batches (a text for each of some rows, or one text for many) and joined per
row with "; " only at the end, in Arrow: no Python string per row for the hundreds of thousands
of rows a large register has something said about.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["RowNotes", "concat", "quoted"]

_TEXT = pa.large_string()


class RowNotes:
    """What was said about each row, by row position, in the order it was said.

    Bulk: :meth:`add` (Python texts) and :meth:`add_arrow` (an Arrow text array, or one text
    for every row). One row at a time: ``notes[i].append(text)``. :meth:`to_arrow` joins each
    row's notes with "; " (a note said ``first`` goes before what was said before it).
    """

    def __init__(self, n: int) -> None:
        self.n = n
        # batches: rows (positions, unique within a batch), their texts as codes into a
        # dictionary of texts, and the batch's order (negative: put before what came earlier)
        self._rows: list[np.ndarray] = []
        self._codes: list[np.ndarray] = []
        self._texts: list[pa.Array] = []
        self._order: list[int] = []
        self._said = np.zeros(n, dtype=bool)
        # one row at a time, gathered into a batch when the next bulk note comes
        self._one_rows: list[int] = []
        self._one_texts: list[str] = []
        self._one_first: list[bool] = []

    def __getitem__(self, row: int | np.integer) -> _Said:
        return _Said(self, int(row))

    @property
    def said(self) -> np.ndarray:
        """Which rows have something said about them (a boolean array, one per row)."""
        return self._said

    def copy(self) -> RowNotes:
        self._flush()
        out = RowNotes(self.n)
        out._rows, out._codes = list(self._rows), list(self._codes)
        out._texts, out._order = list(self._texts), list(self._order)
        out._said = self._said.copy()
        return out

    def add(
        self, rows: Sequence[int] | np.ndarray, texts: Iterable[str], *, first: bool = False
    ) -> None:
        """Say ``texts`` of ``rows`` (positions), after what was said (before, with ``first``)."""
        rows = np.asarray(rows, dtype=np.int64)
        self.add_arrow(rows, pa.array(list(texts), type=_TEXT), first=first)

    def add_arrow(self, rows: np.ndarray, texts: pa.Array | str, *, first: bool = False) -> None:
        """Say ``texts`` (one per row, or one text for all) of ``rows`` (unique positions)."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        if isinstance(texts, str):
            dictionary = pa.array([texts], type=_TEXT)
            codes = np.zeros(len(rows), dtype=np.int64)
        else:
            if isinstance(texts, pa.ChunkedArray):
                texts = texts.combine_chunks()
            dictionary = texts.cast(_TEXT)
            if len(dictionary) != len(rows):
                raise ValueError(f"{len(rows)} rows were given {len(dictionary)} notes")
            codes = np.arange(len(rows), dtype=np.int64)
        self._flush()
        self._batch(rows, codes, dictionary, first)

    def _batch(self, rows: np.ndarray, codes: np.ndarray, texts: pa.Array, first: bool) -> None:
        k = len(self._order) + 1
        self._rows.append(rows)
        self._codes.append(codes)
        self._texts.append(texts)
        self._order.append(-k if first else k)
        self._said[rows] = True

    def _one(self, row: int, text: str, first: bool) -> None:
        self._one_rows.append(row)
        self._one_texts.append(text)
        self._one_first.append(first)
        self._said[row] = True

    def _flush(self) -> None:
        """Make the notes said one row at a time a batch each (in the order they were said)."""
        rows, texts, firsts = self._one_rows, self._one_texts, self._one_first
        if not rows:
            return
        self._one_rows, self._one_texts, self._one_first = [], [], []
        # consecutive notes that are all plain (or all first) and on distinct rows: one batch
        start = 0
        while start < len(rows):
            seen: set[int] = set()
            end = start
            while end < len(rows) and rows[end] not in seen and firsts[end] == firsts[start]:
                seen.add(rows[end])
                end += 1
            self._batch(
                np.asarray(rows[start:end], dtype=np.int64),
                np.arange(end - start, dtype=np.int64),
                pa.array(texts[start:end], type=_TEXT),
                firsts[start],
            )
            start = end

    def to_arrow(self) -> pa.Array:
        """Each row's notes joined with "; " (missing where nothing was said)."""
        self._flush()
        if not self._rows:
            return pa.nulls(self.n, type=_TEXT)
        sizes = [len(t) for t in self._texts]
        base = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        rows = np.concatenate(self._rows)
        code = np.concatenate([c + b for c, b in zip(self._codes, base, strict=True)])
        order = np.concatenate(
            [np.full(len(r), o) for r, o in zip(self._rows, self._order, strict=True)]
        )
        # each row's notes in the order they read: by row, then firsts said last leading
        sort = np.lexsort((order, rows))
        rows, code = rows[sort], code[sort]
        start = np.r_[True, rows[1:] != rows[:-1]]
        pick = np.full(self.n, -1, dtype=np.int64)
        pick[rows[start]] = code[start]
        texts = list(self._texts)
        if not start.all():
            # the few rows with more than one note: joined among themselves, then added to
            # the texts, so that the whole column is one take of one copy of the texts
            joined, at = _joined(_Batches(self._texts, base), rows, code, start)
            pick[at] = sum(sizes) + np.arange(len(at))
            texts.append(joined)
        return _take(pa.concat_arrays(texts), pick)

    def get(self, row: int) -> str | None:
        """The notes of one row, joined (for tests and messages; slow for many rows)."""
        value = self.to_arrow()[row].as_py()
        return None if value is None else str(value)


class _Batches:
    """The texts of the batches, taken from as from one array (without copying them all)."""

    def __init__(self, texts: list[pa.Array], base: np.ndarray) -> None:
        self.texts, self.base = texts, base

    def take(self, codes: np.ndarray) -> pa.Array:
        batch = np.searchsorted(self.base, codes, side="right") - 1
        order = np.argsort(batch, kind="stable")
        bounds = np.searchsorted(batch[order], np.arange(len(self.texts) + 1))
        pieces = [
            self.texts[b].take(pa.array(codes[order[lo:hi]] - self.base[b]))
            for b, (lo, hi) in enumerate(itertools.pairwise(bounds))
        ]
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        return pa.concat_arrays(pieces).take(pa.array(back))


def _joined(
    texts: _Batches, rows: np.ndarray, code: np.ndarray, start: np.ndarray
) -> tuple[pa.Array, np.ndarray]:
    """The notes of each row said more than once joined by "; ", and those rows. ``rows``
    (ascending) and ``code`` give every note in the order it reads; ``start`` marks each
    row's first."""
    first = np.flatnonzero(start)
    count = np.diff(np.r_[first, len(rows)])
    many = count > 1
    at = first[many]  # where each such row's notes begin
    out = texts.take(code[at])
    for r in range(1, int(count.max())):  # a second note, a third…
        more = np.flatnonzero(count[many] > r)  # ascending: as replace_with_mask takes them
        joined = concat(out.take(pa.array(more)), "; ", texts.take(code[at[more] + r]))
        mask = np.zeros(len(at), dtype=bool)
        mask[more] = True
        out = pc.replace_with_mask(out, pa.array(mask), joined)
    return out, rows[at]


def _take(texts: pa.Array, pick: np.ndarray) -> pa.Array:
    """``texts`` at ``pick`` (-1: missing)."""
    return texts.take(pa.array(pick, mask=pick < 0))


class _Said:
    """The notes of one row, as a list would take them."""

    __slots__ = ("notes", "row")

    def __init__(self, notes: RowNotes, row: int) -> None:
        self.notes, self.row = notes, row

    def append(self, text: str) -> None:
        self.notes._one(self.row, text, False)

    def extend(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.append(text)

    def insert(self, at: Literal[0], text: str) -> None:
        """Put ``text`` first (the only place taken)."""
        self.notes._one(self.row, text, True)

    def __bool__(self) -> bool:
        return bool(self.notes.said[self.row])


# printable ASCII but the quotes and the backslash: repr() puts such text in quotes as it is
_PLAIN = np.zeros(256, dtype=bool)
_PLAIN[0x20:0x7F] = True
_PLAIN[[ord('"'), ord("'"), ord("\\")]] = False


def quoted(texts: pa.Array) -> pa.Array:
    """``repr()`` of each text ("B16 8HJ" → "'B16 8HJ'"), in Arrow; missing stays missing.

    Plain text (printable ASCII with no quote or backslash) is quoted in bulk; anything else
    is given to ``repr`` itself, so the notes read exactly as Python would write them.
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    texts = texts.cast(_TEXT)
    out = concat("'", texts, "'")
    odd = np.flatnonzero(~_plain(texts))
    if len(odd):
        mask = np.zeros(len(texts), dtype=bool)
        mask[odd] = True
        said = [repr(t) for t in texts.take(pa.array(odd)).to_pylist()]
        out = pc.replace_with_mask(out, pa.array(mask), pa.array(said, type=_TEXT))
    return out


def _plain(texts: pa.Array) -> np.ndarray:
    """Which texts (large strings) are plain, byte by byte in numpy; missing ones are."""
    n = len(texts)
    _, offsets_buffer, data_buffer = texts.buffers()
    if offsets_buffer is None or data_buffer is None:
        return np.ones(n, dtype=bool)  # no text in any of them
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[texts.offset : texts.offset + n + 1]
    chars = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    odd = np.zeros(len(chars) + 1, dtype=np.int64)  # odd characters up to each byte
    np.cumsum(~_PLAIN[chars], out=odd[1:])
    at = offsets - offsets[0]
    plain = odd[at[1:]] == odd[at[:-1]]
    if texts.null_count:
        plain |= texts.is_null().to_numpy(zero_copy_only=False)
    return np.asarray(plain, dtype=bool)


def concat(*parts: pa.Array | str) -> pa.Array:
    """Texts and Arrow text arrays (of one length) joined end to end; missing if any part is."""
    args = [pa.scalar(p, _TEXT) if isinstance(p, str) else p.cast(_TEXT) for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar("", _TEXT))
