"""The canonical asset schema: column names, vocabularies, and validation.

Validation reports *every* problem at once, each with its row id and where the row stands in
its source, in one :class:`~assetmap.errors.SchemaError`. Soft problems become one
:class:`~assetmap.errors.SchemaWarning` each, counting the rows concerned.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import ConfigurationError, Problem, SchemaError, SchemaWarning

__all__ = [
    "ALIASES",
    "ASSET_COLUMNS",
    "CATEGORIES",
    "GEOCODE_COLUMNS",
    "KINDS",
    "PRIVACY_LEVELS",
    "RELATIONSHIP_TYPES",
    "normalise_tags",
    "parse_tags",
    "synonym_map",
    "validate_assets",
    "validate_relationships",
]

Kind = Literal["micro", "macro"]
Privacy = Literal["public", "partners", "area", "private"]

KINDS: Final = ("micro", "macro")
CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "micro": (
        "individual",
        "association",
        "institution",
        "physical",
        "natural",
        "economic",
        "cultural",
    ),
    "macro": ("anchor_institution", "capital_development", "infrastructure", "event"),
}
PRIVACY_LEVELS: Final = ("public", "partners", "area", "private")
RELATIONSHIP_TYPES: Final = (
    "employs",
    "supplies",
    "refers",
    "trains",
    "hosts",
    "funds",
    "partners",
    "member_of",
)

TEXT_COLUMNS: Final = (
    "name",
    "kind",
    "category",
    "subcategory",
    "description",
    "postcode",
    "address",
    "privacy",
    "source",
    "recorded",
)
TAG_COLUMNS: Final = ("offers", "needs")
NUMBER_COLUMNS: Final = ("capacity", "latitude", "longitude", "easting", "northing")
#: Canonical register columns, in the order assetmap writes them (the index is ``asset_id``).
ASSET_COLUMNS: Final = (
    "name",
    "kind",
    "category",
    "subcategory",
    "description",
    "offers",
    "needs",
    "capacity",
    "postcode",
    "address",
    "latitude",
    "longitude",
    "easting",
    "northing",
    "footprint",
    "privacy",
    "source",
    "recorded",
)
#: Columns that geocoding adds (besides ``geometry``).
GEOCODE_COLUMNS: Final = (
    "geocode_method",
    "geocode_precision_m",
    "geocode_note",
    "in_study_area",
)
#: Headings recognised without a ``columns=`` mapping (compared lower-case, non-letters as "_").
ALIASES: Final[dict[str, str]] = {
    "id": "asset_id",
    "asset": "asset_id",
    "ref": "asset_id",
    "reference": "asset_id",
    "post_code": "postcode",
    "postal_code": "postcode",
    "lat": "latitude",
    "lon": "longitude",
    "lng": "longitude",
    "long": "longitude",
    "x": "easting",
    "y": "northing",
    "type": "category",
    "offer": "offers",
    "need": "needs",
    "wkt": "footprint",
    "footprint_wkt": "footprint",
}

_TAG_SPLIT = re.compile(r"[;,\n|]+")
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalise_tags(tags: Iterable[Any]) -> list[str]:
    """Normalise tags: Unicode NFKC, lower case, single spaces, no edge punctuation, no repeats.

    Codes such as ``soc:2231`` or ``esco:…`` stay codes.

    Examples
    --------
    >>> normalise_tags(["  Nursing ", "ESOL  teaching.", "nursing", "SOC:2231"])
    ['nursing', 'esol teaching', 'soc:2231']
    """
    out: list[str] = []
    for tag in tags:
        if tag is None or (isinstance(tag, float) and np.isnan(tag)):
            continue
        t = unicodedata.normalize("NFKC", str(tag)).casefold()
        t = _SPACES.sub(" ", t).strip(" .;:,-_'\"")
        if t and t not in out:
            out.append(t)
    return out


def synonym_map(vocabulary: pd.DataFrame | Mapping[str, str] | None) -> dict[str, str]:
    """Synonym → canonical tag, both normalised (a two-column table or a mapping)."""
    if vocabulary is None:
        return {}
    if isinstance(vocabulary, pd.DataFrame):
        cols = list(vocabulary.columns)
        if len(cols) < 2:
            raise ConfigurationError(
                f"a vocabulary table needs two columns (tag, canonical tag); it has {cols}"
            )
        pairs = list(zip(vocabulary[cols[0]], vocabulary[cols[1]], strict=True))
    else:
        pairs = list(vocabulary.items())
    out: dict[str, str] = {}
    for synonym, canonical in pairs:
        s, c = normalise_tags([synonym]), normalise_tags([canonical])
        if s and c:
            out[s[0]] = c[0]
    return out


def parse_tags(value: Any) -> list[str]:
    """Parse one cell of ``offers``/``needs`` into a normalised tag list.

    Accepts a list (GeoParquet), a JSON list as assetmap writes it to text formats, or free text
    separated by ``;``, ``,``, ``|`` or new lines.

    Examples
    --------
    >>> parse_tags("Nursing; catering, ESOL teaching")
    ['nursing', 'catering', 'esol teaching']
    >>> parse_tags('["meeting space", "childcare"]')
    ['meeting space', 'childcare']
    """
    if value is None:
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return normalise_tags(value)
    if isinstance(value, float) and np.isnan(value):
        return []
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            loaded = json.loads(text)
        except ValueError:
            loaded = None
        if isinstance(loaded, list):
            return normalise_tags(loaded)
    return normalise_tags(_TAG_SPLIT.split(text))


def _tags(series: pd.Series) -> pd.Series:
    """:func:`parse_tags` of every cell, each distinct text parsed once (registers repeat)."""
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


def _blank(series: pd.Series) -> pd.Series:
    """True where a cell holds nothing (missing, or only white space)."""
    text = series.astype("str")
    return pd.Series(text.isna() | (text.str.strip() == ""), index=series.index, dtype=bool)


def _clean_text(series: pd.Series) -> pd.Series:
    """Text with edges trimmed, blanks as missing, as pandas' string dtype."""
    text = series.astype("str").str.strip()
    return text.where(text != "")


def _vocab_key(series: pd.Series) -> pd.Series:
    """Normalise a vocabulary value: 'Anchor institution' -> 'anchor_institution'."""
    return _clean_text(series).str.casefold().str.replace(r"[\s\-]+", "_", regex=True)


def _closest(value: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{value!r} is not one of {list(allowed)}{hint}"


class _Collector:
    """Collects problems with the id and source position of their rows."""

    def __init__(self, ids: pd.Series, where: Sequence[str]) -> None:
        self.ids = ids
        self.where = list(where)
        self.problems: list[tuple[int, Problem]] = []

    def add(self, mask: pd.Series | np.ndarray, column: str | None, message: Any) -> None:
        """Add a problem for each row in ``mask``; ``message`` may be a callable of the row."""
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            rid = self.ids.iloc[i]
            text = message(i) if callable(message) else message
            self.problems.append(
                (int(i), Problem(None if pd.isna(rid) else str(rid), self.where[i], column, text))
            )

    def table(self, message: str) -> None:
        self.problems.append((-1, Problem(None, None, None, message)))

    def sorted(self) -> list[Problem]:
        return [p for _, p in sorted(self.problems, key=lambda ip: ip[0])]


def _numbers(frame: pd.DataFrame, column: str, bad: _Collector, expect: str) -> pd.Series:
    """Parse a numeric column, reporting every cell that is given but not a number."""
    if column not in frame:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    raw = frame[column]
    blank = _blank(raw)
    values = pd.to_numeric(raw.where(~blank, None).astype(object), errors="coerce")
    values = values.astype("float64")
    unparsed = ~blank & (values.isna() | ~np.isfinite(values))
    bad.add(unparsed, column, lambda i: f"{raw.iloc[i]!r} is not {expect}")
    return values.where(~unparsed)


def _given(frame: pd.DataFrame, column: str) -> pd.Series:
    """True where a cell holds something (whether or not it parses)."""
    if column not in frame:
        return pd.Series(False, index=frame.index)
    return ~_blank(frame[column])


def _dates(raw: pd.Series, bad: _Collector) -> pd.Series:
    """Parse dates (ISO 8601, or day-first as UK registers write them) into ISO text."""
    blank = _blank(raw)
    text = raw.where(~blank, None).astype(object).map(lambda v: v if v is None else str(v).strip())
    iso = pd.to_datetime(text, format="ISO8601", errors="coerce")
    parsed = iso.fillna(pd.to_datetime(text, format="%d/%m/%Y", errors="coerce"))
    unparsed = ~blank & parsed.isna()
    bad.add(
        unparsed,
        "recorded",
        lambda i: f"{raw.iloc[i]!r} is not a date (write it as 2019-03-14 or 14/03/2019)",
    )
    return parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), None).astype("str")


def _footprints(raw: pd.Series, bad: _Collector) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Parse footprints given as shapely polygons or WKT text.

    Areas are footprints; points (a location written as WKT) are returned apart, as
    coordinates; anything else is a problem.
    """
    values = raw.astype(object).where(~_blank(raw), None)
    geoms = np.empty(len(values), dtype=object)
    points = np.full(len(values), None, dtype=object)
    for i, v in enumerate(values):
        if v is None:
            continue
        if isinstance(v, shapely.Geometry):
            geom = v
        else:
            geom = shapely.from_wkt(str(v), on_invalid="ignore")
            if geom is None:
                bad.add(
                    _one(len(values), i),
                    "footprint",
                    f"{str(v)[:40]!r} is not WKT (expected e.g. 'POLYGON ((lon lat, ...))')",
                )
                continue
        if geom.is_empty:
            continue
        if geom.geom_type == "Point":
            points[i] = geom
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            bad.add(
                _one(len(values), i),
                "footprint",
                "a footprint must be a Polygon or MultiPolygon (or a Point for a location), "
                f"a {geom.geom_type} was given",
            )
            continue
        x0, y0, x1, y1 = geom.bounds
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            bad.add(
                _one(len(values), i),
                "footprint",
                "footprint coordinates must be longitude, latitude in degrees (EPSG:4326)",
            )
            continue
        geoms[i] = geom
    return gpd.GeoSeries(geoms, index=raw.index, crs="EPSG:4326"), points


def _one(n: int, i: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[i] = True
    return mask


def _ids(frame: pd.DataFrame, bad: _Collector, what: str = "asset_id") -> pd.Series:
    ids = _clean_text(frame[what])
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
    )
    return ids


def validate_assets(
    frame: pd.DataFrame, *, where: Sequence[str] | None = None, what: str = "asset register"
) -> gpd.GeoDataFrame:
    """Check a register with canonical column names and return it in canonical form.

    Parameters
    ----------
    frame
        The register, with canonical column names (see :data:`ASSET_COLUMNS`) and ``asset_id``
        either as a column or as the index.
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
                        "there is no asset_id column; map your id column with "
                        "columns={'Your heading': 'asset_id'}",
                    )
                ],
            )
    n = len(frame)
    where = list(where) if where is not None else [f"row {i + 1}" for i in range(n)]
    frame.index = pd.RangeIndex(n)
    ids = _clean_text(frame["asset_id"])
    bad = _Collector(ids, where)
    soft: list[str] = []
    ids = _ids(frame, bad)

    missing_cols = [c for c in ("name",) if c not in frame.columns]
    for c in missing_cols:
        bad.table(f"there is no {c!r} column; map yours with columns={{'Your heading': {c!r}}}")

    out: dict[str, Any] = {}
    for col in TEXT_COLUMNS:
        out[col] = (
            _clean_text(frame[col])
            if col in frame
            else pd.Series(None, index=frame.index, dtype="str")
        )
    if "name" in frame:
        bad.add(out["name"].isna(), "name", "name is missing")

    kind = (
        _vocab_key(out["kind"])
        if "kind" in frame
        else pd.Series(None, index=frame.index, dtype="str")
    )
    category = _vocab_key(out["category"])
    cat_kind = {c: k for k, cats in CATEGORIES.items() for c in cats}
    all_categories = tuple(cat_kind)
    bad.add(
        ~category.isna() & ~category.isin(all_categories),
        "category",
        lambda i: _closest(str(out["category"].iloc[i]), all_categories),
    )
    bad.add(category.isna(), "category", f"category is missing; one of {list(all_categories)}")
    bad.add(
        ~kind.isna() & ~kind.isin(KINDS),
        "kind",
        lambda i: _closest(str(out["kind"].iloc[i]), KINDS),
    )
    implied = category.map(cat_kind)
    infer = kind.isna() & implied.notna()
    bad.add(kind.isna() & implied.isna(), "kind", f"kind is missing; one of {list(KINDS)}")
    if infer.any():
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

    privacy = _vocab_key(out["privacy"])
    bad.add(
        ~privacy.isna() & ~privacy.isin(PRIVACY_LEVELS),
        "privacy",
        lambda i: _closest(str(out["privacy"].iloc[i]), PRIVACY_LEVELS),
    )
    no_privacy = privacy.isna()
    if no_privacy.any():
        soft.append(
            f"{int(no_privacy.sum())} row(s) have no privacy level: individuals were set to "
            "'private' (never shown individually), everything else to 'public'"
        )
    default = np.where(category == "individual", "private", "public")
    out["privacy"] = privacy.where(~no_privacy, pd.Series(default, index=frame.index))
    out["privacy"] = out["privacy"].astype("str")

    for col in TAG_COLUMNS:
        out[col] = (
            _tags(frame[col])
            if col in frame
            else pd.Series([[] for _ in range(n)], index=frame.index, dtype=object)
        )
        out[col] = out[col].astype(object)

    capacity = _numbers(frame, "capacity", bad, "a number")
    bad.add(capacity < 0, "capacity", lambda i: f"capacity {capacity.iloc[i]:g} is negative")
    out["capacity"] = capacity
    # Out-of-range and swapped coordinates are the geocoder's to judge (it notes them per row).
    lat = _numbers(frame, "latitude", bad, "a latitude in degrees")
    lon = _numbers(frame, "longitude", bad, "a longitude in degrees")
    bad.add(
        _given(frame, "latitude") ^ _given(frame, "longitude"),
        "latitude",
        "only one of latitude and longitude is given; give both or neither",
    )
    east = _numbers(frame, "easting", bad, "an easting in metres")
    north = _numbers(frame, "northing", bad, "a northing in metres")
    bad.add(
        _given(frame, "easting") ^ _given(frame, "northing"),
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
    out["recorded"] = _dates(frame["recorded"], bad) if "recorded" in frame else out["recorded"]
    footprint, points = (
        _footprints(frame["footprint"], bad)
        if "footprint" in frame
        else (gpd.GeoSeries([None] * n, index=frame.index, crs="EPSG:4326"), None)
    )
    out["footprint"] = footprint
    if points is not None:
        # a point written as WKT: coordinates, in degrees or (beyond them) easting/northing
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

    names = out["name"].str.casefold()
    same_name = names.duplicated(keep=False) & names.notna()
    if same_name.any():
        soft.append(
            f"{int(same_name.sum())} rows share a name with another row under a "
            "different id (duplicate records?)"
        )

    problems = bad.sorted()
    if problems:
        raise SchemaError(what, problems)
    for message in soft:
        warnings.warn(f"{what}: {message}", SchemaWarning, stacklevel=3)

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
        result["geocode_method"] = _clean_text(frame["geocode_method"])
        result["geocode_precision_m"] = pd.to_numeric(
            frame["geocode_precision_m"], errors="coerce"
        ).astype("float64")
        result["geocode_note"] = _clean_text(frame["geocode_note"])
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
        return gpd.GeoSeries(raw.to_numpy(), crs=raw.crs or "EPSG:4326").to_crs("EPSG:4326")
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


def validate_relationships(
    frame: pd.DataFrame,
    asset_ids: Iterable[str] | None = None,
    *,
    where: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Check declared relationships and return them in canonical form.

    Parameters
    ----------
    frame
        Columns ``source``, ``target``, ``type``; optional ``weight`` (default 1) and ``note``.
    asset_ids
        The register's ids; any ``source``/``target`` not among them is a problem.
    where
        Where each row stands in its source, for the messages.

    Raises
    ------
    SchemaError
        Listing every problem, including every unknown id.
    """
    frame = frame.reset_index(drop=True)
    n = len(frame)
    where = list(where) if where is not None else [f"row {i + 1}" for i in range(n)]
    label = pd.Series([None] * n, dtype=object)
    bad = _Collector(label, where)
    missing = [c for c in ("source", "target", "type") if c not in frame.columns]
    for c in missing:
        bad.table(f"there is no {c!r} column (relationships need source, target and type)")
    if missing:
        raise SchemaError("relationships", bad.sorted())
    known = set(asset_ids) if asset_ids is not None else None
    out = pd.DataFrame(index=frame.index)
    for col in ("source", "target"):
        ids = _clean_text(frame[col])
        bad.add(ids.isna(), col, f"{col} is missing")
        if known is not None:
            unknown = ids.notna() & ~ids.isin(known)
            bad.add(
                unknown,
                col,
                lambda i, ids=ids, col=col: (
                    f"{col} {ids.iloc[i]!r} is not an asset_id of the register"
                ),
            )
        out[col] = ids
    bad.add(
        (out["source"] == out["target"]).fillna(False),
        "target",
        "a relationship links an asset to itself",
    )
    rtype = _vocab_key(frame["type"])
    bad.add(rtype.isna(), "type", f"type is missing; one of {list(RELATIONSHIP_TYPES)}")
    bad.add(
        rtype.notna() & ~rtype.isin(RELATIONSHIP_TYPES),
        "type",
        lambda i: _closest(str(frame["type"].iloc[i]), RELATIONSHIP_TYPES),
    )
    out["type"] = rtype
    weight = _numbers(frame, "weight", bad, "a number")
    bad.add(weight < 0, "weight", "weight must not be negative")
    out["weight"] = weight.fillna(1.0)
    out["note"] = (
        _clean_text(frame["note"])
        if "note" in frame
        else pd.Series(None, index=frame.index, dtype="str")
    )
    for c in frame.columns:
        if c not in out.columns:
            out[c] = frame[c]
    problems = bad.sorted()
    if problems:
        raise SchemaError("relationships", problems)
    return out
