"""The machinery of every offline gazetteer: tables of place keys and their points.

Owns the gazetteer protocol (:class:`Gazetteer`, with the :class:`Keys` it reads and the
:class:`Lookup` it answers), :class:`TableGazetteer` (tables loaded whole or in parts, with
coarser levels placed at the centre of the keys they hold), how UK postcodes are read, encoded
and coarsened, and the conversion of grid references to WGS84 (Irish Grid for ``BT``).

The public face is :mod:`assetmap.geocoding.gazetteer`; the ONS directory lives in
:mod:`assetmap.geocoding.ons` and the readers of downloaded files in
:mod:`assetmap.geocoding.postcode_files`.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..crs import BRITISH_NATIONAL_GRID, WGS84, to_lonlat
from . import postcodes

__all__ = [
    "COVERAGE_SHARE",
    "POSTCODE_UNIT_PRECISION_M",
    "UK_POSTCODE_LEVELS",
    "Encoder",
    "Gazetteer",
    "Keys",
    "Lookup",
    "Table",
    "TableGazetteer",
    "as_text",
    "blank_to_na",
    "build_table",
    "first_letter",
    "lonlat",
    "postcode_codes",
    "uk_reader",
]

#: How far from its published point a unit postcode's addresses typically lie, in metres.
#: A unit postcode covers about 15 addresses; in towns its addresses lie within about 100 m
#: of the point ONS publishes (in the countryside, further: treat it as a lower bound there).
POSTCODE_UNIT_PRECISION_M = 100.0

#: The precision of a coarser key (a postcode sector or district) is the radius around its
#: centre that holds this share of its postcodes.
COVERAGE_SHARE = 0.9

_IRISH_GRID = "EPSG:29903"


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
class Table:
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
    coarse: dict[str, Table] = field(default_factory=dict)

    def level(self, name: str, coarsen: Callable[[pd.Series], pd.Series], encode: Encoder) -> Table:
        if name not in self.coarse:
            self.coarse[name] = _centres(self, coarsen, encode)
        return self.coarse[name]


def as_text(keys: pd.Series) -> pd.Index:
    text: pd.Index = pd.Index(keys.fillna("").to_numpy(dtype=object), dtype=object)
    return text


def postcode_codes(keys: pd.Series) -> pd.Index:
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


def first_letter(codes: np.ndarray) -> np.ndarray:
    """The partition of each encoded postcode: its first character's byte (-1 for none)."""
    return np.where(codes >= 0, codes & 0xFF, -1)


def _centres(table: Table, coarsen: Callable[[pd.Series], pd.Series], encode: Encoder) -> Table:
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
    return Table(
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


def _fill(out: Lookup, rows: np.ndarray, table: Table, keys: pd.Index, exact: bool) -> None:
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

    Build one with :func:`assetmap.geocoding.gazetteer.gazetteer_from_frame` or
    :func:`assetmap.geocoding.gazetteer.read_postcode_file`.

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
    load: Callable[[str], Table]
    partition: Callable[[np.ndarray], np.ndarray] | None = None
    part_name: Callable[[int], str] = str
    encode: Encoder = as_text
    _parts: dict[str, Table] = field(default_factory=dict, repr=False, compare=False)

    def parse(self, values: pd.Series) -> Keys:
        return self.reader(values)

    def part(self, label: str) -> Table:
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


def uk_reader(values: pd.Series) -> Keys:
    postcode, sector, district, notes = postcodes._parse(values)
    levels = _UkLevels(postcode, {"sector": sector, "district": district})
    return Keys(key=postcode, levels=levels, notes=notes)


#: How a canonical UK postcode ("B16 8HJ") becomes its sector ("B16 8") and district ("B16").
UK_POSTCODE_LEVELS: Mapping[str, Callable[[pd.Series], pd.Series]] = {
    "sector": lambda keys: keys.str[:-2],
    "district": lambda keys: keys.str[:-4],
}


def lonlat(
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


def build_table(
    encode: Encoder,
    keys: pd.Series,
    lon: np.ndarray,
    lat: np.ndarray,
    precision: np.ndarray,
    terminated: np.ndarray | None = None,
    codes: pd.DataFrame | None = None,
) -> Table:
    """A table keyed by the first row of each key; rows without a key are left out."""
    keys = keys.reset_index(drop=True)
    index = encode(keys)
    if index.is_unique and keys.notna().all():
        use = np.ones(len(keys), dtype=bool)
    else:
        use = ~index.duplicated(keep="first") & keys.notna().to_numpy()
        keys, index = keys[use].reset_index(drop=True), index[use]
    return Table(
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


def blank_to_na(text: pd.Series) -> pd.Series:
    """Text stripped, with empty cells missing."""
    stripped = text.astype("str").str.strip()
    return stripped.where(stripped != "")
