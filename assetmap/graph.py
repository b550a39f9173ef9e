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

import json
import logging
from collections.abc import Hashable, Mapping
from itertools import chain, repeat
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from ._memory import gc_paused
from .crs import Projected, geographic, projected
from .errors import Problem, SchemaError

__all__ = ["graph_from_assets", "graph_from_gdfs", "graph_to_gdfs", "has_value", "json_safe"]

log = logging.getLogger(__name__)

# register fields never copied onto nodes (geometry is x/y; provenance stays in the table)
_NOT_ON_NODES = ("geometry",)
_EDGE_FIELDS = ("kind", "distance_m", "matched", "met", "match", "proximity", "weight", "score",
                "reason")  # fmt: skip


def json_safe(value: Any) -> Any:
    """A JSON-safe copy of one field's value (None for missing)."""
    if value is None:
        return None
    if isinstance(value, shapely.Geometry):
        return None if value.is_empty else value.wkt
    if isinstance(value, list | tuple | np.ndarray):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
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
    safe = {str(c): json_safe(v) for c, v in record.items()}
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
        # a link's factors and scores take few distinct values: one float object for each
        # (told apart by their bits, so that -0.0 stays -0.0)
        array = np.ascontiguousarray(values.to_numpy(dtype="float64"))
        codes, uniques = pd.factorize(array.view(np.int64))
        names = np.asarray(uniques, dtype=np.int64).view(np.float64).astype(object)
        names[~np.isfinite(names.astype(np.float64))] = None
        out = names[codes].tolist()
        return out
    if values.dtype == object:
        tags = _tag_lists(values.to_numpy())
        if tags is not None:
            return [v or None for v in tags]
        return [(list(v) or None) if isinstance(v, tuple | list) else json_safe(v) for v in values]
    if pd.api.types.is_string_dtype(values.dtype):
        return _shared_text(values)
    return list(map(json_safe, values.tolist()))


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
    edges = list(zip(columns[0], columns[1], map(dict, map(zip, repeat(names), rows)), strict=True))
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


def _shared_text(values: pd.Series) -> list[Any]:
    """A text column's values, each distinct text one Python object shared by every row that
    holds it (a million rows of a few hundred codes make a few hundred strings, not a million),
    every missing value as None. Distinct values are found by the column's own engine (Arrow's
    dictionary encoding), without a Python object per row."""
    codes, uniques = pd.factorize(values)
    names = np.empty(len(uniques) + 1, dtype=object)
    names[:-1] = np.asarray(uniques, dtype=object)
    names[-1] = None  # code -1: missing
    out: list[Any] = names[codes].tolist()
    return out


def _text_or_none(array: np.ndarray) -> list[Any]:
    """Text values as they are, every missing one (None, NaN, NA, NaT) as None."""
    out: list[Any] = array.tolist()
    for k in np.flatnonzero(pd.isna(array)).tolist():
        out[k] = None
    return out


def _tag_lists(array: np.ndarray) -> list[list[str]] | None:
    """Each row's tags as a new list when every row is a list or tuple of text (else None),
    with the types checked in two passes over the column rather than a call per row."""
    if not set(map(type, array)) <= {list, tuple}:
        return None
    if not set(map(type, chain.from_iterable(array))) <= {str}:
        return None
    return list(map(list, array))


def _node_column(values: pd.Series) -> list[Any]:
    """A register column as the JSON-safe values its rows' nodes carry, column at a time.

    The same values as ``json_safe`` of each row's ``to_dict("records")`` value, computed
    once per column (numbers), once per distinct value (categories, dates, nullable numbers),
    or for text and lists of tags without a call per row.
    """
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        names = [json_safe(v) for v in values.cat.categories.tolist()] + [None]
        codes = values.cat.codes.to_numpy()
        return [names[c] for c in codes.tolist()]  # -1 (missing) takes the None at the end
    if dtype.kind == "f" and isinstance(dtype, np.dtype):
        array = values.to_numpy()
        out: list[Any] = array.tolist()
        for k in np.flatnonzero(~np.isfinite(array)).tolist():
            out[k] = None
        return out
    if dtype.kind in "iub" and isinstance(dtype, np.dtype):
        return list(values.to_numpy().tolist())
    if pd.api.types.is_object_dtype(dtype):
        array = values.to_numpy()
        if pd.api.types.infer_dtype(array, skipna=True) in ("string", "empty"):
            return _text_or_none(array)
        tags = _tag_lists(array)
        if tags is not None:
            return tags
        return [
            list(v) if isinstance(v, tuple | list) and all(type(t) is str for t in v)
            else json_safe(v)
            for v in array.tolist()
        ]  # fmt: skip
    if pd.api.types.is_string_dtype(dtype):
        return _shared_text(values)
    # nullable numbers and booleans, dates, periods, intervals: each distinct value once
    codes, uniques = pd.factorize(values)
    names = [json_safe(v) for v in pd.Series(uniques).to_dict().values()] + [None]
    return [names[c] for c in codes.tolist()]


def _nodes(assets: pd.DataFrame, p: Projected) -> tuple[list[str], list[dict[str, Any]]]:
    """The asset id and attributes of each node, built column by column."""
    keep = [k for k, c in enumerate(assets.columns) if c not in _NOT_ON_NODES]
    names = [str(assets.columns[k]) for k in keep]
    columns = [_node_column(assets.iloc[:, k]) for k in keep]
    placed = np.asarray(p.placed, dtype=bool)
    xs: list[Any] = np.where(placed, p.x, np.nan).tolist()
    ys: list[Any] = np.where(placed, p.y, np.nan).tolist()
    for k in np.flatnonzero(~placed).tolist():
        xs[k] = ys[k] = None
    names += ["x", "y"]
    ids: list[str] = np.asarray(assets.index.astype("str"), dtype=object).tolist()
    rows = zip(*columns, xs, ys, strict=True)
    return ids, list(map(dict, map(zip, repeat(names), rows)))


def _add_nodes(G: nx.MultiGraph, ids: list[str], attrs: list[dict[str, Any]]) -> None:
    """Add nodes to an empty graph, straight into networkx's node and adjacency dicts.

    ``add_nodes_from`` copies each node's attributes into a new dict and checks whether the
    node is there already; distinct ids into an empty graph need neither.
    """
    if G.number_of_nodes() or len(set(ids)) != len(ids):
        G.add_nodes_from(zip(ids, attrs, strict=True))
        return
    factory = G.adjlist_inner_dict_factory
    G._node.update(zip(ids, attrs, strict=True))
    G._adj.update((i, factory()) for i in ids)
    if hasattr(nx, "_clear_cache"):
        nx._clear_cache(G)


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
    assets = geographic(assets, "the assets given to graph_from_assets")
    if crs is None and links is not None:
        crs = links.attrs.get("crs")
    p = projected(assets, crs)
    G = nx.MultiGraph()
    G.graph["crs"] = p.crs
    G.graph["links"] = json.dumps(json_safe(dict(links.attrs)) if links is not None else None)
    ids = set(np.asarray(assets.index.astype("str"), dtype=object).tolist())
    problems = []
    if links is not None:
        ends = {str(v) for c in ("source", "target") for v in pd.unique(links[c].dropna())}
        for unknown in sorted(ends - ids):
            problems.append(
                Problem.of_table(f"a link names {unknown!r}, which is not among the assets")
            )
    if relationships is not None:
        named = set(relationships["source"]) | set(relationships["target"])
        for unknown in sorted(named - ids):
            problems.append(
                Problem.of_table(f"a relationship names {unknown!r}, which is not among the assets")
            )
    if problems:
        raise SchemaError("graph", problems)
    # millions of small dicts and lists, no cycles: the collector would walk them all several
    # times while they are made (measured: a third of the time at 10^6 assets)
    with gc_paused():
        _add_nodes(G, *_nodes(assets, p))
        # "source" and "target" stay on each edge: which way an opportunity runs
        edges = _link_edges(links) if links is not None else []
        if relationships is not None:
            for record in relationships.to_dict("records"):
                s, t = str(record["source"]), str(record["target"])
                attrs = _present({c: v for c, v in record.items() if c != "type"})
                attrs["kind"] = str(record["type"])
                edges.append((s, t, attrs))
        _add_edges(G, edges)
        kinds = pd.Series([e[2]["kind"] for e in edges], dtype=object).value_counts()
    G.graph["edges_by_kind"] = json.dumps({str(k): int(v) for k, v in sorted(kinds.items())})
    log.info("built a graph of %d assets and %d edges", G.number_of_nodes(), len(edges))
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
        G.add_node(asset_id, **{c: json_safe(v) for c, v in record.items()})
    flat = edges.drop(columns=edges.geometry.name).reset_index()
    for record in flat.to_dict("records"):
        u, v, key = record.pop("u"), record.pop("v"), record.pop("key")
        G.add_edge(
            u, v, key=key, **{c: json_safe(val) for c, val in record.items() if has_value(val)}
        )
    return G


def has_value(value: Any) -> bool:
    """False for the gaps a DataFrame puts where an edge had no such attribute."""
    return not (value is None or (isinstance(value, float) and np.isnan(value)))
