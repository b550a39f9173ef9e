"""The UK postcode format checked byte by byte in numpy: no regex and no Python string per value.

The format's slots (which characters each position of an outward and an inward code allows,
for each of the six shapes of outward code) as 256-entry tables of bytes, and what
:mod:`assetmap.geocoding.postcodes` asks of them for a million values at a time: which texts
are a postcode as most are written (:func:`as_written`), and which invalid ones read as
exactly one postcode once letter O / digit 0 and letter I / digit 1 are swapped where the
format wants the other (:func:`twin_fixes`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Final

import numpy as np
import pyarrow as pa

__all__ = ["as_written", "twin_fixes"]

# Slots of the outward code, for each of its six shapes; the inward code is digit, letter, letter.
_FIRST, _SECOND, _DIGIT = "A-PR-UWYZ", "A-HK-Y", "0-9"
_LONDON3, _LONDON4, _UNIT = "A-HJKPSTUW", "ABEHMNPRVWXY", "ABD-HJLNP-UW-Z"
_SHAPES: Final = (
    (_FIRST, _DIGIT),
    (_FIRST, _DIGIT, _DIGIT),
    (_FIRST, _SECOND, _DIGIT),
    (_FIRST, _SECOND, _DIGIT, _DIGIT),
    (_FIRST, _DIGIT, _LONDON3),
    (_FIRST, _SECOND, _DIGIT, _LONDON4),
)
_INWARD_SLOTS: Final = (_DIGIT, _UNIT, _UNIT)


def _byte_set(chars: str) -> np.ndarray:
    """A 256-entry table: True for the bytes of the characters a slot allows."""
    table = np.zeros(256, dtype=bool)
    for ch in re.findall(r".-.|.", chars):
        lo, hi = (ch[0], ch[-1])
        table[ord(lo) : ord(hi) + 1] = True
    return table


_F, _S, _D, _L3, _L4, _U = map(_byte_set, (_FIRST, _SECOND, _DIGIT, _LONDON3, _LONDON4, _UNIT))
_TEXT = pa.large_string()


def _pairs(f: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """A 65,536-entry table of two bytes read as a little-endian 16-bit number (the first
    byte the low one): ``f`` of the first byte's and the second byte's values."""
    first, second = np.meshgrid(np.arange(256), np.arange(256))  # second[i, j] = i
    return np.asarray(f(first.ravel(), second.ravel()), dtype=np.uint8)


# The outward code right-aligned in bytes 1-4 as c1 c2 c3 c4; the bits of its size's shapes:
# 1 two characters (c3 c4), 2 three, 4 four. Bytes 3-4 (c3 c4) and bytes 1-2 (c1 c2):
_TAIL = _pairs(
    lambda c3, c4: (
        (_F[c3] & _D[c4]) * 1
        + (((_D[c3] & (_D[c4] | _L3[c4])) | (_S[c3] & _D[c4])) * 2)
        + ((_D[c3] & (_D[c4] | _L4[c4])) * 4)
    )
)
_HEAD = _pairs(lambda c1, c2: 1 + _F[c2] * 2 + (_F[c1] & _S[c2]) * 4)
_UNIT_PAIR = _pairs(lambda a, b: _U[a] & _U[b]).astype(bool)
_SIZE_BIT = np.array([0, 0, 1, 2, 4, 0], dtype=np.uint8)  # by the outward code's size
_GIR = ord("G") | ord("I") << 8 | ord("R") << 16
_0AA = ord("0") | ord("A") << 8 | ord("A") << 16


def _last_eight(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The last 8 bytes of each text as a little-endian 64-bit number (the last byte the
    highest; what lies before a shorter text is meaningless), and each text's length."""
    _, offsets_buffer, data_buffer = texts.buffers()
    n = len(texts)
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[texts.offset : texts.offset + n + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.empty(0)
    padded = np.zeros(int(offsets[-1] - offsets[0]) + 8, dtype=np.uint8)
    padded[8:] = data[offsets[0] : offsets[-1]]
    # a 64-bit number starting at every byte (unaligned): the one at a text's end is its last 8
    words = np.ndarray((len(padded) - 7,), dtype="<u8", buffer=padded.data, strides=(1,))
    return words[offsets[1:] - offsets[0]], np.diff(offsets)


def as_written(texts: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Which texts are a full postcode in capitals with one space or none before the inward
    code, and which of those have the space.

    The same as the regex ``^(?:GIR ?0AA|{DISTRICT_PATTERN} ?[0-9][ABD-HJLNP-UW-Z]{2})$``
    (missing: False), read from the last 8 bytes of each text in a handful of table look-ups.

    Examples
    --------
    >>> ok, spaced = as_written(pa.array(["B16 8HJ", "B168HJ", "b16 8hj", "GIR 0AA", None]))
    >>> ok.tolist(), spaced.tolist()
    ([True, True, False, True, False], [True, False, False, True, False])
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    texts = texts.cast(_TEXT)
    word, length = _last_eight(texts)
    # the inward code is always the last three bytes (5-7); the space, if any, byte 4
    inward = _D[(word >> 40).astype(np.uint8)] & _UNIT_PAIR[(word >> 48).astype(np.uint16)]
    spaced = (word >> 32).astype(np.uint8) == ord(" ")
    size = np.clip(length - 3 - spaced, 0, 5)  # of the outward code (5: too long)
    # the outward code right-aligned in bytes 1-4: one byte further left when spaced
    out = np.where(spaced, word << 8, word)
    bits = _TAIL[(out >> 24).astype(np.uint16)] & _HEAD[(out >> 8).astype(np.uint16)]
    ok = inward & ((bits & _SIZE_BIT[size]) != 0)
    gir = (size == 3) & ((out >> 16) & 0xFFFFFF == _GIR) & (word >> 40 == _0AA)
    ok |= gir
    if texts.null_count:
        ok &= np.asarray(texts.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    return ok, ok & spaced


_TO_DIGIT = np.arange(256, dtype=np.uint8)
_TO_DIGIT[[ord("O"), ord("I")]] = [ord("0"), ord("1")]
_TO_LETTER = np.arange(256, dtype=np.uint8)
_TO_LETTER[[ord("0"), ord("1")]] = [ord("O"), ord("I")]


def twin_fixes(compact: Sequence[str]) -> list[str | None]:
    """Invalid compact postcodes read again with O/0 and I/1 swapped where the format wants.

    A value is read again only when exactly one shape of postcode takes it once the swaps are
    made (none, or several: it is left alone). Vectorised over the bytes of the values.
    """
    out: list[str | None] = [None] * len(compact)
    by_length: dict[int, list[int]] = {}
    for at, value in enumerate(compact):
        if 5 <= len(value) <= 7 and value.isascii():
            by_length.setdefault(len(value), []).append(at)
    for length, rows in by_length.items():
        raw = np.array([compact[r] for r in rows], dtype=f"S{length}")
        chars = raw.view(np.uint8).reshape(len(rows), length)
        fixed = np.zeros_like(chars)
        count = np.zeros(len(rows), dtype=np.int8)
        for shape in _SHAPES:
            slots = (*shape, *_INWARD_SLOTS)
            if len(slots) != length:
                continue
            fits = np.ones(len(rows), dtype=bool)
            reading = np.empty_like(chars)
            for k, slot in enumerate(slots):
                digit = slot == _DIGIT
                reading[:, k] = (_TO_DIGIT if digit else _TO_LETTER)[chars[:, k]]
                fits &= _byte_set(slot)[reading[:, k]]
            fixed[fits] = reading[fits]
            count += fits
        for j in np.flatnonzero(count == 1):
            out[rows[j]] = fixed[j].tobytes().decode("ascii")
    return out
