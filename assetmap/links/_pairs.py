"""Candidate pairs of assets: the groups to pair, every pair within a distance, or the nearest.

Distances are metres in a projected CRS (:class:`assetmap.crs.Projected`), measured to a site's
footprint, not its centre, where it has one. Candidate pairs come from a KD-tree (points) and an
STRtree (footprints); no Python loop runs over pairs. Pairs are positions into the register,
each pair once, with its distance.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from ..crs import Projected, arc_m, earth_xyz, to_lonlat


def unordered(
    i: np.ndarray, j: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs as (smaller, larger) position, without self pairs or repeats."""
    a, b = np.minimum(i, j), np.maximum(i, j)
    keep = a != b
    a, b, d = a[keep], b[keep], d[keep]
    key = a.astype(np.int64) * (max(int(b.max(initial=0)), 0) + 1) + b
    _, first = np.unique(key, return_index=True)
    first.sort()
    return a[first], b[first], d[first]


def _points_tree(points: np.ndarray) -> cKDTree:
    """A KD-tree built for one query (unbalanced, uncompacted: twice as fast to build)."""
    return cKDTree(points, balanced_tree=False, compact_nodes=False)


_GEOD = pyproj.Geod(ellps="WGS84")


def geodesic_m(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Geodesic distances on the WGS84 ellipsoid, metres (Karney's algorithm, via pyproj)."""
    if not len(lon1):
        return np.empty(0)
    return np.asarray(_GEOD.inv(lon1, lat1, lon2, lat2)[2], dtype="float64")


#: Above this many points, close pairs are found in two halves at once (the KD-tree releases
#: the GIL), each half with a margin as wide as the distance so that no pair is lost.
_SPLIT_PAIRS_AT = 200_000


def _close_pairs(xyz: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of points within ``r`` in a straight line (positions, each pair once), with
    that distance."""
    x = xyz[:, 0]

    def pairs(
        keep: np.ndarray, mine: Callable[[np.ndarray], np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        where = np.flatnonzero(keep)
        pts = xyz[where]
        found = _points_tree(pts).query_pairs(r, output_type="ndarray")
        a, b = found[:, 0], found[:, 1]
        own = mine(np.minimum(pts[a, 0], pts[b, 0]))
        a, b = a[own], b[own]
        return where[a], where[b], np.sqrt(((pts[a] - pts[b]) ** 2).sum(axis=1))

    if len(x) < _SPLIT_PAIRS_AT:
        return pairs(np.ones(len(x), dtype=bool), lambda west: np.ones(len(west), dtype=bool))
    mid = float(np.median(x))
    # a pair belongs to the half that holds its western point: found there, and only there
    halves = (
        (x < mid + r, lambda west: west < mid),
        (x >= mid - r, lambda west: west >= mid),
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        (i1, j1, d1), (i2, j2, d2) = pool.map(lambda h: pairs(*h), halves)
    return np.r_[i1, i2], np.r_[j1, j2], np.r_[d1, d2]


def position_dtype(n: int) -> type[np.signedinteger]:
    """The integer type for positions among ``n`` assets: 32 bits while they fit (millions of
    pairs at half the memory), 64 beyond."""
    return np.int32 if n < 2**31 else np.int64


#: Points of group A searched against group B's tree at once: the KD-tree's buffers of the
#: pairs found (three numbers a pair, grown by doubling) stay a fraction of the answer.
_QUERY_CHUNK = 1 << 17


def _pairs_between(
    xyz_a: np.ndarray, xyz_b: np.ndarray, r: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of a point of A and a point of B within ``r`` metres along the Earth:
    (position in A, position in B, that distance), found for a slice of A's points at a time
    (within ``r`` in a straight line through the Earth, then measured along it)."""
    pos = position_dtype(max(len(xyz_a), len(xyz_b)))
    tb = _points_tree(xyz_b)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for lo in range(0, len(xyz_a), _QUERY_CHUNK):
        ta = _points_tree(xyz_a[lo : lo + _QUERY_CHUNK])
        m = ta.sparse_distance_matrix(tb, r, output_type="ndarray")
        del ta
        i, j, d = m["i"].astype(pos) + pos(lo), m["j"].astype(pos), arc_m(m["v"])
        del m
        parts.append(_near(i, j, d, r))
    if len(parts) == 1:
        return parts[0]
    out = tuple(np.concatenate([q[k] for q in parts]) for k in range(3))
    return out[0], out[1], out[2]


def _scale_bound(p: Projected, lon: np.ndarray, lat: np.ndarray) -> float:
    """The largest factor by which the metric CRS stretches distances at these points."""
    if not len(lon):
        return 1.0
    factors = pyproj.Proj(p.crs).get_factors(lon, lat)
    stretch = np.maximum(factors.meridional_scale, factors.parallel_scale)
    return float(np.nanmax(stretch)) if np.isfinite(stretch).any() else 1.0


def _footprint_distances(
    p: Projected, geoms: np.ndarray, i: np.ndarray, j: np.ndarray
) -> np.ndarray:
    """Geodesic distance between the nearest points of two shapes (footprints or points)."""
    if not len(i):
        return np.empty(0)
    lines = shapely.shortest_line(geoms[i], geoms[j])
    ends = shapely.get_coordinates(lines).reshape(len(i), 2, 2)
    lon1, lat1 = to_lonlat(ends[:, 0, 0], ends[:, 0, 1], p.crs)
    lon2, lat2 = to_lonlat(ends[:, 1, 0], ends[:, 1, 1], p.crs)
    return geodesic_m(lon1, lat1, lon2, lat2)


def _near(
    i: np.ndarray, j: np.ndarray, d: np.ndarray, r: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs within ``r`` (no copy when all are)."""
    near = d <= r
    return (i, j, d) if near.all() else (i[near], j[near], d[near])


def pairs_within(
    p: Projected,
    lonlat: tuple[np.ndarray, np.ndarray],
    r: float,
    group_a: np.ndarray,
    group_b: np.ndarray,
    same: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unordered pairs, one in each group, within ``r`` metres along the Earth (geodesic, to
    footprints where given)."""
    lon, lat = lonlat
    pos = position_dtype(len(lon))
    has_fp = p.has_footprint
    a_pts = np.flatnonzero(group_a & p.placed & ~has_fp)
    b_pts = np.flatnonzero(group_b & p.placed & ~has_fp)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if len(a_pts) and len(b_pts):
        if same:
            i, j, chord = _close_pairs(earth_xyz(lon[a_pts], lat[a_pts]), r)
            i, j = a_pts[i], a_pts[j]
            d = arc_m(chord)
            del chord
            parts.append(_near(i, j, d, r))
        else:
            i, j, d = _pairs_between(
                earth_xyz(lon[a_pts], lat[a_pts]), earth_xyz(lon[b_pts], lat[b_pts]), r
            )
            parts.append((a_pts.astype(pos)[i], b_pts.astype(pos)[j], d))
            del i, j, d
    fps = np.flatnonzero((group_a | group_b) & p.placed & has_fp)
    if len(fps):
        others = np.flatnonzero((group_a | group_b) & p.placed)
        geoms = np.where(has_fp, p.footprint, shapely.points(p.x, p.y))
        tree = shapely.STRtree(geoms[others])
        # the metric CRS stretches distances a little: search wider, then measure on the Earth
        wider = r * _scale_bound(p, lon[others], lat[others]) * (1 + 1e-6) + 1e-3
        f, o = tree.query(p.footprint[fps], predicate="dwithin", distance=wider)
        i, j = fps[f], others[o]
        ok = (group_a[i] & group_b[j]) | (group_b[i] & group_a[j])
        i, j = i[ok], j[ok]
        d = _footprint_distances(p, geoms, i, j)
        parts.append(_near(i, j, d, r))
    if not parts:
        empty = np.empty(0, dtype=pos)
        return empty, empty, np.empty(0)
    i, j, d = (
        (parts[0][k] if len(parts) == 1 else np.concatenate([q[k] for q in parts])).astype(
            t, copy=False
        )
        for k, t in enumerate((pos, pos, np.float64))
    )
    if len(fps) or not same:
        if not len(fps) and not (group_a & group_b & p.placed).any():
            # points of one group against the other's: each pair once, never an asset with itself
            first = np.minimum(i, j)
            np.maximum(i, j, out=j)  # j is this function's own array: made here
            return first, j, d
        return unordered(i, j, d)
    return i, j, d


#: Above this many points, the close pairs are counted on an evenly spread sample of them.
_SAMPLE = 10_000


def count_pairs(
    lonlat: tuple[np.ndarray, np.ndarray], r: float, group_a: np.ndarray, group_b: np.ndarray,
    same: bool,
) -> int:  # fmt: skip
    """About how many unordered pairs (one in each group) lie within ``r`` metres, counted
    before any is made: a dual-tree count (no pair is stored), on an evenly spread sample of
    ``_SAMPLE`` points of group A when it is larger. Through the Earth, so a little over the
    pairs along it; footprints counted at their points."""
    lon, lat = lonlat
    placed = np.isfinite(lon) & np.isfinite(lat)
    a = np.flatnonzero(group_a & placed)
    b = np.flatnonzero(group_b & placed)
    if not len(a) or not len(b):
        return 0
    sample = a if len(a) <= _SAMPLE else a[np.linspace(0, len(a) - 1, _SAMPLE).astype(np.int64)]
    found = _points_tree(earth_xyz(lon[sample], lat[sample])).count_neighbors(
        _points_tree(earth_xyz(lon[b], lat[b])), r
    )
    if same:
        found -= len(sample)  # each point finds itself
    total = float(found) * len(a) / len(sample)
    return round(total / 2 if same else total)


def _nearest_by_position(tree: cKDTree, points: np.ndarray, kk: int) -> np.ndarray:
    """The ``kk`` nearest tree points of each point (rows of tree positions), ties at equal
    distance broken by position (the register's order), so the answer does not depend on how
    the tree was built: the same on any subset holding the neighbours (the dask path)."""
    n = len(tree.data)
    kq = min(kk + 1, n)
    dist, idx = tree.query(points, k=kq)
    dist, idx = dist.reshape(len(points), kq), idx.reshape(len(points), kq)
    if kq > kk:
        # where the next one out is as near as the last one in, take every point at that
        # distance and choose among them by position
        tied = np.flatnonzero(dist[:, kk] == dist[:, kk - 1])
        if len(tied):
            reach = dist[tied, kk - 1] * (1 + 1e-9) + 1e-9  # rounding must not lose one
            balls = tree.query_ball_point(points[tied], r=reach)
            for row, ball in zip(tied, balls, strict=True):
                cand = np.asarray(ball, dtype=np.int64)
                d = np.sqrt(((tree.data[cand] - points[row]) ** 2).sum(axis=1))
                pick = np.lexsort((cand, d))[:kk]
                idx[row, :kk], dist[row, :kk] = cand[pick], d[pick]
        dist, idx = dist[:, :kk], idx[:, :kk]
    order = np.lexsort((idx, dist), axis=-1)
    return np.take_along_axis(idx, order, axis=-1)


def pairs_nearest(
    p: Projected,
    lonlat: tuple[np.ndarray, np.ndarray],
    k: int,
    group_a: np.ndarray,
    group_b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each asset of group A, its ``k`` nearest of group B (by their points, through the
    Earth, which orders them as along it), unordered, with geodesic distances."""
    lon, lat = lonlat
    a = np.flatnonzero(group_a & p.placed)
    b = np.flatnonzero(group_b & p.placed)
    if not len(a) or not len(b):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    tree = _points_tree(earth_xyz(lon[b], lat[b]))
    kk = min(k + 1, len(b))  # one more: an asset in both groups finds itself first
    idx = _nearest_by_position(tree, earth_xyz(lon[a], lat[a]), kk)
    i = np.repeat(a, kk)
    j = b[idx.ravel()]
    keep = i != j
    i, j = i[keep], j[keep]
    # at most k per asset of A, nearest first
    rank = pd.Series(np.ones(len(i), dtype=np.int64)).groupby(i).cumsum().to_numpy()
    i, j = i[rank <= k], j[rank <= k]
    has_fp = p.has_footprint
    geoms = np.where(has_fp, p.footprint, shapely.points(p.x, p.y))
    return unordered(i, j, _footprint_distances(p, geoms, i, j))
