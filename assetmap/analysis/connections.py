"""Who connects whom: brokers, communities and isolated assets in the graph.

Owns the edge kinds that count as a connection (:data:`CONNECTING`) and the simple-graph view
the three questions share. Every function returns tables (DataFrames), never prints.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import igraph as ig
import networkx as nx
import numpy as np
import pandas as pd

from .._memory import gc_paused
from ..errors import ConfigurationError

__all__ = ["CONNECTING", "brokers", "communities", "isolated"]

log = logging.getLogger(__name__)

#: The relationship types (and link kinds) along which a broker connects people to anchors.
CONNECTING = ("opportunity", "employs", "refers", "trains", "partners", "hosts", "supplies",
              "member_of", "funds")  # fmt: skip


def _connected(G: nx.Graph, wanted: set[str]) -> list[tuple[Any, Any]]:
    """Each (node, neighbour) with ``node <= neighbour`` joined by an edge of a wanted kind,
    read straight from networkx's adjacency: once per such edge.

    Each edge's attributes are looked at once (the adjacency holds them both ways round): on a
    large graph those look-ups, not the loop, are what takes the time.
    """
    adj = G._adj
    with gc_paused():  # many small tuples, no cycles
        if G.is_multigraph():
            return [
                (u, v)
                for u, nbrs in adj.items()
                for v, keys in nbrs.items()
                if u <= v
                for attrs in keys.values()
                if attrs.get("kind") in wanted
            ]
        return [
            (u, v) for u, nbrs in adj.items() for v, attrs in nbrs.items()
            if u <= v and attrs.get("kind") in wanted
        ]  # fmt: skip


def _pairs(G: nx.Graph, kinds: Iterable[str]) -> tuple[list[Any], np.ndarray]:
    """The nodes with a connection of the given kinds (sorted), and the connections between
    them as sorted, distinct (lower, higher) positions in that list (parallel edges merged).

    The same as ``sorted({(u, v) if u <= v else (v, u) for u, v, kind in G.edges(data="kind")
    if kind in wanted})`` mapped to positions, without a Python set of pairs."""
    ends = _connected(G, set(kinds))
    if not ends:
        return [], np.zeros((0, 2), dtype=np.int64)
    flat = np.empty(2 * len(ends), dtype=object)
    flat[:] = [n for pair in ends for n in pair]
    codes, uniques = pd.factorize(flat)
    with gc_paused():
        names = sorted(uniques.tolist())  # Python's < on the ids
    rank = pd.Index(names, dtype=object).get_indexer(uniques)
    ranked = rank[codes]
    # u <= v in each pair, so their ranks are in order too
    key = np.unique(ranked[0::2] * len(names) + ranked[1::2])
    edges = np.column_stack([key // len(names), key % len(names)])
    return names, edges


def brokers(
    G: nx.MultiGraph,
    *,
    kinds: Iterable[str] = CONNECTING,
    sample: int | None = None,
    seed: int = 1,
) -> pd.DataFrame:
    """The assets that connect others to the macro-assets, and what falls apart without them.

    Betweenness is exact by default (Brandes' algorithm in igraph, O(V·E)). For graphs too
    large for that, ``sample=k`` estimates it from the shortest paths of ``k`` source assets
    drawn at random without replacement (Brandes & Pich 2007), scaled by ``n / k`` so that it
    is an unbiased estimate on the same normalised scale, in about ``k / n`` of the exact
    betweenness's time. Articulation points and stranded assets are always exact (one linear
    pass).

    Parameters
    ----------
    G
        From :func:`assetmap.graph_from_assets`.
    kinds
        The edge kinds that count as connections (declared relationships and opportunity links
        by default; proximity alone connects nobody).
    sample
        The number of source assets to estimate betweenness from, or None (the default) for
        exact betweenness. A sample as large as the number of connected assets uses them all
        and gives the exact values.
    seed
        Seeds the draw of the sample: the same graph, sample and seed give the same answer in
        every run and process. Unused when ``sample`` is None.

    Returns
    -------
    pandas.DataFrame
        One row per asset with a connection, most central first: ``betweenness`` (normalised
        as networkx does, rounded to 6 decimals; estimated when ``sample`` is given),
        ``articulation_point`` (removing it splits the graph), ``stranded`` (the micro-assets
        that lose every path to any macro-asset without it, as a tuple) and ``n_stranded``.

    Raises
    ------
    assetmap.errors.ConfigurationError
        When ``sample`` is not a positive whole number or ``seed`` not a whole number ≥ 0.
    """
    _check_sample(sample, seed)
    ids, edges = _pairs(G, kinds)
    if not ids:
        return pd.DataFrame(
            columns=["betweenness", "articulation_point", "stranded", "n_stranded"],
            index=pd.Index([], name="asset_id"),
        )
    g = ig.Graph(n=len(ids), edges=edges.tolist())
    between = _betweenness(g, sample, seed)
    kind_of = G.nodes(data="kind")
    macro = np.array([kind_of[v] == "macro" for v in ids], dtype=bool)
    cuts, stranded = _stranded(g, macro)
    out = pd.DataFrame(
        {
            "betweenness": np.round(between, 6),
            "articulation_point": cuts,
            "stranded": [tuple(ids[i] for i in lost) for lost in stranded],
        },
        index=pd.Index(ids, name="asset_id"),
    )
    out["n_stranded"] = np.fromiter(map(len, stranded), dtype=np.int64, count=len(stranded))
    order = np.lexsort(
        (out.index.to_numpy(), -out["n_stranded"].to_numpy(), -out["betweenness"].to_numpy())
    )
    return out.iloc[order]


def _check_sample(sample: object, seed: object) -> None:
    problems = []
    if sample is not None and (
        isinstance(sample, bool) or not isinstance(sample, int | np.integer) or sample < 1
    ):
        problems.append(
            f"sample must be a positive whole number of source assets or None (exact); "
            f"{sample!r} was given instead"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        problems.append(f"seed must be a whole number, 0 or more; {seed!r} was given instead")
    if problems:
        raise ConfigurationError("; ".join(problems))


def _betweenness(g: ig.Graph, sample: int | None, seed: int) -> np.ndarray:
    """Betweenness normalised as networkx does, exact or estimated from ``sample`` sources."""
    n = g.vcount()
    # igraph counts each unordered pair once; networkx's normalisation is 2 / ((n-1)(n-2))
    scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 0.0
    if sample is None:
        exact: np.ndarray = np.asarray(g.betweenness(directed=False), dtype="float64")
        return exact * scale
    # Summed over single sources s, igraph's source-subset betweenness is the exact one, so
    # k sources drawn uniformly, scaled by n / k, estimate it without bias (Brandes & Pich).
    k = min(int(sample), n)
    sources = np.sort(np.random.default_rng(seed).choice(n, size=k, replace=False))
    partial = g.betweenness(directed=False, sources=sources.tolist())
    log.info("betweenness estimated from %d of %d assets as sources (seed %d)", k, n, seed)
    factor = scale * n / k
    estimate: np.ndarray = np.asarray(partial, dtype="float64") * factor
    return estimate


@dataclass(frozen=True)
class _BlockCutTree:
    """The block-cut tree of a graph, walked depth first so that every subtree's vertices are
    one slice of ``order``. Tree nodes are the blocks (``0 … n_blocks-1``), then each vertex
    ``v`` as ``n_blocks + v`` (only cut vertices have tree edges)."""

    n_blocks: int
    is_cut: np.ndarray
    adjacent: list[list[int]]
    order: np.ndarray  # the graph's vertices, depth first
    start: np.ndarray  # tree node -> where its subtree starts in ``order``
    stop: np.ndarray  # … and stops
    parent: np.ndarray  # tree node -> its parent (-1 for roots)
    component: np.ndarray  # tree node -> (first, last) of its component in ``order``

    @classmethod
    def of(cls, g: ig.Graph) -> _BlockCutTree:
        n = g.vcount()
        blocks, articulation = g.biconnected_components(return_articulation_points=True)
        is_cut = np.zeros(n, dtype=bool)
        is_cut[list(articulation)] = True
        n_blocks = len(blocks)
        adjacent: list[list[int]] = [[] for _ in range(n_blocks + n)]
        own: list[list[int]] = []  # a block's vertices that are no cut vertex
        cut = is_cut.tolist()  # Python bools: quick to look up one at a time
        for b, members in enumerate(blocks):
            own.append([v for v in members if not cut[v]])
            for v in members:
                if cut[v]:
                    adjacent[b].append(n_blocks + v)
                    adjacent[n_blocks + v].append(b)
        size = n_blocks + n
        start, stop = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
        parent = np.full(size, -1, dtype=np.int64)
        component = np.zeros((size, 2), dtype=np.int64)
        seen = np.zeros(size, dtype=bool)
        order: list[int] = []
        for root in range(n_blocks):
            if seen[root]:
                continue
            first, members, stack = len(order), [], [(root, 0)]
            seen[root] = True
            while stack:
                node, i = stack.pop()
                if i == 0:
                    start[node] = len(order)
                    members.append(node)
                    order.extend(own[node] if node < n_blocks else [node - n_blocks])
                if i < len(adjacent[node]):
                    stack.append((node, i + 1))
                    child = adjacent[node][i]
                    if not seen[child]:
                        seen[child], parent[child] = True, node
                        stack.append((child, 0))
                else:
                    stop[node] = len(order)
            component[members] = (first, len(order))
        return cls(n_blocks, is_cut, adjacent, np.asarray(order, dtype=np.int64), start, stop,
                   parent, component)  # fmt: skip


def _stranded(g: ig.Graph, macro: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """For every vertex: is it a cut vertex, and which non-macro vertices lose every path to a
    macro vertex without it (sorted vertex numbers; empty for non-cut vertices).

    One pass over the block-cut tree instead of one copy of the graph per cut vertex: removing
    cut vertex ``c`` leaves one piece per block beside it, the subtree of each child block and
    the rest of its component through the parent block. The vertices of a piece are stranded
    when the piece holds no macro vertex and its component holds one.
    """
    t = _BlockCutTree.of(g)
    before = np.concatenate([[0], np.cumsum(macro[t.order])])

    def macros(a: int, b: int) -> int:
        return int(before[b] - before[a])

    stranded: list[list[int]] = [[] for _ in range(g.vcount())]
    for v in np.flatnonzero(t.is_cut):
        node = t.n_blocks + int(v)
        first, last = t.component[node]
        if macros(first, last) == 0:
            continue  # nothing in this component reaches a macro-asset anyway
        pieces = [(t.start[c], t.stop[c]) for c in t.adjacent[node] if c != t.parent[node]]
        if t.parent[node] >= 0 and macros(first, last) == macros(t.start[node], t.stop[node]):
            pieces += [(first, t.start[node]), (t.stop[node], last)]  # the rest, via the parent
        lost = [u for a, b in pieces if macros(a, b) == 0 for u in t.order[a:b].tolist()]
        stranded[v] = sorted(u for u in lost if not macro[u])
    return t.is_cut, stranded


def communities(G: nx.MultiGraph, *, kinds: Iterable[str] = CONNECTING, seed: int = 1) -> pd.Series:
    """Leiden communities (modularity, fixed seed): each connected asset's community.

    Runs igraph's Leiden algorithm (Traag, van Eck & Waltman 2019: unlike Louvain, every
    community it finds is connected) on the simple graph of the given edge kinds, iterated
    until the partition is stable. Assets and edges are given to it in sorted order and its
    random numbers come from ``random.Random(seed)``, so the same graph and seed give the same
    communities in every run and process.

    Parameters
    ----------
    G
        From :func:`assetmap.graph_from_assets`.
    kinds
        The edge kinds that count as connections.
    seed
        Seeds the algorithm's random choices.

    Returns
    -------
    pandas.Series
        ``community`` by ``asset_id`` (sorted) for every asset with a connection: 0 the
        largest community, then by size (ties: the community with the first asset id first).
    """
    ids, edges = _pairs(G, kinds)
    if not ids:
        return pd.Series([], index=pd.Index([], name="asset_id"), name="community", dtype="int64")
    g = ig.Graph(n=len(ids), edges=edges.tolist())
    ig.set_random_number_generator(random.Random(seed))
    try:
        found = g.community_leiden(objective_function="modularity", n_iterations=-1)
    finally:
        ig.set_random_number_generator(random)  # igraph's own default
    membership = np.asarray(found.membership, dtype=np.int64)
    # rank: largest first, ties by the community's first asset (ids are sorted)
    sizes = np.bincount(membership)
    first = np.full(len(sizes), len(ids), dtype=np.int64)
    np.minimum.at(first, membership, np.arange(len(ids)))
    rank = np.empty(len(sizes), dtype=np.int64)
    rank[np.lexsort((first, -sizes))] = np.arange(len(sizes))
    return pd.Series(rank[membership], index=pd.Index(ids, name="asset_id"), name="community")


def isolated(G: nx.MultiGraph, *, kinds: Iterable[str] = CONNECTING) -> pd.Index:
    """Assets with no connection of the given kinds."""
    wanted = set(kinds)
    adj = G._adj
    multi = G.is_multigraph()
    with gc_paused():
        # a node's edges are looked at until the first of a wanted kind
        alone = [
            n
            for n, nbrs in adj.items()
            if not any(
                attrs.get("kind") in wanted
                for edge in nbrs.values()
                for attrs in (edge.values() if multi else (edge,))
            )
        ]
        index: pd.Index = pd.Index(sorted(alone), name="asset_id")
    return index
