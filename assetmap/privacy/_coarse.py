"""Where a record shown coarsely goes, and which area a record is counted in."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..areas import area_of
from ..crs import from_lonlat, metric_crs, to_crs, to_lonlat
from ..geocoding.gazetteer import Gazetteer
from ._policy import COARSE_CELL_M, MIN_COARSE_M


def _coarse_grid(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Centres of a fixed 500 m grid (metric), and the farthest a point may lie from its centre."""
    crs = metric_crs(
        (float(np.nanmin(lon)), float(np.nanmin(lat)), float(np.nanmax(lon)), float(np.nanmax(lat)))
    )
    x, y = from_lonlat(lon, lat, crs)
    cx = (np.floor(x / COARSE_CELL_M) + 0.5) * COARSE_CELL_M
    cy = (np.floor(y / COARSE_CELL_M) + 0.5) * COARSE_CELL_M
    glon, glat = to_lonlat(cx, cy, crs)
    return glon, glat, COARSE_CELL_M * np.sqrt(2) / 2


def _metres_to(
    lon0: np.ndarray | float, lat0: np.ndarray | float, lon: np.ndarray, lat: np.ndarray
) -> np.ndarray:
    """Metres from each (lon0, lat0) to each (lon, lat), on a local flat approximation."""
    dx = (lon - lon0) * np.cos(np.radians(lat0)) * 111_320.0
    dy = (lat - lat0) * 110_574.0
    return np.asarray(np.hypot(dx, dy))


def _area_centres(areas: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each area's centre (a point on its surface, lon and lat) and the farthest its outline
    lies from it (metres; NaN for an empty area)."""
    shapes = to_crs(areas, 4326).geometry.to_numpy()
    centres = shapely.point_on_surface(shapes)
    cx, cy = shapely.get_x(centres), shapely.get_y(centres)
    corners, which = shapely.get_coordinates(shapes, return_index=True)
    reach = np.full(len(shapes), np.nan)
    np.fmax.at(reach, which, _metres_to(cx[which], cy[which], corners[:, 0], corners[:, 1]))
    return cx, cy, reach


def coarse_points(
    rows: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None, gazetteer: Gazetteer | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each record's coarse point (lon, lat), its precision in metres, and what it stands for
    (text, an object array): worked out in bulk, one step per area source, not per record."""
    n = len(rows)
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    precision = np.full(n, np.nan)
    how = np.full(n, "", dtype=object)
    x, y = rows.geometry.x.to_numpy(), rows.geometry.y.to_numpy()
    if areas is not None and len(areas):
        at = area_of(shapely.points(x, y), areas)
        inside = np.flatnonzero(at >= 0)
        cx, cy, reach = _area_centres(areas)
        labels = np.array([f"centre of area {code}" for code in areas.index], dtype=object)
        lon[inside], lat[inside] = cx[at[inside]], cy[at[inside]]
        precision[inside] = reach[at[inside]]
        how[inside] = labels[at[inside]]
    todo = (
        np.flatnonzero(~np.isfinite(lon) & rows["postcode"].notna().to_numpy())
        if "postcode" in rows and gazetteer is not None
        else np.array([], dtype=int)
    )
    if len(todo) and gazetteer is not None:
        keys = gazetteer.parse(rows["postcode"].iloc[todo].astype("str"))
        for level, level_keys in keys.levels.items():  # finest first
            hit = gazetteer.lookup(level_keys, level)
            # a sector of a handful of postcodes would point at a street: not coarse enough
            with np.errstate(invalid="ignore"):
                wide = np.asarray(hit.found, dtype=bool) & (hit.precision_m >= MIN_COARSE_M)
            take = wide & ~np.isfinite(lon[todo])
            at = todo[take]
            lon[at], lat[at], precision[at] = hit.lon[take], hit.lat[take], hit.precision_m[take]
            said = level_keys.iloc[np.flatnonzero(take)].astype("str")
            how[at] = (f"centre of {gazetteer.name} {level} " + said).to_numpy(dtype=object)
    rest = np.flatnonzero(~np.isfinite(lon))
    if len(rest):
        glon, glat, gp = _coarse_grid(x[rest], y[rest])
        lon[rest], lat[rest], precision[rest] = glon, glat, gp
        how[rest] = f"centre of a {COARSE_CELL_M:.0f} m grid cell"
    return np.round(lon, 6), np.round(lat, 6), np.round(precision, 0), how


def count_areas(
    rows: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None, gazetteer: Gazetteer | None
) -> pd.Series:
    """The area each record lies in (its code), for counts: the areas', else the gazetteer's
    finest coarse level (a postcode sector), else one area for all."""
    if areas is not None and len(areas):
        at = area_of(rows.geometry.to_numpy(), areas)
        codes = np.asarray(areas.index.astype("str"), dtype=object)
        return pd.Series(
            np.where(at >= 0, codes[np.maximum(at, 0)], "outside the areas"),
            index=rows.index,
            dtype="str",
        )
    if "postcode" in rows and gazetteer is not None:
        levels = gazetteer.parse(rows["postcode"].astype("str")).levels
        if levels:
            level, keys = next(iter(levels.items()))
            return keys.set_axis(rows.index).fillna(f"no {level}").astype("str")
    return pd.Series("all", index=rows.index, dtype="str")
