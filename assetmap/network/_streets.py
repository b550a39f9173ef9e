"""Street graphs: what users hold (osmnx graphs, networkx graphs, files) made ready for walking.

:func:`as_street_graph` is the one conversion, called at every entry that takes a street graph
(:func:`assetmap.find_links`, :func:`walk_distances`, :func:`catchments`,
:func:`assetmap.analysis.reach_by_category`, :func:`assetmap.report.build_report`): a
:class:`StreetGraph` passes through, a networkx graph (osmnx's, projected or not, or any graph
whose nodes have ``x``/``y`` and whose edges have a ``length``) is converted once, a path is read.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from functools import cached_property
from os import PathLike
from pathlib import Path
from typing import Any, TypeAlias

import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

from .._reproducible import replacing
from ..crs import WGS84, from_lonlat, metric_crs, to_lonlat
from ..errors import ConfigurationError, Problem, SchemaError
from ._osm import graph_from_osm, osm_format

__all__ = [
    "StreetGraph",
    "Streets",
    "as_street_graph",
    "read_street_graph",
    "save_street_graph",
    "street_graph_from_networkx",
]

log = logging.getLogger(__name__)


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
            f"<StreetGraph: {len(self.nodes):,} nodes, {len(self.edges[2]):,} segments, "
            f"{self.total_m / 1000:,.1f} km in {self.crs}>"
        )

    def _repr_html_(self) -> str:
        x0, y0, x1, y1 = self.bounds_lonlat
        rows = [
            ("nodes", f"{len(self.nodes):,}"),
            ("street segments", f"{len(self.edges[2]):,}"),
            ("length of streets", f"{self.total_m / 1000:,.1f} km"),
            ("metric CRS", self.crs),
            ("covers (lon/lat)", f"{x0:.5f}, {y0:.5f} to {x1:.5f}, {y1:.5f}"),
        ]
        if self.graph.graph.get("source"):
            rows.append(("read from", str(self.graph.graph["source"])))
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<div><strong>StreetGraph</strong><table>{body}</table></div>"

    @property
    def total_m(self) -> float:
        """The length of every street segment, metres."""
        return float(self.edges[2].sum())

    @cached_property
    def bounds_lonlat(self) -> tuple[float, float, float, float]:
        """West, south, east, north of the nodes, degrees."""
        if not len(self.nodes):
            return (np.nan, np.nan, np.nan, np.nan)
        lon, lat = to_lonlat(self.x, self.y, self.crs)
        return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())

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


#: What a street graph may be given as, wherever one is taken.
Streets: TypeAlias = "StreetGraph | nx.Graph | str | PathLike[str]"


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _graph_crs(G: nx.Graph, crs: Any, x: np.ndarray, y: np.ndarray) -> pyproj.CRS:
    """The CRS of the nodes' ``x``/``y``: given, else ``G.graph["crs"]`` (osmnx's, a string
    or a pyproj CRS), else degrees when they can only be degrees."""
    given = crs if crs is not None else G.graph.get("crs")
    if given is None or (isinstance(given, str) and not given.strip()):
        if np.nanmax(np.abs(x), initial=0) <= 180 and np.nanmax(np.abs(y), initial=0) <= 90:
            return pyproj.CRS.from_user_input(WGS84)
        raise ConfigurationError(
            "the street graph's nodes have x/y in metres (up to "
            f"{np.nanmax(np.abs(x)):,.0f}, {np.nanmax(np.abs(y)):,.0f}) but it says no CRS: set "
            "G.graph['crs'] (for example 'EPSG:27700'), or pass crs= to "
            "street_graph_from_networkx"
        )
    try:
        return pyproj.CRS.from_user_input(given)
    except pyproj.exceptions.CRSError as exc:
        raise ConfigurationError(
            f"the street graph's crs {str(given)[:80]!r} is not a CRS pyproj knows: {exc}"
        ) from exc


def _positions(G: nx.Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node ids, x and y; one error listing the nodes with no position."""
    listed = list(G.nodes(data=True))
    nodes = np.empty(len(listed), dtype=object)  # ids may be tuples: one object each
    for k, (node, _) in enumerate(listed):
        nodes[k] = node
    x = np.array([_number(d.get("x")) for _, d in listed], dtype="float64")
    y = np.array([_number(d.get("y")) for _, d in listed], dtype="float64")
    bad = np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))
    if not len(listed):
        raise SchemaError("street graph", [Problem.of_table("it has no nodes")])
    if len(bad):
        problems = [
            Problem.of_table(
                f"{len(bad):,} of {len(listed):,} nodes have no x/y position (every node needs "
                "numbers 'x' and 'y', as osmnx gives them: longitude/latitude, or metres in "
                "G.graph['crs'])"
            )
        ]
        problems += [Problem.of_table(f"node {nodes[i]!r} has no x/y position") for i in bad[:10]]
        raise SchemaError("street graph", problems)
    return nodes, x, y


def street_graph_from_networkx(G: nx.Graph, *, crs: Any = None) -> StreetGraph:
    """Make a street graph ready for walking from any networkx graph.

    Parameters
    ----------
    G
        Any networkx graph (osmnx's ``MultiDiGraph``, projected or not, included). Nodes with
        ``x`` and ``y`` (longitude/latitude, or metres in ``crs``); edges with ``length`` in
        metres (worked out from the nodes' positions where missing). Attributes may be text,
        as GraphML stores them. ``G`` is not changed.
    crs
        The CRS of ``x``/``y`` (a string such as ``"EPSG:27700"`` or a pyproj CRS):
        ``G.graph["crs"]`` when None (osmnx sets it), else EPSG:4326 when every ``x``/``y``
        can be degrees.

    Raises
    ------
    SchemaError
        When nodes have no position or edges a negative length: every problem listed.
    ConfigurationError
        When the CRS is unknown, or missing for positions in metres.
    """
    if not isinstance(G, nx.Graph):
        raise ConfigurationError(
            f"a street graph must be a networkx graph; a {type(G).__name__} was given"
        )
    nodes, x, y = _positions(G)
    source = _graph_crs(G, crs, x, y)
    if source.equals(pyproj.CRS.from_user_input(WGS84), ignore_axis_order=True):
        lon, lat = x, y
    else:
        lon, lat = to_lonlat(x, y, source.to_string())
    if not (np.all(np.abs(lon) <= 180) and np.all(np.abs(lat) <= 90)):
        raise ConfigurationError(
            f"the street graph's x/y are not positions in {source.to_string()}: they fall "
            "outside the Earth's longitudes and latitudes (is G.graph['crs'] right?)"
        )
    metric = metric_crs((float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())))
    mx, my = from_lonlat(lon, lat, metric)
    where = {node: k for k, node in enumerate(nodes)}
    ends = [(where[u], where[v], _number(d.get("length"))) for u, v, d in G.edges(data=True)]
    frame = pd.DataFrame(ends, columns=["r", "c", "d"]).astype(
        {"r": "int64", "c": "int64", "d": "float64"}
    )
    frame = frame[frame["r"] != frame["c"]]
    negative = frame["d"] < 0
    if negative.any():
        raise SchemaError(
            "street graph",
            [Problem.of_table(f"{int(negative.sum()):,} edges have a negative length")],
        )
    gap = ~np.isfinite(frame["d"].to_numpy())
    r, c = frame["r"].to_numpy(), frame["c"].to_numpy()
    frame.loc[gap, "d"] = np.hypot(mx[r[gap]] - mx[c[gap]], my[r[gap]] - my[c[gap]])
    both = pd.DataFrame(
        {"r": np.r_[r, c], "c": np.r_[c, r], "d": np.r_[frame["d"].to_numpy(), frame["d"]]}
    )
    shortest = both.groupby(["r", "c"], sort=True)["d"].min().reset_index()
    n = len(nodes)
    lengths = csr_matrix(
        (shortest["d"].to_numpy(float), (shortest["r"].to_numpy(int), shortest["c"].to_numpy(int))),
        shape=(n, n),
    )
    log.info("street graph of %d nodes and %d segments", n, lengths.nnz // 2)
    return StreetGraph(graph=G, crs=metric, nodes=nodes, x=mx, y=my, lengths=lengths)


def as_street_graph(streets: Streets) -> StreetGraph:
    """A street graph ready for walking from anything that holds one: a :class:`StreetGraph`
    (as it is), a networkx graph (:func:`street_graph_from_networkx`: osmnx's, projected or
    not, or any graph with ``x``/``y`` and ``length``), or a file (:func:`read_street_graph`).

    Raises
    ------
    ConfigurationError
        For anything else, naming what was given and what is accepted.
    """
    if isinstance(streets, StreetGraph):
        return streets
    if isinstance(streets, nx.Graph):
        return street_graph_from_networkx(streets)
    if isinstance(streets, str | PathLike):
        return read_street_graph(streets)
    raise ConfigurationError(
        "streets must be a street graph: an osmnx or networkx graph (nodes with x/y, edges with "
        "length), a StreetGraph, or a GraphML/OpenStreetMap file; a "
        f"{type(streets).__name__} was given"
    )


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
    """Read a street graph: GraphML as osmnx saves it, or an OpenStreetMap file as distributed.

    Parameters
    ----------
    path
        A GraphML file (``ox.save_graphml``; ``.graphml.gz`` too), or OpenStreetMap data:
        ``.osm`` XML (the OSM website's export), ``.osm.bz2`` / ``.osm.gz`` (Geofabrik, BBBike),
        ``.osm.pbf`` (needs pyosmium: ``pip install "assetmap[osm]"``). Of an OpenStreetMap
        file the walking network is kept, as osmnx's ``network_type="walk"`` keeps it.

    Get one for your area from an extract (Geofabrik, BBBike) or with osmnx::

        import osmnx as ox
        G = ox.graph_from_place("Ladywood, Birmingham, UK", network_type="walk")
        ox.save_graphml(G, "streets.graphml")

    (or pass ``G`` itself wherever a street graph is taken).

    Raises
    ------
    SchemaError
        When the file cannot be read, or holds no walkable street.
    ConfigurationError
        For a PBF file without pyosmium.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigurationError(f"no street graph file at {path}")
    kind = osm_format(path)
    if kind is not None:
        G = graph_from_osm(path, kind)
        return street_graph_from_networkx(G)
    try:
        G = nx.read_graphml(path, node_type=str, force_multigraph=True)
    except Exception as exc:  # networkx raises several kinds for a file that is not GraphML
        raise SchemaError(
            str(path),
            [
                Problem.of_table(
                    f"cannot read it as GraphML ({exc}), nor is it OpenStreetMap data "
                    "(.osm, .osm.bz2, .osm.gz, .osm.pbf)"
                )
            ],
        ) from exc
    G.graph.setdefault("source", path.name)
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
