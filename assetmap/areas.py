"""Areas: official boundaries and deprivation, and which area each asset lies in.

Nothing official is bundled: users download ONS boundaries (Open Geography Portal) and the
English Indices of Deprivation 2019 (gov.uk) and read them here, unchanged as published.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Final, Literal, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from ._data import data_folder
from ._dispatch import dask_aware
from .crs import from_lonlat, geographic, metric_crs, to_crs
from .errors import ConfigurationError, CRSError, Problem, SchemaError, SchemaWarning

__all__ = [
    "BUNDLED_STUDY_AREAS",
    "assign_areas",
    "bundled_study_area_path",
    "imd_for_lsoa21",
    "read_area_lookup",
    "read_boundaries",
    "read_imd",
    "read_lsoa_lookup",
    "study_polygon",
]

log = logging.getLogger(__name__)

# Published code/name columns: WD20CD/WD20NM, LSOA11CD, lsoa21_code, ward22_name, LAD24CD…
_CODE = re.compile(r"^(?P<level>[a-z]+?)(?P<year>\d\d)(?:cd|_code)$")
_NAME = re.compile(r"^(?P<level>[a-z]+?)(?P<year>\d\d)(?:nm|_name)$")
_LEVELS = {"wd": "ward", "ward": "ward", "lsoa": "lsoa", "msoa": "msoa", "oa": "oa",
           "lad": "la", "ltla": "la", "utla": "ula", "cty": "county", "rgn": "region"}  # fmt: skip


#: A study area: a polygon (EPSG:4326), a GeoDataFrame or GeoSeries, a boundary file's path, or
#: the exact name of a bundled area (:data:`BUNDLED_STUDY_AREAS`).
StudyArea: TypeAlias = shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | str | PathLike[str]

#: Study areas bundled with assetmap: the exact name that picks one, and its file in the data.
BUNDLED_STUDY_AREAS: Final[dict[str, str]] = {
    "greater-icknield": "boundaries/greater_icknield.geojson",
}


def bundled_study_area_path(name: str) -> Path:
    """The file of a bundled study area, by its exact name (see :data:`BUNDLED_STUDY_AREAS`).

    Raises
    ------
    ConfigurationError
        When ``name`` is not exactly the name of a bundled area.
    """
    if name not in BUNDLED_STUDY_AREAS:
        raise ConfigurationError(
            f"{name!r} is not a bundled study area (known: {', '.join(BUNDLED_STUDY_AREAS)}); "
            "give a boundary file, a polygon or a GeoDataFrame"
        )
    try:
        path = data_folder() / BUNDLED_STUDY_AREAS[name]
    except FileNotFoundError as exc:
        raise ConfigurationError(str(exc)) from None
    if not path.is_file():
        raise ConfigurationError(
            f"the bundled study area {name!r} is missing from assetmap's data; reinstall assetmap"
        )
    return path


def study_polygon(study_area: StudyArea | Literal[False] | None) -> shapely.Geometry | None:
    """The study area as one polygon (EPSG:4326), or None when none is given.

    Parameters
    ----------
    study_area
        None or False: no study area. A path (or text naming a file): a boundary file in any
        CRS GDAL reads (GeoJSON, GeoPackage, Shapefile…), its shapes merged. Text that is exactly
        the name of a bundled area (``"greater-icknield"``) picks that area; any other text
        must name a file. A GeoDataFrame or GeoSeries (with its CRS), or a shapely polygon in
        longitude/latitude.

    Raises
    ------
    ConfigurationError
        When the value is none of these (a name that is neither a file nor a bundled area, say).
    SchemaError
        When the file cannot be read, or holds no polygon.

    Examples
    --------
    >>> study_polygon(shapely.box(0, 51, 1, 52)).bounds
    (0.0, 51.0, 1.0, 52.0)
    >>> study_polygon(None) is None, study_polygon(False) is None
    (True, True)
    """
    if study_area is None or study_area is False:
        return None
    what = "the study area"
    if isinstance(study_area, str) and study_area in BUNDLED_STUDY_AREAS:
        study_area = bundled_study_area_path(study_area)
    if isinstance(study_area, str | PathLike):
        path = Path(study_area)
        if not path.is_file():
            known = ", ".join(repr(n) for n in BUNDLED_STUDY_AREAS)
            raise ConfigurationError(
                f"study area {str(study_area)!r}: no file there, and not the name of a bundled "
                f"area ({known}); give a boundary file, a polygon or a GeoDataFrame"
            )
        what, study_area = str(path), _read_geo(path)
    if isinstance(study_area, gpd.GeoDataFrame | gpd.GeoSeries):
        shapes = study_area.geometry if isinstance(study_area, gpd.GeoDataFrame) else study_area
        if shapes.crs is None:
            raise CRSError(
                f"{what} has no CRS: set one (e.g. .set_crs('EPSG:27700')) so it can be placed"
            )
        polygon = shapely.make_valid(to_crs(shapes, "EPSG:4326").union_all())
    elif isinstance(study_area, shapely.Geometry):
        polygon = shapely.make_valid(study_area)
        x0, y0, x1, y1 = polygon.bounds
        if not polygon.is_empty and not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise CRSError(
                f"the study-area polygon is not in longitude/latitude (bounds {polygon.bounds}); "
                "give it as a GeoSeries with its CRS"
            )
    else:
        raise ConfigurationError(
            "study_area must be a boundary file, a bundled area's name, a GeoDataFrame, a "
            f"GeoSeries or a shapely polygon; {type(study_area).__name__} was given"
        )
    polygon = _polygonal(polygon)
    if polygon.is_empty:
        raise SchemaError(what, [Problem.of_table("the study area holds no polygon")])
    return polygon


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """Only the polygons of a geometry (make_valid can leave lines beside them)."""
    if isinstance(geometry, shapely.Polygon | shapely.MultiPolygon):
        return geometry
    parts = shapely.get_parts(geometry)
    polygons = [p for p in parts if isinstance(p, shapely.Polygon | shapely.MultiPolygon)]
    return shapely.union_all(polygons) if polygons else shapely.Polygon()


def _read_geo(path: Path) -> gpd.GeoDataFrame:
    try:
        if path.suffix.lower() in (".geojsonl", ".geojsons", ".jsonl", ".ndjson"):
            raw = gpd.read_file(path, driver="GeoJSONSeq")
        else:
            raw = gpd.read_file(path)
    except Exception as exc:  # pyogrio's errors vary by driver: one clear message instead
        raise SchemaError(
            str(path), [Problem.of_table(f"cannot read it as a boundary file: {exc}")]
        ) from exc
    if not isinstance(raw, gpd.GeoDataFrame) or raw.geometry.isna().all():
        # a table with no shapes (a CSV, say)
        raise SchemaError(
            str(path), [Problem.of_table("cannot read it as a boundary file: it holds no shapes")]
        )
    return raw


def read_boundaries(
    path: str | PathLike[str],
    *,
    level: str | None = None,
    code: str | None = None,
    name: str | None = None,
) -> gpd.GeoDataFrame:
    """Read an ONS boundary file (GeoJSON, GeoJSONL, GeoPackage, Shapefile) as it is published.

    Parameters
    ----------
    path
        The file.
    level
        What the areas are, for the columns assets get (``lsoa11`` → ``lsoa11_code``); taken from
        the code column's name (``LSOA11CD`` → ``lsoa11``, ``WD20CD`` → ``ward20``) when None.
    code, name
        The columns holding each area's code and name, for layouts not recognised (the published
        ``…CD``/``…NM`` columns and their renamed forms such as ``lsoa21_code`` are).

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``area_code`` (unique), ``area_name``, geometry in EPSG:4326; ``attrs["level"]``.

    Raises
    ------
    SchemaError
        When no code column can be found (it lists the columns), or codes repeat.
    """
    path = Path(path)
    raw = _read_geo(path)
    columns = [c for c in raw.columns if c != raw.geometry.name]
    lower = {c.lower(): c for c in columns}
    problems = []
    if code is None:
        found = [(c, _CODE.match(c.lower())) for c in columns]
        hits = [(c, m) for c, m in found if m and m.group("level") in _LEVELS]
        if len(hits) != 1:
            problems.append(
                Problem.of_table(
                    f"cannot tell which column holds the area codes among {columns}: "
                    "give code= (and name=)"
                )
            )
        else:
            code = hits[0][0]
    elif code not in raw.columns:
        problems.append(Problem.of_table(f"no column {code!r}; it has {columns}"))
    if problems:
        raise SchemaError(str(path), problems)
    assert code is not None
    m = _CODE.match(code.lower())
    if level is None:
        level = f"{_LEVELS[m.group('level')]}{m.group('year')}" if m else "area"
    if name is None and m:
        candidates = [
            f"{m.group('level')}{m.group('year')}nm",
            f"{m.group('level')}{m.group('year')}_name",
        ]
        name = next((lower[c] for c in candidates if c in lower), None)
    codes = raw[code].astype("str").str.strip()
    dupes = sorted(set(codes[codes.duplicated()]))
    if dupes:
        raise SchemaError(str(path), [Problem.of_table(f"area codes repeat: {dupes[:10]}")])
    geometry = raw.geometry if raw.crs is not None else raw.set_crs(4326).geometry
    geometry = to_crs(geometry, 4326)
    fixed = shapely.make_valid(geometry.to_numpy())
    out = gpd.GeoDataFrame(
        {
            "area_name": (
                raw[name].astype("str") if name else pd.Series(pd.NA, index=raw.index, dtype="str")
            ).to_numpy(),
        },
        index=pd.Index(codes.to_numpy(), name="area_code", dtype="str"),
        geometry=fixed,
        crs=4326,
    )
    out.attrs["level"] = level
    _warn_if_super_generalised(out, path)
    log.info("read %d %s areas from %s", len(out), level, path)
    return out.sort_index()


#: A median boundary segment longer than this (metres) marks a super-generalised file: ONS
#: generalised (BGC, 20 m) files measure 80–190 m here, super-generalised (BSC, 200 m) 390 m+.
SUPER_GENERALISED_M = 300.0
MANY_AREAS = 20


def _warn_if_super_generalised(areas: gpd.GeoDataFrame, path: Path) -> None:
    """One warning when a boundary file looks super-generalised (by its name or its shapes)."""
    named = re.search(
        r"(?:^|[^a-z])(bsc|sgcb|super.?generalised)(?:[^a-z]|$)", path.as_posix().lower()
    )
    coords = shapely.get_coordinates(areas.boundary.to_numpy())
    median_m = 0.0
    # a few hand-drawn boxes have long sides too: judge shapes only on a real layer's worth
    if len(areas) >= MANY_AREAS and len(coords) > 2:
        lon, lat = coords[:, 0], coords[:, 1]
        crs = metric_crs((lon.min(), lat.min(), lon.max(), lat.max()))
        x, y = from_lonlat(lon, lat, crs)
        median_m = float(np.median(np.hypot(np.diff(x), np.diff(y))))
    if named or median_m > SUPER_GENERALISED_M:
        why = f"median boundary segment {median_m:,.0f} m" if median_m else "by its name"
        warnings.warn(
            f"{path.name} looks super-generalised ({why}): "
            "points near a boundary may fall in the wrong area (ONS BSC files move about 1 in "
            "10 assets). Download the generalised (BGC, 20 m) or full-resolution (BFC/BFE) "
            "file from the ONS Open Geography Portal",
            SchemaWarning,
            stacklevel=3,
        )


# IoD2019 headers, as published (File 1, File 2, File 6), → short column names.
_IMD_HEADERS: dict[str, str] = {
    r"lsoa code \(2011\)": "lsoa11_code",
    r"lsoa name \(2011\)": "lsoa11_name",
    r"local authority district code \(2019\)": "la_code",
    r"local authority district name \(2019\)": "la_name",
    r"index of multiple deprivation \(imd\) rank.*": "imd_rank",
    r"index of multiple deprivation \(imd\) decile.*": "imd_decile",
    r"income rank.*": "income_rank",
    r"income decile.*": "income_decile",
    r"employment rank.*": "employment_rank",
    r"employment decile.*": "employment_decile",
    r"education, skills and training rank.*": "education_rank",
    r"education, skills and training decile.*": "education_decile",
    r"health deprivation and disability rank.*": "health_rank",
    r"health deprivation and disability decile.*": "health_decile",
    r"crime rank.*": "crime_rank",
    r"crime decile.*": "crime_decile",
    r"barriers to housing and services rank.*": "housing_rank",
    r"barriers to housing and services decile.*": "housing_decile",
    r"living environment rank.*": "environment_rank",
    r"living environment decile.*": "environment_decile",
    r"total population: mid 2015.*": "population",
    r"dependent children aged 0-15: mid 2015.*": "children",
    r"population aged 16-59: mid 2015.*": "population_16_59",
    r"older population aged 60 and over: mid 2015.*": "population_60_plus",
    r"working age population 18-59/64.*": "working_age",
}


def read_imd(path: str | PathLike[str] | Sequence[str | PathLike[str]]) -> pd.DataFrame:
    """Read English Indices of Deprivation 2019 CSVs with their published headers.

    Parameters
    ----------
    path
        One file or several (File 1: IMD rank and decile; File 2: the domains; File 6:
        population denominators), joined on the LSOA 2011 code. Thousands separators ("3,924")
        are read as numbers.

    Returns
    -------
    pandas.DataFrame
        Index ``lsoa11_code``; ``lsoa11_name``, ``la_code``, ``la_name`` and whichever of
        ``imd_rank``, ``imd_decile`` (1 = most deprived 10 %), the domains' ``*_rank`` /
        ``*_decile`` and the populations the files hold.
    """
    paths = [path] if isinstance(path, str | PathLike) else list(path)
    frames = []
    for p in map(Path, paths):
        raw = pd.read_csv(p, dtype="str", encoding="utf-8-sig", keep_default_na=False)
        names: dict[str, str] = {}
        for column in raw.columns:
            key = " ".join(column.lower().split())
            hit = next(
                (short for pattern, short in _IMD_HEADERS.items() if re.fullmatch(pattern, key)),
                None,
            )
            if hit:
                names[column] = hit
        if "lsoa11_code" not in names.values():
            raise SchemaError(
                str(p),
                [
                    Problem.of_table(
                        "no 'LSOA code (2011)' column: not an IoD2019 file? "
                        f"It has {list(raw.columns)[:6]}"
                    )
                ],
            )
        frame = raw[list(names)].rename(columns=names).set_index("lsoa11_code")
        for column in frame.columns:
            if column.endswith(("_rank", "_decile")) or column.startswith(
                ("population", "children", "working")
            ):
                frame[column] = pd.to_numeric(
                    frame[column].str.replace(",", ""), errors="coerce"
                ).astype("Int64")
        frames.append(frame)
    out = frames[0]
    for frame in frames[1:]:
        out = (
            out.combine_first(frame)
            if set(frame.columns) <= set(out.columns)
            else out.join(frame[[c for c in frame.columns if c not in out.columns]], how="outer")
        )
    log.info("read deprivation for %d LSOAs", len(out))
    return out.sort_index()


def read_lsoa_lookup(path: str | PathLike[str]) -> pd.DataFrame:
    """Read a lookup between LSOA 2011 and LSOA 2021 (ONS ``LSOA11CD,LSOA21CD,CHGIND`` or the
    renamed ``lsoa11_code,lsoa21_code,change_code``).

    Returns
    -------
    pandas.DataFrame
        ``lsoa11_code``, ``lsoa21_code``, ``change`` (U unchanged, S split, M merged, X
        redrawn), one row per pair.
    """
    raw = pd.read_csv(path, dtype="str", encoding="utf-8-sig", keep_default_na=False)
    lower = {c.lower(): c for c in raw.columns}
    pick = {
        "lsoa11_code": ("lsoa11cd", "lsoa11_code"),
        "lsoa21_code": ("lsoa21cd", "lsoa21_code"),
        "change": ("chgind", "change_code"),
    }
    chosen = {k: next((lower[n] for n in names if n in lower), None) for k, names in pick.items()}
    missing = [k for k, v in chosen.items() if v is None and k != "change"]
    if missing:
        raise SchemaError(
            str(path),
            [Problem.of_table(f"no {m} column; it has {list(raw.columns)}") for m in missing],
        )
    out = pd.DataFrame({k: raw[v] if v else pd.NA for k, v in chosen.items()})
    return out.drop_duplicates().reset_index(drop=True)


def read_area_lookup(path: str | PathLike[str]) -> pd.DataFrame:
    """Read an ONS lookup between levels (``LSOA21CD,WD24CD,LAD24CD…`` and their names, or the
    renamed ``lsoa21_code,ward24_code,ltla24_code``) as ``<level>_code``/``<level>_name``
    columns named like the columns :func:`assign_areas` adds (``lsoa21_code``, ``ward24_code``,
    ``la24_code``).

    Raises
    ------
    SchemaError
        When the file holds fewer than two code columns.
    """
    raw = pd.read_csv(path, dtype="str", encoding="utf-8-sig", keep_default_na=False)
    out = pd.DataFrame(index=raw.index)
    for column in raw.columns:
        for pattern, kind in ((_CODE, "code"), (_NAME, "name")):
            m = pattern.match(column.lower())
            if m and m.group("level") in _LEVELS:
                out[f"{_LEVELS[m.group('level')]}{m.group('year')}_{kind}"] = raw[
                    column
                ].str.strip()
    if sum(c.endswith("_code") for c in out.columns) < 2:
        raise SchemaError(
            str(path),
            [Problem.of_table(f"not a lookup between areas: its columns are {list(raw.columns)}")],
        )
    return out.drop_duplicates().reset_index(drop=True)


def imd_for_lsoa21(imd: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """IMD 2019 (published for LSOA 2011) carried to LSOA 2021 through a lookup.

    An LSOA 2021 that was unchanged or split from one LSOA 2011 takes its values; one merged
    from several takes the most deprived (lowest rank and decile), so that no deprived part is
    hidden. ``imd_from`` lists the LSOA 2011 codes behind each row.
    """
    joined = lookup.merge(imd, left_on="lsoa11_code", right_index=True, how="inner")
    numeric = [c for c in imd.columns if c.endswith(("_rank", "_decile"))]
    grouped = joined.groupby("lsoa21_code", sort=True)
    out = grouped[numeric].min()
    out["imd_from"] = grouped["lsoa11_code"].agg(lambda s: ";".join(sorted(s)))
    out.index.name = "lsoa21_code"
    return out


def area_of(points: np.ndarray, areas: gpd.GeoDataFrame) -> np.ndarray:
    """For each point (shapely, EPSG:4326), the position in ``areas`` of the area it lies in.

    -1 where none (or no point). A point on an edge between areas goes to the one whose code
    sorts first, the same every run.
    """
    shapes = (to_crs(areas, 4326) if areas.crs is not None else areas).geometry.to_numpy()
    codes = np.asarray(areas.index.astype("str"), dtype=object)
    placed = np.flatnonzero(~shapely.is_missing(points) & ~shapely.is_empty(points))
    p, a = shapely.STRtree(shapes).query(points[placed], predicate="intersects")
    found = pd.DataFrame({"point": placed[p], "code": codes[a], "at": a})
    found = found.sort_values(["point", "code"]).drop_duplicates("point")
    out = np.full(len(points), -1, dtype=np.int64)
    out[found["point"].to_numpy()] = found["at"].to_numpy()
    return out


@dask_aware
def assign_areas(
    assets: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame | Sequence[gpd.GeoDataFrame] | Mapping[str, gpd.GeoDataFrame],
) -> gpd.GeoDataFrame:
    """The code and name of the area each asset lies in, for one level or several.

    Parameters
    ----------
    assets
        Geocoded assets (every row comes back, same index and order).
    areas
        Boundaries from :func:`read_boundaries` (their ``attrs["level"]`` names the columns), a
        list of them, or a mapping level → boundaries.

    Returns
    -------
    geopandas.GeoDataFrame
        The assets with ``<level>_code`` and ``<level>_name`` for each level; an asset on the
        edge between two areas goes to the one whose code sorts first (the same every run); one
        outside every area (or not placed) gets none, and ``area_note`` says so.
    """
    assets = geographic(assets, "the assets given to assign_areas")
    if isinstance(areas, gpd.GeoDataFrame):
        levels = {areas.attrs.get("level", "area"): areas}
    elif isinstance(areas, Mapping):
        levels = dict(areas)
    else:
        levels = {a.attrs.get("level", f"area{k}"): a for k, a in enumerate(areas)}
    out = assets.copy(deep=False)  # new columns only: the caller's frame is left as it was
    points = assets.geometry.to_numpy()
    placed = ~shapely.is_missing(points) & ~shapely.is_empty(points)
    # each row's note: which levels it is outside (1) or not placed for (2), as one number
    said = np.zeros(len(assets), dtype=np.int64)
    for k, (level, polygons) in enumerate(levels.items()):
        codes = pa.array(
            polygons.index.astype("str").to_numpy(dtype=object), type=pa.large_string()
        )
        names = pa.array(
            polygons["area_name"].to_numpy(dtype=object)
            if "area_name" in polygons
            else np.full(len(polygons), None),
            type=pa.large_string(),
            from_pandas=True,
        )
        at = area_of(points, polygons)
        where = pa.array(at, mask=at < 0)  # a few hundred areas: no Python string per row
        code_col = codes.take(where)
        out[f"{level}_code"] = pd.Series(pd.array(code_col, dtype="str"), index=assets.index)
        out[f"{level}_name"] = pd.Series(
            pd.array(names.take(where), dtype="str"), index=assets.index
        )
        missing = ~np.asarray(code_col.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        said += np.where(missing, np.where(placed, 1, 2), 0) * 3**k
    combos, which = np.unique(said, return_inverse=True)
    texts = [
        "; ".join(
            f"outside every {level} area" if c // 3**k % 3 == 1 else f"not placed: no {level}"
            for k, level in enumerate(levels)
            if c // 3**k % 3
        )
        or None
        for c in combos.tolist()
    ]
    note = pa.array(texts, type=pa.large_string()).take(pa.array(which.reshape(-1)))
    out["area_note"] = pd.Series(pd.array(note, dtype="str"), index=assets.index)
    missed = int((said > 0).sum())
    log.info(
        "assigned %d assets to %s; %d outside or unplaced", len(assets), ", ".join(levels), missed
    )
    return out
