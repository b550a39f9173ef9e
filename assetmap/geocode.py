"""The tiered geocoder: coordinates given → site footprint → offline gazetteer.

Every row that comes in goes out, in the same order with the same index. Each row says how it
was placed (``geocode_method``), how well (``geocode_precision_m``, metres), and why it could not
be placed or what was read differently from what was written (``geocode_note``).
"""

from __future__ import annotations

import logging
import warnings
from typing import Literal, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import postcodes
from .crs import BRITISH_NATIONAL_GRID, from_lonlat, metric_crs, to_lonlat
from .errors import GeocodingWarning
from .gazetteer import Gazetteer, ons_postcode_directory
from .schema import validate_assets

__all__ = ["StudyArea", "geocode", "geocode_summary", "study_polygon"]

log = logging.getLogger(__name__)

StudyArea: TypeAlias = (
    shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | Literal["greater-icknield"]
)


def _decimal_precision_m(values: pd.Series, metres_per_unit: float) -> np.ndarray:
    """Half the last written digit's step, in metres: 52.4913° → ±5.6 m, 406649 m → ±0.5 m."""
    decimals = values.map(
        lambda v: len(repr(float(v)).split(".")[1].rstrip("0")) if pd.notna(v) else 0
    ).to_numpy(dtype="float64")
    return np.maximum(0.5 * metres_per_unit * 10.0 ** (-decimals), 0.5)


def study_polygon(study_area: StudyArea | None) -> shapely.Geometry | None:
    """The study area as one polygon (EPSG:4326): the bundled one by name, or the one given."""
    if study_area is None:
        return None
    if isinstance(study_area, str):
        from .datasets import study_area as bundled

        return bundled().to_crs("EPSG:4326").union_all()
    if isinstance(study_area, gpd.GeoDataFrame | gpd.GeoSeries):
        return study_area.to_crs("EPSG:4326").union_all()
    return study_area


def geocode(
    assets: pd.DataFrame,
    *,
    gazetteer: Gazetteer | None = None,
    coordinate_crs: str = BRITISH_NATIONAL_GRID,
    study_area: StudyArea | None = "greater-icknield",
) -> gpd.GeoDataFrame:
    """Place every asset: given coordinates first, then its site footprint, then its postcode.

    Parameters
    ----------
    assets
        A register as :func:`assetmap.read_assets` returns it (a DataFrame in canonical form is
        validated first).
    gazetteer
        Where postcodes (or other place keys) are looked up; the ONS postcode directory by
        default. See :func:`assetmap.gazetteer.gazetteer_from_frame` for your own table.
    coordinate_crs
        The CRS of ``easting``/``northing`` when a register gives them (British National Grid
        by default).
    study_area
        The area the register is about: rows outside it get ``in_study_area`` False. The
        bundled Greater Icknield polygon by default; any polygon (EPSG:4326) or
        GeoDataFrame; None leaves ``in_study_area`` missing.

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows and index, with point ``geometry`` (EPSG:4326; empty where a row could not
        be placed), ``geocode_method`` (``coordinates``, ``footprint``, the gazetteer's name
        such as ``postcode``, or ``none``), ``geocode_precision_m``, ``geocode_note`` and
        ``in_study_area``.

    Warns
    -----
    GeocodingWarning
        Once, counting the rows that could not be placed.

    Examples
    --------
    >>> from assetmap import datasets, read_assets
    >>> placed = geocode(read_assets(datasets.sample_register_path()))
    >>> placed.loc["macro-city-hospital", "geocode_method"]
    'postcode'
    """
    if not isinstance(assets, gpd.GeoDataFrame) or "footprint" not in assets.columns:
        assets = validate_assets(assets)
    table: Gazetteer = gazetteer if gazetteer is not None else ons_postcode_directory()
    n = len(assets)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    precision = np.full(n, np.nan)
    method = np.full(n, "none", dtype=object)
    notes: list[list[str]] = [[] for _ in range(n)]

    def place(mask: np.ndarray, x: np.ndarray, y: np.ndarray, prec: np.ndarray, how: str) -> None:
        todo = mask & (method == "none") & np.isfinite(x) & np.isfinite(y)
        lon[todo], lat[todo], precision[todo] = x[todo], y[todo], prec[todo]
        method[todo] = how

    # 1. coordinates written in the register
    glat, glon = assets["latitude"].to_numpy(), assets["longitude"].to_numpy()
    given = np.isfinite(glat) & np.isfinite(glon)
    zero = given & (glat == 0) & (glon == 0)
    for i in np.flatnonzero(zero):
        notes[i].append("latitude/longitude 0, 0 is not a place; ignored")
    prec_ll = _decimal_precision_m(assets["latitude"], 111_320.0)
    place(given & ~zero, glon, glat, prec_ll, "coordinates")
    east, north = assets["easting"].to_numpy(), assets["northing"].to_numpy()
    has_en = np.isfinite(east) & np.isfinite(north)
    if has_en.any():
        ex, ny = to_lonlat(
            np.where(has_en, east, 0.0), np.where(has_en, north, 0.0), coordinate_crs
        )
        place(has_en, ex, ny, _decimal_precision_m(assets["easting"], 1.0), "coordinates")

    # 2. a site's footprint: its representative point, precise to its farthest corner
    fp = assets["footprint"].to_numpy()
    has_fp = ~shapely.is_missing(fp) & ~shapely.is_empty(fp)
    if has_fp.any():
        pts = shapely.point_on_surface(fp[has_fp])
        fx, fy = np.full(n, np.nan), np.full(n, np.nan)
        fx[has_fp], fy[has_fp] = shapely.get_x(pts), shapely.get_y(pts)
        fprec = np.full(n, np.nan)
        fprec[has_fp] = _farthest_m(fp[has_fp], pts)
        place(has_fp, fx, fy, fprec, "footprint")

    # 3. the gazetteer
    raw_pc = assets["postcode"]
    want = (method == "none") & raw_pc.notna().to_numpy()
    if want.any():
        keys = table.keys_of(raw_pc[want])
        hit = table.lookup(keys)
        gx, gy, gp = (np.full(n, np.nan) for _ in range(3))
        gx[want], gy[want], gp[want] = hit.lon, hit.lat, hit.precision_m
        place(want, gx, gy, gp, table.name)
        _postcode_notes(raw_pc, want, keys, hit.found, table.name, notes)
    for i in np.flatnonzero((method == "none") & ~raw_pc.notna().to_numpy()):
        if not notes[i]:
            notes[i].append("no coordinates, footprint or postcode to place it by")

    # 7 decimals (about 1 cm): far finer than any tier, and clean numbers in every format
    lon, lat = np.round(lon, 7), np.round(lat, 7)
    geometry = gpd.GeoSeries(
        np.where(method != "none", shapely.points(lon, lat), None),
        index=assets.index,
        crs="EPSG:4326",
    )
    out = pd.DataFrame(
        assets.drop(
            columns=[
                assets.geometry.name,
                *(
                    c
                    for c in (
                        "geocode_method",
                        "geocode_precision_m",
                        "geocode_note",
                        "in_study_area",
                    )
                    if c in assets.columns
                ),
            ]
        )
    )
    out["geocode_method"] = pd.Series(method, index=assets.index).astype("str")
    out["geocode_precision_m"] = precision
    out["geocode_note"] = pd.Series(
        ["; ".join(n_) if n_ else None for n_ in notes], index=assets.index, dtype="str"
    )
    polygon = study_polygon(study_area)
    if polygon is None:
        inside = pd.Series(pd.NA, index=assets.index, dtype="boolean")
    else:
        contained = shapely.contains_xy(polygon, lon, lat)
        inside = pd.Series(contained, index=assets.index, dtype="boolean").where(
            method != "none", pd.NA
        )
    out["in_study_area"] = inside
    out = gpd.GeoDataFrame(out, geometry=geometry, crs="EPSG:4326")
    unplaced = int((method == "none").sum())
    log.info(
        "geocoded %d of %d assets; %d not placed (see geocode_note)", n - unplaced, n, unplaced
    )
    if unplaced:
        warnings.warn(
            f"{unplaced} of {n} assets could not be placed; their geometry is empty "
            "and geocode_note says why",
            GeocodingWarning,
            stacklevel=2,
        )
    return out


def _farthest_m(footprints: np.ndarray, points: np.ndarray) -> np.ndarray:
    """For each footprint, the distance in metres from its point to its farthest corner."""
    x0, y0, x1, y1 = shapely.total_bounds(footprints)
    crs = metric_crs((x0, y0, x1, y1))
    out = np.empty(len(footprints))
    for i, (poly, pt) in enumerate(zip(footprints, points, strict=True)):
        coords = shapely.get_coordinates(poly)
        px, py = from_lonlat(coords[:, 0], coords[:, 1], crs)
        qx, qy = from_lonlat(np.array([shapely.get_x(pt)]), np.array([shapely.get_y(pt)]), crs)
        out[i] = float(np.hypot(px - qx[0], py - qy[0]).max())
    return out


def _postcode_notes(
    raw: pd.Series,
    want: np.ndarray,
    keys: pd.Series,
    found: np.ndarray,
    name: str,
    notes: list[list[str]],
) -> None:
    """Say why a postcode failed, or how it was read when the text needed cleaning."""
    rows = np.flatnonzero(want)
    given = raw[want].astype("str")
    loose = given.str.upper().str.replace(r"\s+", "", regex=True)
    cleaned = postcodes.compact(given)
    for j, i in enumerate(rows):
        text = given.iloc[j]
        if pd.isna(keys.iloc[j]):
            notes[i].append(f"postcode {text!r} is not a valid postcode")
        elif not found[j]:
            notes[i].append(f"postcode {text!r} was not found in the {name} gazetteer")
        elif loose.iloc[j] != cleaned.iloc[j]:
            canon = postcodes.normalise(pd.Series([text])).iloc[0]
            notes[i].append(f"postcode {text!r} read as {canon!r}")


def geocode_summary(assets: pd.DataFrame) -> pd.DataFrame:
    """Count geocoded rows per method, with the median precision of each.

    Examples
    --------
    >>> from assetmap import datasets, read_assets
    >>> s = geocode_summary(geocode(read_assets(datasets.sample_register_path())))
    >>> int(s["assets"].sum()) == len(read_assets(datasets.sample_register_path()))
    True
    """
    grouped = assets.groupby("geocode_method", sort=True)
    return pd.DataFrame(
        {
            "assets": grouped.size(),
            "median_precision_m": grouped["geocode_precision_m"].median(),
        }
    ).rename_axis("geocode_method")
