"""Questions asked of the links and the graph: brokers, communities, gaps, capacity matching.

Every function returns tables (DataFrames), never prints.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from ..areas import assign_areas
from ..crs import from_lonlat, projected
from ..errors import ConfigurationError
from ..schema import synonym_map

__all__ = [
    "DEFAULT_BARRIERS",
    "Matching",
    "anchor_deserts",
    "area_summary",
    "brokers",
    "communities",
    "isolated",
    "link_deserts",
    "match_capacity",
    "skills_matches",
    "skills_mismatch",
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
    synonyms = synonym_map(vocabulary)
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
    stops = set(synonym_map({b: b for b in barriers}).values()) | set(barriers)
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


# --- areas ------------------------------------------------------------------------------------


def _level_codes(assets: pd.DataFrame, level: str) -> pd.Series:
    column = f"{level}_code"
    if column not in assets.columns:
        raise ConfigurationError(
            f"the assets have no {column!r} column: assign them first "
            f"(assetmap.areas.assign_areas with {level} boundaries)"
        )
    return assets[column]


def _with_imd(table: pd.DataFrame, imd: pd.DataFrame | None) -> pd.DataFrame:
    """Join IMD rank and decile by area code (an IoD2019 table indexed by the same codes)."""
    if imd is None:
        return table
    wanted = [c for c in ("imd_rank", "imd_decile") if c in imd.columns]
    return table.join(imd[wanted], how="left")


def _linked(links: pd.DataFrame | None) -> set[str]:
    if links is None:
        return set()
    opp = links[links["kind"].astype("str") == "opportunity"]
    return set(opp["source"].astype("str")) | set(opp["target"].astype("str"))


def area_summary(
    assets: pd.DataFrame,
    links: pd.DataFrame | None = None,
    *,
    level: str,
    imd: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Assets, links and deprivation per area.

    Parameters
    ----------
    assets
        Assets with ``<level>_code`` (:func:`assetmap.areas.assign_areas`).
    links
        Opportunity links (:func:`assetmap.find_links`), optional.
    level
        Which areas (``lsoa11``, ``ward20`` …).
    imd
        Deprivation by the same codes (:func:`assetmap.areas.read_imd` for LSOA 2011;
        :func:`assetmap.areas.imd_for_lsoa21` for LSOA 2021).

    Returns
    -------
    pandas.DataFrame
        One row per area holding assets: ``assets``, ``micro``, ``macro``, a count per category,
        ``links`` (opportunity links with an end in the area), ``linked_share`` (the share of
        the area's assets with at least one), and ``imd_rank``/``imd_decile`` when given.
    """
    codes = _level_codes(assets, level)
    frame = pd.DataFrame({"area": codes, "kind": assets["kind"], "category": assets["category"]})
    frame = frame[frame["area"].notna()]
    table = pd.crosstab(frame["area"], frame["kind"]).reindex(
        columns=["micro", "macro"], fill_value=0
    )
    table.insert(0, "assets", table.sum(axis=1))
    categories = pd.crosstab(frame["area"], frame["category"]).add_prefix("category_")
    table = table.join(categories)
    linked = _linked(links)
    has_link = pd.Series(assets.index.astype("str").isin(linked), index=assets.index)
    table["linked_share"] = (
        has_link[frame.index].groupby(frame["area"]).mean().round(6).reindex(table.index)
    )
    if links is not None:
        opp = links[links["kind"].astype("str") == "opportunity"]
        where = codes.astype("str")
        where.index = where.index.astype("str")
        ends = (
            pd.concat(
                [
                    pd.DataFrame(
                        {
                            "link": np.arange(len(opp)),
                            "area": where.reindex(opp["source"].astype("str")).to_numpy(),
                        }
                    ),
                    pd.DataFrame(
                        {
                            "link": np.arange(len(opp)),
                            "area": where.reindex(opp["target"].astype("str")).to_numpy(),
                        }
                    ),
                ]
            )
            .dropna()
            .drop_duplicates()
        )
        table["links"] = (
            ends.groupby("area")["link"].nunique().reindex(table.index).fillna(0).astype(int)
        )
    table.index.name = f"{level}_code"
    return _with_imd(table, imd).sort_index()


def link_deserts(
    assets: pd.DataFrame,
    links: pd.DataFrame,
    *,
    level: str,
    imd: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Areas that hold micro-assets but no opportunity link to any macro-asset, most deprived first.

    ``links`` are opportunity links found within the distance that matters
    (:func:`assetmap.find_links`); an area is a desert when none of them joins one of its
    micro-assets to a macro-asset, either way round.

    Returns
    -------
    pandas.DataFrame
        One row per desert: ``micro`` (its micro-assets), ``people`` (the capacity of its
        individuals, where the register counts people; else how many there are), the area's
        name where known, and ``imd_rank``/``imd_decile`` when ``imd`` is given; ranked by
        decile, then rank, then code.
    """
    codes = _level_codes(assets, level)
    kinds = assets["kind"].astype("str")
    opp = links[links["kind"].astype("str") == "opportunity"]
    macro = set(assets.index[kinds == "macro"].astype("str"))
    src, tgt = opp["source"].astype("str"), opp["target"].astype("str")
    reaching = set(src[tgt.isin(macro)]) | set(tgt[src.isin(macro)])
    micro = assets[(kinds == "micro") & codes.notna()]
    ids = micro.index.astype("str")
    individual = micro["category"] == "individual"
    people = pd.Series(
        np.where(individual, pd.to_numeric(micro["capacity"], errors="coerce").fillna(1), 0),
        index=micro.index,
    )
    table = pd.DataFrame(
        {
            "micro": micro.groupby(codes[micro.index]).size(),
            "people": people.groupby(codes[micro.index]).sum(),
            "reaching": pd.Series(ids.isin(reaching), index=micro.index)
            .groupby(codes[micro.index])
            .sum(),
        }
    )
    name_column = f"{level}_name"
    if name_column in assets.columns:
        table.insert(0, "name", micro[name_column].groupby(codes[micro.index]).first())
    table = table[table["reaching"] == 0].drop(columns="reaching")
    table.index.name = f"{level}_code"
    table = _with_imd(table, imd)
    order = ["imd_decile", "imd_rank"] if imd is not None else []
    return (
        table.reset_index()
        .sort_values([*order, f"{level}_code"], na_position="last")
        .set_index(f"{level}_code")
    )


def anchor_deserts(assets: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Macro-assets whose surroundings hold nothing that meets their needs (the reverse of
    :func:`link_deserts`): no opportunity link leads to them within the links' distance."""
    kinds = assets["kind"].astype("str")
    opp = links[links["kind"].astype("str") == "opportunity"]
    reached = set(opp["target"].astype("str"))
    macro = assets[(kinds == "macro") & assets["needs"].map(len).gt(0)]
    out = pd.DataFrame(
        {"name": macro["name"], "needs": macro["needs"].map(tuple)},
        index=pd.Index(macro.index.astype("str"), name="asset_id"),
    )
    return out[~out.index.isin(reached)]


def skills_mismatch(
    assets: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    reach_m: float = 1200.0,
    vocabulary: pd.DataFrame | Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Local supply of each skill against what the anchors within reach need, area by area.

    Parameters
    ----------
    assets
        Geocoded assets with ``<level>_code`` for the areas' level (assigned here if missing).
    areas
        Boundaries (:func:`assetmap.areas.read_boundaries`).
    reach_m
        How far, in metres, from a macro-asset (its footprint where it has one) an area may lie
        for its needs to count there.

    Returns
    -------
    pandas.DataFrame
        One row per area and tag with supply or demand: ``supply`` (micro-assets in the area
        offering the tag; an individual counts as its ``capacity`` people where given),
        ``demand`` (the ``capacity`` — vacancies — of macro-assets within reach that need it; 1
        where none is given), ``gap`` (demand − supply) and ``shortfall`` (the gap where
        positive).
    """

    level = areas.attrs.get("level", "area")
    if f"{level}_code" not in assets.columns:
        assets = assign_areas(assets, areas)
    synonyms = synonym_map(vocabulary)
    codes = assets[f"{level}_code"]
    kinds = assets["kind"].astype("str")
    count = pd.to_numeric(assets["capacity"], errors="coerce")
    rows = []
    micro = assets[(kinds == "micro") & codes.notna()]
    for asset_id, tags in zip(micro.index, micro["offers"], strict=True):
        people = count[asset_id] if micro.loc[asset_id, "category"] == "individual" else np.nan
        weight = float(people) if np.isfinite(people) else 1.0
        for tag in dict.fromkeys(synonyms.get(t, t) for t in tags):
            rows.append((codes[asset_id], tag, weight, 0.0))
    p = projected(assets)
    has_fp = p.has_footprint
    site = np.where(has_fp, p.footprint, shapely.points(p.x, p.y))

    polygons = shapely.transform(
        areas.to_crs(4326).geometry.to_numpy(),
        lambda c: np.column_stack(from_lonlat(c[:, 0], c[:, 1], p.crs)),
    )
    tree = shapely.STRtree(polygons)
    area_codes = np.asarray(areas.index.astype("str"), dtype=object)
    for k in np.flatnonzero((kinds == "macro").to_numpy() & p.placed):
        near = tree.query(site[k], predicate="dwithin", distance=reach_m)
        vacancies = float(count.iloc[k]) if np.isfinite(count.iloc[k]) else 1.0
        for tag in dict.fromkeys(synonyms.get(t, t) for t in assets["needs"].iloc[k]):
            rows.extend((area_codes[a], tag, 0.0, vacancies) for a in near)
    frame = pd.DataFrame(rows, columns=[f"{level}_code", "tag", "supply", "demand"])
    table = frame.groupby([f"{level}_code", "tag"], sort=True)[["supply", "demand"]].sum()
    table["gap"] = table["demand"] - table["supply"]
    table["shortfall"] = table["gap"].clip(lower=0)
    return table
