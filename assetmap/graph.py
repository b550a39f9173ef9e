"""Assets, links and declared relationships as one networkx graph, and back to GeoDataFrames.

The graph is a ``networkx.MultiGraph``: a node per asset (its id), carrying the register's
fields (JSON-safe: text, numbers, lists of tags, booleans, or None) and ``x``/``y`` in the metric
CRS in ``G.graph["crs"]``; an edge per link or relationship, with ``kind`` = ``proximity``,
``opportunity`` or the relationship's type.

Building networkx objects is the slow part at scale. Measured on 2 cores
(``benchmarks/links_proximity.py``): 0.3 s for 50,000 edges, 3.3 s for 500,000, 41 s and 5.6 GB
for five million, where finding those five million links takes 1.3 s. Build the graph from the
links an analysis needs (opportunity links, or proximity links within a short distance), not
from every pair in a city.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Hashable, Iterator, Mapping
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from .errors import Problem, SchemaError
from .links import Projected, projected
from .privacy import Audience, Published, publish, write_audit

__all__ = ["graph_from_assets", "graph_from_gdfs", "graph_to_gdfs", "save_graph"]

log = logging.getLogger(__name__)

# register fields never copied onto nodes (geometry is x/y; provenance stays in the table)
_NOT_ON_NODES = ("geometry",)
_EDGE_FIELDS = ("kind", "distance_m", "matched", "met", "match", "proximity", "weight", "score",
                "reason")  # fmt: skip


def _safe(value: Any) -> Any:
    """A JSON-safe copy of one field's value (None for missing)."""
    if value is None:
        return None
    if isinstance(value, shapely.Geometry):
        return None if value.is_empty else value.wkt
    if isinstance(value, list | tuple | np.ndarray):
        return [_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _safe(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _present(record: Mapping[Hashable, Any]) -> dict[str, Any]:
    """An edge's attributes: JSON-safe, and only those that have a value."""
    safe = {str(c): _safe(v) for c, v in record.items()}
    return {c: v for c, v in safe.items() if v is not None}


def _column(values: pd.Series) -> list[Any]:
    """A column as JSON-safe Python values, fast: None for missing, lists for tuples."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        names = np.asarray(values.cat.categories.astype("str"), dtype=object)
        codes = values.cat.codes.to_numpy()
        out: list[Any] = names[codes].tolist()
        for k in np.flatnonzero(codes < 0):
            out[k] = None
        return out
    if values.dtype.kind == "f":
        array = values.to_numpy(dtype="float64")
        out = list(array.tolist())
        for k in np.flatnonzero(~np.isfinite(array)):
            out[k] = None
        return out
    if values.dtype == object:
        return [(list(v) or None) if isinstance(v, tuple | list) else _safe(v) for v in values]
    return list(map(_safe, values.tolist()))


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small dicts are made.

    None of them is garbage, but each pass of the collector walks all of them: with it paused,
    building a graph of a million edges is several times faster.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _link_edges(links: pd.DataFrame) -> list[tuple[str, str, dict[str, Any]]]:
    """(source, target, attributes) of each link, fast; attributes a link has no value for
    (a missing number, an empty tag list) are left out."""
    fields = ["source", "target", *(c for c in _EDGE_FIELDS if c in links.columns)]
    columns = [_column(links[c]) for c in fields]
    full = [k for k, c in enumerate(columns) if None not in c]
    gappy = [k for k, c in enumerate(columns) if None in c and any(v is not None for v in c)]
    names = [fields[k] for k in full]
    if full[:2] != [0, 1]:
        raise SchemaError("links", [Problem.of_table("every link needs a source and a target")])
    rows = zip(*(columns[k] for k in full), strict=True)
    edges = [(values[0], values[1], dict(zip(names, values, strict=True))) for values in rows]
    for k in gappy:
        for (_, _, attrs), value in zip(edges, columns[k], strict=True):
            if value is not None:
                attrs[fields[k]] = value
    return edges


def _add_edges(G: nx.MultiGraph, edges: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Add edges keyed 0, 1, … per pair of nodes, straight into networkx's adjacency.

    ``MultiGraph.add_edges_from`` spends about 10 µs an edge on checks these edges do not need
    (their nodes exist, their keys are new); writing the documented adjacency structure
    (node → neighbour → key → attributes, one shared dict for both directions) takes 1 µs.
    """
    adj = G._adj
    for s, t, attrs in edges:
        keys = adj[s].get(t)
        if keys is None:
            keys = G.edge_key_dict_factory()
            adj[s][t] = keys
            adj[t][s] = keys
        keys[len(keys)] = attrs
    if hasattr(nx, "_clear_cache"):
        nx._clear_cache(G)


def _nodes(assets: pd.DataFrame, p: Projected) -> Iterator[tuple[str, dict[str, Any]]]:
    columns = [c for c in assets.columns if c not in _NOT_ON_NODES]
    records = assets[columns].to_dict("records")
    for k, (asset_id, record) in enumerate(zip(assets.index, records, strict=True)):
        attrs = {str(c): _safe(v) for c, v in record.items()}
        placed = bool(p.placed[k])
        attrs["x"] = float(p.x[k]) if placed else None
        attrs["y"] = float(p.y[k]) if placed else None
        yield str(asset_id), attrs


def graph_from_assets(
    assets: pd.DataFrame,
    *,
    links: pd.DataFrame | None = None,
    relationships: pd.DataFrame | None = None,
    crs: str | None = None,
) -> nx.MultiGraph:
    """One graph of the assets, their links and their declared relationships.

    Parameters
    ----------
    assets
        A geocoded register: every row becomes a node, placed or not.
    links
        Links from :func:`assetmap.find_links` (any kinds); each becomes an edge.
    relationships
        Declared relationships (:func:`assetmap.read_relationships`): ``source``, ``target``,
        ``type`` (the edge's ``kind``), ``weight``, ``note``.
    crs
        The metric CRS of node ``x``/``y``: the links' CRS when links are given, else one chosen
        for the assets.

    Returns
    -------
    networkx.MultiGraph
        ``G.graph`` holds ``crs`` and what built it (``links`` parameters, counts).

    Raises
    ------
    SchemaError
        When a link or relationship names an asset that is not in ``assets``.

    Examples
    --------
    >>> from assetmap import datasets, find_links, geocode
    >>> assets = geocode(datasets.sample_register())
    >>> G = graph_from_assets(assets, links=find_links(assets),
    ...                       relationships=datasets.sample_relationships())
    >>> G.number_of_nodes() == len(assets), G.graph["crs"]
    (True, 'EPSG:27700')
    """
    if crs is None and links is not None:
        crs = links.attrs.get("crs")
    p = projected(assets, crs)
    G = nx.MultiGraph()
    G.graph["crs"] = p.crs
    G.graph["links"] = json.dumps(_safe(dict(links.attrs)) if links is not None else None)
    with _no_gc():
        G.add_nodes_from(_nodes(assets, p))
    known = set(G.nodes)
    problems = []
    edges: list[tuple[str, str, dict[str, Any]]] = []
    if links is not None:
        ends = {str(v) for c in ("source", "target") for v in pd.unique(links[c].dropna())}
        for unknown in sorted(ends - known):
            problems.append(
                Problem.of_table(f"a link names {unknown!r}, which is not among the assets")
            )
        # "source" and "target" stay on each edge: which way an opportunity runs
        with _no_gc():
            edges.extend(_link_edges(links))
    if relationships is not None:
        named = set(relationships["source"]) | set(relationships["target"])
        for unknown in sorted(named - known):
            problems.append(
                Problem.of_table(f"a relationship names {unknown!r}, which is not among the assets")
            )
        for record in relationships.to_dict("records"):
            s, t = str(record["source"]), str(record["target"])
            attrs = _present({c: v for c, v in record.items() if c != "type"})
            attrs["kind"] = str(record["type"])
            edges.append((s, t, attrs))
    if problems:
        raise SchemaError("graph", problems)
    with _no_gc():
        _add_edges(G, edges)
    kinds = pd.Series([e[2]["kind"] for e in edges], dtype=object).value_counts()
    G.graph["edges_by_kind"] = json.dumps({str(k): int(v) for k, v in sorted(kinds.items())})
    log.info("built a graph of %d assets and %d edges", G.number_of_nodes(), G.number_of_edges())
    return G


def graph_to_gdfs(G: nx.MultiGraph) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Nodes and edges as GeoDataFrames in the graph's CRS (edges as straight LineStrings).

    ``graph_from_gdfs`` turns them back into an equal graph.
    """
    crs = G.graph.get("crs")
    ids = list(G.nodes)
    nodes = pd.DataFrame.from_records(
        [dict(G.nodes[n]) for n in ids], index=pd.Index(ids, name="asset_id")
    )
    x = pd.to_numeric(
        nodes.get("x", pd.Series(np.nan, index=nodes.index)), errors="coerce"
    ).to_numpy(dtype=float)
    y = pd.to_numeric(
        nodes.get("y", pd.Series(np.nan, index=nodes.index)), errors="coerce"
    ).to_numpy(dtype=float)
    placed = np.isfinite(x) & np.isfinite(y)
    points = np.where(placed, shapely.points(np.where(placed, x, 0), np.where(placed, y, 0)), None)
    node_gdf = gpd.GeoDataFrame(nodes, geometry=points, crs=crs)
    rows, lines = [], []
    where = dict(zip(ids, range(len(ids)), strict=True))
    for u, v, key, data in G.edges(keys=True, data=True):
        rows.append({"u": u, "v": v, "key": key, **data})
        a, b = where[u], where[v]
        lines.append(
            shapely.linestrings([[x[a], y[a]], [x[b], y[b]]]) if placed[a] and placed[b] else None
        )
    edges = pd.DataFrame.from_records(rows, columns=None if rows else ["u", "v", "key"])
    edge_gdf = gpd.GeoDataFrame(edges, geometry=np.array(lines, dtype=object), crs=crs)
    edge_gdf = edge_gdf.set_index(["u", "v", "key"])
    return node_gdf, edge_gdf


def graph_from_gdfs(
    nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, *, graph_attrs: dict[str, Any] | None = None
) -> nx.MultiGraph:
    """The graph back from :func:`graph_to_gdfs`' nodes and edges."""
    G = nx.MultiGraph()
    G.graph.update(graph_attrs or {"crs": str(nodes.crs) if nodes.crs else None})
    for asset_id, record in nodes.drop(columns=nodes.geometry.name).to_dict("index").items():
        G.add_node(asset_id, **{c: _safe(v) for c, v in record.items()})
    flat = edges.drop(columns=edges.geometry.name).reset_index()
    for record in flat.to_dict("records"):
        u, v, key = record.pop("u"), record.pop("v"), record.pop("key")
        G.add_edge(u, v, key=key, **{c: _safe(val) for c, val in record.items() if _kept(val)})
    return G


def _kept(value: Any) -> bool:
    """False for the gaps a DataFrame puts where an edge had no such attribute."""
    return not (value is None or (isinstance(value, float) and np.isnan(value)))


def _flat(attrs: dict[str, Any]) -> dict[str, Any]:
    """Attributes as GraphML/GEXF hold them: lists as JSON text, no missing values."""
    return {
        k: json.dumps(v) if isinstance(v, list) else v for k, v in attrs.items() if v is not None
    }


def _shareable(G: nx.MultiGraph, audience: Audience, k: int) -> tuple[nx.MultiGraph, Published]:
    """The graph as an audience may see it (see :func:`assetmap.privacy.publish`).

    Records shown exactly keep the allowed fields and their place; records shown coarsely
    become ``<category>-<n>`` nodes at their coarse point with only their kind and category;
    private records and their edges are left out; edges to a coarse record lose their tags and
    reasons.
    """
    crs = G.graph.get("crs")
    nodes, edges = graph_to_gdfs(G)
    frame = nodes.to_crs(4326) if crs else nodes.set_crs(4326, allow_override=True)
    frame = frame.drop(columns=[c for c in ("x", "y") if c in frame.columns])
    if "privacy" not in frame.columns:
        frame["privacy"] = "private"  # nothing says it may be shown: it is not
    links = edges.reset_index()
    # an opportunity's direction (its "source"/"target" attributes) becomes the row's order
    directed = links["source"].notna() if "source" in links else pd.Series(False, index=links.index)
    if directed.any():
        flip = directed & (links["source"].astype("str") != links["u"].astype("str"))
        links.loc[flip, ["u", "v"]] = links.loc[flip, ["v", "u"]].to_numpy()
    links = links.drop(columns=[c for c in ("source", "target") if c in links.columns])
    links = links.rename(columns={"u": "source", "v": "target"})
    links["directed"] = directed.to_numpy()
    shown = publish(frame, audience=audience, k=k, links=links)
    H = nx.MultiGraph()
    H.graph.update({"crs": crs, "audience": audience})
    metric = shown.assets.to_crs(crs) if crs else shown.assets
    for published_id, row in shown.assets.drop(columns="geometry").iterrows():
        attrs = {c: _safe(v) for c, v in row.items() if _kept(v) or isinstance(v, list)}
        point = metric.geometry.loc[published_id]
        if point is not None and not point.is_empty:
            attrs["x"], attrs["y"] = float(point.x), float(point.y)
        H.add_node(str(published_id), **attrs)
    if shown.links is not None:
        for record in shown.links.drop(columns=["geometry"], errors="ignore").to_dict("records"):
            u, v, key = record.pop("source"), record.pop("target"), record.pop("key", None)
            directed = bool(record.pop("directed", False))
            attrs = {c: _safe(val) for c, val in record.items() if _kept(val)}
            attrs = {c: val for c, val in attrs.items() if val is not None and val != []}
            if directed:
                attrs["source"], attrs["target"] = u, v
            H.add_edge(u, v, key=key, **attrs)
    return H, shown


def save_graph(
    G: nx.MultiGraph, path: str | PathLike[str], *, audience: Audience = "public", k: int = 5
) -> Path:
    """Write the graph for an audience: GraphML (Gephi, yEd), GEXF, or a GeoPackage of nodes
    and edges, with its audit beside it.

    Only what :func:`assetmap.privacy.publish` lets the audience see is written: private
    records never, records shown coarsely as their category at a coarse point.
    """
    path = Path(path)
    H, shown = _shareable(G, audience, k)
    suffix = path.suffix.lower()
    if suffix in (".graphml", ".gexf"):
        F = nx.MultiGraph()
        F.graph.update(_flat(dict(H.graph)))
        F.add_nodes_from((n, _flat(d)) for n, d in H.nodes(data=True))
        F.add_edges_from((u, v, k, _flat(d)) for u, v, k, d in H.edges(keys=True, data=True))
        (nx.write_graphml if suffix == ".graphml" else nx.write_gexf)(F, path)
    elif suffix == ".gpkg":
        path.unlink(missing_ok=True)  # a new file, not layers replaced inside an old one
        nodes, edges = graph_to_gdfs(H)
        for frame, layer in ((nodes.reset_index(), "nodes"), (edges.reset_index(), "edges")):
            flat = frame.copy()
            for col in flat.columns:
                if col != flat.geometry.name and flat[col].map(lambda v: isinstance(v, list)).any():
                    flat[col] = flat[col].map(lambda v: json.dumps(v) if isinstance(v, list) else v)
            flat.to_file(path, layer=layer, driver="GPKG")
    else:
        raise SchemaError(
            str(path), [Problem.of_table("save_graph writes .graphml, .gexf or .gpkg files")]
        )
    write_audit(shown, path)
    log.info("wrote %s", path)
    return path
