"""geocoding._notes: the notes of each row, said in batches and joined at the end in Arrow."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from assetmap.geocoding._notes import RowNotes, quoted

_N = 6
_TEXTS = st.text("ab;' é\\", max_size=4)
# what is said: (rows, texts) in bulk, one text for many rows, or one row at a time
_BULK = st.tuples(
    st.just("bulk"), st.lists(st.integers(0, _N - 1), unique=True), st.booleans(), _TEXTS
)
_ONE = st.tuples(st.just("one"), st.integers(0, _N - 1), st.booleans(), _TEXTS)


@given(st.lists(_BULK | _ONE, max_size=12), st.booleans())
def test_notes_join_as_a_list_per_row_would(said: list[tuple], as_one_text: bool) -> None:
    """Whatever is said in whatever order, each row reads as a Python list of its notes
    joined with "; " (a note said ``first`` going before everything said before it)."""
    notes, model = RowNotes(_N), [[] for _ in range(_N)]
    for how, rows, first, text in said:
        if how == "one":
            if first:
                notes[rows].insert(0, text)
                model[rows].insert(0, text)
            else:
                notes[rows].append(text)
                model[rows].append(text)
            continue
        texts = [f"{text}{r}" for r in rows]
        if as_one_text:
            notes.add_arrow(np.array(rows, dtype=np.int64), text, first=first)
            texts = [text] * len(rows)
        else:
            notes.add(rows, texts, first=first)
        for r, t in zip(rows, texts, strict=True):
            model[r][:0] = [t] if first else []
            model[r] += [] if first else [t]
    out = notes.to_arrow()
    out.validate(full=True)
    assert out.type == pa.large_string()
    assert out.to_pylist() == ["; ".join(m) if m else None for m in model]
    assert notes.said.tolist() == [bool(m) for m in model]


@given(st.lists(st.none() | st.text(max_size=6), max_size=20), st.integers(0, 3))
def test_quoted_reads_as_repr(texts: list[str | None], start: int) -> None:
    """Every text quoted as ``repr`` would, plain or not (quotes, backslashes, controls,
    beyond ASCII), in slices and in pieces; missing stays missing."""
    want = [None if t is None else repr(t) for t in texts]
    assert quoted(pa.array(texts, type=pa.string())).to_pylist() == want
    sliced = pa.array(texts, type=pa.large_string()).slice(min(start, len(texts)))
    assert quoted(sliced).to_pylist() == want[min(start, len(texts)) :]
    pieces = pa.chunked_array([texts[:start], texts[start:]], type=pa.string())
    assert quoted(pieces).to_pylist() == want  # type: ignore[arg-type]


def test_quoted_every_character() -> None:
    every = [chr(i) for i in range(300)] + ["", "B16 8HJ", "it's", 'a "b"', "a\\b"]
    assert quoted(pa.array(every)).to_pylist() == [repr(t) for t in every]
