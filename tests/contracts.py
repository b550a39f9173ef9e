"""Contracts the tests hold every stage and every writer to.

- :func:`assert_same_rows`: a stage that returns one row per input row gives back the same
  rows, in the same order, with every input column as it was.
- :func:`scan_for`: what a written file says, read as text and decoded (spreadsheets, layers,
  geometries, base64 text, a map page's packed columns), that its audience may not see:
  forbidden words, and numbers that place a forbidden point (lon/lat either way round,
  British National Grid or Web Mercator).
"""

from __future__ import annotations

import base64
import binascii
import html
import io
import json
import re
import sqlite3
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

__all__ = [
    "Leak",
    "assert_no_leaks",
    "assert_same_rows",
    "file_texts",
    "near",
    "packed_columns",
    "points_in_text",
    "scan_for",
    "separable_points",
]


# --- same rows out as in --------------------------------------------------------------------


def assert_same_rows(
    before: pd.DataFrame | pd.Series,
    after: pd.DataFrame | pd.Series,
    *,
    changed: Iterable[str] = (),
) -> None:
    """Assert that ``after`` holds the same rows as ``before``: same length, same index (values
    and order) and, when ``before`` is a frame, every one of its columns still there with the
    same values. Columns ``after`` adds are fine; ``changed`` names input columns the stage is
    documented to fill or rewrite (``geometry`` for :func:`assetmap.geocode`): they must still
    be there, but may hold other values.

    Missing values compare equal whatever their spelling (None, NaN, NA); geometries compare
    exactly (:func:`shapely.equals_exact`, no tolerance), with their CRS.
    """
    assert len(after) == len(before), (
        f"{len(before)} rows went in and {len(after)} came out"
        + _index_difference(before.index, after.index)
    )
    moved = [
        (i, b, a)
        for i, (b, a) in enumerate(zip(before.index, after.index, strict=True))
        if not (b == a and type(b) is type(a))  # "12" is not 12, nor 12 12.0
    ]
    if moved:
        raise AssertionError(
            "the index changed"
            + _index_difference(before.index, after.index)
            + "; first rows that differ (position, in, out): "
            + ", ".join(f"({i}, {b!r}, {a!r})" for i, b, a in moved[:5])
        )
    if not isinstance(before, pd.DataFrame):
        return
    assert isinstance(after, pd.DataFrame), "a frame went in and no frame came out"
    changed = set(changed)
    unknown = changed - set(before.columns)
    assert not unknown, f"changed= names columns that were not in the input: {sorted(unknown)}"
    lost = [c for c in before.columns if c not in after.columns]
    assert not lost, f"input columns lost: {lost}"
    for column in before.columns:
        if column not in changed:
            _assert_same_values(before[column], after[column], str(column))


def _index_difference(before: pd.Index, after: pd.Index) -> str:
    kept, had = set(after), set(before)
    gone = [v for v in before if v not in kept]
    new = [v for v in after if v not in had]
    parts = []
    if gone:
        parts.append(f"lost {gone[:5]!r}{' …' if len(gone) > 5 else ''}")
    if new:
        parts.append(f"new {new[:5]!r}{' …' if len(new) > 5 else ''}")
    return f" ({'; '.join(parts)})" if parts else ""


def _is_geometry(series: pd.Series) -> bool:
    return isinstance(series, gpd.GeoSeries) or isinstance(series.dtype, gpd.array.GeometryDtype)


def _assert_same_values(before: pd.Series, after: pd.Series, column: str) -> None:
    if _is_geometry(before) or _is_geometry(after):
        _assert_same_geometries(before, after, column)
        return
    # one spelling of missing, and values as Python objects: "0012" is not 12, 52.48 is not
    # "52.48", but 1 is 1.0 and None is NaN
    left, right = (_objects(s, before.index) for s in (before, after))
    try:
        pd.testing.assert_series_equal(
            left, right, check_exact=True, check_names=False, obj=f"column {column!r}"
        )
    except AssertionError as error:
        differ = [
            (i, b, a)
            for i, b, a in zip(before.index, left, right, strict=True)
            if not _same_value(b, a)
        ]
        shown = "; ".join(f"row {i!r}: {b!r} became {a!r}" for i, b, a in differ[:5])
        raise AssertionError(
            f"input column {column!r} changed in {len(differ)} rows: {shown}\n{error}"
        ) from None


def _objects(series: pd.Series, index: pd.Index) -> pd.Series:
    values = series.to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = None
    return pd.Series(values, index=index, dtype=object)


def _same_value(a: Any, b: Any) -> bool:
    try:
        return bool(np.all(a == b)) and np.shape(a) == np.shape(b)
    except (TypeError, ValueError):
        return False


def _assert_same_geometries(before: pd.Series, after: pd.Series, column: str) -> None:
    assert _is_geometry(before) and _is_geometry(after), (
        f"column {column!r} is a geometry column on one side only"
    )
    crs_b, crs_a = getattr(before, "crs", None), getattr(after, "crs", None)
    assert crs_b == crs_a, f"column {column!r} changed CRS: {crs_b} became {crs_a}"
    b = np.asarray(before, dtype=object)
    a = np.asarray(after, dtype=object)
    missing_b, missing_a = shapely.is_missing(b), shapely.is_missing(a)
    same = missing_b & missing_a
    both = ~missing_b & ~missing_a
    same[both] = shapely.equals_exact(b[both], a[both], tolerance=0.0) & (
        shapely.get_type_id(b[both]) == shapely.get_type_id(a[both])
    )
    if not same.all():
        rows = np.flatnonzero(~same)
        shown = "; ".join(
            f"row {before.index[i]!r}: {_wkt(b[i])} became {_wkt(a[i])}" for i in rows[:5]
        )
        raise AssertionError(f"input column {column!r} changed in {len(rows)} rows: {shown}")


def _wkt(geom: Any) -> str:
    return "None" if geom is None else shapely.to_wkt(geom, rounding_precision=-1)


# --- what a written file says -------------------------------------------------------------------


#: Runs of base64 long enough to hold a word (data: URIs, inline payloads).
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_DECIMAL = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?")


def file_texts(path: Path) -> list[tuple[str, str]]:
    """Everything a file says, as ``(where, text)``: its bytes as text, and whatever its format
    decodes to (every sheet and XML part of a spreadsheet, every layer of a GeoPackage with its
    geometries as WKT and every SQLite table, GeoParquet columns and geometries, JSON with its
    escapes undone, base64 runs that decode to text); each also with HTML/XML entities and
    ``\\uXXXX`` escapes undone and whitespace collapsed."""
    path = Path(path)
    raw = path.read_bytes()
    texts = [("bytes", raw.decode("utf-8", errors="replace"))]
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        texts += _xlsx_texts(path, raw)
    elif suffix == ".gpkg":
        texts += _gpkg_texts(path)
    elif suffix == ".parquet":
        frame = gpd.read_parquet(path)
        texts += _frame_texts(frame, "parquet")
    elif suffix in (".json", ".geojson"):
        texts.append(("json", json.dumps(json.loads(raw), ensure_ascii=False)))
    elif suffix in (".html", ".htm"):
        texts += _packed_texts(texts[0][1])
    texts += _base64_texts(texts[0][1])
    out = []
    for where, text in texts:
        out.append((where, text))
        plain = _plain(text)
        if plain != text:
            out.append((f"{where}, unescaped", plain))
    return out


# --- a map page's packed columns (read here as the page's runtime reads them, not by
# assetmap's own code, so that the scan checks what the page carries) -----------------------

_PACKED = re.compile(r'<script type="application/json" id="([^"]+)">(.*?)</script>', re.S)


def _ints(column: dict[str, Any]) -> np.ndarray:
    values = np.asarray(column["ints"], dtype=np.int64)
    if "runs" in column:
        values = np.repeat(values, np.asarray(column["runs"], dtype=np.int64))
    if column.get("delta"):
        values = np.cumsum(values)
    if "k" in column:
        key = np.asarray(column["k"], dtype=np.int64)
        values = np.where(values >= 0, key[np.maximum(values, 0)] if len(key) else -1, -1)
    return values


def _unpacked(value: Any) -> Any:
    if isinstance(value, dict):
        if isinstance(value.get("ints"), list):
            return _ints(value).tolist()
        return {k: _unpacked(v) for k, v in value.items()}
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value[:1] + value[-1:]):
        return [_unpacked(v) for v in value]
    return value


def _spelled(column: dict[str, Any], strings: list[str]) -> list[str | None]:
    """A templated column's texts: ``#`` takes the next number, ``\\`` escapes a character."""
    numbers = iter(column["num"])
    out: list[str | None] = []
    for code in column["tpl"]:
        if code < 0:
            out.append(None)
            continue
        template, said, i = strings[code], [], 0
        while i < len(template):
            ch = template[i]
            if ch == "\\":
                i += 1
                said.append(template[i])
            elif ch == "#":
                said.append(str(next(numbers)))
            else:
                said.append(ch)
            i += 1
        out.append("".join(said))
    assert next(numbers, None) is None, "a templated column has numbers left over"
    return out


def packed_columns(page: str) -> dict[str, Any]:
    """Every packed ``<script type="application/json">`` of a map page by its id, decoded:
    integer columns unpacked (runs, differences, keys), each layer's ``strings`` the page's
    table of texts itself, and templated columns as their texts."""
    raw = {m.group(1): json.loads(m.group(2)) for m in _PACKED.finditer(page)}
    out = {}
    for key, blob in raw.items():
        blob = _unpacked(blob)
        if isinstance(blob, dict) and isinstance(blob.get("strings"), str):
            strings = raw[blob["strings"]]
            blob["strings"] = strings
            for column in blob.get("templated", []):
                blob[column] = _spelled(blob[column], strings)
        out[key] = blob
    return out


def _packed_texts(page: str) -> list[tuple[str, str]]:
    """What a map page's packed columns say that its bytes do not say as such: templated
    texts spelled out, and points as ``lon lat`` pairs."""
    texts = []
    for key, blob in packed_columns(page).items():
        if not isinstance(blob, dict):
            continue
        for column in blob.get("templated", []):
            texts.append((f"packed {key} {column}", "\n".join(t for t in blob[column] if t)))
        for column in ("lonlat", "ends"):
            if column in blob:
                xy = np.asarray(blob[column], dtype=float).reshape(-1, 2)
                texts.append((f"packed {key} {column}", "\n".join(f"{x!r} {y!r}" for x, y in xy)))
    return texts


def _plain(text: str) -> str:
    text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return re.sub(r"\s+", " ", html.unescape(text))


def _xlsx_texts(path: Path, raw: bytes) -> list[tuple[str, str]]:
    texts = []
    with zipfile.ZipFile(io.BytesIO(raw)) as zipped:
        for name in zipped.namelist():
            texts.append((f"zip member {name}", zipped.read(name).decode("utf-8", "replace")))
    for sheet, frame in pd.read_excel(path, sheet_name=None, header=None).items():
        texts.append((f"sheet {sheet!r}", frame.to_csv(index=False)))
    return texts


def _gpkg_texts(path: Path) -> list[tuple[str, str]]:
    texts = []
    for layer, _ in pyogrio.list_layers(path):
        texts += _frame_texts(gpd.read_file(path, layer=layer), f"layer {layer!r}")
    with sqlite3.connect(path) as db:  # every table, metadata and spatial index included
        texts.append(("sqlite dump", "\n".join(db.iterdump())))
    return texts


def _frame_texts(frame: pd.DataFrame, where: str) -> list[tuple[str, str]]:
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        return [(where, pd.DataFrame(frame).astype(str).to_csv())]
    texts = [(where, pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(str).to_csv())]
    for name in frame.columns[frame.dtypes.map(lambda d: isinstance(d, gpd.array.GeometryDtype))]:
        column = gpd.GeoSeries(frame[name])
        texts.append((f"{where} {name} WKT", " ".join(column.to_wkt().fillna("None"))))
        if column.crs is not None and not column.crs.equals(pyproj.CRS(4326)):
            lonlat = column.to_crs(4326).to_wkt().fillna("None")
            texts.append((f"{where} {name} WKT in EPSG:4326", " ".join(lonlat)))
    return texts


def _base64_texts(text: str) -> list[tuple[str, str]]:
    texts = []
    for match in _BASE64.finditer(text):
        blob = match.group(0)
        try:
            decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True)
            plain = decoded.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        printable = sum(c.isprintable() or c.isspace() for c in plain)
        if plain and printable >= 0.9 * len(plain):
            texts.append((f"base64 at character {match.start()}", plain))
    return texts


# --- forbidden points -------------------------------------------------------------------------

#: Metric CRSs a file may write a point in: name, transformer from lon/lat, metres per metre.
_PROJECTED = (
    (
        "British National Grid",
        pyproj.Transformer.from_crs(4326, 27700, always_xy=True),
        lambda lat: 1.0,
    ),
    (
        "Web Mercator",
        pyproj.Transformer.from_crs(4326, 3857, always_xy=True),
        lambda lat: 1 / np.cos(np.radians(lat)),
    ),
)


def near(
    lon: np.ndarray, lat: np.ndarray, points: Sequence[tuple[float, float]], radius_m: float = 50
) -> np.ndarray:
    """Which of the lon/lat pairs stand within ``radius_m`` of any of ``points`` (lon, lat)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    hit = np.zeros(lon.shape, dtype=bool)
    for plon, plat in points:
        dx = (lon - plon) * np.cos(np.radians(plat)) * 111_320
        dy = (lat - plat) * 110_574
        hit |= np.hypot(dx, dy) < radius_m
    return hit


def points_in_text(
    text: str, points: Sequence[tuple[float, float]], radius_m: float = 50
) -> list[str]:
    """Pairs of numbers next to each other in ``text`` that place one of ``points`` (lon, lat)
    within ``radius_m``: as lon, lat or lat, lon in degrees, or as x, y (either order) in
    British National Grid or Web Mercator metres. Pairs are taken among all numbers and among
    decimals alone (so that an integer between a latitude and a longitude hides nothing)."""
    found = []
    for pattern in (_DECIMAL, _NUMBER):
        numbers = np.array([float(v) for v in pattern.findall(text)])
        numbers = numbers[np.isfinite(numbers)]
        if len(numbers) < 2:
            continue
        a, b = numbers[:-1], numbers[1:]  # as they stand in the text
        for x, y, order in ((a, b, "x, y"), (b, a, "y, x")):
            hits = [("lon, lat" if order == "x, y" else "lat, lon", near(x, y, points, radius_m))]
            for name, transformer, scale in _PROJECTED:
                close = np.zeros(len(x), dtype=bool)
                for plon, plat in points:
                    px, py = transformer.transform(plon, plat)
                    close |= np.hypot(x - px, y - py) < radius_m * scale(plat)
                hits.append((f"{name} {order}", close))
            for what, hit in hits:
                found += [f"{float(a[i])!r}, {float(b[i])!r} ({what})" for i in np.flatnonzero(hit)]
    return list(dict.fromkeys(found))


def separable_points(
    points: Sequence[tuple[float, float]],
    shown: Sequence[tuple[float, float]],
    radius_m: float = 50,
) -> list[tuple[float, float]]:
    """The forbidden ``points`` (lon, lat) that :func:`points_in_text` can look for in a file
    that also writes the ``shown`` points: those none of whose coordinates (longitude,
    latitude, and x and y in British National Grid and in Web Mercator) stands within
    ``radius_m`` of the same coordinate of a shown point. A file that writes shown points one
    after another pairs the latitude of one with the longitude of the next; such a pair can
    only stand near a forbidden point that shares a coordinate with shown ones, which this
    leaves out."""
    if not len(points) or not len(shown):
        return list(points)
    lon, lat = (np.asarray(v, dtype=float) for v in zip(*points, strict=True))
    slon, slat = (np.asarray(v, dtype=float) for v in zip(*shown, strict=True))
    metres = np.cos(np.radians(lat)) * 111_320
    close = np.abs(lon[:, None] - slon[None, :]).min(axis=1) * metres < radius_m
    close |= np.abs(lat[:, None] - slat[None, :]).min(axis=1) * 110_574 < radius_m
    for _, transformer, scale in _PROJECTED:
        x, y = transformer.transform(lon, lat)
        sx, sy = transformer.transform(slon, slat)
        limit = radius_m * np.asarray([scale(v) for v in lat])
        close |= np.abs(np.asarray(x)[:, None] - np.asarray(sx)[None, :]).min(axis=1) < limit
        close |= np.abs(np.asarray(y)[:, None] - np.asarray(sy)[None, :]).min(axis=1) < limit
    return [p for p, c in zip(points, close, strict=True) if not c]


# --- the scan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leak:
    """One thing a file says that its audience may not see."""

    file: str
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.file} ({self.where}): {self.what}"


def _with_audits(paths: Iterable[Path | str]) -> list[Path]:
    out: dict[Path, None] = {}
    for path in map(Path, paths):
        out[path] = None
        audit = path.with_name(path.name + ".audit.json")
        if audit.exists():
            out[audit] = None
    return list(out)


def scan_for(
    paths: Iterable[Path | str],
    forbidden_words: Iterable[str],
    forbidden_points: Sequence[tuple[float, float]] = (),
    *,
    radius_m: float = 50,
) -> list[Leak]:
    """Every forbidden word (case-insensitive) and every point within ``radius_m`` of a
    forbidden point (lon, lat) that any of ``paths``, or the audit beside each, says in any of
    its readings (:func:`file_texts`). An empty list: nothing leaked."""
    words = [w for w in forbidden_words if w]
    leaks: list[Leak] = []
    for path in _with_audits(paths):
        assert path.is_file(), f"{path} was not written"
        seen: set[str] = set()
        for where, text in file_texts(path):
            lowered = text.casefold()
            for word in words:
                if word.casefold() in lowered and word not in seen:
                    seen.add(word)
                    leaks.append(Leak(path.name, where, f"the word {word!r}"))
            for pair in points_in_text(text, forbidden_points, radius_m):
                if pair not in seen:
                    seen.add(pair)
                    leaks.append(Leak(path.name, where, f"a point within {radius_m:g} m: {pair}"))
    return leaks


def assert_no_leaks(
    paths: Iterable[Path | str],
    forbidden_words: Iterable[str],
    forbidden_points: Sequence[tuple[float, float]] = (),
    *,
    radius_m: float = 50,
) -> None:
    """Assert that :func:`scan_for` finds nothing, listing every leak when it does."""
    paths = list(paths)
    assert paths, "no files to scan"
    leaks = scan_for(paths, forbidden_words, forbidden_points, radius_m=radius_m)
    assert not leaks, f"{len(leaks)} leaks:\n" + "\n".join(map(str, leaks))


# --- a register that tests the contract -------------------------------------------------------


def odd_register() -> pd.DataFrame:
    """A register as people keep them, in six rows: ids that look like numbers, a capitalised
    category, coordinates as text (one pair swapped), a row that cannot be placed, one with
    only a postcode district, a site drawn as a polygon, and text that spreadsheets and CSV
    readers like to change. Not validated: each stage's test starts where it needs to."""
    box = shapely.box(-1.9522, 52.4899, -1.9472, 52.4926).wkt
    return pd.DataFrame(
        {
            "asset_id": ["0012", "007", "1e3", "TRUE", "10", "x-1"],
            "name": ['Café "Olé", Smethwick', "Łódź Club\nupstairs", "Nobody Known",
                     "District Only", "Swapped Hall", "Footprint Works"],
            "kind": ["micro", "micro", "micro", "micro", "macro", "macro"],
            "category": ["economic", "Association", "individual", "association",
                         "anchor_institution", "anchor_institution"],
            "privacy": ["public", "partners", "private", "area", "public", "public"],
            "postcode": ["b66 2qt", None, "nonsense", "B66", None, None],
            "latitude": [None, "52.48", None, None, "-1.9498", None],
            "longitude": [None, "-1.93", None, None, "52.4913", None],
            "offers": ["Nursing; catering", None, "", "ESOL, esol", None, None],
            "footprint": [None, None, None, None, None, box],
            "ward": ["W1", None, "W3", "0042", "W5", "W6"],
            "Notes": ["first, with a comma", None, "ünïcode ✓", "TRUE", "  padded  ", "1e3"],
        }
    )  # fmt: skip
