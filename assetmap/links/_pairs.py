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
import shapely
from scipy.spatial import cKDTree

from ..crs import Projected


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


def _tree(x: np.ndarray, y: np.ndarray) -> cKDTree:
    """A KD-tree built for one query (unbalanced, uncompacted: twice as fast to build)."""
    return cKDTree(np.column_stack([x, y]), balanced_tree=False, compact_nodes=False)


#: Above this many points, close pairs are found in two halves at once (the KD-tree releases
#: the GIL), each half with a margin as wide as the distance so that no pair is lost.
_SPLIT_PAIRS_AT = 200_000


def _close_pairs(
    x: np.ndarray, y: np.ndarray, r: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of points within ``r`` (positions, each pair once), with its distance."""

    def pairs(
        keep: np.ndarray, mine: Callable[[np.ndarray], np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        where = np.flatnonzero(keep)
        xs, ys = x[where], y[where]
        found = _tree(xs, ys).query_pairs(r, output_type="ndarray")
        a, b = found[:, 0], found[:, 1]
        own = mine(np.minimum(xs[a], xs[b]))
        a, b = a[own], b[own]
        return where[a], where[b], np.hypot(xs[a] - xs[b], ys[a] - ys[b])

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


def pairs_within(
    p: Projected, r: float, group_a: np.ndarray, group_b: np.ndarray, same: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unordered pairs, one in each group, within ``r`` metres (to footprints where given)."""
    has_fp = p.has_footprint
    a_pts = np.flatnonzero(group_a & p.placed & ~has_fp)
    b_pts = np.flatnonzero(group_b & p.placed & ~has_fp)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if len(a_pts) and len(b_pts):
        if same:
            i, j, d = _close_pairs(p.x[a_pts], p.y[a_pts], r)
            if len(a_pts) < len(p.x):
                i, j = a_pts[i], a_pts[j]
            parts.append((i, j, d))
        else:
            ta = _tree(p.x[a_pts], p.y[a_pts])
            tb = _tree(p.x[b_pts], p.y[b_pts])
            m = ta.sparse_distance_matrix(tb, r, output_type="ndarray")
            parts.append((a_pts[m["i"]], b_pts[m["j"]], m["v"]))
    fps = np.flatnonzero((group_a | group_b) & p.placed & has_fp)
    if len(fps):
        others = np.flatnonzero((group_a | group_b) & p.placed)
        geoms = np.where(has_fp, p.footprint, shapely.points(p.x, p.y))
        tree = shapely.STRtree(geoms[others])
        f, o = tree.query(p.footprint[fps], predicate="dwithin", distance=r)
        i, j = fps[f], others[o]
        ok = (group_a[i] & group_b[j]) | (group_b[i] & group_a[j])
        i, j = i[ok], j[ok]
        parts.append((i, j, shapely.distance(geoms[i], geoms[j])))
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    i = np.concatenate([q[0] for q in parts]).astype(np.int64)
    j = np.concatenate([q[1] for q in parts]).astype(np.int64)
    d = np.concatenate([q[2] for q in parts]).astype("float64")
    if len(fps) or not same:
        return unordered(i, j, d)
    return i, j, d


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
    p: Projected, k: int, group_a: np.ndarray, group_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each asset of group A, its ``k`` nearest of group B (by their points), unordered."""
    a = np.flatnonzero(group_a & p.placed)
    b = np.flatnonzero(group_b & p.placed)
    if not len(a) or not len(b):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    tree = _tree(p.x[b], p.y[b])
    kk = min(k + 1, len(b))  # one more: an asset in both groups finds itself first
    idx = _nearest_by_position(tree, np.column_stack([p.x[a], p.y[a]]), kk)
    i = np.repeat(a, kk)
    j = b[idx.ravel()]
    keep = i != j
    i, j = i[keep], j[keep]
    # at most k per asset of A, nearest first
    rank = pd.Series(np.ones(len(i), dtype=np.int64)).groupby(i).cumsum().to_numpy()
    i, j = i[rank <= k], j[rank <= k]
    has_fp = p.has_footprint
    geoms = np.where(has_fp, p.footprint, shapely.points(p.x, p.y))
    return unordered(i, j, shapely.distance(geoms[i], geoms[j]))
