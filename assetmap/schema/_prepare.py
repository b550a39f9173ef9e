"""A register with canonical headings made ready for validation, as the user asked.

This module owns :func:`prepare_assets`: which of a coordinate pair's readings (degrees or
metres) a whole column holds, ``values=`` (the register's own words mapped to the vocabulary),
``defaults=`` (a value for rows without one), and ids (made from the row's content when there
is no id column; duplicates made unique on request). What it did is returned as messages for
one warning each; cells it cannot use as problems.

Ids made from content
---------------------
A register without an id column gets ids such as ``central-library-3f9a2c61d0``: the row's
name as a slug (at most 24 characters), then the first 10 hexadecimal digits of the SHA-1 of
the row's canonical fields as written (``name``, ``kind``, ``category``, ``subcategory``,
``description``, ``offers``, ``needs``, ``capacity``, ``postcode``, ``address``, coordinates,
``footprint``; each trimmed, missing as empty). The id depends on the row's content only, so
it stays the same when rows are reordered or others added; rows identical in all of those
fields get ``-2``, ``-3``… in the order they stand. Editing a row's content changes its id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Fix, Problem
from ._columns import ASSET_COLUMNS
from ._headings import Headings

__all__ = ["content_ids", "prepare_assets"]

#: Fields ``values=`` and ``defaults=`` may name.
_FILLABLE = tuple(c for c in ASSET_COLUMNS if c != "footprint")
_EXAMPLES = 3


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    values = pd.to_numeric(frame[column].astype(object), errors="coerce")
    return pd.Series(values, index=frame.index).astype("float64")


def _said(plan: Headings, field: str) -> str:
    return repr(plan.fields.get(field, field))


def _coordinate_pairs(frame: pd.DataFrame, plan: Headings, notes: list[str]) -> pd.DataFrame:
    """Read a coordinate pair as degrees or metres by its values, for the whole column.

    Easting/northing (``X``/``Y``, ``GeoX``/``GeoY``…) whose every value lies within ±180/±90
    are longitude/latitude (in British National Grid metres they would all lie in the sea off
    the Scilly Isles); latitude/longitude whose every value lies beyond degrees are metres.
    """
    east, north = _numbers(frame, "easting"), _numbers(frame, "northing")
    lat, lon = _numbers(frame, "latitude"), _numbers(frame, "longitude")
    has_en, has_ll = east.notna() & north.notna(), lat.notna() | lon.notna()
    if has_en.any() and not has_ll.any():
        degrees = (east.abs() <= 180) & (north.abs() <= 90)
        if degrees[has_en].all():
            frame = frame.drop(columns=[c for c in ("latitude", "longitude") if c in frame])
            frame = frame.rename(columns={"easting": "longitude", "northing": "latitude"})
            notes.append(
                f"read {_said(plan, 'easting')} and {_said(plan, 'northing')} as longitude and "
                "latitude in degrees: every value lies within ±180 and ±90, which as British "
                "National Grid metres would all lie in the sea off the Scilly Isles"
            )
        elif degrees[has_en].any():
            notes.append(
                f"{int(degrees[has_en].sum())} row(s) of {_said(plan, 'easting')}/"
                f"{_said(plan, 'northing')} hold values within ±180/±90 among metres; the "
                "geocoder reads them as degrees where they are, with a note"
            )
    elif has_ll.any() and not has_en.any():
        both = lat.notna() & lon.notna()
        metres = (lat.abs() > 90) & (lon.abs() > 180)
        if both.any() and metres[both].all():
            frame = frame.drop(columns=[c for c in ("easting", "northing") if c in frame])
            frame = frame.rename(columns={"longitude": "easting", "latitude": "northing"})
            notes.append(
                f"read {_said(plan, 'longitude')} and {_said(plan, 'latitude')} as easting and "
                "northing in metres: no value is a longitude or latitude in degrees"
            )
    return frame


def _word(value: Any) -> str:
    return " ".join(str(value).casefold().split())


def _values(
    frame: pd.DataFrame, values: Mapping[str, Mapping[str, Any]], problems: list[Problem]
) -> pd.DataFrame:
    """Map the register's own words to the vocabulary (case and spaces ignored)."""
    for column, words in values.items():
        if column not in _FILLABLE:
            problems.append(
                Problem.of_table(
                    f"values= names {column!r}, which is not a field; fields are {list(_FILLABLE)}"
                )
            )
            continue
        if column not in frame:
            continue
        table = {_word(k): v for k, v in words.items()}
        cells = frame[column].astype(object)
        mapped = cells.map(lambda v, t=table: t.get(_word(v), v) if isinstance(v, str) else v)
        frame[column] = mapped
    return frame


def _defaults(
    frame: pd.DataFrame, defaults: Mapping[str, Any], problems: list[Problem]
) -> pd.DataFrame:
    """Fill each field given in ``defaults`` where its column is absent or its cell blank."""
    for column, value in defaults.items():
        if column not in _FILLABLE:
            problems.append(
                Problem.of_table(
                    f"defaults= names {column!r}, which is not a field; fields are "
                    f"{list(_FILLABLE)}"
                )
            )
            continue
        if column not in frame:
            frame[column] = [value] * len(frame)
            continue
        cells = frame[column].astype(object)
        blank = cells.isna() | cells.map(lambda v: isinstance(v, str) and not v.strip())
        frame[column] = cells.where(~blank, value)
    return frame


def _slug(name: Any) -> str:
    text = "" if name is None or (isinstance(name, float) and np.isnan(name)) else str(name)
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_.casefold()).strip("-")[:24].strip("-")
    return slug or "row"


def _cell_text(value: Any) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float):
        return "" if np.isnan(value) else repr(value)
    if isinstance(value, list | tuple | np.ndarray):
        return "|".join(_cell_text(v) for v in value)
    return str(value).strip()


def content_ids(frame: pd.DataFrame) -> pd.Series:
    """Ids made from each row's canonical fields (see the module's notes), unique in order."""
    fields = [c for c in ASSET_COLUMNS if c in frame.columns]
    names = frame["name"] if "name" in frame else pd.Series(None, index=frame.index)
    records = zip(*(frame[c].to_numpy(dtype=object) for c in fields), strict=True)
    ids = []
    for name, record in zip(names.to_numpy(dtype=object), records, strict=True):
        text = "\x1f".join(f"{c}={_cell_text(v)}" for c, v in zip(fields, record, strict=True))
        digest = hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:10]
        ids.append(f"{_slug(name)}-{digest}")
    return _numbered(pd.Series(ids, index=frame.index, dtype=object))


def _numbered(ids: pd.Series) -> pd.Series:
    """Repeated ids suffixed ``-2``, ``-3``… in order (never an id already taken)."""
    taken = set(ids.dropna())
    seen: dict[str, int] = {}
    out = ids.to_numpy(dtype=object, copy=True)
    for i, v in enumerate(out):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        if v not in seen:
            seen[v] = 1
            continue
        k = seen[v] + 1
        while f"{v}-{k}" in taken:
            k += 1
        seen[v] = k
        out[i] = f"{v}-{k}"
        taken.add(out[i])
    return pd.Series(out, index=ids.index, dtype=object)


def _ids(
    frame: pd.DataFrame, make_unique: bool, where: Sequence[str], notes: list[str]
) -> pd.DataFrame:
    if "asset_id" not in frame.columns:
        frame.insert(0, "asset_id", content_ids(frame))
        notes.append(
            f"there is no id column: {len(frame)} id(s) were made from each row's name and "
            "content (the same row keeps its id when rows are reordered); map your own with "
            f"{Fix('column', 'asset_id').render()}"
        )
        return frame
    if not make_unique:
        return frame
    raw = frame["asset_id"].astype(object)
    text = raw.map(lambda v: v.strip() if isinstance(v, str) else v)
    text = text.map(lambda v: None if v == "" or pd.isna(v) else str(v))
    unique = _numbered(text)
    changed = np.flatnonzero((unique != text).to_numpy() & text.notna().to_numpy())
    if len(changed):
        examples = ", ".join(
            f"{text.iloc[i]!r} at {where[i]} became {unique.iloc[i]!r}" for i in changed[:_EXAMPLES]
        )
        notes.append(
            f"{len(changed)} repeated id(s) were made unique with a suffix: {examples}"
            + (", …" if len(changed) > _EXAMPLES else "")
        )
        frame["asset_id"] = unique.where(text.notna(), raw)
    return frame


def prepare_assets(
    frame: pd.DataFrame,
    plan: Headings,
    *,
    defaults: Mapping[str, Any] | None = None,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    make_ids_unique: bool = False,
    where: Sequence[str],
) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Make a register with canonical headings ready for :func:`validate_assets`.

    Parameters
    ----------
    frame
        The register with canonical headings (from :func:`apply_headings`).
    plan
        Which heading fed which field (named in the messages).
    defaults
        Field -> value for rows where the column is absent or the cell blank.
    values
        Field -> {register's word: vocabulary word}, compared case- and space-insensitively;
        words not given are left for validation to judge.
    make_ids_unique
        Suffix repeated ids (``-2``, ``-3``…) instead of reporting them.
    where
        Where each row stands in its source.

    Returns
    -------
    tuple
        The prepared copy, the problems found in the options, and what was done (one
        message per kind of change, for a warning).
    """
    frame = frame.copy()
    problems: list[Problem] = []
    notes: list[str] = []
    frame = _coordinate_pairs(frame, plan, notes)
    frame = _ids(frame, make_ids_unique, where, notes)
    frame = _values(frame, values or {}, problems)
    frame = _defaults(frame, defaults or {}, problems)
    return frame, problems, notes
