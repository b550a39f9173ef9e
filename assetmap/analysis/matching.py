"""Matching supply to need: capacity along opportunity links, skills against vacancies.

Owns :class:`Matching` (the min-cost-flow assignment), the resident-to-employer skills matches
with their barriers (:data:`DEFAULT_BARRIERS`), and the area-by-area skills mismatch. Every
function returns tables (DataFrames), never prints.
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
from ..crs import from_lonlat, projected, to_crs
from ..errors import ConfigurationError
from ..schema import synonym_map

__all__ = [
    "DEFAULT_BARRIERS",
    "Matching",
    "match_capacity",
    "skills_matches",
    "skills_mismatch",
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
        to_crs(areas, 4326).geometry.to_numpy(),
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
