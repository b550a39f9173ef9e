"""UK postcodes: parsing, normalising, validating and splitting, vectorised over pandas Series.

Pure functions, no look-ups: see :mod:`assetmap.gazetteer` for coordinates.

A postcode such as ``B16 8HJ`` has an outward code ``B16`` (area ``B``, district ``B16``) and an
inward code ``8HJ``; its sector is ``B16 8``. Keying errors are corrected only where the format
leaves one reading (see :func:`parse`), and every correction is reported.
"""

from __future__ import annotations

import itertools
import re
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "DISTRICT_PATTERN",
    "POSTCODE_PATTERN",
    "compact",
    "is_valid",
    "normalise",
    "parse",
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
_PARTIAL: Final = re.compile(rf"({DISTRICT_PATTERN}) ?([0-9])?")
_SPACES: Final = re.compile(r"\s+")

# Characters keyed for one another; the format decides which was meant where it allows one.
_TWINS: Final = {"O": "0", "0": "O", "I": "1", "1": "I"}
_MAX_TWINS: Final = 4  # at most 2**4 readings of one value are tried


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


def _readings(c: str) -> list[str]:
    """The valid postcodes a compact string becomes by the fewest O/0 and I/1 swaps."""
    spots = [i for i, ch in enumerate(c) if ch in _TWINS]
    if not spots or len(spots) > _MAX_TWINS:
        return []
    for changes in range(1, len(spots) + 1):
        found = set()
        for chosen in itertools.combinations(spots, changes):
            chars = list(c)
            for i in chosen:
                chars[i] = _TWINS[chars[i]]
            candidate = "".join(chars)
            if _FULL.fullmatch(candidate):
                found.add(candidate)
        if found:
            return sorted(found)
    return []


def _with_space(c: pd.Series) -> pd.Series:
    """Compact postcodes with the space put back before the inward code (fast, in Arrow)."""
    arr = pa.array(c.astype("str"))
    spaced = pc.utf8_replace_slice(arr, -3, -3, " ")
    return pd.Series(pd.array(spaced, dtype="str"), index=c.index)


def parse(values: pd.Series, *, search: bool = True) -> pd.DataFrame:
    """Read postcodes as people key them: canonical form, parts, and what was corrected.

    A value is read, in order, as:

    1. a postcode once case, spaces and punctuation are ignored ("b16 8hj", "B168HJ",
       "B16 8HJ.", "B1 6 8HJ");
    2. a postcode after swapping letter O / digit 0 or letter I / digit 1 where the format
       allows only one of them ("BI6 8HJ" → "B16 8HJ"), by the fewest swaps; when two
       readings would fit, none is taken;
    3. with ``search``, a postcode found inside longer text ("12 Icknield St, B18 6RU");
    4. a postcode district ("B16") or sector ("B16 8") on its own.

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


def _parse(
    values: pd.Series, *, search: bool = True
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """:func:`parse`'s work: canonical postcodes, partial sectors and districts, notes.

    Vectorised in Arrow for the usual case (a postcode with or without its space); only the
    values that are not postcodes as written are looked at one by one.
    """
    text = values.astype("str")
    upper = text.str.upper()
    c = upper.str.replace(" ", "", regex=False)
    ok = c.str.fullmatch(POSTCODE_PATTERN).fillna(False).to_numpy(dtype=bool, copy=True)
    given = text.notna().to_numpy()
    # punctuation, tabs and other white space: cleaned in Arrow too, and noted
    messy = np.flatnonzero(given & ~ok)
    if len(messy):
        cleaned = upper.iloc[messy].str.replace(r"[^0-9A-Z]", "", regex=True)
        good = cleaned.str.fullmatch(POSTCODE_PATTERN).fillna(False).to_numpy(dtype=bool)
        c = c.copy()
        c.iloc[messy[good].tolist()] = cleaned[good].tolist()
        ok[messy[good]] = True
    postcode = _with_space(c).where(ok)
    # A note where more than case, or spaces around and between the halves, changed.
    same = ((upper == postcode) | (upper == c)).fillna(False).to_numpy(dtype=bool)
    look = np.flatnonzero(ok & ~same)
    tidy = upper.iloc[look].str.strip().str.replace(r"[ \t]+", " ", regex=True)
    wanted = postcode.iloc[look]
    differs = ~((tidy == wanted) | (tidy == c.iloc[look])).fillna(False).to_numpy(dtype=bool)
    written = text.to_numpy(dtype=object)
    notes = np.full(len(values), None, dtype=object)
    noted = look[differs]
    notes[noted] = [
        f"postcode {w!r} read as {p!r}"
        for w, p in zip(written[noted], wanted.to_numpy(dtype=object)[differs], strict=True)
    ]
    canon = np.full(len(values), None, dtype=object)

    sector = np.full(len(values), None, dtype=object)
    district = np.full(len(values), None, dtype=object)
    for i in np.flatnonzero(given & ~ok):
        up = written[i].upper()
        cs = re.sub(r"[^0-9A-Z]", "", up)
        readings = _readings(cs) if 5 <= len(cs) <= 7 else []
        if len(readings) == 1:
            canon[i] = readings[0][:-3] + " " + readings[0][-3:]
            notes[i] = (
                f"postcode {written[i]!r} read as {canon[i]!r} (I/1 or O/0 keyed for the other)"
            )
            continue
        hits = {m.group(1) + " " + m.group(2) for m in _IN_TEXT.finditer(up)} if search else set()
        if len(hits) == 1:
            canon[i] = hits.pop()
            notes[i] = f"postcode {canon[i]!r} found in {written[i]!r}"
            continue
        if len(hits) > 1:
            notes[i] = f"{written[i]!r} holds several postcodes ({', '.join(sorted(hits))})"
            continue
        partial = _PARTIAL.fullmatch(_SPACES.sub(" ", up.strip()))
        if partial:
            district[i] = partial.group(1)
            if partial.group(2):
                sector[i] = f"{partial.group(1)} {partial.group(2)}"
    fixed = np.flatnonzero(pd.notna(canon))
    if len(fixed):
        postcode = postcode.copy()
        postcode.iloc[fixed] = canon[fixed]
    return (
        postcode,
        _sparse(sector, values.index),
        _sparse(district, values.index),
        _sparse(notes, values.index),
    )


def _sparse(values: np.ndarray, index: pd.Index) -> pd.Series:
    """A text Series from an object array that is mostly None (fast where it is)."""
    out = pd.Series(pd.array(pa.nulls(len(values), pa.large_string()), dtype="str"), index=index)
    at = np.flatnonzero(pd.notna(values))
    if len(at):
        out.iloc[at] = values[at]
    return out
