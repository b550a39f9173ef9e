"""Reading registers and relationships into the canonical schema (writing them for an
audience is :mod:`assetmap.export`'s).

Formats: CSV (UTF-8 with or without a byte-order mark, UTF-16 as Excel saves "Unicode text", or
cp1252 as Excel saves "CSV"; decided per file, see :mod:`assetmap._sources`), Excel (``.xlsx``,
checked before it is opened), GeoJSON, GeoPackage, GeoParquet, or a (Geo)DataFrame already in
memory. Places in errors are physical lines of the file.
Spreadsheet text is read back as assetmap's writers were given it (:mod:`assetmap._tabular`):
the ``'`` a CSV cell such as ``'=SUM(1)`` was written with is removed, and in XLSX only empty
cells are missing (``NA`` and ``#N/A`` stay text).
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._memory import release_unused_memory
from ._sources import read_csv_bytes, read_xlsx
from .crs import to_crs
from .errors import Problem, SchemaError, SchemaWarning
from .schema import (
    Columns,
    apply_headings,
    map_headings,
    prepare_assets,
    representative_points,
    validate_assets,
    validate_relationships,
)

__all__ = [
    "format_of",
    "read_assets",
    "read_relationships",
    "validate_assets",
    "validate_relationships",
]

log = logging.getLogger(__name__)

Source = str | PathLike[str] | pd.DataFrame
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


def _repeated(raw: Sequence[Any], labels: Sequence[Any]) -> dict[str, list[str]]:
    """Headings written more than once -> the labels pandas gave their copies (``name.1``)."""
    out: dict[str, list[str]] = {}
    for written, label in zip(raw, labels, strict=True):
        out.setdefault(str(written), []).append(str(label))
    return {h: labels for h, labels in out.items() if len(labels) > 1}


def _pandas_repeats(labels: list[str]) -> dict[str, list[str]]:
    """Headings written more than once, from the labels pandas gave their copies ("name.1",
    "name.2": the file is read once, not twice)."""
    written = [
        m.group(1) if (m := re.fullmatch(r"(.+)\.\d+", c)) and m.group(1) in labels else c
        for c in labels
    ]
    return _repeated(written, labels)


def _read_table(
    path: Path,
    fmt: str,
    *,
    sheet: str | int | None,
    layer: str | None,
    columns: Columns | None,
) -> tuple[pd.DataFrame, list[str], dict[str, list[str]]]:
    """Read a file as it is: the frame, where each row stands in the file, repeated headings."""
    if fmt == "csv":
        repeated: dict[str, list[str]] = {}

        def text_columns(labels: list[str]) -> set[str]:
            # the columns that feed fields are parsed by the schema, from their text
            repeated.update(_pandas_repeats(labels))
            return set(map_headings(labels, columns, str(path), repeated=repeated).sources)

        table = read_csv_bytes(path.read_bytes(), what=str(path), text_columns=text_columns)
        log.info("%s: %s", path, "; ".join(table.notes))
        return table.frame, [f"line {n}" for n in table.lines], repeated
    if fmt == "xlsx":
        frame = read_xlsx(path, sheet=0 if sheet is None else sheet)
        labels = [str(c) for c in frame.columns]
        return frame, [f"row {i + 2}" for i in range(len(frame))], _pandas_repeats(labels)
    if fmt == "parquet":
        try:
            frame = gpd.read_parquet(path)
        except ValueError:  # plain Parquet, no geo metadata
            frame = pd.read_parquet(path)
        return frame, [f"row {i + 1}" for i in range(len(frame))], {}
    frame = gpd.read_file(path, layer=layer)
    if frame.empty and list(frame.columns) == [frame.geometry.name]:
        frame = pd.DataFrame({"asset_id": [], "name": []}, dtype="str")  # no features, no columns
    return frame, [f"feature {i + 1}" for i in range(len(frame))], {}


def _from_geometry(frame: pd.DataFrame, where: Sequence[str], notes: list[str]) -> pd.DataFrame:
    """Turn a source's geometry into input columns: points into coordinates, areas into
    footprints, any other geometry (lines, multi-points, collections) into a representative
    point on it, with a note. A geocoded register (one with ``geocode_method``) keeps its
    geometry; a plain table's WKT ``geometry`` text is read as a footprint (which takes
    points, areas and the rest alike)."""
    if "geocode_method" in frame.columns:
        return frame
    if not isinstance(frame, gpd.GeoDataFrame):
        if "geometry" in frame.columns and "footprint" not in frame.columns:
            text = frame["geometry"].astype(object)
            if text.map(lambda v: isinstance(v, str | shapely.Geometry)).any():
                return frame.rename(columns={"geometry": "footprint"})
        return frame
    if frame.geometry.name not in frame.columns:
        return pd.DataFrame(frame)
    geom = frame.geometry
    if geom.crs is not None and not geom.crs.equals("EPSG:4326"):
        geom = to_crs(geom, "EPSG:4326")
    kinds = geom.geom_type
    out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    values = geom.to_numpy()
    present = ~shapely.is_missing(values) & ~shapely.is_empty(values)
    areas = kinds.isin(["Polygon", "MultiPolygon"]).to_numpy() & present
    others = present & ~areas & (kinds != "Point").to_numpy()
    shown = np.asarray(np.where(present, values, None), dtype=object)
    points = np.where(others, representative_points(shown), values)
    at = present & ~areas
    if at.any() and "latitude" not in out and "longitude" not in out:
        out["longitude"] = np.where(at, shapely.get_x(points), np.nan)
        out["latitude"] = np.where(at, shapely.get_y(points), np.nan)
        for kind in sorted(set(kinds[others])):
            rows = np.flatnonzero(others & (kinds == kind).to_numpy())
            named = ", ".join(where[i] for i in rows[:3]) + (", …" if len(rows) > 3 else "")
            notes.append(
                f"{len(rows)} feature(s) are a {kind}, not a point or an area: each is placed "
                f"at a point on it (a representative point): {named}"
            )
    if areas.any() and "footprint" not in out:
        out["footprint"] = pd.Series(np.where(areas, values, None), index=out.index)
    return out


def _unique_labels(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """A frame whose repeated column labels are told apart as pandas does (``name.1``)."""
    labels = [str(c) for c in frame.columns]
    if len(set(labels)) == len(labels):
        return frame, {}
    seen: dict[str, int] = {}
    unique = []
    for c in labels:
        k = seen.get(c, 0)
        unique.append(c if k == 0 else f"{c}.{k}")
        seen[c] = k + 1
    out = frame.copy()
    out.columns = pd.Index(unique)
    return out, _repeated(labels, unique)


def read_assets(
    source: Source,
    *,
    columns: Columns | None = None,
    defaults: Mapping[str, Any] | None = None,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    sheet: str | int | None = None,
    layer: str | None = None,
    make_ids_unique: bool = False,
) -> gpd.GeoDataFrame:
    """Read an asset register into the canonical schema.

    Parameters
    ----------
    source
        A path to CSV, XLSX, GeoJSON, GeoPackage or GeoParquet, or a (Geo)DataFrame.
    columns
        Maps the register's own headings to canonical names, e.g.
        ``{"Post Code": "postcode", "Organisation": "name", "Skills offered": "offers"}``;
        a heading may feed several fields (``{"Site Address": ["name", "address"]}``), and
        one text column holding both coordinates is mapped to ``"latitude,longitude"`` (or
        ``"longitude,latitude"``). Headings that already are canonical names or common aliases
        (``lat``, ``lon``, ``id``, ``Post Code``, ``latt_long``) need no mapping; an alias
        that is a guess (``Type`` as category, ``X``/``Y``, ``OBJECTID``) is said in a
        warning. Two headings that would feed one field are an error until ``columns`` says
        which. Other headings are kept untouched.
    defaults
        A value for a field on every row where its column is absent or its cell blank, e.g.
        ``{"category": "institution", "privacy": "public"}``.
    values
        Maps the register's own words to the vocabulary before validation, e.g.
        ``{"category": {"Static Library": "institution"}}`` (case and spaces ignored; words
        not given are validated as they are).
    sheet
        The Excel sheet (name or 0-based number); the first by default.
    layer
        The GeoPackage layer; the first by default.
    make_ids_unique
        Suffix repeated ids (``-2``, ``-3``… in order) with a warning, instead of reporting
        them as problems.

    Returns
    -------
    geopandas.GeoDataFrame
        Every row of the source, in order, indexed by ``asset_id``; see
        :func:`validate_assets`. Without an id column, ids are made from each row's content
        (stable when rows are reordered; see :mod:`assetmap.schema._prepare`), with a warning.
        ``kind`` is taken from the category where not given. Easting/northing (``X``/``Y``)
        whose every value is within ±180/±90 are read as longitude/latitude, with a warning.

    Raises
    ------
    SchemaError
        Listing every problem in the register, each with its id and line; repeats are
        grouped in the message, and each fix is named (``SchemaError.message(style=...)``
        names it for the command line or a project file).

    Examples
    --------
    >>> from assetmap import datasets
    >>> assets = read_assets(datasets.sample_register_path())
    >>> assets.loc["macro-mmuh", ["name", "kind", "postcode"]].tolist()
    ['Midland Metropolitan University Hospital', 'macro', 'B66 2QT']
    """
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index() if source.index.name == "asset_id" else source.copy()
        frame, repeated = _unique_labels(frame)
        where = [f"row {i + 1}" for i in range(len(frame))]
        what = "asset register"
    else:
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no register at {path}")
        fmt = format_of(path)
        frame, where, repeated = _read_table(path, fmt, sheet=sheet, layer=layer, columns=columns)
        what = str(path)
    notes: list[str] = []
    frame = _from_geometry(frame, where, notes)
    plan = map_headings([str(c) for c in frame.columns], columns, what, repeated=repeated)
    frame, problems = apply_headings(frame, plan, where)
    frame, more, done = prepare_assets(
        frame,
        plan,
        defaults=defaults,
        values=values,
        make_ids_unique=make_ids_unique,
        where=where,
    )
    problems += more
    try:
        assets = validate_assets(frame, where=where, what=what)
    except SchemaError as exc:
        raise SchemaError(what, _in_order([*problems, *exc.problems], where)) from None
    if problems:
        raise SchemaError(what, _in_order(problems, where))
    # an X/Y read as degrees is said once, by the reading (not also as "read 'X' as easting")
    guessed = [(h, f) for h, f in plan.guessed if repr(h) not in _moved(done)]
    if guessed:
        said = ", ".join(f"{h!r} as {f}" for h, f in guessed)
        notes.insert(0, f"read heading{'s' if len(guessed) > 1 else ''} {said}")
    if notes or done:
        said = "; ".join([*notes, *done])
        warnings.warn(f"{what}: {said}", SchemaWarning, stacklevel=2)
    log.info("read %d assets from %s", len(assets), what)
    del frame, where
    release_unused_memory()  # what reading and checking freed (see the function)
    return assets


def _moved(done: list[str]) -> str:
    """The messages saying a coordinate pair was read in the other unit (headings named)."""
    return " ".join(m for m in done if m.startswith("read '"))


def _in_order(problems: list[Problem], where: Sequence[str]) -> list[Problem]:
    """Problems of the table first, then by the row's place in the source."""
    at = {w: i for i, w in enumerate(where)}
    return sorted(problems, key=lambda p: -1 if p.where is None else at.get(p.where, len(at)))


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
            table = read_csv_bytes(path.read_bytes(), what=str(path))
            frame, where = table.frame, [f"line {n}" for n in table.lines]
        elif fmt == "xlsx":
            frame = read_xlsx(path)
            where = [f"row {i + 2}" for i in range(len(frame))]
        else:
            frame, where = pd.DataFrame(gpd.read_file(path)), None
    if columns:
        frame = frame.rename(columns=dict(columns))
    ids = assets.index if assets is not None else None
    return validate_relationships(frame, ids, where=where)
