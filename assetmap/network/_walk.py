"""Walking distances and catchments along a street graph.

Assets are snapped to their nearest street node with a KD-tree (a site's footprint to every
node within a few metres of it: its entrances), and distances come from a bounded multi-source
Dijkstra (scipy's compressed sparse graph) run from the few macro sites, not one search per pair.
An asset further than ``max_snap_m`` from every street is not walked to; when that is true of
some assets a warning says how many, and when it is true of all of them (a street graph of
another place) it is an error.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from ..crs import Projected, projected, to_crs
from ..errors import AssetmapWarning, ConfigurationError
from ..schema import select_assets
from ._streets import StreetGraph, Streets, as_street_graph

__all__ = [
    "ENTRANCE_M",
    "MAX_SNAP_M",
    "WALKING_SPEED_KMH",
    "StreetCoverageWarning",
    "catchments",
    "walk_distances",
]

log = logging.getLogger(__name__)

#: A comfortable walking pace: 4.8 km/h is 80 m a minute, 1,200 m in 15 minutes.
WALKING_SPEED_KMH = 4.8

#: An asset further than this from every street node is not walked to (flagged, not dropped).
MAX_SNAP_M = 250.0

#: Street nodes this close to a site's footprint are its entrances.
ENTRANCE_M = 30.0


class StreetCoverageWarning(AssetmapWarning):
    """Some assets lie beyond the street graph's reach: they are not walked to or from."""


@dataclass(frozen=True)
class _Snap:
    node: np.ndarray  # nearest node position (-1: none)
    metres: np.ndarray  # distance to it


def _snap(streets: StreetGraph, x: np.ndarray, y: np.ndarray) -> _Snap:
    tree = streets.tree
    ok = np.isfinite(x) & np.isfinite(y)
    node = np.full(len(x), -1)
    metres = np.full(len(x), np.nan)
    if ok.any():
        d, i = tree.query(np.column_stack([x[ok], y[ok]]))
        node[ok], metres[ok] = i, d
    return _Snap(node, metres)


def check_reach(
    streets: StreetGraph, p: Projected, which: np.ndarray, max_snap_m: float, what: str
) -> _Snap:
    """Snap the assets and say how many of ``which`` lie beyond the streets' reach: a warning
    naming how many, or an error when none is within reach (a street graph of another place)."""
    snap = _snap(streets, p.x, p.y)
    placed = which & p.placed & (snap.node >= 0)
    beyond = placed & ~(snap.metres <= max_snap_m)
    n, far = int(placed.sum()), int(beyond.sum())
    if not far:
        return snap
    x0, y0, x1, y1 = streets.bounds_lonlat
    spans = f"the street graph spans longitude {x0:.4f} to {x1:.4f}, latitude {y0:.4f} to {y1:.4f}"
    nearest = float(np.nanmin(snap.metres[beyond]))
    if far == n:
        raise ConfigurationError(
            f"the street graph reaches none of the {n:,} placed {what}: the nearest is "
            f"{nearest / 1000:,.1f} km from any street node (more than max_snap_m="
            f"{max_snap_m:g} m); {spans}. Is it of another place? Give a street graph that "
            "covers the assets, or leave streets out to measure straight lines."
        )
    furthest = float(np.nanmax(snap.metres[beyond]))
    warnings.warn(
        f"{far:,} of {n:,} placed {what} are more than {max_snap_m:g} m from every street node "
        f"(up to {furthest / 1000:,.1f} km): they are not walked to or from, so they have no "
        f"walking distance, no link with a macro-asset and no place in a catchment; {spans}. "
        "A street graph that covers the whole register reaches them.",
        StreetCoverageWarning,
        stacklevel=3,
    )
    return snap


def _sources(streets: StreetGraph, p: Projected, which: np.ndarray) -> tuple[csr_matrix, list[int]]:
    """The street matrix with one extra node per source asset, joined to its entrances.

    A site with a footprint enters the streets at every node within ``ENTRANCE_M`` of it (or its
    nearest node), each at its distance from the footprint; a point at its nearest node.
    """
    n = len(streets.nodes)
    tree = streets.tree
    rows, cols, data, virtual = [], [], [], []
    for k, i in enumerate(np.flatnonzero(which & p.placed)):
        site = p.footprint[i] if p.footprint[i] is not None else shapely.Point(p.x[i], p.y[i])
        d0, nearest = tree.query([p.x[i], p.y[i]])
        near = tree.query_ball_point([p.x[i], p.y[i]], r=d0 + _reach(site) + ENTRANCE_M)
        near_arr = np.asarray(near, dtype=int)
        gap = shapely.distance(site, shapely.points(streets.x[near_arr], streets.y[near_arr]))
        best = float(gap.min()) if len(gap) else float(d0)
        doors = near_arr[gap <= max(best, ENTRANCE_M)] if len(gap) else np.array([nearest])
        offsets = shapely.distance(site, shapely.points(streets.x[doors], streets.y[doors]))
        me = n + k
        virtual.append(int(i))
        for door, off in zip(doors, offsets, strict=True):
            rows += [me, door]
            cols += [door, me]
            data += [max(float(off), 1e-9), max(float(off), 1e-9)]
    extra = len(virtual)
    base = streets.lengths.tocoo()
    full = csr_matrix(
        (
            np.r_[base.data, data],
            (
                np.r_[base.row, np.array(rows, dtype=int)],
                np.r_[base.col, np.array(cols, dtype=int)],
            ),
        ),
        shape=(n + extra, n + extra),
    )
    return full, virtual


def _reach(site: shapely.Geometry) -> float:
    """How far a footprint reaches from its point (0 for a point)."""
    if site.geom_type == "Point":
        return 0.0
    x0, y0, x1, y1 = site.bounds
    return float(np.hypot(x1 - x0, y1 - y0))


def walk_distances(
    assets: gpd.GeoDataFrame,
    streets: Streets,
    *,
    max_distance_m: float = 2000.0,
    sources: str | tuple[str, ...] = "macro",
    max_snap_m: float = MAX_SNAP_M,
    max_m: float | None = None,
) -> pd.DataFrame:
    """Walking distance from each source asset (the macro sites) to every asset within reach.

    Parameters
    ----------
    assets
        Geocoded assets.
    streets
        A street graph: an osmnx or networkx graph, a :class:`StreetGraph` or a file
        (:func:`as_street_graph`).
    max_distance_m
        Walks longer than this, in metres, are not followed (a bounded search).
    sources
        The kinds or categories walked from.
    max_snap_m
        Assets further than this from every street node are not walked to.
    max_m
        Old name of ``max_distance_m`` (deprecated).

    Returns
    -------
    pandas.DataFrame
        One row per (source, target) within ``max_distance_m``: ``source``, ``target``,
        ``walk_m`` (along the streets, from the site's nearest entrance to the target's nearest
        node, plus the target's own distance to that node), ``snap_m`` (that last distance).

    Warns
    -----
    StreetCoverageWarning
        When some placed assets are further than ``max_snap_m`` from every street node.

    Raises
    ------
    ConfigurationError
        When every placed asset is (a street graph of another place).
    """
    if max_m is not None:
        warnings.warn(
            "walk_distances(max_m=) is now max_distance_m=; the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        max_distance_m = max_m
    streets = as_street_graph(streets)
    which = select_assets(assets, sources)
    p = projected(assets, streets.crs)
    snap = check_reach(streets, p, np.ones(len(p.x), dtype=bool), max_snap_m, "assets")
    matrix, virtual = _sources(streets, p, which)
    if not virtual:
        return pd.DataFrame(columns=["source", "target", "walk_m", "snap_m"])
    n = len(streets.nodes)
    far = np.asarray(
        dijkstra(matrix, indices=[n + k for k in range(len(virtual))], limit=max_distance_m)
    )
    usable = (snap.node >= 0) & (snap.metres <= max_snap_m)
    targets = np.flatnonzero(usable)
    frames = []
    ids = np.asarray(assets.index.astype("str"), dtype=object)
    for k, s in enumerate(virtual):
        walk = far[k, snap.node[targets]] + snap.metres[targets]
        ok = np.isfinite(walk) & (walk <= max_distance_m) & (targets != s)
        frames.append(
            pd.DataFrame(
                {
                    "source": ids[s],
                    "target": ids[targets[ok]],
                    "walk_m": np.round(walk[ok], 2),
                    "snap_m": np.round(snap.metres[targets[ok]], 2),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    log.info(
        "walked from %d sites to %d assets within %g m",
        len(virtual),
        out["target"].nunique(),
        max_distance_m,
    )
    return out


def catchments(
    assets: gpd.GeoDataFrame,
    streets: Streets,
    *,
    minutes: tuple[float, ...] = (5, 10, 15),
    speed_kmh: float = WALKING_SPEED_KMH,
    sources: str | tuple[str, ...] = "macro",
    width_m: float = 25.0,
) -> gpd.GeoDataFrame:
    """The area within each walking time of each source asset, drawn along the streets.

    Each catchment is the streets reachable within the time (a street half-walked counts up to
    where the time runs out), widened by ``width_m`` on each side: it follows the streets and
    bridges, so it does not swallow the far bank of a canal as a convex hull of nodes would.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per source and time: ``asset_id``, ``minutes``, ``walk_m`` (the distance walked
        in that time), ``area_m2``; geometry in EPSG:4326.
    """
    if speed_kmh <= 0 or any(m <= 0 for m in minutes):
        raise ConfigurationError("walking speed and minutes must be positive")
    streets = as_street_graph(streets)
    which = select_assets(assets, sources)
    p = projected(assets, streets.crs)
    check_reach(streets, p, which, MAX_SNAP_M, "sites walked from")
    matrix, virtual = _sources(streets, p, which)
    budgets = sorted(m * speed_kmh * 1000 / 60 for m in minutes)
    n = len(streets.nodes)
    rows = []
    if virtual:
        far = np.asarray(
            dijkstra(matrix, indices=[n + k for k in range(len(virtual))], limit=max(budgets))
        )
        a, b, length = streets.edges
        ids = np.asarray(assets.index.astype("str"), dtype=object)
        for k, s in enumerate(virtual):
            for minute, budget in zip(sorted(minutes), budgets, strict=True):
                geom = _reached(streets, far[k, :n], a, b, length, budget).buffer(width_m)
                rows.append({"asset_id": ids[s], "minutes": float(minute),
                             "walk_m": round(budget, 2), "area_m2": round(geom.area, 1),
                             "geometry": geom})  # fmt: skip
    frame = gpd.GeoDataFrame(
        rows, columns=["asset_id", "minutes", "walk_m", "area_m2", "geometry"],
        geometry="geometry", crs=streets.crs,
    )  # fmt: skip
    return to_crs(frame, 4326)


def _reached(
    streets: StreetGraph,
    dist: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    length: np.ndarray,
    budget: float,
) -> shapely.Geometry:
    """The street segments, and the parts of segments, walkable within ``budget`` metres.

    From each end reached, a segment is walked as far as the time left allows; where the two
    stretches meet the whole segment is covered.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        ta = np.clip(np.where(np.isfinite(dist[a]), (budget - dist[a]) / length, 0.0), 0.0, 1.0)
        tb = np.clip(np.where(np.isfinite(dist[b]), (budget - dist[b]) / length, 0.0), 0.0, 1.0)
    ta, tb = np.nan_to_num(ta, nan=1.0), np.nan_to_num(tb, nan=1.0)  # zero-length segments
    xa, ya, xb, yb = streets.x[a], streets.y[a], streets.x[b], streets.y[b]
    full = (ta + tb >= 1.0) & ((ta > 0) | (tb > 0))
    from_a = ~full & (ta > 0)
    from_b = ~full & (tb > 0)
    starts = np.concatenate(
        [np.column_stack([xa, ya])[full], np.column_stack([xa, ya])[from_a],
         np.column_stack([xb, yb])[from_b]]
    )  # fmt: skip
    ends = np.concatenate(
        [
            np.column_stack([xb, yb])[full],
            np.column_stack([xa + ta * (xb - xa), ya + ta * (yb - ya)])[from_a],
            np.column_stack([xb + tb * (xa - xb), yb + tb * (ya - yb)])[from_b],
        ]
    )
    pieces = list(shapely.linestrings(np.stack([starts, ends], axis=1))) if len(starts) else []
    reached = np.flatnonzero(dist <= budget)  # a node with no street walked (a dead end)
    if len(reached):
        pieces.append(shapely.MultiPoint(np.column_stack([streets.x[reached], streets.y[reached]])))
    return shapely.union_all(pieces) if pieces else shapely.GeometryCollection()
