"""The tables of a report, each worked out from the register, its links and what was published.

Every builder here takes records already through :func:`assetmap.privacy.publish` (or the
set of ids it names exactly) and returns a plain table (no index) ready to write: records that
may not be named appear by their published id, counts below the policy's ``min_count`` are hidden.
:func:`assetmap.report.build_report` calls them in reading order.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from ..analysis import (
    area_summary,
    brokers,
    link_deserts,
    reach_by_category,
    uncovered_needs,
)
from ..areas import area_of
from ..errors import ConfigurationError
from ..geocoding.gazetteer import Gazetteer
from ..network import Streets
from ..privacy import Published
from ..schema import SCORE_DECIMALS

__all__ = [
    "BANDS_M",
    "DIRECTIONS",
    "area_codes",
    "area_tables",
    "attention_table",
    "brokers_table",
    "macro_catchments_table",
    "macro_links_table",
    "macro_needs_table",
    "not_shown_table",
    "skills_table",
    "study_polygon",
    "visible_records",
]

#: The distance bands of a site's catchment, metres (5, 10 and 15 minutes at 4.8 km/h).
BANDS_M = (400, 800, 1200)


def _text(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "; ".join(map(str, v)) if isinstance(v, tuple | list) else v)


def _names(published: Published) -> pd.Series:
    shown = published.assets
    names = shown["name"] if "name" in shown else pd.Series(pd.NA, index=shown.index)
    return names.where(shown["shown"] == "exact").astype("object")


def visible_records(
    assets: gpd.GeoDataFrame,
    published: Published,
    level: str,
    areas: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    """The records this audience sees, as it sees them: index the published id; records shown
    exactly with their allowed fields, records shown coarsely at their coarse point with no
    tags, no name and no capacity. Every table of the report is made from these (and the
    published links), so none says anything about a record that the map does not.

    Each gets ``<level>_code``: an exact record its own; a coarse one the area its coarse point
    lies in (boundaries), or its own coarse gazetteer level (a postcode district), which its
    coarse point already tells.
    """
    shown = published.assets
    back = {p: a for a, p in published.ids.items()}
    source = pd.Index([back[str(p)] for p in shown.index])
    out = gpd.GeoDataFrame(shown.copy(), geometry="geometry", crs=4326)
    coarse = (out["shown"] == "coarse").to_numpy()
    for column in ("offers", "needs"):
        values = out[column] if column in out else pd.Series(None, index=out.index)
        out[column] = [
            () if c or not isinstance(v, tuple | list) else v
            for c, v in zip(coarse, values, strict=True)
        ]
    if "capacity" not in out:
        out["capacity"] = np.nan
    out["geocode_method"] = assets["geocode_method"].reindex(source).to_numpy()
    out.loc[coarse, "geocode_method"] = "coarse"
    code, name = f"{level}_code", f"{level}_name"
    codes = assets[code].reindex(source).to_numpy(dtype=object) if code in assets else None
    names = assets[name].reindex(source).to_numpy(dtype=object) if name in assets else None
    if areas is not None and coarse.any():
        at = area_of(out.geometry.to_numpy()[coarse], areas)
        area_codes_ = np.asarray(areas.index.astype("str"), dtype=object)
        area_names = (
            areas["area_name"].to_numpy(dtype=object)
            if "area_name" in areas
            else np.full(len(areas), None, dtype=object)
        )
        if codes is not None:
            codes[coarse] = np.where(at >= 0, area_codes_[np.maximum(at, 0)], None)
        if names is not None:
            names[coarse] = np.where(at >= 0, area_names[np.maximum(at, 0)], None)
    if codes is not None:
        out[code] = codes
    if names is not None:
        out[name] = names
    return out


def attention_table(assets: pd.DataFrame, published: Published) -> tuple[pd.DataFrame, bool]:
    """Rows to check that this audience may see by name, and whether there are others (how
    many is not said: it would count records the audience does not see)."""
    method = assets["geocode_method"].astype("str")
    needs_look = assets["geocode_note"].notna() | method.isin(["sector", "district", "none"])
    exact = [str(a) for a in assets.index if published.ids.get(str(a)) == str(a)]
    shown = needs_look & assets.index.astype("str").isin(exact)
    table = pd.DataFrame(
        {
            "asset_id": assets.index[shown].astype("str"),
            "name": assets.loc[shown, "name"].to_numpy(),
            "geocode_method": method[shown].to_numpy(),
            "geocode_precision_m": assets.loc[shown, "geocode_precision_m"].round(1).to_numpy(),
            "geocode_note": assets.loc[shown, "geocode_note"].to_numpy(),
        }
    )
    return table, bool(needs_look.sum() > shown.sum())


#: How a macro-asset stands to its partner in a link: it offers what the partner needs, or it
#: needs what the partner offers.
DIRECTIONS = ("offers to", "needs from")


def macro_links_table(assets: pd.DataFrame, published: Published) -> pd.DataFrame:
    """Each macro-asset's published link opportunities, ranked by the score shown.

    Scores are rounded to :data:`SCORE_DECIMALS`, and ranks follow the rounded scores: equal
    scores are ranked nearer first (straight-line distance), then by partner id and direction,
    all columns of the table, so a reader can see why one comes first. Links to records shown
    only by category carry no score, so no rank: they come last, in the order of their
    published ids. ``direction`` says how the macro-asset stands to its partner ("offers to" or
    "needs from"; a pair linked both ways appears twice), and a reason for a "needs from" row
    says what the macro-asset needs ("needs training; 1,023 m").
    """
    links = published.links
    columns = [
        "macro_id", "macro_name", "rank", "partner_id", "partner_name", "partner_category",
        "direction", "distance_m", "walk_m", "score", "reason",
    ]  # fmt: skip
    if links is None or not len(links):
        empty = pd.DataFrame(columns=columns)
        return empty.astype({"rank": "Int64", "score": "float64"})
    kinds = published.assets["kind"].astype("str")
    macro = set(kinds.index[kinds == "macro"])
    src, tgt = links["source"].astype("str"), links["target"].astype("str")
    names = _names(published)
    categories = published.assets["category"].astype("str")
    parts = []
    for macro_end, other, direction in ((src, tgt, DIRECTIONS[0]), (tgt, src, DIRECTIONS[1])):
        mine = macro_end.isin(macro).to_numpy()
        reason = links.loc[mine, "reason"].astype("str")
        if direction == DIRECTIONS[1]:  # the partner offers what the macro-asset needs
            reason = reason.str.replace(r"^offers ", "needs ", regex=True)
        part = pd.DataFrame(
            {
                "macro_id": macro_end[mine].to_numpy(),
                "partner_id": other[mine].to_numpy(),
                "direction": direction,
                "distance_m": links.loc[mine, "distance_m"].to_numpy(dtype=float),
                "walk_m": links.loc[mine, "walk_m"].to_numpy(dtype=float)
                if "walk_m" in links
                else np.nan,
                "score": links.loc[mine, "score"].to_numpy(dtype=float),
                "order": np.flatnonzero(mine),
                "reason": reason.to_numpy(),
            }
        )
        parts.append(part[~part["partner_id"].isin(macro) | (direction == DIRECTIONS[0])])
    table = pd.concat(parts, ignore_index=True)
    table[["distance_m", "walk_m"]] = table[["distance_m", "walk_m"]].round(0)
    table["score"] = table["score"].round(SCORE_DECIMALS)
    unscored = table["score"].isna()
    # scored links by the score shown, nearer first among equals; then the unscored ones in
    # the order they were published (by published id: their place says nothing)
    table["_last"] = unscored
    table["_by"] = -table["score"].fillna(0.0)
    table["_near"] = table["distance_m"].where(~unscored, 0.0)
    table["_order"] = table["order"].where(unscored, 0)
    table = table.sort_values(
        ["macro_id", "_last", "_by", "_near", "_order", "partner_id", "direction"],
        kind="stable",
    )
    ranks = table.groupby("macro_id").cumcount() + 1
    table["rank"] = pd.array(ranks.where(~table["_last"]).to_numpy(), dtype="Int64")
    table["macro_name"] = table["macro_id"].map(names)
    table["partner_name"] = table["partner_id"].map(names)
    table["partner_category"] = table["partner_id"].map(categories)
    return table[columns].reset_index(drop=True)


def macro_needs_table(assets: pd.DataFrame, links: pd.DataFrame, exact: set[str]) -> pd.DataFrame:
    """Each named macro-asset's needs, met and uncovered within the links' distance."""
    gaps = uncovered_needs(assets, links)
    gaps = gaps[gaps.index.isin(exact)]
    table = pd.DataFrame(
        {
            "macro_id": gaps.index,
            "macro_name": assets.loc[gaps.index, "name"].to_numpy() if len(gaps) else [],
            "needs": _text(gaps["needs"]).to_numpy(),
            "met": _text(gaps["met"]).to_numpy(),
            "uncovered": _text(gaps["uncovered"]).to_numpy(),
            "n_uncovered": gaps["n_uncovered"].to_numpy(),
        }
    )
    return table.sort_values(["n_uncovered", "macro_id"], ascending=[False, True]).reset_index(
        drop=True
    )


def macro_catchments_table(visible: gpd.GeoDataFrame, streets: Streets | None) -> pd.DataFrame:
    """Records this audience sees, by category, within each named macro-asset's distance
    bands (coarse records at their coarse point)."""
    reach = reach_by_category(visible, bands_m=BANDS_M, streets=streets)
    exact = set(visible.index[visible["shown"] == "exact"].astype("str"))
    rows: list[pd.DataFrame] = []
    for macro in reach.index.get_level_values("macro_id").unique():
        if macro not in exact:
            continue
        counts = reach.loc[macro].copy()
        counts["total"] = counts.sum(axis=1)
        shown = counts.reset_index()
        shown.insert(0, "macro_id", macro)
        shown.insert(1, "macro_name", visible.loc[macro, "name"])
        shown.insert(3, "measured", reach.attrs["measured"])
        rows.append(shown)
    if not rows:
        return pd.DataFrame(columns=["macro_id", "macro_name", "within_m", "measured", "total"])
    return pd.concat(rows, ignore_index=True)


def area_codes(
    assets: pd.DataFrame, areas: gpd.GeoDataFrame | None, gazetteer: Gazetteer | None
) -> tuple[pd.DataFrame, str]:
    """The assets with their area codes, and the level: the boundaries' (assigned before, by
    :func:`assetmap.assign_areas`), else the coarsest level of the gazetteer the register was
    geocoded with (postcode districts with the ONS directory), else one area for all."""
    if areas is not None:
        level = str(areas.attrs.get("level", "area"))
        if f"{level}_code" not in assets.columns:
            raise ConfigurationError(
                f"the assets have no {level}_code column: assign them to these areas first "
                "(assetmap.assign_areas(assets, areas))"
            )
        return assets, level
    assets = assets.copy()
    placed = (assets["geocode_method"].astype("str") != "none").to_numpy()
    if gazetteer is None:
        assets["study_code"] = pd.Series("all", index=assets.index, dtype="object").where(placed)
        return assets, "study"
    levels = gazetteer.parse(assets["postcode"].astype("object")).levels
    level, codes = list(levels.items())[-1]  # the coarsest
    if "address" in assets.columns:
        from_address = gazetteer.parse(assets["address"].astype("object")).levels.get(level)
        if from_address is not None:
            codes = codes.fillna(from_address)
    assets[f"{level}_code"] = codes.set_axis(assets.index).where(placed).astype("object")
    return assets, level


def area_tables(
    visible: pd.DataFrame,
    links: pd.DataFrame,
    level: str,
    imd: pd.DataFrame | None,
    mismatch: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-area table and the link deserts, of the records this audience sees."""
    summary = area_summary(visible, links, level=level, imd=imd)
    categories = [c for c in summary.columns if c.startswith("category_")]
    counts = summary[categories].rename(columns=lambda c: c[len("category_") :])
    table = pd.DataFrame({"area_code": summary.index.astype("str")})
    names = (
        visible.groupby(visible[f"{level}_code"])[f"{level}_name"].first()
        if (f"{level}_name" in visible.columns)
        else pd.Series(dtype="object")
    )
    table["area_name"] = names.reindex(summary.index).to_numpy()
    table["assets"] = counts.sum(axis=1).astype("int64").to_numpy()
    for column in counts.columns:
        table[column] = counts[column].astype("int64").to_numpy()
    table["links"] = summary["links"].astype("int64").to_numpy()
    table["linked_share"] = summary["linked_share"].round(3).to_numpy()
    for column in ("imd_rank", "imd_decile"):
        if column in summary:
            table[column] = summary[column].to_numpy()
    deserts = link_deserts(visible, links, level=level, imd=imd)
    table["link_desert"] = table["area_code"].isin(deserts.index.astype("str"))
    if mismatch is not None and len(mismatch):
        short = mismatch.reset_index()
        short = short[short["shortfall"] > 0].sort_values(
            ["shortfall", "tag"], ascending=[False, True]
        )
        top = short.groupby(f"{level}_code")["tag"].first()
        table["top_shortfall"] = table["area_code"].map(top)
    desert_table = deserts.reset_index().rename(
        columns={f"{level}_code": "area_code", "name": "area_name"}
    )
    desert_table["area_code"] = desert_table["area_code"].astype("str")
    return table, desert_table


def not_shown_table(published: Published) -> pd.DataFrame:
    """Records not shown on their own, per area and category, as the gate protected them."""
    counts = published.counts
    if not len(counts):
        return pd.DataFrame(columns=["area"])
    out = counts.reset_index()
    return out.rename(columns={out.columns[0]: "area"})


def skills_table(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Supply, demand and the gap of each skill (by ``by``), among the records shown."""
    out = table.reset_index()
    out["gap"] = (out["demand"] - out["supply"]).round(6)
    out["shortfall"] = out["gap"].clip(lower=0)
    return out[[*by, "tag", "supply", "demand", "gap", "shortfall"]]


def study_polygon(assets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One area around every placed asset (level ``study``), for register-wide skills."""
    placed = assets.geometry[~assets.geometry.is_empty & assets.geometry.notna()]
    minx, miny, maxx, maxy = placed.total_bounds
    frame = gpd.GeoDataFrame(
        geometry=[shapely.box(minx - 0.01, miny - 0.01, maxx + 0.01, maxy + 0.01)],
        index=pd.Index(["all"], name="study_code"),
        crs=4326,
    )
    frame.attrs["level"] = "study"
    return frame


def brokers_table(G: nx.MultiGraph | None, published: Published) -> tuple[pd.DataFrame, bool]:
    """The brokers among the records this audience sees, in the graph of what it sees (so a
    hidden record's ties move no one's score), by published id; and whether any was left out."""
    if G is None:
        columns = ["asset_id", "name", "betweenness", "articulation_point", "n_stranded"]
        return pd.DataFrame(columns=columns), False
    seen = G.subgraph([n for n in G.nodes if str(n) in published.ids])
    table = brokers(nx.MultiGraph(seen))
    names = _names(published)
    ids = table.index.astype("str").map(published.ids)
    out = pd.DataFrame(
        {
            "asset_id": ids,
            "name": ids.map(names.to_dict()),
            "betweenness": table["betweenness"].round(4).to_numpy(),
            "articulation_point": table["articulation_point"].to_numpy(),
            "n_stranded": table["n_stranded"].to_numpy(),
        }
    )
    return out.reset_index(drop=True), seen.number_of_nodes() < G.number_of_nodes()
