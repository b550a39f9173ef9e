"""The machinery of every offline gazetteer: tables of place keys and their points.

Owns the gazetteer protocol (:class:`Gazetteer`, with the :class:`Keys` it reads and the
:class:`Lookup` it answers), :class:`TableGazetteer` (tables loaded whole or in parts, with
coarser levels placed at the centre of the keys they hold), how UK postcodes are read and
coarsened. The tables themselves, their coarser keys' centres and radii, and the conversion
of grid references to WGS84 are in ``_keytables``; UK postcodes on delivery offices (their
precision and note) in ``_offices``.

The public face is :mod:`assetmap.geocoding.gazetteer`; the ONS directory lives in
:mod:`assetmap.geocoding.ons` and the readers of downloaded files in
:mod:`assetmap.geocoding.postcode_files`.
"""

from __future__ import annotations

import itertools
import os
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import postcodes
from ._keytables import (
    COVERAGE_SHARE,
    POSTCODE_UNIT_PRECISION_M,
    Encoder,
    SharedPoints,
    Table,
    as_text,
    blank_to_na,
    build_table,
    lonlat,
)
from ._offices import (
    SHARED_POINT_MIN,
    UK_COARSER,
    UK_WORKED_LEVELS,
    on_offices,
    shared_points,
    work_out_uk_levels,
)
from .postcodes import first_letter, postcode_codes

__all__ = [
    "COVERAGE_SHARE",
    "POSTCODE_UNIT_PRECISION_M",
    "SHARED_POINT_MIN",
    "UK_POSTCODE_LEVELS",
    "UK_WORKED_LEVELS",
    "Encoder",
    "Gazetteer",
    "Keys",
    "Lookup",
    "SharedPoints",
    "Table",
    "TableGazetteer",
    "as_text",
    "blank_to_na",
    "build_table",
    "first_letter",
    "lonlat",
    "postcode_codes",
    "uk_reader",
    "work_out_uk_levels",
]


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
        What the gazetteer has to say about a key (for example "terminated in 2019-06", or
        "listed without a position" for a key it lists with no point), or None.
    sources
        Where the area codes of the keys found are (see :meth:`codes`).
    coded
        Every note in ``notes`` again, for taking in bulk (see :meth:`noted`): batches of rows
        (positions; a row in one batch at most), each row with a code into its batch's texts
        (Arrow), so that a note many keys share is one text, not a Python string per key.
        None when the gazetteer gives none (``notes`` is then all there is).
    """

    lon: np.ndarray
    lat: np.ndarray
    precision_m: np.ndarray
    found: np.ndarray
    notes: np.ndarray
    sources: list[tuple[np.ndarray, dict[str, pd.Categorical], np.ndarray]] = field(
        default_factory=list
    )
    coded: list[tuple[np.ndarray, np.ndarray, pa.Array]] | None = None

    def noted(self, among: np.ndarray) -> tuple[np.ndarray, pa.Array]:
        """The rows (positions) of ``among`` (one boolean a key) that have a note, and their
        notes as Arrow text (large strings)."""
        if self.coded is None:
            rows = np.flatnonzero(among & pd.notna(self.notes))
            return rows, pa.array(self.notes[rows], type=pa.large_string())
        taken: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
        texts: list[pa.Array] = [pa.array([], type=pa.large_string())]
        for rows, codes, said in self.coded:
            keep = among[rows]
            taken.append(rows[keep])
            texts.append(said.take(pa.array(codes[keep])).cast(pa.large_string()))
        return np.concatenate(taken), pa.concat_arrays(texts)

    def codes(self) -> dict[str, pd.Categorical]:
        """Area codes the gazetteer holds for each key found, by name (``lsoa21_code``,
        ``ward_code``, ``la_code``…; missing where not found); empty when it holds none.

        Worked out when asked for, not with every look-up; categorical (a few hundred codes
        for a million rows), so no Python string is made per row.
        """
        names: dict[str, list[pd.Index]] = {}
        for _, codes, _ in self.sources:
            for name, values in codes.items():
                names.setdefault(name, []).append(values.categories)
        out: dict[str, pd.Categorical] = {}
        for name, parts in names.items():
            every = parts[0].append(parts[1:]).unique().sort_values()
            which = np.full(len(self.found), -1, dtype=np.int64)
            for rows, codes, at in self.sources:
                if name in codes:
                    values = codes[name]
                    remap = np.append(every.get_indexer(values.categories), -1)
                    which[rows] = remap[values.codes[at]]  # code -1 (missing) stays -1
            out[name] = pd.Categorical.from_codes(which, categories=every)
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

    def level_at(self, name: str, rows: np.ndarray) -> pd.Series:
        """The keys of level ``name`` at ``rows`` (positions), worked out for those alone."""
        if isinstance(self.levels, _UkLevels):
            return self.levels.at(name, rows)
        return self.levels[name].iloc[rows]

    def taking(self, rows: np.ndarray, other: Keys) -> Keys:
        """These keys with those at ``rows`` (positions) replaced by ``other``'s (full keys)."""
        key, notes = self.key.copy(), self.notes.copy()
        key.iloc[rows] = other.key.to_numpy(dtype=object)
        notes.iloc[rows] = other.notes.to_numpy(dtype=object)
        if isinstance(self.levels, _UkLevels):  # still worked out on demand, from the keys
            postcode = self.levels._postcode.copy()
            postcode.iloc[rows] = other.key.to_numpy(dtype=object)
            return Keys(key=key, levels=_UkLevels(postcode, self.levels.partial), notes=notes)
        levels = {name: lv.copy() for name, lv in self.levels.items()}
        for name, lv in levels.items():
            lv.iloc[rows] = other.levels[name].to_numpy(dtype=object)
        return Keys(key=key, levels=levels, notes=notes)

    def missing(self) -> np.ndarray:
        """Which values have no key at all, full or coarser."""
        nothing = self.key.isna().to_numpy(copy=True)
        rows = np.flatnonzero(nothing)
        for name in self.levels:
            nothing[rows] &= self.level_at(name, rows).isna().to_numpy()
        return nothing


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


def _delivery_offices(
    out: Lookup,
    rows: np.ndarray,
    part: Table,
    table: Table,
    pos: np.ndarray,
    level: str | None,
    encode: Encoder,
) -> None:
    """Widen the precision of the UK keys found on delivery offices, and say so for
    postcodes (see :func:`~assetmap.geocoding._offices.on_offices`)."""
    found = out.found[rows]
    rows, at = rows[found], pos[found]
    on, precision, note = on_offices(part, table, at, level, encode)
    rows = rows[on]
    out.precision_m[rows] = precision
    if note is None:
        return
    shared = shared_points(part)
    assert shared.notes is not None and shared.texts is not None and out.coded is not None
    notes, before = shared.notes[note], out.notes[rows]
    has = pd.notna(before)
    notes[has] = [f"{b}; {n}" for b, n in zip(before[has], notes[has], strict=True)]
    out.notes[rows] = notes
    # the rows noted before are in the look-up's batch of noted rows, with their notes joined
    out.coded.append((rows[~has], note[~has], shared.texts))


def _empty_lookup(n: int) -> Lookup:
    lon, lat, precision = (np.full(n, np.nan) for _ in range(3))
    notes = np.full(n, None, dtype=object)
    return Lookup(lon, lat, precision, np.zeros(n, dtype=bool), notes, coded=[])


def _fill(
    out: Lookup, rows: np.ndarray, table: Table, pos: np.ndarray, exact: bool
) -> list[np.ndarray]:
    """Fill ``out`` at ``rows`` (positions) with the table's answers at ``pos`` (-1: none).
    Returns the rows given a note."""
    listed = pos >= 0
    found = listed.copy()
    if len(table.lon):
        at = np.where(listed, pos, 0)
        found &= np.isfinite(table.lon[at]) & np.isfinite(table.lat[at])
    noted = []
    if exact:
        noted.append(rows[listed & ~found])
        out.notes[noted[-1]] = "listed without a position"
    rows = rows[found]
    at = pos[found]
    out.lon[rows], out.lat[rows] = table.lon[at], table.lat[at]
    out.precision_m[rows], out.found[rows] = table.precision[at], True
    if exact and table.terminated is not None:
        ended = table.terminated[at]
        has = pd.notna(ended)
        noted.append(rows[has])
        out.notes[noted[-1]] = [f"terminated in {d}" for d in ended[has]]
    if exact and table.codes is not None:
        out.sources.append((rows, table.codes, at))
    return noted


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
    _memo: dict[str, tuple[weakref.ref[object], np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def parse(self, values: pd.Series) -> Keys:
        """The keys in text as written, checked against the gazetteer: a key it lists without
        a position is given up (its coarser keys stay) with the note "listed without a
        position"; UK postcodes it does not list are read again knowing what it lists (see
        :func:`assetmap.geocoding.postcodes.reread`), only those. Where each key was found is
        remembered for a :meth:`lookup` of the same keys (as long as they live)."""
        keys = self.reader(values)
        key, notes, levels = keys.key, keys.notes, keys.levels
        group, pos, status = self._found(key)
        if self.reader is uk_reader:
            key, notes, moved = postcodes.reread(
                values, key, notes, lambda c: self._found(c)[2] > 0, known=status > 0
            )
            if len(moved):
                group[moved], pos[moved], status[moved] = self._found(key.iloc[moved])
                assert isinstance(levels, _UkLevels)
                levels = _UkLevels(key, levels.partial)
        nowhere, uk = status == 1, self.reader is uk_reader
        if nowhere.any():
            said = zip(key[nowhere].tolist(), notes[nowhere].tolist(), strict=True)
            notes = notes.copy()
            notes[nowhere] = [_positionless(k, b, self.name, uk) for k, b in said]
            key = key.where(~nowhere)
            group[nowhere], pos[nowhere] = -1, -1  # as a missing key is
        self._remember(key, group, pos)
        return Keys(key=key, levels=levels, notes=notes)

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

    def _groups(self, keys: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """The encoded keys, and the part each is in (-1: none)."""
        codes = self.encode(keys.astype("str")).to_numpy()
        if self.partition is None:
            return codes, np.where(keys.notna().to_numpy(), 0, -1)
        return codes, self.partition(codes)

    def _located(
        self,
        keys: pd.Series,
        level: str | None,
        found: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Iterator[tuple[np.ndarray, Table, Table, np.ndarray]]:
        """Part by part: the rows (positions) of the keys it holds, the part, its table at
        ``level``, and where each key is in that (-1: not there). ``found``: each key's part
        and position in it, known already (full keys only)."""
        if found is None:
            codes, group = self._groups(keys)
            yield from self._by_part(group, level, codes=codes)
        else:
            yield from self._by_part(found[0], level, pos=found[1])

    def _by_part(
        self,
        group: np.ndarray,
        level: str | None,
        codes: np.ndarray | None = None,
        pos: np.ndarray | None = None,
    ) -> Iterator[tuple[np.ndarray, Table, Table, np.ndarray]]:
        """:meth:`_located` for keys in parts ``group``: found by their ``codes``, or known to
        be at ``pos``."""
        if self.partition is None:
            names = {0: ""}
        else:
            present = np.flatnonzero(np.bincount(group[group >= 0]))
            names = {int(g): self.part_name(int(g)) for g in present}
        self.preload(list(names.values()))
        # rows in order of their part (a stable radix sort of small numbers), then part by part
        order = np.argsort(group.astype(np.int16), kind="stable")
        bounds = np.searchsorted(group[order], [*names, max(names, default=0) + 1])
        edges = dict(zip(names, itertools.pairwise(bounds), strict=True))
        for g, name in sorted(names.items(), key=lambda item: item[1]):
            lo, hi = edges[g]
            rows = order[lo:hi]
            part = table = self.part(name)
            if level is not None:
                table = table.level(level, self.levels[level], self.encode)
            if pos is not None:
                at = pos[rows]
            else:
                assert codes is not None
                at = table.index.get_indexer(pd.Index(codes[rows]))
            yield rows, part, table, at

    def _found(self, keys: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each full key: its part (-1: none), its position in it (-1: not listed), and
        2 placed, 1 listed without a position, 0 not listed (or missing)."""
        codes, group = self._groups(keys)
        pos = np.full(len(keys), -1, dtype=np.int64)
        status = np.zeros(len(keys), dtype=np.int8)
        for rows, _, table, at in self._by_part(group, None, codes=codes):
            pos[rows] = at
            listed = at >= 0
            at = at[listed]
            status[rows[listed]] = 1 + (np.isfinite(table.lon[at]) & np.isfinite(table.lat[at]))
        return group, pos, status

    def _remember(self, keys: pd.Series, group: np.ndarray, pos: np.ndarray) -> None:
        """Keep where each of ``keys`` was found while their (immutable) Arrow array lives."""
        arr = _arrow_of(keys)
        if arr is None:
            return
        memo = self._memo

        def gone(ref: weakref.ref[object]) -> None:  # the keys are gone: so are their positions
            if memo.get("exact", (None,))[0] is ref:
                memo.pop("exact", None)

        memo["exact"] = (weakref.ref(arr, gone), group, pos)

    def _recalled(self, keys: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
        """Where each of ``keys`` was found, when :meth:`parse` gave these very keys."""
        memo, arr = self._memo.get("exact"), _arrow_of(keys)
        if memo is None or arr is None or memo[0]() is not arr or len(memo[1]) != len(keys):
            return None
        return memo[1], memo[2]

    def lookup(self, keys: pd.Series, level: str | None = None) -> Lookup:
        if level is not None and level not in self.levels:
            raise ValueError(f"{self.name} has no level {level!r}; it has {list(self.levels)}")
        out = _empty_lookup(len(keys))
        found = self._recalled(keys) if level is None else None
        for rows, part, table, pos in self._located(keys, level, found):
            noted = _fill(out, rows, table, pos, exact=level is None)
            if self.reader is uk_reader:
                _delivery_offices(out, rows, part, table, pos, level, self.encode)
            _coded(out, noted)
        return out


def _coded(out: Lookup, noted: list[np.ndarray]) -> None:
    """Add the notes of rows ``noted`` (as ``out`` holds them now) to ``out.coded``."""
    rows = np.concatenate([np.empty(0, dtype=np.int64), *noted])
    if len(rows) and out.coded is not None:
        said = pa.array(out.notes[rows], type=pa.large_string())
        out.coded.append((rows, np.arange(len(rows)), said))


def _arrow_of(keys: pd.Series) -> object | None:
    """The Arrow array holding ``keys`` (immutable: the same object means the same keys)."""
    arrow = getattr(keys.array, "__arrow_array__", None)
    return arrow() if arrow is not None else None


def _positionless(key: str, before: str | None, name: str, uk: bool) -> str:
    """The note for a key the gazetteer lists without a position (after the one ``before``)."""
    note = f"{'postcode ' * uk}{key!r} is listed without a position in the {name} gazetteer"
    if uk and key[:2] in ("JE", "GY", "IM") and key[2:3].isdigit():
        note += " (ONS gives no positions in Jersey, Guernsey or the Isle of Man)"
    return note if before is None or pd.isna(before) else f"{before}; {note}"


class _UkLevels(Mapping[str, pd.Series]):
    """A postcode's sector and district, worked out only when asked for."""

    def __init__(self, postcode: pd.Series, partial: dict[str, pd.Series]) -> None:
        self._postcode = postcode
        self.partial = partial
        self._done: dict[str, pd.Series] = {}

    def __getitem__(self, name: str) -> pd.Series:
        if name not in self._done:
            full = UK_POSTCODE_LEVELS[name](self._postcode)
            self._done[name] = full.fillna(self.partial[name])
        return self._done[name]

    def at(self, name: str, rows: np.ndarray) -> pd.Series:
        """``self[name].iloc[rows]``, worked out for those rows alone (in Arrow, by position)."""
        if name in self._done:
            return self._done[name].iloc[rows]
        post = pd.Series(pd.array(_taken(self._postcode, rows), dtype="str"))
        full = _taken(UK_POSTCODE_LEVELS[name](post), np.arange(len(rows)))
        either = pc.coalesce(full, _taken(self.partial[name], rows))
        return pd.Series(pd.array(either, dtype="str"), index=self._postcode.index[rows])

    def __iter__(self) -> Iterator[str]:
        return iter(UK_POSTCODE_LEVELS)

    def __len__(self) -> int:
        return len(UK_POSTCODE_LEVELS)


def _taken(values: pd.Series, rows: np.ndarray) -> pa.Array:
    """The text ``values`` at ``rows`` (positions), as one Arrow array."""
    arr = pa.array(values.array, type=pa.large_string()).take(pa.array(rows))
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def uk_reader(values: pd.Series) -> Keys:
    postcode, sector, district, notes = postcodes._parse(values)
    levels = _UkLevels(postcode, {"sector": sector, "district": district})
    return Keys(key=postcode, levels=levels, notes=notes)


#: How a canonical UK postcode ("B16 8HJ") becomes its sector ("B16 8") and district ("B16").
UK_POSTCODE_LEVELS: Mapping[str, Callable[[pd.Series], pd.Series]] = {
    "sector": UK_COARSER["sector"],
    "district": UK_COARSER["district"],
}
