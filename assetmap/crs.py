"""Coordinate reference systems: the one place where lon/lat and x/y meet.

Distances are measured in metres in a projected CRS: British National Grid (EPSG:27700) in
Great Britain, the local UTM zone elsewhere. Data at rest is in EPSG:4326.

British National Grid is converted with OSTN15, the Ordnance Survey's definitive
transformation (through ``convertbng``; within 1 mm of the OS's published test points), not
with the 7-parameter Helmert transformation PROJ uses for EPSG:27700 when its OSTN15 grid file
is not installed (1–5 m off across Great Britain). WGS84 is taken as ETRS89 there, as OS,
ONS and PROJ do. Every other CRS goes through pyproj.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from convertbng.cutil import convert_bng, convert_lonlat
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from pyproj.transformer import TransformerGroup

from .errors import CRSError, CRSWarning, Problem, SchemaError

__all__ = [
    "BRITISH_NATIONAL_GRID",
    "WGS84",
    "Projected",
    "accuracy_m",
    "arc_m",
    "earth_xyz",
    "from_lonlat",
    "geographic",
    "ground_m",
    "metric_crs",
    "projected",
    "to_crs",
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


@lru_cache(maxsize=64)
def _is_bng(crs: str) -> bool:
    """Whether ``crs`` is British National Grid, however it is written."""
    if crs.upper() == BRITISH_NATIONAL_GRID:
        return True
    try:
        return bool(pyproj.CRS.from_user_input(crs).to_epsg(min_confidence=90) == 27700)
    except pyproj.exceptions.CRSError:
        return False


def _flat(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype="float64").ravel()


def _grid_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OSTN15 from grid to WGS84; PROJ's Helmert beyond OSTN15's grid (0–700 km, 0–1,250 km)."""
    lon, lat = (np.asarray(v, dtype="float64") for v in convert_lonlat(x, y))
    outside = np.isnan(lon) & np.isfinite(x) & np.isfinite(y)
    if outside.any():
        lon[outside], lat[outside] = _transform(
            BRITISH_NATIONAL_GRID, WGS84, x[outside], y[outside]
        )
    return lon, lat


def _lonlat_to_grid(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OSTN15 from WGS84 to grid.

    ``convertbng`` answers within lon -8.579..1.78, lat 49.922..60.84 (the box of the OS's test
    points). OSTN15 reaches further (St Agnes in Scilly, the north of Unst): there the grid
    point is found by inverting the grid-to-WGS84 direction, from PROJ's Helmert answer (each
    step shrinks the error some 10,000 times). Beyond OSTN15's grid, the Helmert answer.
    """
    x, y = (np.asarray(v, dtype="float64") for v in convert_bng(lon, lat))
    rest = np.flatnonzero(np.isnan(x) & np.isfinite(lon) & np.isfinite(lat))
    if rest.size:
        hx, hy = _transform(WGS84, BRITISH_NATIONAL_GRID, lon[rest], lat[rest])
        gx, gy = hx.copy(), hy.copy()
        for _ in range(3):
            back_lon, back_lat = convert_lonlat(gx, gy)
            bx, by = _transform(WGS84, BRITISH_NATIONAL_GRID, back_lon, back_lat)
            gx, gy = gx + hx - bx, gy + hy - by
        ok = np.isfinite(gx) & np.isfinite(gy)
        x[rest], y[rest] = np.where(ok, gx, hx), np.where(ok, gy, hy)
    return x, y


def to_lonlat(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude (EPSG:4326) of points given as x, y in ``crs``.

    British National Grid through OSTN15 (see the module's description).

    Examples
    --------
    >>> lon, lat = to_lonlat(np.array([406000.0]), np.array([286000.0]), "EPSG:27700")
    >>> round(float(lon[0]), 6), round(float(lat[0]), 6)
    (-1.913095, 52.471917)
    """
    if _is_bng(str(crs)):
        shape = np.shape(x)
        lon, lat = _grid_to_lonlat(_flat(x), _flat(y))
        return lon.reshape(shape), lat.reshape(shape)
    return _transform(str(crs), WGS84, x, y)


def from_lonlat(lon: np.ndarray, lat: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """x, y in ``crs`` of points given as longitude, latitude (EPSG:4326).

    British National Grid through OSTN15 (see the module's description).

    Examples
    --------
    >>> x, y = from_lonlat(np.array([-1.913095]), np.array([52.471917]), "EPSG:27700")
    >>> round(float(x[0]), 1), round(float(y[0]), 1)
    (406000.0, 286000.0)
    """
    if _is_bng(str(crs)):
        shape = np.shape(lon)
        x, y = _lonlat_to_grid(_flat(lon), _flat(lat))
        return x.reshape(shape), y.reshape(shape)
    return _transform(WGS84, str(crs), lon, lat)


GeoData = TypeVar("GeoData", gpd.GeoSeries, gpd.GeoDataFrame)


def to_crs(data: GeoData, crs: str | int) -> GeoData:
    """``data.to_crs(crs)``, with British National Grid to and from WGS84 through OSTN15.

    Use it wherever geometries move between EPSG:27700 and EPSG:4326 (boundary files in
    British National Grid, shapes built in metres): geopandas' own ``to_crs`` uses PROJ's
    Helmert transformation there, 1–5 m off. Other pairs go through geopandas unchanged.

    Examples
    --------
    >>> s = gpd.GeoSeries([shapely.Point(406000, 286000)], crs="EPSG:27700")
    >>> p = to_crs(s, 4326).iloc[0]
    >>> round(p.x, 6), round(p.y, 6)
    (-1.913095, 52.471917)
    """
    source, target = data.crs, pyproj.CRS.from_user_input(crs)
    if source is None or source.equals(target):
        return data.to_crs(target)
    convert: Callable[[np.ndarray, np.ndarray, str], tuple[np.ndarray, np.ndarray]]
    if _is_bng(source.to_string()) and target.equals(WGS84):
        convert, fixed = to_lonlat, source.to_string()
    elif source.equals(WGS84) and _is_bng(target.to_string()):
        convert, fixed = from_lonlat, target.to_string()
    else:
        return data.to_crs(target)

    def move(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(convert(xy[:, 0], xy[:, 1], fixed))

    geometry = data if isinstance(data, gpd.GeoSeries) else data.geometry
    moved = gpd.GeoSeries(
        shapely.transform(geometry.to_numpy(), move), index=geometry.index, crs=target
    )
    if isinstance(data, gpd.GeoSeries):
        return moved.rename(data.name)
    out = data.copy()
    out[data.geometry.name] = moved
    return out.set_crs(target, allow_override=True)


Frame = TypeVar("Frame")


def _degrees_only(geoms: np.ndarray) -> bool:
    """Whether every coordinate of ``geoms`` lies within -180..180, -90..90."""
    xy = shapely.get_coordinates(geoms)
    return bool(np.all(np.abs(xy[:, 0]) <= 180) and np.all(np.abs(xy[:, 1]) <= 90))


def _footprints(column: pd.Series) -> np.ndarray | None:
    """A ``footprint`` column's shapes, or None when it holds something else (WKT text)."""
    values = column.to_numpy(dtype=object)
    present = pd.notna(values)
    given = values[present]
    if isinstance(column, gpd.GeoSeries) or all(isinstance(v, shapely.Geometry) for v in given):
        shapes: np.ndarray = values.copy()
        shapes[~present] = None
        return shapes
    return None


def geographic(frame: Frame, what: str = "the assets") -> Frame:
    """The frame with its geometry and ``footprint`` in longitude/latitude (EPSG:4326).

    Every public function of assetmap that takes a GeoDataFrame calls this first, so a layer
    in British National Grid, a UTM zone, web Mercator or any other CRS gives the same answers
    as the same layer in EPSG:4326; what comes back is in EPSG:4326. British National Grid
    moves through OSTN15 (see :func:`to_crs`).

    The ``footprint`` column, when it holds shapes, moves from its own CRS (a GeoSeries keeps
    one: ``to_crs`` moves only the active geometry) or, without one, from the frame's. A
    DataFrame that is not a GeoDataFrame, or has no geometry, comes back as it is.

    Parameters
    ----------
    frame
        The assets (or any frame of shapes).
    what
        What the frame is, for the messages ("the assets given to find_links").

    Returns
    -------
    pandas.DataFrame or what was given
        ``frame`` itself when nothing needed to move; otherwise a copy (the caller's frame is
        never changed), same index and rows, geometry and footprint in EPSG:4326.

    Raises
    ------
    CRSError
        When the frame has no CRS and its coordinates are not all degrees: the message names
        the fix, ``frame.set_crs(...)``.

    Warns
    -----
    CRSWarning
        When the frame has no CRS but every coordinate lies within -180..180, -90..90: it is
        read as EPSG:4326.

    Examples
    --------
    >>> bng = gpd.GeoDataFrame(geometry=[shapely.Point(406000, 286000)], crs="EPSG:27700")
    >>> p = geographic(bng).geometry.iloc[0]
    >>> round(p.x, 6), round(p.y, 6)
    (-1.913095, 52.471917)
    >>> geographic(bng.set_crs(None, allow_override=True))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    assetmap.errors.CRSError: the assets have no CRS, and their coordinates (x 406000 to ...
    """
    if not isinstance(frame, gpd.GeoDataFrame) or frame._geometry_column_name not in frame:
        return frame
    crs = frame.crs
    geom = frame.geometry.to_numpy()
    fp_column = frame["footprint"] if "footprint" in frame.columns else None
    fp = _footprints(fp_column) if fp_column is not None else None
    fp_crs = fp_column.crs if isinstance(fp_column, gpd.GeoSeries) else None
    if crs is None:
        shapes = geom if fp is None or fp_crs is not None else np.concatenate([geom, fp])
        present = shapes[~shapely.is_missing(shapes)]
        if not _degrees_only(present):
            x0, y0, x1, y1 = shapely.total_bounds(present)
            raise CRSError(
                f"{what} have no CRS, and their coordinates (x {x0:.0f} to {x1:.0f}, "
                f"y {y0:.0f} to {y1:.0f}) are not longitude/latitude: say which CRS they are "
                'in, e.g. frame.set_crs("EPSG:27700") for British National Grid, or '
                'frame.set_crs("EPSG:32630") for a UTM zone'
            )
        if len(shapely.get_coordinates(present)):
            warnings.warn(
                f"{what} have no CRS; every coordinate lies within -180..180, -90..90, so they "
                'are read as longitude/latitude (EPSG:4326). Say so with frame.set_crs("EPSG:4326")'
                " to silence this, or set the CRS they are in",
                CRSWarning,
                stacklevel=3,
            )
        crs = pyproj.CRS.from_user_input(WGS84)
    fp_crs = fp_crs if fp_crs is not None else crs
    geometry_moves = not crs.equals(WGS84) or frame.crs is None
    footprint_moves = fp is not None and (
        not fp_crs.equals(WGS84)
        or not isinstance(fp_column, gpd.GeoSeries)
        or fp_column.crs is None
    )
    if not (geometry_moves or footprint_moves):
        return frame
    out = frame.copy()
    if geometry_moves:
        name = frame.geometry.name
        moved = to_crs(gpd.GeoSeries(geom, index=frame.index, crs=crs), WGS84)
        out[name] = moved
        out = out.set_crs(WGS84, allow_override=True)
    if fp is not None and footprint_moves:
        out["footprint"] = to_crs(gpd.GeoSeries(fp, index=frame.index, crs=fp_crs), WGS84)
    return cast(Frame, out)


#: OSTN15 reproduces the National Grid to about 0.1 m (Ordnance Survey).
_OSTN15_ACCURACY_M = 0.1


_A, _E2 = 6_378_137.0, 6.694379990141317e-3  # WGS84 semi-major axis (m), first eccentricity²


def earth_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Earth-centred x, y, z (metres, WGS84, on the ellipsoid) of points in degrees.

    A straight line through the Earth is never longer than the geodesic between its ends, so
    every pair within ``r`` metres along the ground is within ``r`` here: a candidate search in
    these coordinates misses nothing anywhere on Earth, across UTM zones and the antimeridian.
    """
    phi, lam = np.radians(lat), np.radians(lon)
    n = _A / np.sqrt(1 - _E2 * np.sin(phi) ** 2)
    return np.column_stack(
        [n * np.cos(phi) * np.cos(lam), n * np.cos(phi) * np.sin(lam), n * (1 - _E2) * np.sin(phi)]
    )


#: The Earth's mean radius (IUGG), metres: only for the small arc-over-chord correction.
_MEAN_RADIUS_M = 6_371_008.8


def arc_m(chord: np.ndarray) -> np.ndarray:
    """The distance along the Earth of points ``chord`` metres apart in a straight line
    through it: within a millimetre of the ellipsoidal geodesic up to 100 km, 0.001% up to
    1,000 km (the chord is exact on the ellipsoid; only the small bulge is spherical), and
    as fast as numpy, where Karney's geodesic costs about 1 µs a pair."""
    return np.asarray(2 * _MEAN_RADIUS_M * np.arcsin(np.minimum(chord / (2 * _MEAN_RADIUS_M), 1)))


def ground_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Distances along the Earth between points in degrees, metres: the exact ellipsoidal
    chord (:func:`earth_xyz`) bent over the Earth (:func:`arc_m`), within a millimetre of
    Karney's geodesic up to 100 km, at numpy's speed."""
    chord = np.linalg.norm(earth_xyz(lon1, lat1) - earth_xyz(lon2, lat2), axis=1)
    return arc_m(chord)


@lru_cache(maxsize=64)
def accuracy_m(crs: str) -> float:
    """How far, in metres, a point converted between ``crs`` and WGS84 may lie from its place.

    0.1 for British National Grid (OSTN15); otherwise the stated accuracy of the
    transformation pyproj uses (0 for a projection of WGS84 itself, such as UTM; 1 for Irish
    Grid); NaN when PROJ does not know it.

    Examples
    --------
    >>> accuracy_m("EPSG:27700"), accuracy_m("EPSG:29903"), accuracy_m("EPSG:32630")
    (0.1, 1.0, 0.0)
    """
    if _is_bng(str(crs)):
        return _OSTN15_ACCURACY_M
    with warnings.catch_warnings():  # "best transformation is not available": the next one is
        warnings.simplefilter("ignore")
        try:
            group = TransformerGroup(str(crs), WGS84, always_xy=True)
        except pyproj.exceptions.ProjError as exc:
            raise CRSError(f"cannot transform from {crs!r} to {WGS84!r}: {exc}") from exc
    best = next((t.accuracy for t in group.transformers), -1.0)
    return float(best) if best >= 0 else float("nan")


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

    @property
    def has_footprint(self) -> np.ndarray:
        return np.asarray(~shapely.is_missing(self.footprint), dtype=bool)


def projected(assets: pd.DataFrame, crs: str | None = None, what: str = "the assets") -> Projected:
    """The geocoded assets' points and footprints in metres (``crs``, or one chosen for them).

    The assets may be in any CRS (see :func:`geographic`); ``what`` names them in messages.
    """
    if "geometry" not in assets.columns:
        raise SchemaError(
            "links",
            [
                Problem.of_table(
                    "the assets have no geometry: geocode them first (assetmap.geocode)"
                )
            ],
        )
    assets = geographic(assets, what)
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
