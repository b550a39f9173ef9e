"""Coordinate reference systems: the one place where lon/lat and x/y meet.

Distances are measured in metres in a projected CRS: British National Grid (EPSG:27700) in
Great Britain, the local UTM zone elsewhere. Data at rest is in EPSG:4326.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd
import pyproj
import shapely
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

from .errors import CRSError, Problem, SchemaError

__all__ = [
    "BRITISH_NATIONAL_GRID",
    "WGS84",
    "Projected",
    "from_lonlat",
    "metric_crs",
    "projected",
    "to_lonlat",
]

WGS84 = "EPSG:4326"
BRITISH_NATIONAL_GRID = "EPSG:27700"
#: Where British National Grid is the right choice (lon/lat box of Great Britain).
_GB_BOUNDS = (-8.82, 49.79, 1.92, 60.94)


@lru_cache(maxsize=64)
def _transformer(src: str, dst: str, thread: int) -> pyproj.Transformer:
    """One transformer per thread (PROJ objects are not shared between threads)."""
    try:
        return pyproj.Transformer.from_crs(src, dst, always_xy=True)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(f"cannot transform from {src!r} to {dst!r}: {exc}") from exc


#: Above this many points, transforms run in two threads (PROJ releases the GIL).
_SPLIT_AT = 100_000


def _transform(src: str, dst: str, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")

    def part(sl: slice) -> tuple[np.ndarray, np.ndarray]:
        out = _transformer(src, dst, threading.get_ident()).transform(a[sl], b[sl])
        return np.asarray(out[0], dtype="float64"), np.asarray(out[1], dtype="float64")

    if a.size < _SPLIT_AT:
        return part(slice(None))
    half = a.size // 2
    (x0, y0), (x1, y1) = _pool().map(part, (slice(0, half), slice(half, None)))
    return np.concatenate([x0, x1]), np.concatenate([y0, y1])


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    """Two long-lived threads, so that each keeps its transformers."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="assetmap-proj")


def to_lonlat(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude (EPSG:4326) of points given as x, y in ``crs``."""
    return _transform(str(crs), WGS84, x, y)


def from_lonlat(lon: np.ndarray, lat: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """x, y in ``crs`` of points given as longitude, latitude (EPSG:4326)."""
    return _transform(WGS84, str(crs), lon, lat)


def metric_crs(bounds: tuple[float, float, float, float]) -> str:
    """Choose a projected CRS in metres for data within ``bounds`` (lon/lat degrees).

    British National Grid inside Great Britain, otherwise the UTM zone of the data's centre.

    Examples
    --------
    >>> metric_crs((-1.95, 52.47, -1.90, 52.50))
    'EPSG:27700'
    >>> metric_crs((4.45, 51.90, 4.50, 51.95))  # Rotterdam
    'EPSG:32631'
    """
    x0, y0, x1, y1 = bounds
    if not np.all(np.isfinite(bounds)):
        raise CRSError("cannot choose a metric CRS for data with no located rows")
    gx0, gy0, gx1, gy1 = _GB_BOUNDS
    if (
        gx0 <= x0
        and x1 <= gx1
        and gy0 <= y0
        and y1 <= gy1
        and not (x1 < -5.4 and y1 < 55.4 and y0 > 54.0)
    ):
        return BRITISH_NATIONAL_GRID
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    infos = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(cx, cy, cx, cy),
    )
    if not infos:
        raise CRSError(f"no UTM zone covers longitude {cx:.3f}, latitude {cy:.3f}")
    return f"{infos[0].auth_name}:{infos[0].code}"


@dataclass(frozen=True)
class Projected:
    """Assets placed in a metric CRS: points (x, y), footprints, and which are placed."""

    crs: str
    index: pd.Index  # the asset ids, in the register's order
    x: np.ndarray
    y: np.ndarray
    footprint: np.ndarray  # shapely polygons in the metric CRS, or None
    placed: np.ndarray  # bool

    @cached_property
    def id_dtype(self) -> pd.CategoricalDtype:
        """The asset ids as the categories of link ends (in the register's order)."""
        return pd.CategoricalDtype(self.index.astype("str"))

    @property
    def has_footprint(self) -> np.ndarray:
        return np.asarray(~shapely.is_missing(self.footprint), dtype=bool)


def projected(assets: pd.DataFrame, crs: str | None = None) -> Projected:
    """The geocoded assets' points and footprints in metres (``crs``, or one chosen for them)."""
    if "geometry" not in assets.columns:
        raise SchemaError(
            "links",
            [
                Problem.of_table(
                    "the assets have no geometry: geocode them first (assetmap.geocode)"
                )
            ],
        )
    geom = assets.geometry.to_numpy()
    placed = ~shapely.is_missing(geom) & ~shapely.is_empty(geom)
    lon = np.where(placed, shapely.get_x(geom), np.nan)
    lat = np.where(placed, shapely.get_y(geom), np.nan)
    if crs is None:
        bounds = (
            (
                float(np.nanmin(lon)),
                float(np.nanmin(lat)),
                float(np.nanmax(lon)),
                float(np.nanmax(lat)),
            )
            if placed.any()
            else (0.0, 51.0, 0.0, 51.0)
        )
        crs = metric_crs(bounds)
    x, y = np.full(len(geom), np.nan), np.full(len(geom), np.nan)
    if placed.any():
        x[placed], y[placed] = from_lonlat(lon[placed], lat[placed], crs)
    footprint = np.full(len(geom), None, dtype=object)
    if "footprint" in assets.columns:
        fp = assets["footprint"].to_numpy()
        has = ~shapely.is_missing(fp) & ~shapely.is_empty(fp) & placed
        if has.any():
            footprint[has] = shapely.transform(
                fp[has], lambda c: np.column_stack(from_lonlat(c[:, 0], c[:, 1], crs))
            )
    return Projected(
        crs=crs,
        index=assets.index,
        x=x,
        y=y,
        footprint=footprint,
        placed=placed,
    )
