"""Questions asked of the links and the graph: brokers, communities, gaps, capacity matching.

Every function returns tables (DataFrames), never prints.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import networkx as nx
import numpy as np
import pandas as pd

from .errors import ConfigurationError
from .links import _vocabulary

__all__ = [
    "DEFAULT_BARRIERS",
    "Matching",
    "brokers",
    "communities",
    "isolated",
    "match_capacity",
    "skills_matches",
    "uncovered_needs",
    "unused_offers",
]

log = logging.getLogger(__name__)

#: Needs that stand between a qualified resident and a job (language tests, registration).
DEFAULT_BARRIERS = (
    "ielts preparation",
    "oet preparation",
    "plab preparation",
    "esol",
    "nmc registration",
    "gmc registration",
    "hcpc registration",
    "dbs check",
    "childcare",
)

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


def _needs_met(links: pd.DataFrame, side: str, column: str) -> dict[str, set[str]]:
    opportunity = links[links["kind"].astype("str") == "opportunity"]
    out: dict[str, set[str]] = {}
    for asset, tags in zip(opportunity[side].astype("str"), opportunity[column], strict=True):
        out.setdefault(asset, set()).update(tags)
    return out


def uncovered_needs(
    assets: pd.DataFrame,
    links: pd.DataFrame,
    *,
    kinds: Sequence[str] = ("macro",),
    vocabulary: pd.DataFrame | Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """For each asset of the given kinds (or categories), the needs no link meets.

    ``links`` are opportunity links (:func:`assetmap.find_links`), built with the distance that
    matters; a need met by no asset within it is uncovered.

    Returns
    -------
    pandas.DataFrame
        Index ``asset_id``: ``needs``, ``met``, ``uncovered`` (tuples of tags) and
        ``n_uncovered``.
    """
    return _gaps(assets, links, kinds, vocabulary, "needs", "target", "met", "uncovered")


def unused_offers(
    assets: pd.DataFrame,
    links: pd.DataFrame,
    *,
    kinds: Sequence[str] = ("micro",),
    vocabulary: pd.DataFrame | Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """For each asset of the given kinds (or categories), the offers nobody nearby needs."""
    return _gaps(assets, links, kinds, vocabulary, "offers", "source", "matched", "unused")


def _gaps(
    assets: pd.DataFrame,
    links: pd.DataFrame,
    kinds: Sequence[str],
    vocabulary: pd.DataFrame | Mapping[str, str] | None,
    column: str,
    side: str,
    link_column: str,
    gap: str,
) -> pd.DataFrame:
    synonyms = _vocabulary(vocabulary)
    chosen = assets[assets["kind"].isin(kinds) | assets["category"].isin(kinds)]
    met = _needs_met(links, side, link_column)
    rows = []
    for asset_id, tags in zip(chosen.index, chosen[column], strict=True):
        mine = tuple(dict.fromkeys(synonyms.get(t, t) for t in tags))
        done = met.get(str(asset_id), set())
        rows.append(
            {
                column: mine,
                "met" if column == "needs" else "matched": tuple(t for t in mine if t in done),
                gap: tuple(t for t in mine if t not in done),
            }
        )
    out = pd.DataFrame(rows, index=pd.Index([str(i) for i in chosen.index], name="asset_id"))
    out[f"n_{gap}"] = out[gap].map(len) if len(out) else pd.Series(dtype="int64")
    return out


class Matching(NamedTuple):
    """The result of :func:`match_capacity`: three tables."""

    assignments: pd.DataFrame
    unmet_need: pd.DataFrame
    unused_supply: pd.DataFrame


def match_capacity(
    assets: pd.DataFrame, links: pd.DataFrame, *, default_capacity: int = 1, scale: int = 1_000_000
) -> Matching:
    """Assign supply to need along opportunity links to maximise the total score.

    Each link's source offers up to its ``capacity`` (for example 250 residents with health
    qualifications), each target needs up to its ``capacity`` (vacancies); neither is exceeded.
    Solved exactly as a min-cost flow (network simplex) with scores as negative integer costs
    (``score × scale``); supply that no link can use stays unused.

    Parameters
    ----------
    assets
        The register (``capacity`` is read; missing means ``default_capacity``).
    links
        Opportunity links from :func:`assetmap.find_links`.

    Returns
    -------
    Matching
        ``assignments`` (``source``, ``target``, ``units``, ``score``, ``total_score``),
        ``unmet_need`` (by target: ``capacity``, ``assigned``, ``unmet``) and
        ``unused_supply`` (by source: ``capacity``, ``assigned``, ``unused``).
    """
    opp = links[links["kind"].astype("str") == "opportunity"]
    capacity = pd.to_numeric(assets["capacity"], errors="coerce").fillna(default_capacity)
    if (capacity < 0).any():
        raise ConfigurationError("capacities must not be negative")
    cap = {str(k): int(v) for k, v in capacity.items()}
    sources = sorted(set(opp["source"].astype("str")))
    targets = sorted(set(opp["target"].astype("str")))
    total = sum(cap[s] for s in sources)
    F = nx.DiGraph()
    F.add_node("supply", demand=-total)
    F.add_node("need", demand=total)
    F.add_edge("supply", "need", capacity=total, weight=0)  # supply left unused
    for s in sources:
        F.add_edge("supply", ("o", s), capacity=cap[s], weight=0)
    for t in targets:
        F.add_edge(("n", t), "need", capacity=cap[t], weight=0)
    for s, t, score in zip(
        opp["source"].astype("str"), opp["target"].astype("str"), opp["score"], strict=True
    ):
        cost = -round(float(score) * scale)
        if cost < 0:
            F.add_edge(("o", s), ("n", t), capacity=total, weight=cost)
    flow = nx.network_simplex(F)[1] if total else {}
    score_of = {
        (str(s), str(t)): float(v)
        for s, t, v in zip(opp["source"], opp["target"], opp["score"], strict=True)
    }
    rows = []
    for s in sources:
        for (_, t), units in sorted(flow.get(("o", s), {}).items()):
            if units:
                rows.append(
                    {"source": s, "target": t, "units": int(units), "score": score_of[(s, t)]}
                )
    assignments = pd.DataFrame(rows, columns=["source", "target", "units", "score"])
    assignments["total_score"] = (assignments["units"] * assignments["score"]).round(6)
    given = assignments.groupby("source")["units"].sum()
    taken = assignments.groupby("target")["units"].sum()
    supply = pd.DataFrame(
        {"capacity": [cap[s] for s in sources]}, index=pd.Index(sources, name="asset_id")
    )
    supply["assigned"] = given.reindex(supply.index).fillna(0).astype(int)
    supply["unused"] = supply["capacity"] - supply["assigned"]
    need = pd.DataFrame(
        {"capacity": [cap[t] for t in targets]}, index=pd.Index(targets, name="asset_id")
    )
    need["assigned"] = taken.reindex(need.index).fillna(0).astype(int)
    need["unmet"] = need["capacity"] - need["assigned"]
    log.info("matched %d units along %d links", int(assignments["units"].sum()), len(assignments))
    return Matching(assignments.reset_index(drop=True), need, supply)


def skills_matches(
    assets: pd.DataFrame,
    links: pd.DataFrame,
    *,
    people: Sequence[str] = ("individual",),
    employers: Sequence[str] = ("anchor_institution",),
    barriers: Iterable[str] = DEFAULT_BARRIERS,
    pay: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Residents whose skills meet an anchor's vacancies, what stands in the way, what it pays.

    Parameters
    ----------
    assets, links
        A geocoded register and its opportunity links.
    people, employers
        Kinds or categories of the two sides.
    barriers
        Needs of a person that stand in the way of a job (language tests, registration).
    pay
        Annual pay by tag (for example from the employer's pay scales); a match's
        ``annual_pay`` is the best paid of its matched skills. Nothing is assumed without it.

    Returns
    -------
    pandas.DataFrame
        One row per (person, employer) link: ``source``, ``target``, ``skills`` (tuple),
        ``distance_m``, ``score``, ``barriers`` (tuple of the person's barrier needs, empty when
        none) and ``annual_pay`` (missing without ``pay``).
    """
    who = set(assets.index[assets["kind"].isin(people) | assets["category"].isin(people)])
    where = set(assets.index[assets["kind"].isin(employers) | assets["category"].isin(employers)])
    opp = links[
        (links["kind"].astype("str") == "opportunity")
        & links["source"].astype("str").isin(who)
        & links["target"].astype("str").isin(where)
    ]
    stops = set(_vocabulary({b: b for b in barriers}).values()) | set(barriers)
    needs: dict[str, list[str]] = dict(
        zip(assets.index.astype("str"), assets["needs"], strict=True)
    )
    rows = []
    for person, target, matched, distance, score in zip(
        opp["source"].astype("str"),
        opp["target"].astype("str"),
        opp["matched"],
        opp["distance_m"],
        opp["score"],
        strict=True,
    ):
        blocking = tuple(t for t in needs[person] if t in stops)
        best = max((pay[t] for t in matched if pay and t in pay), default=np.nan)
        rows.append(
            {
                "source": person,
                "target": target,
                "skills": tuple(matched),
                "distance_m": distance,
                "score": score,
                "barriers": blocking,
                "annual_pay": float(best),
            }
        )
    columns = ["source", "target", "skills", "distance_m", "score", "barriers", "annual_pay"]
    return pd.DataFrame(rows, columns=columns)
