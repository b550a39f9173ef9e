"""Reading registers and relationships into the canonical schema (writing them for an
audience is :mod:`assetmap.export`'s).

Formats: CSV (UTF-8 with or without a byte-order mark, or cp1252 as Excel writes it), Excel
(``.xlsx``), GeoJSON, GeoPackage, GeoParquet, or a (Geo)DataFrame already in memory.
Spreadsheet text is read back as assetmap's writers were given it (:mod:`assetmap._tabular`):
the ``'`` a CSV cell such as ``'=SUM(1)`` was written with is removed, and in XLSX only empty
cells are missing (``NA`` and ``#N/A`` stay text).
"""

from __future__ import annotations

import io as _io
import logging
import re
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._tabular import from_csv_cells, from_csv_text, from_xlsx_cells
from .crs import to_crs
from .errors import Problem, SchemaError
from .schema import ALIASES, ASSET_COLUMNS, GEOCODE_COLUMNS, validate_assets, validate_relationships

__all__ = [
    "format_of",
    "read_assets",
    "read_relationships",
    "validate_assets",
    "validate_relationships",
]

log = logging.getLogger(__name__)

Source = str | PathLike[str] | pd.DataFrame
_CANONICAL = {"asset_id", *ASSET_COLUMNS, *GEOCODE_COLUMNS, "geometry"}
_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
}


def _file_error(path: Path, message: str) -> SchemaError:
    """One problem with a whole file, as the error every reader raises."""
    return SchemaError(str(path), [Problem(None, None, None, message)])


def format_of(path: Path) -> str:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise _file_error(
            path,
            f"cannot tell the format from the suffix {path.suffix!r}; assetmap reads "
            f"{sorted(_FORMATS)}",
        )
    return fmt


def _key(heading: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(heading).strip().casefold()).strip("_")


def _mapping(headings: list[str], columns: Mapping[str, str] | None, what: str) -> dict[str, str]:
    """Work out which input heading becomes which canonical column.

    Explicit ``columns`` win; otherwise a heading is recognised when, lower-cased with
    non-letters as "_", it is a canonical name or a known alias ("Post Code" -> postcode).
    """
    columns = dict(columns or {})
    problems = [
        Problem(
            None,
            None,
            src,
            f"columns= maps {src!r}, but the source has no such heading; "
            f"its headings are {headings}",
        )
        for src in columns
        if src not in headings
    ]
    problems += [
        Problem(
            None,
            None,
            src,
            f"columns= maps {src!r} to {dst!r}, which is not a canonical "
            f"column; canonical columns are {['asset_id', *ASSET_COLUMNS]}",
        )
        for src, dst in columns.items()
        if dst not in _CANONICAL
    ]
    mapping = {src: dst for src, dst in columns.items() if src in headings}
    taken = set(mapping.values())
    for h in headings:
        if h in mapping:
            continue
        k = _key(h)
        dst = k if k in _CANONICAL else ALIASES.get(k)
        if dst is not None and dst not in taken:
            mapping[h] = dst
            taken.add(dst)
    targets: dict[str, list[str]] = {}
    for src, dst in mapping.items():
        targets.setdefault(dst, []).append(src)
    problems += [
        Problem(None, None, dst, f"several headings map to {dst!r}: {srcs}; map only one")
        for dst, srcs in targets.items()
        if len(srcs) > 1
    ]
    if problems:
        raise SchemaError(what, problems)
    return mapping


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) first; cp1252, as Excel saves 'CSV', otherwise."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _read_xlsx(path: Path, sheet: str | int = 0) -> pd.DataFrame:
    """A sheet as it is: text stays text ("NA", "null" too), only empty cells are missing."""
    frame = pd.read_excel(
        path, sheet_name=sheet, dtype=object, keep_default_na=False, na_values=[""]
    )
    return from_xlsx_cells(frame)


def _read_table(
    path: Path,
    fmt: str,
    *,
    sheet: str | int | None,
    layer: str | None,
    text_columns: Mapping[str, str] | None,
) -> tuple[pd.DataFrame, list[str]]:
    """Read a file as it is, returning the frame and where each row stands in the file."""
    if fmt == "csv":
        text = _decode(path.read_bytes())
        try:
            written = list(pd.read_csv(_io.StringIO(text), nrows=0, dtype=str).columns)
            headings = [from_csv_text(h) for h in written]
            mapping = _mapping(headings, text_columns, str(path))
            # canonical columns are parsed by the schema
            as_text = {w: str for w, h in zip(written, headings, strict=True) if h in mapping}
            frame = pd.read_csv(
                _io.StringIO(text),
                dtype=as_text,
                keep_default_na=False,
                na_values={h: [""] for h in written},
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            message = (
                f"cannot read it as CSV: {exc} (a line with more fields than the "
                "header, or an unclosed quote?)"
            )
            raise _file_error(path, message) from None
        return from_csv_cells(frame), [f"line {i + 2}" for i in range(len(frame))]
    if fmt == "xlsx":
        frame = _read_xlsx(path, 0 if sheet is None else sheet)
        return frame, [f"row {i + 2}" for i in range(len(frame))]
    if fmt == "parquet":
        try:
            frame = gpd.read_parquet(path)
        except ValueError:  # plain Parquet, no geo metadata
            frame = pd.read_parquet(path)
        return frame, [f"row {i + 1}" for i in range(len(frame))]
    frame = gpd.read_file(path, layer=layer)
    if frame.empty and list(frame.columns) == [frame.geometry.name]:
        frame = pd.DataFrame({"asset_id": [], "name": []}, dtype="str")  # no features, no columns
    return frame, [f"feature {i + 1}" for i in range(len(frame))]


def _from_geometry(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn a source's geometry into input columns: points into coordinates, areas into
    footprints. A geocoded register (one with ``geocode_method``) keeps its geometry."""
    if not isinstance(frame, gpd.GeoDataFrame) or "geocode_method" in frame.columns:
        return frame
    if frame.geometry.name not in frame.columns:
        return pd.DataFrame(frame)
    geom = frame.geometry
    if geom.crs is not None and not geom.crs.equals("EPSG:4326"):
        geom = to_crs(geom, "EPSG:4326")
    kinds = geom.geom_type
    out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    points = (kinds == "Point").to_numpy()
    areas = kinds.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if points.any() and "latitude" not in out and "longitude" not in out:
        out["longitude"] = np.where(points, shapely.get_x(geom.to_numpy()), np.nan)
        out["latitude"] = np.where(points, shapely.get_y(geom.to_numpy()), np.nan)
    if areas.any() and "footprint" not in out:
        out["footprint"] = pd.Series(np.where(areas, geom.to_numpy(), None), index=out.index)
    return out


def read_assets(
    source: Source,
    *,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read an asset register into the canonical schema.

    Parameters
    ----------
    source
        A path to CSV, XLSX, GeoJSON, GeoPackage or GeoParquet, or a (Geo)DataFrame.
    columns
        Maps the register's own headings to canonical names, e.g.
        ``{"Post Code": "postcode", "Organisation": "name", "Skills offered": "offers"}``.
        Headings that already are canonical names or common aliases (``lat``, ``lon``, ``id``)
        need no mapping. Other headings are kept untouched.
    sheet
        The Excel sheet (name or 0-based number); the first by default.
    layer
        The GeoPackage layer; the first by default.

    Returns
    -------
    geopandas.GeoDataFrame
        Every row of the source, in order, indexed by ``asset_id``; see
        :func:`validate_assets`.

    Raises
    ------
    SchemaError
        Listing every problem in the register, each with its id and line.

    Examples
    --------
    >>> from assetmap import datasets
    >>> assets = read_assets(datasets.sample_register_path())
    >>> assets.loc["macro-mmuh", ["name", "kind", "postcode"]].tolist()
    ['Midland Metropolitan University Hospital', 'macro', 'B66 2QT']
    """
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index() if source.index.name == "asset_id" else source.copy()
        where = [f"row {i + 1}" for i in range(len(frame))]
        what = "asset register"
    else:
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no register at {path}")
        fmt = format_of(path)
        frame, where = _read_table(path, fmt, sheet=sheet, layer=layer, text_columns=columns)
        what = str(path)
    frame = _from_geometry(frame)
    mapping = _mapping([str(c) for c in frame.columns], columns, what)
    frame = frame.rename(columns={c: mapping.get(str(c), c) for c in frame.columns})
    assets = validate_assets(frame, where=where, what=what)
    log.info("read %d assets from %s", len(assets), what)
    return assets


def read_relationships(
    source: Source,
    *,
    assets: pd.DataFrame | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read declared relationships (``source``, ``target``, ``type``, ``weight``, ``note``).

    Parameters
    ----------
    source
        A CSV or XLSX path, or a DataFrame.
    assets
        The register; every ``source``/``target`` must be one of its ids.
    columns
        Maps the file's headings to ``source``, ``target``, ``type``, ``weight``, ``note``.

    Raises
    ------
    SchemaError
        Listing every problem, including every id not in the register.
    """
    if isinstance(source, pd.DataFrame):
        frame, where = source.copy(), None
    else:
        path = Path(source)
        fmt = format_of(path)
        if fmt == "csv":
            frame = pd.read_csv(
                _io.StringIO(_decode(path.read_bytes())),
                dtype=str,
                keep_default_na=False,
                na_values=[""],
            )
            frame = from_csv_cells(frame)
            where = [f"line {i + 2}" for i in range(len(frame))]
        elif fmt == "xlsx":
            frame = _read_xlsx(path)
            where = [f"row {i + 2}" for i in range(len(frame))]
        else:
            frame, where = pd.DataFrame(gpd.read_file(path)), None
    if columns:
        frame = frame.rename(columns=dict(columns))
    ids = assets.index if assets is not None else None
    return validate_relationships(frame, ids, where=where)
