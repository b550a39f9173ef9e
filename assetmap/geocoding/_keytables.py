"""Tables of place keys and their points, and the centres and radii of coarser keys.

The ground every gazetteer stands on (:mod:`assetmap.geocoding._tables` builds the gazetteers
on it): :class:`Table`, :func:`build_table`, the conversion of grid references to WGS84
(:func:`lonlat`), and each coarse key's centre and radius (:data:`COVERAGE_SHARE`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from ..crs import BRITISH_NATIONAL_GRID, WGS84, ground_m, to_lonlat

__all__ = [
    "COVERAGE_SHARE",
    "HAIR_M",
    "POSTCODE_UNIT_PRECISION_M",
    "Encoder",
    "SharedPoints",
    "SortedKeys",
    "Table",
    "as_text",
    "blank_to_na",
    "build_table",
    "lonlat",
]

#: How far from its published point a unit postcode's addresses typically lie, in metres.
#: A unit postcode covers about 15 addresses; in towns its addresses lie within about 100 m
#: of the point ONS publishes (in the countryside, further: treat it as a lower bound there).
POSTCODE_UNIT_PRECISION_M = 100.0

#: The precision of a coarser key (a postcode sector or district) is the radius around its
#: centre that holds this share of its postcodes (geodesic metres, rounded up).
COVERAGE_SHARE = 0.9

HAIR_M = 0.001  #: added before a radius is rounded up: ground_m is within 1 mm of the geodesic

_IRISH_GRID = "EPSG:29903"


Encoder = Callable[[pd.Series], pd.Index]


class SortedKeys:
    """Integer keys (UK postcodes encoded) found by binary search rather than hashing.

    A pandas index of integers builds a hash table on its first look-up of about 30 bytes a
    key, which the UK postcode directory (2.7 million keys) would then hold all session; this
    holds a sort permutation instead (4 bytes a key; the keys themselves are then held sorted),
    worked out on the first look-up. Looking up keys sorted first is about as fast as hashing.

    Parameters
    ----------
    values
        The keys, each once (a repeated key is found at one of its positions).
    """

    def __init__(self, values: np.ndarray) -> None:
        self._values: np.ndarray | None = np.asarray(values, dtype=np.int64)
        self._sorted = self._order = np.empty(0, dtype=np.int64)
        self._n = len(self._values)

    def __len__(self) -> int:
        return self._n

    def _searchable(self) -> tuple[np.ndarray, np.ndarray]:
        if self._values is not None:
            order = np.argsort(self._values, kind="stable")
            self._sorted = self._values[order]
            self._order = order.astype(np.int32 if self._n < 2**31 else np.int64)
            self._values = None
        return self._sorted, self._order

    def to_numpy(self, dtype: type | None = None) -> np.ndarray:
        """The keys in their order."""
        if self._values is not None:
            return self._values.astype(dtype or np.int64, copy=False)
        out: np.ndarray = np.empty(self._n, dtype=dtype or np.int64)
        out[self._order] = self._sorted
        return out

    def get_indexer(self, target: pd.Index | np.ndarray) -> np.ndarray:
        """The position of each of ``target`` among the keys (-1: not there), as
        :meth:`pandas.Index.get_indexer`."""
        codes = np.asarray(target, dtype=np.int64)
        out = np.full(len(codes), -1, dtype=np.intp)
        if not self._n or not len(codes):
            return out
        keys, order = self._searchable()
        by = np.argsort(codes)  # a sorted search walks the keys once, not at random
        wanted = codes[by]
        at = np.minimum(np.searchsorted(keys, wanted), self._n - 1)
        hit = keys[at] == wanted
        out[by[hit]] = order[at[hit]]
        return out


@dataclass
class Table:
    """One table of keys and points, with its coarser levels computed on first use.

    ``keys`` are the keys as text; ``index`` holds them as the gazetteer encodes them for
    look-ups (UK postcodes as 64-bit integers, held as :class:`SortedKeys`: searching those is
    many times faster than text, and holds less than a hash table).
    """

    keys: pd.Series
    index: pd.Index | SortedKeys
    lon: np.ndarray
    lat: np.ndarray
    precision: np.ndarray
    terminated: np.ndarray | None = None  # text such as "2019-06", or None, per key
    codes: dict[str, pd.Categorical] | None = None  # area codes aligned with keys
    coarse: dict[str, Table] = field(default_factory=dict)
    shared: SharedPoints | None = None  # UK postcodes on delivery offices, found on first use

    def __post_init__(self) -> None:
        if isinstance(self.index, pd.Index) and self.index.dtype.kind in "iu":
            self.index = SortedKeys(self.index.to_numpy())

    def level(self, name: str, coarsen: Callable[[pd.Series], pd.Series], encode: Encoder) -> Table:
        if name not in self.coarse:
            self.coarse[name] = _centres(self, coarsen, encode)
        return self.coarse[name]


def as_text(keys: pd.Series) -> pd.Index:
    text: pd.Index = pd.Index(keys.fillna("").to_numpy(dtype=object), dtype=object)
    return text


def _mean_points(
    lon: np.ndarray, lat: np.ndarray, group: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The centre of each group of points: the mean of their normals to the ellipsoid, put
    back on it (exact for one point, right across the antimeridian and at any latitude)."""
    phi, lam = np.radians(lat), np.radians(lon)
    x, y, z = np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)
    sx, sy, sz = (np.bincount(group, weights=w, minlength=k) for w in (x, y, z))
    return np.degrees(np.arctan2(sy, sx)), np.degrees(np.arctan2(sz, np.hypot(sx, sy)))


def _centres(table: Table, coarsen: Callable[[pd.Series], pd.Series], encode: Encoder) -> Table:
    """Each coarse key's centre (of its live postcodes, else of all) and coverage radius: the
    geodesic distance from the centre within which :data:`COVERAGE_SHARE` of them lie."""
    coarse = coarsen(table.keys)
    placed = np.isfinite(table.lon) & np.isfinite(table.lat) & coarse.notna().to_numpy()
    live = placed & (
        np.ones(len(placed), dtype=bool) if table.terminated is None else pd.isna(table.terminated)
    )
    group, labels = pd.factorize(coarse.where(placed), sort=True)
    k = len(labels)
    if not k:  # no key with a position (Jersey in the ONS directory)
        none = np.empty(0)
        return build_table(encode, pd.Series([], dtype="str"), none, none, none)
    has_live = np.bincount(group[live], minlength=k) > 0
    used = placed & (live | ~has_live[np.maximum(group, 0)])
    g = group[used]
    count = np.bincount(g, minlength=k)
    lon0, lat0 = _mean_points(table.lon[used], table.lat[used], g, k)
    dist = ground_m(lon0[g], lat0[g], table.lon[used], table.lat[used]) + HAIR_M
    order = np.lexsort((dist, g))
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(int)
    # the n-th nearest, n = the share of the count rounded up (less a hair: 0.9 * 70 = 63.0…1)
    nth = start + np.ceil(COVERAGE_SHARE * count - 1e-9).astype(int) - 1
    floor = np.bincount(g, weights=table.precision[used], minlength=k) / count
    keys = pd.Series(np.asarray(labels, dtype=object), dtype="str")
    precision = np.ceil(np.maximum(dist[order][nth], floor))
    return Table(keys, encode(keys), lon0, lat0, precision)


@dataclass
class SharedPoints:
    """A table's UK postcodes on delivery offices (see :data:`SHARED_POINT_MIN`), worked out
    on first use: for each key, how many keys share its point; by level, the share of each
    coarse key's postcodes on such points; for each key on one, its precision and note (held
    for those keys only: a few percent of them)."""

    count: np.ndarray  # int32
    shares: dict[str, np.ndarray] = field(default_factory=dict)
    rows: np.ndarray | None = None  # the keys on delivery offices, ascending
    precision: np.ndarray | None = None  # of each of ``rows``
    note: np.ndarray | None = None  # of each of ``rows``: where in ``notes``
    notes: np.ndarray | None = None
    texts: pa.Array | None = None  # ``notes`` in Arrow


def lonlat(
    x: np.ndarray, y: np.ndarray, crs: str, keys: pd.Series | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 of x/y in ``crs``; UK postcodes starting BT converted from Irish Grid instead.

    British National Grid goes through OSTN15 (see :mod:`assetmap.crs`), to about 0.1 m.
    """
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
        else {c: pd.Categorical(codes[c].to_numpy(dtype=object)[use]) for c in codes.columns},
    )


def blank_to_na(text: pd.Series) -> pd.Series:
    """Text stripped, with empty cells missing."""
    stripped = text.astype("str").str.strip()
    return stripped.where(stripped != "")
