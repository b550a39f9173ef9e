"""Reading cells of a register and collecting the problems found in them.

This module owns the parts both validators share: :class:`Collector` (every problem with its
row id and source position), cleaning text and vocabulary values, and parsing numbers, dates
and footprints cell by cell, reporting each cell that does not parse.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...errors import Fix, Problem

__all__ = [
    "Collector",
    "clean_text",
    "closest",
    "dates",
    "footprints",
    "given",
    "numbers",
    "representative_points",
    "vocab_key",
]


def _blank(series: pd.Series) -> pd.Series:
    """True where a cell holds nothing (missing, or only white space)."""
    text = series.astype("str")
    return pd.Series(text.isna() | (text.str.strip() == ""), index=series.index, dtype=bool)


def clean_text(series: pd.Series) -> pd.Series:
    """Text with edges trimmed, blanks as missing, as pandas' string dtype."""
    text = series.astype("str").str.strip()
    return text.where(text != "")


def vocab_key(series: pd.Series) -> pd.Series:
    """Normalise a vocabulary value: 'Anchor institution' -> 'anchor_institution'.

    Each distinct text is normalised once (a register repeats a handful of categories).
    """
    text = clean_text(series)
    codes, distinct = pd.factorize(text)
    keys = pd.Series(distinct, dtype="str").str.casefold().str.replace(r"[\s\-]+", "_", regex=True)
    out = keys.array.take(codes, allow_fill=True)  # -1 (missing) stays missing
    return pd.Series(out, index=series.index, name=text.name)


def closest(value: str, allowed: Sequence[str]) -> str:
    """The message for a value outside a vocabulary, suggesting the closest allowed one."""
    close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{value!r} is not one of {list(allowed)}{hint}"


class Collector:
    """Collects problems with the id and source position of their rows."""

    def __init__(self, ids: pd.Series, where: Sequence[str]) -> None:
        self.ids = ids
        self.where = list(where)
        self.problems: list[tuple[int, Problem]] = []

    def add(
        self, mask: pd.Series | np.ndarray, column: str | None, message: Any, fix: Any = None
    ) -> None:
        """Add a problem for each row in ``mask``; ``message`` and ``fix`` (a
        :class:`~assetmap.errors.Fix`) may be callables of the row's position."""
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            rid = self.ids.iloc[i]
            text = message(i) if callable(message) else message
            how = fix(i) if callable(fix) else fix
            self.problems.append(
                (
                    int(i),
                    Problem(None if pd.isna(rid) else str(rid), self.where[i], column, text, how),
                )
            )

    def table(self, message: str, fix: Fix | None = None) -> None:
        self.problems.append((-1, Problem(None, None, None, message, fix)))

    def sorted(self) -> list[Problem]:
        return [p for _, p in sorted(self.problems, key=lambda ip: ip[0])]


def numbers(frame: pd.DataFrame, column: str, bad: Collector, expect: str) -> pd.Series:
    """Parse a numeric column, reporting every cell that is given but not a number."""
    if column not in frame:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    raw = frame[column]
    blank = _blank(raw)
    values = pd.to_numeric(raw.where(~blank, None).astype(object), errors="coerce")
    values = values.astype("float64")
    unparsed = ~blank & (values.isna() | ~np.isfinite(values))
    bad.add(unparsed, column, lambda i: f"{raw.iloc[i]!r} is not {expect}")
    return values.where(~unparsed)


def given(frame: pd.DataFrame, column: str) -> pd.Series:
    """True where a cell holds something (whether or not it parses)."""
    if column not in frame:
        return pd.Series(False, index=frame.index)
    return ~_blank(frame[column])


def dates(raw: pd.Series, bad: Collector) -> pd.Series:
    """Parse dates (ISO 8601, or day-first as UK registers write them) into ISO text."""
    blank = _blank(raw)
    text = raw.where(~blank, None).astype(object).map(lambda v: v if v is None else str(v).strip())
    iso = pd.to_datetime(text, format="ISO8601", errors="coerce")
    parsed = iso.fillna(pd.to_datetime(text, format="%d/%m/%Y", errors="coerce"))
    unparsed = ~blank & parsed.isna()
    bad.add(
        unparsed,
        "recorded",
        lambda i: f"{raw.iloc[i]!r} is not a date (write it as 2019-03-14 or 14/03/2019)",
    )
    return parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), None).astype("str")


def representative_points(geoms: np.ndarray) -> np.ndarray:
    """A point standing for each geometry: half-way along lines, a point on anything else
    (one of a multi-point's points, a point inside an area); None stays None."""
    geoms = np.asarray(geoms, dtype=object)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    out = np.full(len(geoms), None, dtype=object)
    out[present] = shapely.point_on_surface(geoms[present])
    lineal = present & np.isin(shapely.get_type_id(geoms), [1, 2, 5])
    out[lineal] = shapely.line_interpolate_point(geoms[lineal], 0.5, normalized=True)
    return out


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """The areas of a geometry (a repaired footprint may hold lines too), or None."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def footprints(
    raw: pd.Series, bad: Collector, soft: list[str] | None = None
) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Parse footprints given as shapely geometries or WKT text.

    Areas are footprints, repaired with ``shapely.make_valid`` where they are invalid
    (self-intersecting); points (a location written as WKT) are returned apart, as
    coordinates; lines, multi-points and collections are placed at a representative point
    (returned with the points). What was repaired or placed so is said in ``soft``.
    """
    values = raw.astype(object).where(~_blank(raw), None)
    geoms = np.empty(len(values), dtype=object)
    points = np.full(len(values), None, dtype=object)
    repaired: list[int] = []
    represented: dict[str, list[int]] = {}
    for i, v in enumerate(values):
        if v is None:
            continue
        if isinstance(v, shapely.Geometry):
            geom = v
        else:
            geom = shapely.from_wkt(str(v), on_invalid="ignore")
            if geom is None:
                bad.add(
                    _one(len(values), i),
                    "footprint",
                    f"{str(v)[:40]!r} is not WKT (expected e.g. 'POLYGON ((lon lat, ...))')",
                )
                continue
        if geom.is_empty:
            continue
        x0, y0, x1, y1 = geom.bounds
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            if geom.geom_type == "Point":
                points[i] = geom  # easting/northing written as WKT: the geocoder reads it
                continue
            bad.add(
                _one(len(values), i),
                "footprint",
                "footprint coordinates must be longitude, latitude in degrees (EPSG:4326)",
            )
            continue
        if geom.geom_type == "Point":
            points[i] = geom
            continue
        area = _polygonal(geom)
        if area is not None and not shapely.is_valid(area):
            area = _polygonal(shapely.make_valid(area))
            repaired.append(i)
        if area is None or area.is_empty:
            points[i] = representative_points(np.array([geom], dtype=object))[0]
            represented.setdefault(geom.geom_type, []).append(i)
            continue
        geoms[i] = area
    if soft is not None and repaired:
        soft.append(
            f"{len(repaired)} footprint(s) were invalid (self-intersecting) and were repaired "
            f"with shapely's make_valid: {_at(bad, repaired)}"
        )
    if soft is not None:
        for kind, rows in represented.items():
            soft.append(
                f"{len(rows)} row(s) give a {kind}, not an area: each is placed at a point on "
                f"it (a representative point), {_at(bad, rows)}"
            )
    return gpd.GeoSeries(geoms, index=raw.index, crs="EPSG:4326"), points


def _at(bad: Collector, rows: list[int]) -> str:
    named = ", ".join(bad.where[i] for i in rows[:3])
    return named + (", …" if len(rows) > 3 else "")


def _one(n: int, i: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[i] = True
    return mask
