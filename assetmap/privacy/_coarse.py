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


def _metres_to(lon0: float, lat0: float, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    dx = (lon - lon0) * np.cos(np.radians(lat0)) * 111_320.0
    dy = (lat - lat0) * 110_574.0
    return np.asarray(np.hypot(dx, dy))


def coarse_points(
    rows: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None, gazetteer: Gazetteer | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Each record's coarse point (lon, lat), its precision in metres, and what it stands for."""
    n = len(rows)
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    precision = np.full(n, np.nan)
    how = ["" for _ in range(n)]
    x, y = rows.geometry.x.to_numpy(), rows.geometry.y.to_numpy()
    if areas is not None and len(areas):
        shapes = to_crs(areas, 4326).geometry.to_numpy()
        at = area_of(shapely.points(x, y), areas)
        centres = shapely.point_on_surface(shapes)
        for i in np.flatnonzero(at >= 0):
            c = centres[at[i]]
            lon[i], lat[i] = c.x, c.y
            corners = shapely.get_coordinates(shapes[at[i]])
            precision[i] = _metres_to(c.x, c.y, corners[:, 0], corners[:, 1]).max()
            how[i] = f"centre of area {areas.index[at[i]]}"
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
            for j, i in enumerate(todo):
                wide = hit.found[j] and hit.precision_m[j] >= MIN_COARSE_M
                if wide and not np.isfinite(lon[i]):
                    lon[i], lat[i], precision[i] = hit.lon[j], hit.lat[j], hit.precision_m[j]
                    how[i] = f"centre of {gazetteer.name} {level} {level_keys.iloc[j]}"
    rest = np.flatnonzero(~np.isfinite(lon))
    if len(rest):
        glon, glat, gp = _coarse_grid(x[rest], y[rest])
        lon[rest], lat[rest], precision[rest] = glon, glat, gp
        for i in rest:
            how[i] = f"centre of a {COARSE_CELL_M:.0f} m grid cell"
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
