"""Which heading of a register feeds which canonical field.

This module owns :func:`map_headings` (explicit ``columns=`` first, then canonical names and
:data:`~assetmap.schema.ALIASES`, then combined ``lat,lon`` columns such as ``latt_long``) and
:func:`apply_headings`, which builds the frame with canonical names. Two headings that would
both feed one field (``Type`` beside ``category``, ``Lat`` beside ``latitude``, ``name``
twice) are one problem naming both and how to choose; nothing is dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import Fix, Problem, SchemaError
from ._columns import ALIASES, ASSET_COLUMNS, GEOCODE_COLUMNS, GUESSED_ALIASES

__all__ = [
    "COMBINED_FIELDS",
    "Columns",
    "Headings",
    "apply_headings",
    "heading_key",
    "map_headings",
]

#: What ``columns=`` may map a heading to: one field, or several fed by the same heading.
Columns = Mapping[str, str | Sequence[str]]
#: Pseudo-fields for one text column holding both coordinates ("52.0657,-1.3585").
COMBINED_FIELDS = ("latitude,longitude", "longitude,latitude")
CANONICAL = frozenset({"asset_id", *ASSET_COLUMNS, *GEOCODE_COLUMNS, "geometry"})
_LAT_LON = re.compile(r"(lat|latt|latitude)_?(long|lon|lng|longitude)")
_LON_LAT = re.compile(r"(long|lon|lng|longitude)_?(lat|latt|latitude)")
_PAIR = re.compile(r"\s*\(?\s*([-+]?\d+(?:\.\d*)?)\s*[,;\s]\s*([-+]?\d+(?:\.\d*)?)\s*\)?\s*")


def heading_key(heading: object) -> str:
    """A heading compared as assetmap compares them: lower case, non-letters as ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", str(heading).strip().casefold()).strip("_")


@dataclass(frozen=True)
class Headings:
    """Which heading feeds which field.

    Attributes
    ----------
    fields
        Field (or combined pseudo-field) -> the heading that feeds it.
    guessed
        ``(heading, field)`` read by an alias that is a guess; said in a warning.
    """

    fields: dict[str, str]
    guessed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def sources(self) -> set[str]:
        return set(self.fields.values())


def _auto_field(key: str) -> str | None:
    if key in CANONICAL:
        return key
    if key in ALIASES:
        return ALIASES[key]
    if _LAT_LON.fullmatch(key):
        return COMBINED_FIELDS[0]
    if _LON_LAT.fullmatch(key):
        return COMBINED_FIELDS[1]
    return None


def _explicit(
    headings: list[str], columns: Columns, problems: list[Problem]
) -> dict[str, list[str]]:
    """Field -> headings given for it in ``columns=`` (checked against the source)."""
    allowed = sorted(CANONICAL - {"geometry", *GEOCODE_COLUMNS}) + list(COMBINED_FIELDS)
    out: dict[str, list[str]] = {}
    for src, dst in columns.items():
        if src not in headings:
            problems.append(
                Problem(
                    None,
                    None,
                    src,
                    f"columns= maps {src!r}, but the source has no such heading; "
                    f"its headings are {headings}",
                )
            )
            continue
        for d in [dst] if isinstance(dst, str) else list(dst):
            if d not in allowed:
                problems.append(
                    Problem(
                        None,
                        None,
                        src,
                        f"columns= maps {src!r} to {d!r}, which is not a canonical column; "
                        f"canonical columns are {['asset_id', *ASSET_COLUMNS]} (or "
                        f"{list(COMBINED_FIELDS)} for one column holding both coordinates)",
                    )
                )
            else:
                out.setdefault(d, []).append(src)
    for d, srcs in out.items():
        if len(srcs) > 1:
            problems.append(
                Problem(None, None, d, f"columns= maps several headings to {d!r}: {srcs}; map one")
            )
    return out


def map_headings(
    headings: Sequence[str],
    columns: Columns | None = None,
    what: str = "asset register",
    *,
    repeated: Mapping[str, Sequence[str]] | None = None,
) -> Headings:
    """Work out which heading feeds which field, or raise one error naming every clash.

    Parameters
    ----------
    headings
        The source's headings (as its reader labels them: a repeated heading as pandas
        labels it, ``name``, ``name.1``).
    columns
        Explicit mapping, heading -> field or list of fields; explicit mappings win.
    what
        The source, for the error.
    repeated
        A heading written more than once -> the labels its copies were given.

    Raises
    ------
    SchemaError
        When ``columns=`` names headings or fields that do not exist, or when two headings
        would feed one field and ``columns=`` does not say which.
    """
    headings = [str(h) for h in headings]
    problems: list[Problem] = []
    explicit = _explicit(headings, dict(columns or {}), problems)
    fields = {d: srcs[0] for d, srcs in explicit.items()}
    taken = {src for srcs in explicit.values() for src in srcs}
    copy_of = {label: h for h, labels in (repeated or {}).items() for label in labels}
    candidates: dict[str, list[str]] = {}
    for h in headings:
        dst = None if h in taken else _auto_field(heading_key(copy_of.get(h, h)))
        if dst is not None and dst not in fields:
            candidates.setdefault(dst, []).append(h)
    if any(f in fields or f in candidates for f in ("latitude", "longitude")):
        for combined in COMBINED_FIELDS:
            candidates.pop(combined, None)  # separate columns win; the combined one is kept
    guessed: list[tuple[str, str]] = []
    for dst, srcs in candidates.items():
        copies = next((list(v) for v in (repeated or {}).values() if set(v) == set(srcs)), None)
        if len(srcs) > 1:
            exact = next((s for s in srcs if heading_key(s) == dst), srcs[0])
            named = " and ".join(repr(s) for s in srcs)
            said = (
                f"the heading {copies[0]!r} is written {len(copies)} times (read as {named})"
                if copies
                else f"the headings {named} would all be read as {dst}"
            )
            problems.append(
                Problem(
                    None,
                    None,
                    dst,
                    f"{said}; say which one is {dst} (the others are kept as they are)",
                    Fix("column", dst, heading=exact),
                )
            )
            continue
        fields[dst] = srcs[0]
        if heading_key(srcs[0]) in GUESSED_ALIASES:
            guessed.append((srcs[0], dst))
    if problems:
        raise SchemaError(what, problems)
    return Headings(fields, guessed)


def _split_pair(
    raw: pd.Series, lat_first: bool, heading: str, where: Sequence[str], problems: list[Problem]
) -> tuple[pd.Series, pd.Series]:
    """Latitude and longitude from one text column ("52.0657,-1.3585")."""
    text = raw.astype("str")
    parts = text.str.fullmatch(_PAIR.pattern)
    found = text.str.extract(_PAIR.pattern)
    blank = text.isna() | (text.str.strip() == "")
    first = pd.to_numeric(found[0], errors="coerce")
    second = pd.to_numeric(found[1], errors="coerce")
    order = "latitude,longitude" if lat_first else "longitude,latitude"
    for i in np.flatnonzero((~blank & ~parts.fillna(False)).to_numpy()):
        problems.append(
            Problem(
                None,
                where[int(i)],
                heading,
                f"{text.iloc[i]!r} is not {order} (expected e.g. '52.0657,-1.3585')",
            )
        )
    lat, lon = (first, second) if lat_first else (second, first)
    return lat.astype("float64"), lon.astype("float64")


def apply_headings(
    frame: pd.DataFrame, plan: Headings, where: Sequence[str]
) -> tuple[pd.DataFrame, list[Problem]]:
    """The frame with canonical names: each field from its heading, every other column kept.

    A column not read whose heading is itself a canonical name (the ``category`` beside the
    ``Type`` chosen with ``columns=``) is kept as ``"<heading> (not read)"``. Returns the frame
    and the problems of combined coordinate cells that do not parse.
    """
    out: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    for dst, src in plan.fields.items():
        if dst in COMBINED_FIELDS:
            lat, lon = _split_pair(frame[src], dst == COMBINED_FIELDS[0], src, where, problems)
            out["latitude"], out["longitude"] = lat, lon
        else:
            out[dst] = frame[src]
    for c in frame.columns:
        if str(c) in plan.sources:
            continue
        label = f"{c} (not read)" if str(c) in CANONICAL or str(c) in out else c
        out[label] = frame[c]
    result = pd.DataFrame(out, index=frame.index)
    if isinstance(frame, gpd.GeoDataFrame) and "geometry" in result.columns:
        result = gpd.GeoDataFrame(result, geometry="geometry", crs=frame.crs)
    return result, problems
