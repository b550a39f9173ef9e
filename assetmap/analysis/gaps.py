"""What is missing: needs no link meets, offers nobody uses, areas and anchors left unlinked.

Owns the tag-level gaps of each asset and the link deserts (areas, and macro-assets, that no
opportunity link reaches). Every function returns tables (DataFrames), never prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..schema import select_assets, synonym_map
from .places import level_codes, with_imd

__all__ = [
    "anchor_deserts",
    "link_deserts",
    "uncovered_needs",
    "unused_offers",
]


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
    chosen = assets[select_assets(assets, list(kinds))]
    met = _needs_met(links, side, link_column)
    link_column_out = "met" if column == "needs" else "matched"
    rows = []
    for asset_id, tags in zip(chosen.index, chosen[column], strict=True):
        mine = tuple(dict.fromkeys(synonyms.get(t, t) for t in tags))
        done = met.get(str(asset_id), set())
        rows.append(
            {
                column: mine,
                link_column_out: tuple(t for t in mine if t in done),
                gap: tuple(t for t in mine if t not in done),
            }
        )
    out = pd.DataFrame(
        rows,
        index=pd.Index([str(i) for i in chosen.index], name="asset_id", dtype="object"),
        columns=[column, link_column_out, gap],  # the columns even when no asset is chosen
    )
    out[f"n_{gap}"] = out[gap].map(len).astype("int64")
    return out


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
    codes = level_codes(assets, level)
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
    table = with_imd(table, imd)
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
