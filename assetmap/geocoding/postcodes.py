"""UK postcodes: parsing, normalising, validating and splitting, vectorised over pandas Series.

Pure functions, no look-ups: see :mod:`assetmap.gazetteer` for coordinates.

A postcode such as ``B16 8HJ`` has an outward code ``B16`` (area ``B``, district ``B16``) and an
inward code ``8HJ``; its sector is ``B16 8``. Keying errors are corrected only where the format
leaves one reading (see :func:`parse`), or, told which postcodes a gazetteer lists, where
exactly one listed postcode is a reading (see :func:`reread`); every correction is reported.
Also owns the 64-bit encoding of canonical postcodes the gazetteers look up by.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Final, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._notes import concat, quoted
from ._postcode_bytes import as_written, twin_fixes
from ._text import alphanumeric

__all__ = [
    "DISTRICT_PATTERN",
    "POSTCODE_PATTERN",
    "compact",
    "first_letter",
    "is_valid",
    "normalise",
    "outward_twins",
    "parse",
    "postcode_codes",
    "reread",
    "split",
]

#: The outward code (area and district) of a UK postcode, by the Royal Mail / ONS format
#: rules: letters never used in given positions are excluded.
DISTRICT_PATTERN: Final = (
    r"(?:[A-PR-UWYZ][0-9][0-9]?"  # A9, A99
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"  # AA9, AA99
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"  # A9A (London)
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"  # AA9A (London)
)
_INWARD: Final = r"[0-9][ABD-HJLNP-UW-Z]{2}"

#: A full UK postcode with no space: outward code then inward code, plus the special case
#: GIR 0AA (Girobank).
POSTCODE_PATTERN: Final = rf"(?:GIR0AA|{DISTRICT_PATTERN}{_INWARD})"

# A postcode written inside longer text (an address): a space or none between its halves.
_IN_TEXT: Final = re.compile(rf"(?<![A-Z0-9])(GIR|{DISTRICT_PATTERN}) ?({_INWARD}|0AA)(?![A-Z0-9])")
_FULL: Final = re.compile(POSTCODE_PATTERN)
_AS_WRITTEN: Final = rf"^(?:GIR ?0AA|{DISTRICT_PATTERN} ?{_INWARD})$"
_PARTIAL_RE2: Final = rf"^(?P<district>{DISTRICT_PATTERN})(?: ?(?P<digit>[0-9]))?$"
# a sector with the first letter of its unit ("B16 8Z"): the space is needed, as "B168Z" or
# "B16Z" would be read in more than one way
_SECTOR_LETTER_RE2: Final = rf"^(?P<district>{DISTRICT_PATTERN}) (?P<digit>[0-9])[ABD-HJLNP-UW-Z]$"
# something shaped like a postcode (any letters): worth searching the text for one
_LOOSE: Final = r"[A-Z][A-Z0-9]{1,3} ?[0-9][A-Z]{2}"


def compact(values: pd.Series) -> pd.Series:
    """Upper case with every character that is not a letter or digit removed.

    Examples
    --------
    >>> compact(pd.Series([" b66  2qt ", "B66-2QT.", None])).tolist()
    ['B662QT', 'B662QT', nan]
    """
    s = values.astype("str")
    return s.str.upper().str.replace(r"[^0-9A-Z]", "", regex=True)


def is_valid(values: pd.Series) -> pd.Series:
    """True where a value, once compacted, is a full UK postcode in the official format.

    Examples
    --------
    >>> is_valid(pd.Series(["B66 2QT", "b662qt", "GIR 0AA", "B66", "QQ1 1AA", None])).tolist()
    [True, True, True, False, False, False]
    """
    return compact(values).str.fullmatch(POSTCODE_PATTERN).fillna(False).astype(bool)


def normalise(values: pd.Series) -> pd.Series:
    """The canonical form "B66 2QT" of each valid postcode; missing where not valid.

    No keying errors are corrected: see :func:`parse` for that.

    Examples
    --------
    >>> normalise(pd.Series(["b66 2qt", "B662QT", " B66  2QT ", "EC1A1BB", "not one"])).tolist()
    ['B66 2QT', 'B66 2QT', 'B66 2QT', 'EC1A 1BB', nan]
    """
    c = compact(values)
    ok = c.str.fullmatch(POSTCODE_PATTERN).fillna(False).astype(bool)
    return _with_space(c).where(ok)


def split(postcode: pd.Series) -> pd.DataFrame:
    """Area, district, sector and unit of canonical postcodes (as :func:`normalise` gives).

    Examples
    --------
    >>> split(pd.Series(["B16 8HJ", "EC1A 1BB", None])).to_dict("records")[:2]
    [{'area': 'B', 'district': 'B16', 'sector': 'B16 8', 'unit': 'B16 8HJ'}, \
{'area': 'EC', 'district': 'EC1A', 'sector': 'EC1A 1', 'unit': 'EC1A 1BB'}]
    """
    pc = postcode.astype("str")
    district = pc.str[:-4]
    return pd.DataFrame(
        {
            "area": district.str.replace(r"[0-9].*", "", regex=True),
            "district": district,
            "sector": pc.str[:-2],
            "unit": pc,
        },
        index=postcode.index,
    )


def postcode_codes(keys: pd.Series) -> pd.Index:
    """Canonical UK postcodes (or sectors, districts) as integers: their 8 bytes, padded.

    A canonical postcode is at most 8 ASCII characters, so its bytes (padded with "#") are a
    64-bit integer, read straight from Arrow's buffer; hashing those is many times faster than
    hashing text. The first character is the lowest byte. Anything longer, not ASCII, or
    missing, becomes -1, which no key has.
    """
    text = _arrow(keys)
    usable = pc.and_kleene(
        pc.and_kleene(pc.is_valid(text), pc.string_is_ascii(text)),
        pc.less_equal(pc.binary_length(text), 8),
    )
    padded = pc.utf8_rpad(pc.if_else(usable, text, ""), 8, "#")
    if isinstance(padded, pa.ChunkedArray):
        padded = padded.combine_chunks()
    width = np.int64 if pa.types.is_large_string(padded.type) else np.int32
    offsets = np.frombuffer(padded.buffers()[1], dtype=width)[padded.offset :][: len(padded) + 1]
    data = np.frombuffer(padded.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    codes = data.view("<i8")
    return pd.Index(np.where(usable.to_numpy(zero_copy_only=False), codes, -1))


def first_letter(codes: np.ndarray) -> np.ndarray:
    """The partition of each encoded postcode: its first character's byte (-1 for none)."""
    return np.where(codes >= 0, codes & 0xFF, -1)


def _with_space(c: pd.Series) -> pd.Series:
    """Compact postcodes with the space put back before the inward code (fast, in Arrow)."""
    return _pandas(pc.utf8_replace_slice(_arrow(c), -3, -3, " "), c.index)


def parse(values: pd.Series, *, search: bool = True) -> pd.DataFrame:
    """Read postcodes as people key them: canonical form, parts, and what was corrected.

    A value is read, in order, as:

    1. a postcode once case, spaces and punctuation are ignored ("b16 8hj", "B168HJ",
       "B16 8HJ.", "B1 6 8HJ");
    2. a postcode after swapping letter O / digit 0 or letter I / digit 1 where the format
       allows only one of them ("BI6 8HJ" → "B16 8HJ"), by the fewest swaps; when two
       readings would fit, none is taken;
    3. with ``search``, a postcode found inside longer text ("12 Icknield St, B18 6RU");
    4. a postcode district ("B16") or sector ("B16 8", or "B16 8Z" with part of the unit) on
       its own.

    Parameters
    ----------
    values
        Postcodes as written.
    search
        Look for a postcode inside longer text such as an address.

    Returns
    -------
    pandas.DataFrame
        Same index: ``postcode`` (canonical, or missing), ``sector`` and ``district`` (from the
        postcode, or a partial one), and ``note`` saying what was read differently from what was
        written beyond case and spacing (missing where nothing was).

    Examples
    --------
    >>> p = parse(pd.Series(["b16 8hj", "BI6 8HJ", "Flat 2, 12 Icknield St B18 6RU", "B16 8"]))
    >>> p["postcode"].tolist()
    ['B16 8HJ', 'B16 8HJ', 'B18 6RU', nan]
    >>> p["sector"].tolist()
    ['B16 8', 'B16 8', 'B18 6', 'B16 8']
    >>> p["note"].iloc[1]
    "postcode 'BI6 8HJ' read as 'B16 8HJ' (I/1 or O/0 keyed for the other)"
    """
    postcode, sector, district, notes = _parse(values, search=search)
    return pd.DataFrame(
        {
            "postcode": postcode,
            "sector": postcode.str[:-2].fillna(sector),
            "district": postcode.str[:-4].fillna(district),
            "note": notes,
        },
        index=values.index,
    )


def _arrow(values: pd.Series) -> pa.Array:
    """The values as one Arrow text array (no copy when they are Arrow-backed already)."""
    arr = pa.array(values.astype("str").array)  # the array: a Series would hash its index
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _pandas(arr: pa.Array, index: pd.Index) -> pd.Series:
    return pd.Series(pd.array(arr, dtype="str"), index=index)


def _true(mask: pa.Array) -> np.ndarray:
    """An Arrow boolean array as numpy, missing read as False."""
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _parse(
    values: pd.Series, *, search: bool = True
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """:func:`parse`'s work: canonical postcodes, partial sectors and districts, notes.

    Vectorised in Arrow throughout; only values holding a postcode inside longer text are read
    one by one.
    """
    text = _arrow(values)
    n = len(text)
    upper = pc.ascii_upper(text)  # non-ASCII letters can never be part of a postcode
    # as most are written: canonical ("B16 8HJ"), or without the space ("B168HJ")
    ok, spaced = as_written(upper)  # the regex _AS_WRITTEN, byte by byte
    # each row's postcode, as a position in these (-1: none), all taken at once at the end
    found = [pc.if_else(pa.array(spaced), upper, pc.utf8_replace_slice(upper, -3, -3, " "))]
    at = np.where(ok, np.arange(n), -1)
    given = np.asarray(text.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    said: list[pa.Array] = []  # notes, and the rows they are about
    said_rows: list[np.ndarray] = []
    # the rest: without punctuation, tabs and other white space, noted where more than the
    # spaces around and between the halves changed
    messy = np.flatnonzero(given & ~ok)
    if len(messy):
        written = upper.take(messy)
        cleaned = alphanumeric(written)
        good = _true(pc.match_substring_regex(cleaned, f"^{POSTCODE_PATTERN}$"))
        if good.any():
            keep = pa.array(good)
            canonical = pc.utf8_replace_slice(cleaned.filter(keep), -3, -3, " ")
            at[messy[good]] = n + np.arange(len(canonical))
            found.append(canonical)
            ok[messy[good]] = True
            tidy = pc.replace_substring_regex(
                pc.utf8_trim_whitespace(written.filter(keep)), r"[ \t]+", " "
            )
            same = pc.or_kleene(pc.equal(tidy, canonical), pc.equal(tidy, cleaned.filter(keep)))
            differs = ~_true(same)
            noted = messy[good][differs]
            said_rows.append(noted)
            written_as = quoted(text.take(noted))
            read_as = quoted(canonical.filter(pa.array(differs)))
            said.append(concat("postcode ", written_as, " read as ", read_as))
    notes = np.full(n, None, dtype=object)
    canon = np.full(n, None, dtype=object)
    sector = np.full(n, None, dtype=object)
    district = np.full(n, None, dtype=object)
    rest = np.flatnonzero(given & ~ok)
    if len(rest):
        written = np.asarray(text.take(rest).to_pylist(), dtype=object)
        _slow_lane(
            rest, _pandas(upper.take(rest), pd.RangeIndex(len(rest))), written,
            canon, notes, sector, district, search,
        )  # fmt: skip
    # the slow lane fills these at ``rest`` alone
    fixed = rest[pd.notna(canon[rest])]
    at[fixed] = sum(map(len, found)) + np.arange(len(fixed))
    found.append(pa.array(canon[fixed].tolist(), type=pa.large_string()))
    every = pa.concat_arrays([a.cast(pa.large_string()) for a in found])
    postcode = every.take(pa.array(at, mask=at < 0))
    index = values.index
    return (
        _pandas(postcode, index),
        _sparse(sector, rest, index),
        _sparse(district, rest, index),
        _sparse(notes, rest, index, said, said_rows),
    )


def _slow_lane(
    rest: np.ndarray,
    upper: pd.Series,
    written: np.ndarray,
    canon: np.ndarray,
    notes: np.ndarray,
    sector: np.ndarray,
    district: np.ndarray,
    search: bool,
) -> None:
    """Values that are not postcodes even without punctuation: keying twins, postcodes inside
    text, partial postcodes. ``rest`` gives the rows of ``upper`` and ``written`` (aligned
    with each other); fills ``canon``, ``notes``, ``sector`` and ``district`` in place."""
    cs = [c or "" for c in alphanumeric(_arrow(upper)).to_pylist()]
    fixes = twin_fixes(cs)
    twin = np.array([f is not None for f in fixes], dtype=bool)
    for j in np.flatnonzero(twin):
        i, fix = rest[j], str(fixes[j])
        canon[i] = fix[:-3] + " " + fix[-3:]
        notes[i] = f"postcode {written[j]!r} read as {canon[i]!r} (I/1 or O/0 keyed for the other)"
    left = ~twin
    if search:
        # a postcode somewhere inside longer text: only such values are read one by one
        holds = upper[left].str.contains(_LOOSE, regex=True).fillna(False).to_numpy(dtype=bool)
        for j in np.flatnonzero(left)[holds]:
            i, said = rest[j], written[j]
            hits = sorted({m.group(1) + " " + m.group(2) for m in _IN_TEXT.finditer(said.upper())})
            if len(hits) == 1:
                canon[i] = hits[0]
                notes[i] = f"postcode {canon[i]!r} found in {said!r}"
            elif hits:
                notes[i] = f"{said!r} holds several postcodes ({', '.join(hits)})"
        left[np.flatnonzero(left)[holds]] = False
    tidy = _arrow(upper[left].str.strip().str.replace(r"[ \t]+", " ", regex=True))
    parts = pc.extract_regex(tidy, _PARTIAL_RE2)
    with_letter = pc.extract_regex(tidy, _SECTOR_LETTER_RE2)
    parts = pc.if_else(parts.is_valid(), parts, with_letter)
    outward = parts.field("district").to_numpy(zero_copy_only=False)
    digit = parts.field("digit").to_numpy(zero_copy_only=False)
    rows = rest[left]
    has = parts.is_valid().to_numpy(zero_copy_only=False) & pd.notna(outward)
    district[rows[has]] = outward[has]
    with_digit = has & pd.notna(digit) & (digit != "")
    sector[rows[with_digit]] = [
        f"{o} {d}" for o, d in zip(outward[with_digit], digit[with_digit], strict=True)
    ]


def _sparse(
    values: np.ndarray,
    rows: np.ndarray,
    index: pd.Index,
    texts: Sequence[pa.Array] = (),
    texts_rows: Sequence[np.ndarray] = (),
) -> pd.Series:
    """A text Series from an object array of text and None set at ``rows`` (positions) alone,
    and Arrow ``texts`` about ``texts_rows`` (rows given no text in ``values``)."""
    has = rows[pd.notna(values[rows])]
    parts = [*texts, pa.array(values[has].tolist(), type=pa.large_string())]
    pick = np.full(len(values), -1, dtype=np.int64)
    start = 0
    for at, part in zip([*texts_rows, has], parts, strict=True):
        pick[at] = start + np.arange(len(at))
        start += len(part)
    every = pa.concat_arrays([part.cast(pa.large_string()) for part in parts])
    return _pandas(every.take(pa.array(pick, mask=pick < 0)), index)


# With a gazetteer: a postcode-like token, an outward code of 2 to 4 letters or digits (any
# shape: "NPT" and "W1M" break the format rule), then an inward code whose digit may be O or I
_TOKEN: Final = re.compile(r"(?<![A-Z0-9])([A-Z0-9]{2,4}) ?([0-9OI][A-Z]{2})(?![A-Z0-9])")
_WHOLE: Final = re.compile(r"([A-Z0-9]{2,4})([0-9OI][A-Z]{2})")
_TWINS: Final = {"O": "O0", "0": "0O", "I": "I1", "1": "1I"}
_INWARD_DIGIT: Final = {"O": "0", "I": "1"}
_KEYED: Final = "I/1 or O/0 keyed for the other"
# compacted text that may hold such a token (RE2: no look-arounds)
_SHAPED: Final = r"[A-Z0-9]{2,4}[0-9OI][A-Z]{2}"


@functools.lru_cache(maxsize=1 << 16)
def outward_twins(outward: str) -> tuple[str, ...]:
    """The outward code as written, then each reading with O/0 or I/1 keyed for the other.

    Examples
    --------
    >>> outward_twins("C09"), outward_twins("B16")
    (('C09', 'CO9'), ('B16', 'BI6'))
    """
    return tuple("".join(t) for t in itertools.product(*(_TWINS.get(c, c) for c in outward)))


class _Token(NamedTuple):
    """A postcode-like piece of text: its canonical readings, the one as written first."""

    written: str
    readings: list[str]
    inward_changed: bool


def _token(outward: str, inward: str, written: str) -> _Token:
    fixed = _INWARD_DIGIT.get(inward[0], inward[0]) + inward[1:]
    return _Token(written, [f"{o} {fixed}" for o in outward_twins(outward)], fixed != inward)


def _tokens(text: str, key: object, search: bool) -> tuple[list[_Token], bool]:
    """The tokens of one value (its postcode as read, else what looks like one) and whether
    the value is a postcode alone rather than longer text."""
    upper = text.upper()
    bare = re.sub(r"[^0-9A-Z]", "", upper)
    if isinstance(key, str):
        outward, inward = key.split(" ")
        return [_token(outward, inward, key)], len(bare) <= 7
    if len(bare) <= 7:
        m = _WHOLE.fullmatch(bare)
        return ([_token(m[1], m[2], text.strip())] if m else []), True
    if not search:
        return [], False
    return [_token(m[1], m[2], m[0]) for m in _TOKEN.finditer(upper)], False


def _choose(token: _Token, listed: Mapping[str, bool]) -> tuple[str | None, bool, list[str]]:
    """The reading of a token the gazetteer lists: as written when it is listed, else the one
    twin listed; whether that is not what was written; and the twins when several are listed."""
    as_written, *twins = token.readings
    if listed[as_written]:
        return as_written, token.inward_changed, []
    hits = [t for t in twins if listed[t]]
    return (hits[0], True, []) if len(hits) == 1 else (None, False, hits)


def _reread_one(
    text: str, key: object, tokens: list[_Token], alone: bool, listed: Mapping[str, bool]
) -> tuple[str | None, str | None]:
    """The postcode (None: leave as read) and the note for one value."""
    chosen: dict[str, _Token] = {}
    changed: set[str] = set()
    several: list[str] = []
    for token in tokens:
        reading, differs, twins = _choose(token, listed)
        if reading is not None:
            chosen.setdefault(reading, token)
            if differs:
                changed.add(reading)
        several += twins
    if len(chosen) > 1:
        return None, f"{text!r} holds several postcodes ({', '.join(sorted(chosen))})"
    could = f"postcode {text!r} could be {' or '.join(map(repr, several))} ({_KEYED})"
    if not chosen:
        return None, f"{could}: not corrected" if several else None
    [(reading, token)] = chosen.items()
    if not alone:
        how = f" (written {token.written!r}: {_KEYED})" if reading in changed else ""
        return reading, f"postcode {reading!r} found in {text!r}{how}"
    if reading not in changed:
        return reading, None
    why = f"; the gazetteer has no {key!r}" if isinstance(key, str) else ""
    return reading, f"postcode {text!r} read as {reading!r} ({_KEYED}{why})"


def reread(
    values: pd.Series,
    key: pd.Series,
    notes: pd.Series,
    listed: Callable[[pd.Series], np.ndarray],
    *,
    known: np.ndarray,
    search: bool = True,
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Read again, knowing which postcodes a gazetteer lists, the values it does not place.

    :func:`parse` judges text by the format rule alone. With a gazetteer, a value whose
    postcode it does not list, or in which :func:`parse` found none, is read again as (1) the
    text as written, when listed, whatever its shape (old and non-geographic postcodes such as
    ``NPT 0AD`` or ``W1M 0AA`` break the format rule), else (2) the outward code's twins,
    letter O / digit 0 and letter I / digit 1 keyed for the other (``C09 2SH`` → ``CO9 2SH``),
    taken only when exactly one is listed (several: noted, not corrected); (3) with ``search``,
    the same for postcode-like text in an address. A listed postcode is never "corrected".

    Parameters
    ----------
    values, key, notes
        The values as written, and the postcode and note :func:`parse` read (same index).
    listed
        Which of some canonical postcodes the gazetteer lists (with a position or without).
    known
        Whether the gazetteer lists each ``key`` (False where missing).
    search
        Look inside longer text.

    Returns
    -------
    tuple
        The postcode and note of each value (Series: the inputs where nothing changed), and
        the positions of the values whose postcode changed.

    Examples
    --------
    >>> real = {"CO9 2SH", "W1M 0AA"}
    >>> values = pd.Series(["C09 2SH", "W1M 0AA", "CO9 2SH"])
    >>> p = parse(values)
    >>> key, note, _ = reread(values, p["postcode"], p["note"],
    ...                    lambda c: c.isin(real).to_numpy(), known=p["postcode"].isin(real))
    >>> key.tolist()
    ['CO9 2SH', 'W1M 0AA', 'CO9 2SH']
    >>> note.iloc[0]  # doctest: +ELLIPSIS
    "postcode 'C09 2SH' read as 'CO9 2SH' (I/1 or O/0 keyed for the other; ...)"
    """
    has_key = key.notna().to_numpy()
    todo = has_key & ~np.asarray(known, dtype=bool)
    unread = ~has_key & notes.isna().to_numpy() & values.notna().to_numpy()
    if unread.any():
        # only text holding something shaped like a postcode, however keyed, is read further
        shaped = compact(values[unread]).str.contains(_SHAPED, regex=True).fillna(False)
        todo[np.flatnonzero(unread)[shaped.to_numpy(dtype=bool)]] = True
    rows = np.flatnonzero(todo)
    if not len(rows):
        return key, notes, rows
    texts = values.iloc[rows].astype("str").reset_index(drop=True)
    keys = key.iloc[rows].reset_index(drop=True)
    # each distinct value once: registers repeat themselves
    which, _ = pd.factorize(texts + "\x00" + keys.fillna(""))
    first = np.unique(which, return_index=True)[1]
    distinct = list(zip(texts.iloc[first].tolist(), keys.iloc[first].tolist(), strict=True))
    found = [_tokens(str(t), k, search) for t, k in distinct]
    readings = sorted({r for tokens, _ in found for t in tokens for r in t.readings})
    if not readings:
        return key, notes, np.empty(0, dtype=np.int64)
    is_listed = dict(
        zip(readings, np.asarray(listed(pd.Series(readings, dtype="str"))), strict=True)
    )
    answers = [
        _reread_one(str(t), k, tokens, alone, is_listed)
        for (t, k), (tokens, alone) in zip(distinct, found, strict=True)
    ]
    new_key = np.array([a[0] for a in answers], dtype=object)[which]
    new_note = np.array([a[1] for a in answers], dtype=object)[which]
    said = notes.iloc[rows].to_numpy(dtype=object)
    keep = pd.notna(said) & pd.isna(new_key) & pd.notna(new_note)
    new_note[keep] = [f"{a}; {b}" for a, b in zip(said[keep], new_note[keep], strict=True)]
    has_note, moved = pd.notna(new_note), pd.notna(new_key)
    return (
        _replaced(key, rows[moved], new_key[moved]),
        _replaced(notes, rows[has_note], new_note[has_note]),
        rows[moved],
    )


def _replaced(values: pd.Series, rows: np.ndarray, new: np.ndarray) -> pd.Series:
    """``values`` with those at ``rows`` (positions, ascending) replaced by ``new``."""
    if not len(rows):
        return values
    arr = _arrow(values)
    mask = np.zeros(len(values), dtype=bool)
    mask[rows] = True
    new_arr = pa.array(new.tolist(), type=arr.type)
    return _pandas(pc.replace_with_mask(arr, pa.array(mask), new_arr), values.index)
