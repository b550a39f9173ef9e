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

from ...errors import Problem

__all__ = [
    "Collector",
    "clean_text",
    "closest",
    "dates",
    "footprints",
    "given",
    "numbers",
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
    """Normalise a vocabulary value: 'Anchor institution' -> 'anchor_institution'."""
    return clean_text(series).str.casefold().str.replace(r"[\s\-]+", "_", regex=True)


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

    def add(self, mask: pd.Series | np.ndarray, column: str | None, message: Any) -> None:
        """Add a problem for each row in ``mask``; ``message`` may be a callable of the row."""
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            rid = self.ids.iloc[i]
            text = message(i) if callable(message) else message
            self.problems.append(
                (int(i), Problem(None if pd.isna(rid) else str(rid), self.where[i], column, text))
            )

    def table(self, message: str) -> None:
        self.problems.append((-1, Problem(None, None, None, message)))

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


def footprints(raw: pd.Series, bad: Collector) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Parse footprints given as shapely polygons or WKT text.

    Areas are footprints; points (a location written as WKT) are returned apart, as
    coordinates; anything else is a problem.
    """
    values = raw.astype(object).where(~_blank(raw), None)
    geoms = np.empty(len(values), dtype=object)
    points = np.full(len(values), None, dtype=object)
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
        if geom.geom_type == "Point":
            points[i] = geom
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            bad.add(
                _one(len(values), i),
                "footprint",
                "a footprint must be a Polygon or MultiPolygon (or a Point for a location), "
                f"a {geom.geom_type} was given",
            )
            continue
        x0, y0, x1, y1 = geom.bounds
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            bad.add(
                _one(len(values), i),
                "footprint",
                "footprint coordinates must be longitude, latitude in degrees (EPSG:4326)",
            )
            continue
        geoms[i] = geom
    return gpd.GeoSeries(geoms, index=raw.index, crs="EPSG:4326"), points


def _one(n: int, i: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[i] = True
    return mask
