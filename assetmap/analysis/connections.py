"""Who connects whom: brokers, communities and isolated assets in the graph.

Owns the edge kinds that count as a connection (:data:`CONNECTING`) and the simple-graph view
the three questions share. Every function returns tables (DataFrames), never prints.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import numpy as np
import pandas as pd

__all__ = ["CONNECTING", "brokers", "communities", "isolated"]

#: The relationship types (and link kinds) along which a broker connects people to anchors.
CONNECTING = ("opportunity", "employs", "refers", "trains", "partners", "hosts", "supplies",
              "member_of", "funds")  # fmt: skip


def _simple(G: nx.MultiGraph, kinds: Iterable[str]) -> nx.Graph:
    """The graph with only edges of the given kinds, parallel edges merged."""
    wanted = set(kinds)
    H = nx.Graph()
    H.add_nodes_from(G.nodes(data=True))
    H.add_edges_from((u, v) for u, v, kind in G.edges(data="kind") if kind in wanted)
    return H


def _macro(G: nx.MultiGraph) -> set[str]:
    return {n for n, kind in G.nodes(data="kind") if kind == "macro"}


def brokers(G: nx.MultiGraph, *, kinds: Iterable[str] = CONNECTING) -> pd.DataFrame:
    """The assets that connect others to the macro-assets, and what falls apart without them.

    Parameters
    ----------
    G
        From :func:`assetmap.graph_from_assets`.
    kinds
        The edge kinds that count as connections (declared relationships and opportunity links
        by default; proximity alone connects nobody).

    Returns
    -------
    pandas.DataFrame
        One row per asset with a connection, most central first: ``betweenness`` (normalised),
        ``articulation_point`` (removing it splits the graph), ``stranded`` (the micro-assets
        that lose every path to any macro-asset without it, as a tuple) and ``n_stranded``.
    """
    H = _simple(G, kinds)
    H.remove_nodes_from([n for n in list(H) if H.degree(n) == 0])
    if H.number_of_nodes() == 0:
        return pd.DataFrame(
            columns=["betweenness", "articulation_point", "stranded", "n_stranded"],
            index=pd.Index([], name="asset_id"),
        )
    between = nx.betweenness_centrality(H, normalized=True)
    cuts = set(nx.articulation_points(H))
    macro = _macro(G)

    def reaching(graph: nx.Graph) -> set[str]:
        """Micro-assets with a path to some macro-asset."""
        out: set[str] = set()
        for component in nx.connected_components(graph):
            if component & macro:
                out |= {n for n in component if n not in macro}
        return out

    before = reaching(H)
    stranded: dict[str, tuple[str, ...]] = {}
    for node in sorted(cuts):
        without = H.copy()
        without.remove_node(node)
        lost = before - reaching(without) - {node}
        stranded[node] = tuple(sorted(lost))
    ids = sorted(H.nodes)
    out = pd.DataFrame(
        {
            "betweenness": [round(between[n], 6) for n in ids],
            "articulation_point": [n in cuts for n in ids],
            "stranded": [stranded.get(n, ()) for n in ids],
        },
        index=pd.Index(ids, name="asset_id"),
    )
    out["n_stranded"] = out["stranded"].map(len)
    order = np.lexsort(
        (out.index.to_numpy(), -out["n_stranded"].to_numpy(), -out["betweenness"].to_numpy())
    )
    return out.iloc[order]


def communities(G: nx.MultiGraph, *, kinds: Iterable[str] = CONNECTING, seed: int = 1) -> pd.Series:
    """Louvain communities (fixed seed): each connected asset's community, 0 the largest."""
    H = _simple(G, kinds)
    H.remove_nodes_from([n for n in list(H) if H.degree(n) == 0])
    found = nx.community.louvain_communities(H, seed=seed) if H.number_of_edges() else []
    ranked = sorted(found, key=lambda c: (-len(c), min(c)))
    membership = {n: k for k, members in enumerate(ranked) for n in members}
    ids = sorted(membership)
    return pd.Series(
        [membership[n] for n in ids], index=pd.Index(ids, name="asset_id"), name="community"
    )


def isolated(G: nx.MultiGraph, *, kinds: Iterable[str] = CONNECTING) -> pd.Index:
    """Assets with no connection of the given kinds."""
    H = _simple(G, kinds)
    alone: pd.Index = pd.Index(sorted(n for n in H if H.degree(n) == 0), name="asset_id")
    return alone
