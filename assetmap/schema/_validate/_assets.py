"""Validation of an asset register against the canonical schema.

This module owns :func:`validate_assets`, in named steps: ids, names and text, kinds and
categories, privacy, tags, numbers and coordinates, dates, footprints, shared names, and the
canonical frame it returns.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..._memory import gc_paused
from ...crs import to_crs
from ...errors import Fix, Problem, SchemaError, SchemaWarning
from .._columns import (
    ASSET_COLUMNS,
    CATEGORIES,
    GEOCODE_COLUMNS,
    KINDS,
    PRIVACY_LEVELS,
    TAG_COLUMNS,
    TEXT_COLUMNS,
    parse_tags,
)
from ._cells import Collector, clean_text, closest, dates, footprints, given, numbers, vocab_key

__all__ = ["validate_assets"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _tags(series: pd.Series) -> pd.Series:
    """:func:`parse_tags` of every cell, each distinct text parsed once (registers repeat).

    Text held in Arrow is told apart there (no Python string per cell); each row then gets a
    list of its own, copied from its text's parse.
    """
    dtype = series.dtype
    arrow = isinstance(dtype, pd.StringDtype)
    values = series if arrow else series.astype(object).to_numpy()
    try:
        codes, distinct = pd.factorize(values)
    except TypeError:  # lists (GeoParquet): not hashable
        return _tags_by_row(series)
    parsed = np.empty(len(distinct) + 1, dtype=object)
    for k, v in enumerate(distinct.tolist()):  # one by one: numpy would unpack lists
        parsed[k] = parse_tags(v)
    parsed[-1] = parse_tags(dtype.na_value if isinstance(dtype, pd.StringDtype) else None)
    with gc_paused():  # a million new lists hold no cycles: no reason to walk them all
        out = [list(tags) for tags in parsed.take(codes)]  # -1 (missing) takes the last
    if not arrow:  # None, NaN, NA, NaT: each kind of gap parsed once
        gaps: dict[type, list[str]] = {}
        for i in np.flatnonzero(codes < 0).tolist():
            kind = type(values[i])
            if kind not in gaps:
                gaps[kind] = parse_tags(values[i])
            out[i] = list(gaps[kind])
    return pd.Series(out, index=series.index, dtype=object)


def _tags_by_row(series: pd.Series) -> pd.Series:
    """:func:`parse_tags` of every cell, for columns holding lists."""
    cache: dict[Any, list[str]] = {}
    out = []
    for value in series.astype(object).to_numpy():
        try:
            hit = cache.get(value)
        except TypeError:  # a list (GeoParquet): not hashable
            out.append(parse_tags(value))
            continue
        if hit is None:
            hit = cache[value] = parse_tags(value)
        out.append(list(hit))  # a list of its own per row
    return pd.Series(out, index=series.index, dtype=object)


def _ids(frame: pd.DataFrame, bad: Collector, what: str = "asset_id") -> pd.Series:
    ids = clean_text(frame[what])
    missing = ids.isna()
    bad.add(missing, what, f"{what} is missing; every row needs a unique id")
    control = ids.fillna("").str.contains(_CONTROL)
    bad.add(control, what, f"{what} contains a control character (a tab or line break)")
    dup = ids.duplicated(keep=False) & ~missing
    positions = {
        k: [bad.where[i] for i in np.flatnonzero((ids == k).to_numpy())] for k in ids[dup].unique()
    }
    bad.add(
        dup,
        what,
        lambda i: (
            f"duplicate id {ids.iloc[i]!r}, also at "
            + ", ".join(w for w in positions[ids.iloc[i]] if w != bad.where[i])
        ),
        Fix("make_ids_unique") if what == "asset_id" else None,
    )
    return ids


def validate_assets(
    frame: pd.DataFrame, *, where: Sequence[str] | None = None, what: str = "asset register"
) -> gpd.GeoDataFrame:
    """Check a register with canonical column names and return it in canonical form.

    Parameters
    ----------
    frame
        The register, with canonical column names (see
        :data:`~assetmap.schema.ASSET_COLUMNS`) and ``asset_id`` either as a column or as the
        index.
    where
        Where each row stands in its source ("line 14"), for the messages; by default "row N".
    what
        What the frame is, for the error message.

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows in the same order, index ``asset_id``, canonical columns first (typed and
        normalised), every other column after them untouched; ``geometry`` in EPSG:4326 (empty
        until :func:`assetmap.geocode` places the rows, unless the frame was geocoded already).

    Raises
    ------
    SchemaError
        Listing every problem found, each with its row id and source position.
    """
    frame = _with_asset_id(frame, what)
    n = len(frame)
    where = list(where) if where is not None else [f"row {i + 1}" for i in range(n)]
    frame.index = pd.RangeIndex(n)
    ids = clean_text(frame["asset_id"])
    bad = Collector(ids, where)
    soft: list[str] = []
    ids = _ids(frame, bad)

    out = _text_columns(frame, bad)
    category = _kinds_and_categories(frame, out, bad, soft)
    _privacy(out, category, bad, soft)
    for col in TAG_COLUMNS:
        out[col] = _tag_column(frame, col)
    _numbers_and_coordinates(frame, out, bad, soft)
    out["recorded"] = dates(frame["recorded"], bad) if "recorded" in frame else out["recorded"]
    _footprint_column(frame, out, bad, soft)
    _same_names(out, soft)

    problems = bad.sorted()
    if problems:
        raise SchemaError(what, problems)
    for message in soft:
        warnings.warn(f"{what}: {message}", SchemaWarning, stacklevel=3)
    return _canonical_frame(frame, out, ids)


def _with_asset_id(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """A copy of ``frame`` with ``asset_id`` as a column (taken from the index if it is there)."""
    frame = frame.copy()
    if "asset_id" not in frame.columns:
        if frame.index.name == "asset_id":
            frame = frame.reset_index()
        else:
            raise SchemaError(
                what,
                [
                    Problem(
                        None,
                        None,
                        "asset_id",
                        "there is no asset_id column; map your id column",
                        Fix("column", "asset_id"),
                    )
                ],
            )
    return frame


def _text_columns(frame: pd.DataFrame, bad: Collector) -> dict[str, Any]:
    """The text columns, cleaned; a missing ``name`` column or name is a problem."""
    missing_cols = [c for c in ("name",) if c not in frame.columns]
    for c in missing_cols:
        unread = [str(h) for h in frame.columns if h not in ASSET_COLUMNS and h != "asset_id"]
        bad.table(
            f"there is no {c!r} column; map one of the other headings {unread}",
            Fix("column", c),
        )

    out: dict[str, Any] = {}
    for col in TEXT_COLUMNS:
        out[col] = (
            clean_text(frame[col])
            if col in frame
            else pd.Series(None, index=frame.index, dtype="str")
        )
    if "name" in frame:
        bad.add(out["name"].isna(), "name", "name is missing")
    return out


def _kinds_and_categories(
    frame: pd.DataFrame, out: dict[str, Any], bad: Collector, soft: list[str]
) -> pd.Series:
    """Check ``kind`` and ``category`` together, taking a missing kind from the category.

    Sets ``out["kind"]`` and ``out["category"]``; returns the normalised categories.
    """
    kind = (
        vocab_key(out["kind"])
        if "kind" in frame
        else pd.Series(None, index=frame.index, dtype="str")
    )
    category = vocab_key(out["category"])
    cat_kind = {c: k for k, cats in CATEGORIES.items() for c in cats}
    all_categories = tuple(cat_kind)
    bad.add(
        ~category.isna() & ~category.isin(all_categories),
        "category",
        lambda i: closest(str(out["category"].iloc[i]), all_categories),
        lambda i: Fix("value", "category", str(out["category"].iloc[i])),
    )
    bad.add(
        category.isna(),
        "category",
        f"category is missing; one of {list(all_categories)}",
        Fix("default", "category"),
    )
    bad.add(
        ~kind.isna() & ~kind.isin(KINDS),
        "kind",
        lambda i: closest(str(out["kind"].iloc[i]), KINDS),
        lambda i: Fix("value", "kind", str(out["kind"].iloc[i])),
    )
    implied = category.map(cat_kind)
    infer = kind.isna() & implied.notna()
    if "kind" in frame:  # without a kind column, the category's problem says it all
        bad.add(kind.isna() & implied.isna(), "kind", f"kind is missing; one of {list(KINDS)}")
    if infer.any() and "kind" in frame:  # without a kind column, kinds come from categories
        soft.append(f"{int(infer.sum())} row(s) have no kind; it was taken from their category")
    kind = kind.where(~infer, implied)
    clash = kind.isin(KINDS) & implied.notna() & (kind != implied)
    bad.add(
        clash,
        "category",
        lambda i: (
            f"category {category.iloc[i]!r} belongs to kind {implied.iloc[i]!r}, but kind is "
            f"{kind.iloc[i]!r}; {kind.iloc[i]} categories are {list(CATEGORIES[kind.iloc[i]])}"
        ),
    )
    out["kind"], out["category"] = kind.astype("str"), category.astype("str")
    return category


def _privacy(out: dict[str, Any], category: pd.Series, bad: Collector, soft: list[str]) -> None:
    """Check ``privacy``; rows without one become private (individuals) or public."""
    privacy = vocab_key(out["privacy"])
    bad.add(
        ~privacy.isna() & ~privacy.isin(PRIVACY_LEVELS),
        "privacy",
        lambda i: closest(str(out["privacy"].iloc[i]), PRIVACY_LEVELS),
        lambda i: Fix("value", "privacy", str(out["privacy"].iloc[i])),
    )
    no_privacy = privacy.isna()
    if no_privacy.any():
        soft.append(
            f"{int(no_privacy.sum())} row(s) have no privacy level: individuals were set to "
            "'private' (never shown individually), everything else to 'public'"
        )
    default = np.where(category == "individual", "private", "public")
    out["privacy"] = privacy.where(~no_privacy, pd.Series(default, index=privacy.index))
    out["privacy"] = out["privacy"].astype("str")


def _tag_column(frame: pd.DataFrame, col: str) -> pd.Series:
    """A tag column (``offers``/``needs``) as lists of tags; empty lists where it is absent."""
    tags = (
        _tags(frame[col])
        if col in frame
        else pd.Series([[] for _ in range(len(frame))], index=frame.index, dtype=object)
    )
    return tags.astype(object)


def _numbers_and_coordinates(
    frame: pd.DataFrame, out: dict[str, Any], bad: Collector, soft: list[str]
) -> None:
    """Check ``capacity`` and the input coordinates (both of a pair, or neither)."""
    capacity = numbers(frame, "capacity", bad, "a number")
    bad.add(capacity < 0, "capacity", lambda i: f"capacity {capacity.iloc[i]:g} is negative")
    out["capacity"] = capacity
    # Out-of-range and swapped coordinates are the geocoder's to judge (it notes them per row).
    lat = numbers(frame, "latitude", bad, "a latitude in degrees")
    lon = numbers(frame, "longitude", bad, "a longitude in degrees")
    bad.add(
        given(frame, "latitude") ^ given(frame, "longitude"),
        "latitude",
        "only one of latitude and longitude is given; give both or neither",
    )
    east = numbers(frame, "easting", bad, "an easting in metres")
    north = numbers(frame, "northing", bad, "a northing in metres")
    bad.add(
        given(frame, "easting") ^ given(frame, "northing"),
        "easting",
        "only one of easting and northing is given; give both or neither",
    )
    both = lat.notna() & lon.notna() & east.notna() & north.notna()
    if both.any():
        soft.append(
            f"{int(both.sum())} row(s) give both latitude/longitude and "
            "easting/northing; latitude/longitude are used"
        )
    out.update(latitude=lat, longitude=lon, easting=east, northing=north)


def _footprint_column(
    frame: pd.DataFrame, out: dict[str, Any], bad: Collector, soft: list[str]
) -> None:
    """Check ``footprint``; a point written there fills coordinates not otherwise given."""
    n = len(frame)
    footprint, points = (
        footprints(frame["footprint"], bad, soft)
        if "footprint" in frame
        else (gpd.GeoSeries([None] * n, index=frame.index, crs="EPSG:4326"), None)
    )
    out["footprint"] = footprint
    if points is not None:
        _coordinates_from_points(points, out, soft)


def _coordinates_from_points(points: np.ndarray, out: dict[str, Any], soft: list[str]) -> None:
    """Fill coordinates from points written as WKT, in degrees or (beyond them) easting/northing.

    Coordinates given in their own columns win over the point.
    """
    lat, lon = out["latitude"], out["longitude"]
    east, north = out["easting"], out["northing"]
    x, y = shapely.get_x(points), shapely.get_y(points)
    has = ~shapely.is_missing(points)
    degrees = has & (np.abs(x) <= 180) & (np.abs(y) <= 90)
    fill_ll = degrees & lat.isna().to_numpy() & east.isna().to_numpy()
    fill_en = has & ~degrees & lat.isna().to_numpy() & east.isna().to_numpy()
    out["latitude"] = lat.where(~fill_ll, y)
    out["longitude"] = lon.where(~fill_ll, x)
    out["easting"] = east.where(~fill_en, x)
    out["northing"] = north.where(~fill_en, y)
    clash = has & ~(fill_ll | fill_en)
    if clash.any():
        soft.append(
            f"{int(clash.sum())} row(s) give a point as WKT and coordinates too; "
            "the coordinates are used"
        )


def _same_names(out: dict[str, Any], soft: list[str]) -> None:
    """Warn (softly) about rows sharing a name (case ignored) under different ids.

    Names are lowered in Arrow, where for ASCII text that is what ``str.casefold`` does; only
    the others are case-folded in Python.
    """
    names = out["name"]
    key = names.str.lower()
    wide = (~names.str.isascii() & names.notna()).to_numpy(dtype=bool)
    if wide.any():
        key = key.astype(object)
        key[wide] = [str(v).casefold() for v in names[wide]]
    codes, _ = pd.factorize(key)
    same_name = pd.Series(codes).duplicated(keep=False).to_numpy() & (codes >= 0)
    if same_name.any():
        soft.append(
            f"{int(same_name.sum())} rows share a name with another row under a "
            "different id (duplicate records?)"
        )


def _canonical_frame(frame: pd.DataFrame, out: dict[str, Any], ids: pd.Series) -> gpd.GeoDataFrame:
    """The checked register: canonical columns, then the others, then any geocoding columns."""
    n = len(frame)
    geocoded = "geocode_method" in frame.columns
    result = pd.DataFrame({c: out[c] for c in ASSET_COLUMNS}, index=frame.index)
    extras = [
        c
        for c in frame.columns
        if c not in ASSET_COLUMNS and c not in ("asset_id", "geometry") and c not in GEOCODE_COLUMNS
    ]
    for c in extras:
        result[c] = frame[c]
    if geocoded:
        result["geocode_method"] = clean_text(frame["geocode_method"])
        result["geocode_precision_m"] = pd.to_numeric(
            frame["geocode_precision_m"], errors="coerce"
        ).astype("float64")
        result["geocode_note"] = clean_text(frame["geocode_note"])
        result["in_study_area"] = frame["in_study_area"].map(_as_bool).astype("boolean")
        geometry = _geometry_column(frame.get("geometry"), n)
    else:
        geometry = gpd.GeoSeries([None] * n, index=frame.index, crs="EPSG:4326")
    result.index = pd.Index(ids.astype("str"), name="asset_id")
    gdf = gpd.GeoDataFrame(result, geometry=geometry.set_axis(result.index), crs="EPSG:4326")
    gdf["footprint"] = gpd.GeoSeries(
        out["footprint"].to_numpy(), index=result.index, crs="EPSG:4326"
    )
    return gdf


def _as_bool(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return pd.NA
    if isinstance(v, str):
        t = v.strip().casefold()
        return {"true": True, "1": True, "false": False, "0": False}.get(t, pd.NA)
    return bool(v)


def _geometry_column(raw: Any, n: int) -> gpd.GeoSeries:
    if raw is None:
        return gpd.GeoSeries([None] * n, crs="EPSG:4326")
    if isinstance(raw, gpd.GeoSeries):
        return to_crs(gpd.GeoSeries(raw.to_numpy(), crs=raw.crs or "EPSG:4326"), "EPSG:4326")
    values = [
        None
        if (
            v is None
            or (isinstance(v, float) and np.isnan(v))
            or (isinstance(v, str) and not v.strip())
        )
        else (v if isinstance(v, shapely.Geometry) else shapely.from_wkt(v))
        for v in raw
    ]
    return gpd.GeoSeries(values, crs="EPSG:4326")
