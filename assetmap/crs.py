"""Coordinate reference systems: the one place where lon/lat and x/y meet.

Distances are measured in metres in a projected CRS: British National Grid (EPSG:27700) in
Great Britain, the local UTM zone elsewhere. Data at rest is in EPSG:4326.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
import pyproj
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

from .errors import CRSError

__all__ = ["BRITISH_NATIONAL_GRID", "WGS84", "from_lonlat", "metric_crs", "to_lonlat"]

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
