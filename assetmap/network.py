"""Walking distance along streets, and walking catchments: a 15-minute walk, not a circle.

A street graph comes from a GraphML file as osmnx writes it (``ox.save_graphml``), an
OpenStreetMap XML file (through osmnx, when installed), or any networkx graph whose nodes have
``x``/``y`` and whose edges have a ``length`` in metres. Walking ignores one-way streets.

Assets are snapped to their nearest street node with a KD-tree (a site's footprint to every
node within a few metres of it: its entrances), and distances come from a bounded multi-source
Dijkstra (scipy's compressed sparse graph) run from the few macro sites, not one search per pair.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from functools import cached_property
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from ._reproducible import replacing
from .crs import WGS84, Projected, from_lonlat, metric_crs, projected, to_crs, to_lonlat
from .errors import ConfigurationError, Problem, SchemaError
from .schema import select_assets

__all__ = [
    "WALKING_SPEED_KMH",
    "StreetGraph",
    "catchments",
    "read_street_graph",
    "save_street_graph",
    "street_graph_from_networkx",
    "walk_distances",
]

log = logging.getLogger(__name__)

#: A comfortable walking pace: 4.8 km/h is 80 m a minute, 1,200 m in 15 minutes.
WALKING_SPEED_KMH = 4.8

#: An asset further than this from every street node is not walked to (flagged, not dropped).
MAX_SNAP_M = 250.0

#: Street nodes this close to a site's footprint are its entrances.
ENTRANCE_M = 30.0


@dataclass(frozen=True)
class StreetGraph:
    """A street network ready for walking: nodes in metres and a sparse matrix of lengths.

    Attributes
    ----------
    graph
        The networkx graph it was made from (nodes' ``x``/``y`` as given, in ``source_crs``).
    crs
        The metric CRS of ``x``/``y`` below.
    nodes
        The node ids, in matrix order.
    x, y
        Node positions in metres.
    lengths
        Symmetric CSR matrix of edge lengths (the shortest where several edges join two nodes).
    """

    graph: nx.MultiDiGraph | nx.MultiGraph | nx.Graph | nx.DiGraph
    crs: str
    nodes: np.ndarray
    x: np.ndarray
    y: np.ndarray
    lengths: csr_matrix

    def __repr__(self) -> str:
        return (
            f"<StreetGraph: {len(self.nodes)} nodes, {len(self.edges[2])} segments in {self.crs}>"
        )

    @cached_property
    def tree(self) -> cKDTree:
        """A KD-tree of the nodes, built once, for snapping."""
        return cKDTree(np.column_stack([self.x, self.y]))

    @property
    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each street segment once: (from, to) positions and length in metres."""
        coo = self.lengths.tocoo()
        keep = coo.row < coo.col
        return coo.row[keep], coo.col[keep], coo.data[keep]


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def street_graph_from_networkx(
    G: nx.Graph | nx.DiGraph | nx.MultiGraph | nx.MultiDiGraph, *, crs: str | None = None
) -> StreetGraph:
    """Make a street graph ready for walking from any networkx graph.

    Parameters
    ----------
    G
        Nodes with ``x`` and ``y`` (longitude/latitude, or metres in ``crs``); edges with
        ``length`` in metres (worked out from the nodes' positions where missing). Attributes
        may be text, as GraphML stores them.
    crs
        The CRS of ``x``/``y``: ``G.graph["crs"]`` when None, else EPSG:4326.

    Raises
    ------
    SchemaError
        When nodes have no position: every problem listed.
    """
    crs = crs or str(G.graph.get("crs") or WGS84)
    listed = list(G.nodes(data=True))
    nodes = np.empty(len(listed), dtype=object)  # ids may be tuples: one object each
    for k, (node, _) in enumerate(listed):
        nodes[k] = node
    x = np.array([_number(d.get("x")) for _, d in listed])
    y = np.array([_number(d.get("y")) for _, d in listed])
    bad = np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))
    if len(bad):
        raise SchemaError(
            "street graph",
            [Problem.of_table(f"node {nodes[i]!r} has no x/y position") for i in bad[:20]],
        )
    if crs.lower() in ("epsg:4326", "wgs84", "crs84"):
        lon, lat = x, y
    else:
        lon, lat = to_lonlat(x, y, crs)
    metric = metric_crs((float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())))
    mx, my = from_lonlat(lon, lat, metric)
    where = {node: k for k, (node, _) in enumerate(listed)}
    rows, cols, data = [], [], []
    for u, v, d in G.edges(data=True):
        a, b = where[u], where[v]
        if a == b:
            continue
        length = _number(d.get("length"))
        if not np.isfinite(length):
            length = float(np.hypot(mx[a] - mx[b], my[a] - my[b]))
        rows += [a, b]
        cols += [b, a]
        data += [length, length]
    n = len(nodes)
    frame = pd.DataFrame({"r": rows, "c": cols, "d": data})
    shortest = (
        frame.groupby(["r", "c"], sort=True)["d"].min().reset_index() if len(frame) else frame
    )
    lengths = csr_matrix(
        (shortest["d"].to_numpy(float), (shortest["r"].to_numpy(int), shortest["c"].to_numpy(int))),
        shape=(n, n),
    )
    log.info("street graph of %d nodes and %d segments", n, lengths.nnz // 2)
    return StreetGraph(graph=G, crs=metric, nodes=nodes, x=mx, y=my, lengths=lengths)


def _typed(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """osmnx stores every attribute as text in GraphML: numbers and booleans back."""
    for _, data in G.nodes(data=True):
        for key in ("x", "y", "lon", "lat", "elevation"):
            if key in data:
                data[key] = _number(data[key])
        if "street_count" in data:
            data["street_count"] = int(_number(data["street_count"]))
    for _, _, data in G.edges(data=True):
        for key in ("length", "speed_kph", "travel_time", "grade"):
            if key in data:
                data[key] = _number(data[key])
        for key in ("oneway", "reversed"):
            if data.get(key) in ("True", "False"):
                data[key] = data[key] == "True"
        if isinstance(data.get("geometry"), str):
            data["geometry"] = shapely.from_wkt(data["geometry"])
    return G


def read_street_graph(path: str | PathLike[str]) -> StreetGraph:
    """Read a street graph: GraphML as osmnx saves it, or OpenStreetMap XML (needs osmnx).

    Get one for your area with osmnx (``pip install osmnx``)::

        import osmnx as ox
        G = ox.graph_from_place("Ladywood, Birmingham, UK", network_type="walk")
        ox.save_graphml(G, "streets.graphml")

    or download an OpenStreetMap extract (Geofabrik, BBBike) and pass the ``.osm`` file.
    """
    path = Path(path)
    if path.suffix.lower() in (".osm", ".xml"):
        try:
            import osmnx as ox  # optional: pip install "assetmap[streets]"
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise ConfigurationError(
                "reading OpenStreetMap XML needs osmnx: pip install osmnx "
                "(or save a GraphML file with osmnx elsewhere)"
            ) from exc
        return street_graph_from_networkx(ox.graph_from_xml(path, simplify=True))
    try:
        G = nx.read_graphml(path, node_type=str, force_multigraph=True)
    except Exception as exc:  # networkx raises several kinds for a file that is not GraphML
        raise SchemaError(
            str(path), [Problem.of_table(f"cannot read it as GraphML: {exc}")]
        ) from exc
    return street_graph_from_networkx(_typed(G))


def save_street_graph(G: nx.Graph, path: str | PathLike[str]) -> Path:
    """Write a street graph to GraphML the way osmnx does: every attribute as text."""
    path = Path(path)
    H = G.copy()
    for _, data in H.nodes(data=True):
        for k, v in list(data.items()):
            data[k] = str(v)
    for *_, data in H.edges(data=True):
        for k, v in list(data.items()):
            data[k] = v.wkt if isinstance(v, shapely.Geometry) else str(v)
    H.graph = {k: str(v) for k, v in H.graph.items()}
    with replacing(path) as new:
        nx.write_graphml(H, new)
    return path


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
    streets: StreetGraph,
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
        From :func:`read_street_graph` or :func:`street_graph_from_networkx`.
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
    """
    if max_m is not None:
        warnings.warn(
            "walk_distances(max_m=) is now max_distance_m=; the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        max_distance_m = max_m
    which = select_assets(assets, sources)
    p = projected(assets, streets.crs)
    matrix, virtual = _sources(streets, p, which)
    snap = _snap(streets, p.x, p.y)
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
    streets: StreetGraph,
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
    which = select_assets(assets, sources)
    matrix, virtual = _sources(streets, projected(assets, streets.crs), which)
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
