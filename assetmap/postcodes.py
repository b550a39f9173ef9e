"""UK postcodes: parsing, normalising and validating, vectorised over pandas Series.

Pure functions, no look-ups: see :mod:`assetmap.gazetteer` for coordinates.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

__all__ = ["POSTCODE_PATTERN", "compact", "is_valid", "normalise"]

#: A full UK postcode with no space: outward code (area, district) then inward code.
#: Follows the format rules of the Royal Mail / ONS (letters never used in given positions
#: excluded), plus the special case GIR 0AA.
POSTCODE_PATTERN: Final = (
    r"(?:GIR0AA|"
    r"(?:[A-PR-UWYZ][0-9][0-9]?"  # A9, A99
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"  # AA9, AA99
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"  # A9A (London)
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]"  # AA9A (London)
    r")[0-9][ABD-HJLNP-UW-Z]{2})"
)


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
    >>> is_valid(pd.Series(["B66 2QT", "b662qt", "B66", "QQ1 1AA", None])).tolist()
    [True, True, False, False, False]
    """
    return compact(values).str.fullmatch(POSTCODE_PATTERN).fillna(False).astype(bool)


def normalise(values: pd.Series) -> pd.Series:
    """The canonical form "B66 2QT" of each valid postcode; missing where not valid.

    Examples
    --------
    >>> normalise(pd.Series(["b66 2qt", "B662QT", " B66  2QT ", "not one"])).tolist()
    ['B66 2QT', 'B66 2QT', 'B66 2QT', nan]
    """
    c = compact(values)
    ok = c.str.fullmatch(POSTCODE_PATTERN).fillna(False).astype(bool)
    out = c.str[:-3] + " " + c.str[-3:]
    return out.where(ok).astype("str")
