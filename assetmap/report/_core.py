"""Reports people read: the tables behind the map, for one audience, as CSV, XLSX and HTML.

:func:`build_report` works out the tables from a geocoded register and its links; every
record in them has passed :func:`assetmap.privacy.publish` for the audience: records that may
not be named appear by their published id and category, private ones only in counts, and
counts below ``k`` are suppressed (shown empty). :func:`save_report` writes them as one CSV
per table, one workbook (a sheet per table and a sheet describing every column) and one
printable HTML summary with charts, with the audit beside it.
"""

from __future__ import annotations

import base64
import html
import io
import logging
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from .._reproducible import stable_xlsx
from ..analysis import (
    area_summary,
    brokers,
    link_deserts,
    skills_mismatch,
    uncovered_needs,
)
from ..areas import assign_areas
from ..errors import ConfigurationError
from ..geocoding import geocode_summary
from ..geocoding.postcodes import parse
from ..graph import graph_from_assets
from ..links import find_links
from ..network import StreetGraph, walk_distances
from ..privacy import Audience, Published, publish, suppress, write_audit

__all__ = ["COLUMNS", "Report", "build_report", "save_report"]

log = logging.getLogger(__name__)

#: The distance bands of a site's catchment, metres (5, 10 and 15 minutes at 4.8 km/h).
BANDS_M = (400, 800, 1200)

#: What each column of a report's tables holds (the workbook's "columns" sheet).
COLUMNS: dict[str, str] = {
    "geocode_method": "how rows were placed: coordinates, footprint, postcode, an online "
    "service, postcode sector or district centre, or none (not placed)",
    "assets": "how many assets (empty where fewer than k and hidden)",
    "median_precision_m": "median distance, metres, within which the true place lies",
    "with_note": "rows with a geocoding note: read differently from what was written, placed "
    "by a fallback, or not placed",
    "asset_id": "the asset's published id: its own id when it may be named, else its category "
    "and a number",
    "name": "the asset's name (empty for records that may not be named)",
    "geocode_precision_m": "distance, metres, within which the true place lies",
    "geocode_note": "what happened when the row was placed, and what to check",
    "macro_id": "the macro-asset (anchor) the row is about",
    "macro_name": "the macro-asset's name",
    "rank": "1 = the best link opportunity of this macro-asset (highest score)",
    "partner_id": "the asset at the other end of the link (published id)",
    "partner_name": "its name (empty for records that may not be named)",
    "partner_category": "its category",
    "direction": "'offers' when the macro-asset offers what the partner needs; 'needs' when "
    "the partner offers what the macro-asset needs",
    "distance_m": "straight-line distance, metres, between the two (empty where it would "
    "place a record that may not be named)",
    "walk_m": "walking distance, metres, along the streets (empty as for distance_m)",
    "score": "match × proximity × weight: higher is a better opportunity",
    "reason": "why the link was found, in words",
    "needs": "what the asset needs, as tags",
    "met": "needs met by at least one asset within the links' distance",
    "uncovered": "needs no asset within the links' distance meets",
    "n_uncovered": "how many needs are uncovered",
    "within_m": "the band: assets within this distance of the site (walking when a street "
    "graph was given, else straight-line from its footprint)",
    "measured": "'walk' along the streets or 'straight' line",
    "total": "all assets in the band or area (empty where fewer than k)",
    "area_code": "the area's code (ONS code, or a postcode district)",
    "area_name": "the area's name where the boundaries give one",
    "links": "link opportunities with an end in the area (empty where fewer than k)",
    "linked_share": "share of the area's assets with at least one link opportunity",
    "imd_rank": "Index of Multiple Deprivation 2019 rank of 32,844 (1 = most deprived)",
    "imd_decile": "IMD 2019 decile (1 = most deprived 10 % of neighbourhoods in England)",
    "link_desert": "True when the area holds micro-assets but none has a link opportunity "
    "with a macro-asset",
    "top_shortfall": "the skill whose demand within reach most exceeds local supply",
    "tag": "a skill or resource, as the register's offers and needs name it",
    "supply": "micro-assets offering it (individuals count as their capacity in people; "
    "empty where fewer than k)",
    "demand": "vacancies (capacity) of macro-assets within reach that need it",
    "gap": "demand − supply (empty where supply is hidden)",
    "shortfall": "the gap where positive",
    "micro": "micro-assets in the area (empty where fewer than k)",
    "people": "people among them: individuals' capacity (empty where fewer than k)",
    "betweenness": "share of shortest paths between assets that pass through this one",
    "articulation_point": "True when removing it splits the network",
    "n_stranded": "micro-assets that would lose every path to a macro-asset without it",
}

_ABOUT: dict[str, str] = {
    "geocoding": "How many rows were placed by which method.",
    "attention": "Rows to check: read differently from what was written, placed only "
    "roughly, or not placed (records this audience may see).",
    "macro_links": "Each macro-asset's link opportunities, best first, with their reasons.",
    "macro_needs": "Each macro-asset's needs, and those no asset within reach meets.",
    "macro_catchments": "What lies within reach of each macro-asset, by category.",
    "areas": "Assets, links and deprivation per area.",
    "deserts": "Areas whose micro-assets have no link opportunity with any macro-asset, most "
    "deprived first.",
    "skills": "Supply and demand of each skill across the register's area.",
    "mismatch": "Supply and demand of each skill area by area.",
    "brokers": "The assets that connect others to the macro-assets.",
}


@dataclass(frozen=True)
class Report:
    """The tables of a report for one audience.

    Attributes
    ----------
    title
        The report's heading.
    audience
        Who it is for.
    tables
        Table name → table (plain columns, no index), in reading order.
    notes
        Sentences for the reader: what was left out, and why.
    published
        What :func:`assetmap.privacy.publish` let through (its audit is written beside).
    """

    title: str
    audience: Audience
    tables: dict[str, pd.DataFrame]
    notes: list[str]
    published: Published
    k: int = 5
    charts: dict[str, bytes] = field(default_factory=dict)


def _small(values: pd.Series, k: int) -> pd.Series:
    """Counts from 1 to k − 1 hidden (NA)."""
    counts = pd.to_numeric(values, errors="coerce").astype("Float64")
    counts = counts.mask((counts > 0) & (counts < k)).round(6)
    whole = counts.dropna()
    return counts.astype("Int64") if bool((whole == whole.round()).all()) else counts


def _text(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "; ".join(map(str, v)) if isinstance(v, tuple | list) else v)


def _names(published: Published) -> pd.Series:
    shown = published.assets
    names = shown["name"] if "name" in shown else pd.Series(pd.NA, index=shown.index)
    return names.where(shown["shown"] == "exact").astype("object")


def _attention(assets: pd.DataFrame, published: Published) -> tuple[pd.DataFrame, int]:
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
    return table, int(needs_look.sum() - shown.sum())


def _macro_links(assets: pd.DataFrame, published: Published) -> pd.DataFrame:
    links = published.links
    columns = [
        "macro_id", "macro_name", "rank", "partner_id", "partner_name", "partner_category",
        "direction", "distance_m", "walk_m", "score", "reason",
    ]  # fmt: skip
    if links is None or not len(links):
        return pd.DataFrame(columns=columns)
    kinds = published.assets["kind"].astype("str")
    macro = set(kinds.index[kinds == "macro"])
    src, tgt = links["source"].astype("str"), links["target"].astype("str")
    names = _names(published)
    categories = published.assets["category"].astype("str")
    parts = []
    for macro_end, other, direction in ((src, tgt, "offers"), (tgt, src, "needs")):
        mine = macro_end.isin(macro).to_numpy()
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
                "true_score": links.loc[mine, "true_score"].to_numpy(dtype=float),
                "reason": links.loc[mine, "reason"].astype("str").to_numpy(),
            }
        )
        parts.append(part[~part["partner_id"].isin(macro) | (direction == "offers")])
    table = pd.concat(parts, ignore_index=True)
    table = table.sort_values(
        ["macro_id", "true_score", "partner_id"], ascending=[True, False, True], kind="stable"
    )
    table["rank"] = table.groupby("macro_id").cumcount() + 1
    table["macro_name"] = table["macro_id"].map(names)
    table["partner_name"] = table["partner_id"].map(names)
    table["partner_category"] = table["partner_id"].map(categories)
    table[["distance_m", "walk_m"]] = table[["distance_m", "walk_m"]].round(0)
    table["score"] = table["score"].round(4)
    return table[columns].reset_index(drop=True)


def _macro_needs(assets: pd.DataFrame, links: pd.DataFrame, exact: set[str]) -> pd.DataFrame:
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


def _macro_catchments(
    assets: pd.DataFrame, exact: set[str], k: int, streets: StreetGraph | None
) -> pd.DataFrame:

    kinds = assets["kind"].astype("str")
    macros = [a for a in assets.index[kinds == "macro"].astype("str") if a in exact]
    if streets is not None:
        reach = walk_distances(assets, streets, max_m=max(BANDS_M))
        reach = reach.rename(columns={"walk_m": "m"})
        measured = "walk"
    else:
        near = find_links(
            assets, kind="proximity", between=("macro", "micro"), max_distance_m=max(BANDS_M)
        )
        src, tgt = near["source"].astype("str"), near["target"].astype("str")
        macro_src = src.isin(macros)
        reach = pd.DataFrame(
            {
                "source": np.where(macro_src, src, tgt),
                "target": np.where(macro_src, tgt, src),
                "m": near["distance_m"].to_numpy(dtype=float),
            }
        )
        measured = "straight"
    categories = assets["category"].astype("str")
    reach = reach[reach["source"].astype("str").isin(macros)]
    kind_of = kinds.set_axis(kinds.index.astype("str"))
    reach = reach[reach["target"].astype("str").map(kind_of) == "micro"]
    every = sorted(set(categories[kinds == "micro"]))
    rows = []
    for macro in macros:
        mine = reach[reach["source"].astype("str") == macro]
        counts = pd.DataFrame(
            [
                categories.reindex(mine.loc[mine["m"] <= band, "target"].astype("str").to_numpy())
                .value_counts()
                .reindex(every, fill_value=0)
                for band in BANDS_M
            ],
            index=pd.Index(BANDS_M, name="within_m"),
        )
        counts.columns = every
        shown = (
            pd.DataFrame(index=counts.index) if not every else counts.pipe(_suppressed, k)
        ).reset_index()
        shown.insert(0, "macro_id", macro)
        shown.insert(1, "macro_name", assets.loc[macro, "name"])
        shown.insert(3, "measured", measured)
        rows.append(shown)
    if not rows:
        return pd.DataFrame(columns=["macro_id", "macro_name", "within_m", "measured", "total"])
    return pd.concat(rows, ignore_index=True)


def _suppressed(counts: pd.DataFrame, k: int) -> pd.DataFrame:
    """Counts per row and column with small numbers suppressed; no total row is published."""

    return suppress(counts, k).drop(index="total")


def _area_codes(assets: pd.DataFrame, areas: gpd.GeoDataFrame | None) -> tuple[pd.DataFrame, str]:
    """The assets with their area codes, and the level: the boundaries', else postcode district."""

    if areas is not None:
        level = str(areas.attrs.get("level", "area"))
        if f"{level}_code" not in assets.columns:
            assets = assign_areas(assets, areas)
        return assets, level
    assets = assets.copy()
    district = parse(assets["postcode"].astype("object"))["district"]
    if "address" in assets.columns:
        district = district.fillna(parse(assets["address"].astype("object"))["district"])
    placed = assets["geocode_method"].astype("str") != "none"
    assets["district_code"] = district.where(placed).astype("object")
    return assets, "district"


def _areas(
    assets: pd.DataFrame,
    links: pd.DataFrame,
    level: str,
    imd: pd.DataFrame | None,
    mismatch: pd.DataFrame | None,
    k: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    summary = area_summary(assets, links, level=level, imd=imd)
    categories = [c for c in summary.columns if c.startswith("category_")]
    counts = _suppressed(summary[categories].rename(columns=lambda c: c[len("category_") :]), k)
    table = pd.DataFrame({"area_code": summary.index.astype("str")})
    names = (
        assets.groupby(assets[f"{level}_code"])[f"{level}_name"].first()
        if (f"{level}_name" in assets.columns)
        else pd.Series(dtype="object")
    )
    table["area_name"] = names.reindex(summary.index).to_numpy()
    table["assets"] = counts["total"].reset_index(drop=True)
    for column in counts.columns.drop("total"):
        table[column] = counts[column].reset_index(drop=True)
    table["links"] = _small(summary["links"], k).reset_index(drop=True)
    table["linked_share"] = (
        summary["linked_share"].round(3).where(table["assets"].notna().to_numpy()).to_numpy()
    )
    for column in ("imd_rank", "imd_decile"):
        if column in summary:
            table[column] = summary[column].to_numpy()
    deserts = link_deserts(assets, links, level=level, imd=imd)
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
    for column in ("micro", "people"):
        desert_table[column] = _small(desert_table[column], k)
    return table, desert_table


def _skills(table: pd.DataFrame, k: int, by: list[str]) -> pd.DataFrame:
    out = table.reset_index()
    out["supply"] = _small(out["supply"], k)
    out["gap"] = (out["demand"] - out["supply"]).round(6)
    out["shortfall"] = out["gap"].clip(lower=0)
    return out[[*by, "tag", "supply", "demand", "gap", "shortfall"]]


def _study_polygon(assets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    placed = assets.geometry[~assets.geometry.is_empty & assets.geometry.notna()]
    minx, miny, maxx, maxy = placed.total_bounds
    frame = gpd.GeoDataFrame(
        geometry=[shapely.box(minx - 0.01, miny - 0.01, maxx + 0.01, maxy + 0.01)],
        index=pd.Index(["all"], name="study_code"),
        crs=4326,
    )
    frame.attrs["level"] = "study"
    return frame


def _brokers(G: nx.MultiGraph, published: Published) -> tuple[pd.DataFrame, int]:
    table = brokers(G)
    shown = table.index.astype("str").isin(list(published.ids))
    table = table[shown]
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
    return out.reset_index(drop=True), int((~shown).sum())


def build_report(
    assets: gpd.GeoDataFrame,
    links: pd.DataFrame,
    *,
    audience: Audience = "public",
    k: int = 5,
    title: str = "Assets",
    areas: gpd.GeoDataFrame | None = None,
    imd: pd.DataFrame | None = None,
    relationships: pd.DataFrame | None = None,
    streets: StreetGraph | None = None,
    reach_m: float | None = None,
    graph: nx.MultiGraph | None = None,
    charts: bool = True,
) -> Report:
    """The report's tables for one audience.

    Parameters
    ----------
    assets
        A geocoded register (:func:`assetmap.geocode`).
    links
        Its opportunity links (:func:`assetmap.find_links`), found within the distance that
        matters: they decide what is "within reach".
    audience
        ``"public"`` or ``"partners"``: who may read it (:func:`assetmap.privacy.publish`).
    k
        Counts below this are suppressed.
    title
        The report's heading.
    areas
        Boundaries (:func:`assetmap.areas.read_boundaries`) for the per-area tables; without
        them, postcode districts are the areas.
    imd
        Deprivation by the areas' codes (:func:`assetmap.areas.read_imd`).
    relationships
        Declared relationships (:func:`assetmap.read_relationships`), for the brokers.
    streets
        A street graph: catchments are walked (else measured in a straight line).
    reach_m
        How far an anchor's needs count for the skills tables (by default the links'
        ``max_distance_m``).
    graph
        The register's graph (:func:`assetmap.graph_from_assets`) for the brokers; built from
        the assets, links and relationships when None.
    charts
        Draw the charts (matplotlib) for the HTML summary.

    Returns
    -------
    Report

    Examples
    --------
    >>> from assetmap import datasets, find_links, geocode
    >>> assets = geocode(datasets.sample_register())
    >>> report = build_report(assets, find_links(assets, between=("micro", "macro")), charts=False)
    >>> list(report.tables)[:3]
    ['geocoding', 'attention', 'macro_links']
    >>> "micro-resident-19" in set(report.tables["macro_links"]["partner_id"])  # private
    False
    """
    if audience not in ("public", "partners"):
        raise ConfigurationError(f"reports are for 'public' or 'partners', not {audience!r}")
    reach = float(reach_m if reach_m is not None else links.attrs.get("max_distance_m", 1200.0))
    assets, level = _area_codes(assets, areas)
    # the rank of a link is its place by its true score (publishing rounds some scores)
    ranked = links.assign(true_score=links["score"])
    published = publish(assets, audience=audience, k=k, areas=areas, links=ranked)
    exact = {i for i, p in published.ids.items() if i == p}
    notes = []
    tables: dict[str, pd.DataFrame] = {}
    tables["geocoding"] = geocode_summary(assets).round(1).reset_index()
    tables["attention"], hidden = _attention(assets, published)
    if hidden:
        notes.append(
            f"{hidden} more rows need attention but may not be shown to this audience; the "
            "analyst's copy of the register lists them."
        )
    tables["macro_links"] = _macro_links(assets, published)
    if published.links is not None:  # the true scores served the ranking only
        published = replace(published, links=published.links.drop(columns="true_score"))
    tables["macro_needs"] = _macro_needs(assets, links, exact)
    tables["macro_catchments"] = _macro_catchments(assets, exact, k, streets)
    mismatch = skills_mismatch(assets, areas, reach_m=reach) if areas is not None else None
    tables["areas"], tables["deserts"] = _areas(assets, links, level, imd, mismatch, k)
    study = skills_mismatch(assets, _study_polygon(assets), reach_m=reach)
    tables["skills"] = _skills(study.droplevel(0), k, [])
    if mismatch is not None:
        tables["mismatch"] = _skills(mismatch, k, [f"{level}_code"]).rename(
            columns={f"{level}_code": "area_code"}
        )
    if graph is None:
        graph = graph_from_assets(assets, links=links, relationships=relationships)
    tables["brokers"], kept = _brokers(graph, published)
    if kept:
        notes.append(f"{kept} brokers may not be shown to this audience and are left out.")
    if level == "district":
        notes.append("Areas are postcode districts (no boundary files were given).")
    notes.append(
        f"Empty cells in counts hide numbers from 1 to {k - 1} (and enough others that they "
        "cannot be worked out), so no one can be picked out."
    )
    report = Report(title, audience, tables, notes, published, k)
    if charts:
        report.charts.update(_charts(report))
    log.info("report for %s: %s", audience, {n: len(t) for n, t in tables.items()})
    return report


# --- writing ----------------------------------------------------------------------------------


def _describe(column: str) -> str:
    if column in COLUMNS:
        return COLUMNS[column]
    return f"assets of category '{column}' (empty where fewer than k)"


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buffer.getvalue()


def _charts(report: Report) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = {}
    with matplotlib.rc_context({"svg.hashsalt": "assetmap", "font.size": 9}):
        areas = report.tables["areas"].dropna(subset=["links"])
        areas = areas.sort_values(["links", "area_code"], ascending=[False, True]).head(20)
        if len(areas):
            fig, ax = plt.subplots(figsize=(7, 0.25 * len(areas) + 1))
            labels = [
                f"{c} {n}" if isinstance(n, str) else c
                for c, n in zip(areas["area_code"], areas["area_name"], strict=True)
            ]
            ax.barh(labels[::-1], areas["links"].to_numpy(dtype=float)[::-1], color="#2c7fb8")
            ax.set_xlabel("link opportunities with an end in the area")
            ax.set_title("Links per area (the 20 with most)")
            out["links per area"] = _png(fig)
        scores = report.tables["macro_links"]["score"].dropna()
        if len(scores):
            fig, ax = plt.subplots(figsize=(7, 2.6))
            ax.hist(scores.to_numpy(dtype=float), bins=[i / 20 for i in range(21)], color="#41ab5d")
            ax.set_xlabel("score (match × proximity × weight)")
            ax.set_ylabel("links")
            ax.set_title("Score distribution of the macro-assets' link opportunities")
            out["score distribution"] = _png(fig)
        skills = report.tables["skills"].sort_values("tag")
        skills = skills[(skills["demand"] > 0) | skills["supply"].fillna(0).gt(0)]
        if len(skills):
            fig, ax = plt.subplots(figsize=(7, 0.35 * len(skills) + 1))
            y = np.arange(len(skills))
            supply = skills["supply"].astype("Float64").fillna(0).to_numpy(dtype=float)
            demand = skills["demand"].to_numpy(dtype=float)
            ax.barh(y - 0.2, supply, 0.4, label="supply (micro-assets, people)", color="#fdae61")
            ax.barh(y + 0.2, demand, 0.4, label="demand (anchors' vacancies)", color="#2c7bb6")
            for row in np.flatnonzero(skills["supply"].isna().to_numpy()):
                ax.text(0, row - 0.2, f" fewer than {report.k}", va="center", fontsize=7)
            ax.set_yticks(y, skills["tag"].tolist())
            ax.invert_yaxis()
            ax.legend(loc="lower right")
            ax.set_title(
                "Supply and demand by skill (skills some anchor needs, or some asset offers)"
            )
            out["supply and demand by skill"] = _png(fig)
    return out


def _csv_frame(table: pd.DataFrame) -> pd.DataFrame:
    return table.astype(object).where(table.notna(), None)


def _html_table(table: pd.DataFrame, limit: int | None = None) -> str:
    shown = table if limit is None else table.head(limit)
    body = shown.to_html(index=False, escape=True, na_rep="", border=0, classes="t")
    more = (
        f"<p class=more>… and {len(table) - limit} more rows in the workbook.</p>"
        if limit is not None and len(table) > limit
        else ""
    )
    return body + more


_CSS = """
body{font:11pt/1.4 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #999;margin-top:1.6em}
h3{font-size:1.05em;margin-bottom:.3em}
table.t{border-collapse:collapse;font-size:9pt;margin:.4em 0}
table.t th,table.t td{border:1px solid #ccc;padding:2px 5px;text-align:left;vertical-align:top}
table.t th{background:#eee}img{max-width:100%}.more,.note{color:#555;font-size:9pt}
section.macro{break-inside:avoid}
@media print{body{margin:0;max-width:none}h2{break-before:page}h2.first{break-before:auto}}
"""


def _html(report: Report) -> str:
    e = html.escape
    t = report.tables
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>{e(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(report.title)}</h1>",
        f"<p>For: <b>{e(report.audience)}</b>. {len(report.published.assets)} records shown, "
        f"{len(t['macro_links'])} link opportunities with a macro-asset.</p>",
        *(f"<p class=note>{e(n)}</p>" for n in report.notes),
        "<h2 class=first>Charts</h2>",
    ]
    for name, png in report.charts.items():
        data = base64.b64encode(png).decode("ascii")
        image = f'<img alt="{e(name)}" src="data:image/png;base64,{data}">'
        parts.append(f"<h3>{e(name.capitalize())}</h3>{image}")
    parts.append("<h2>Macro-assets</h2>")
    needs = t["macro_needs"].set_index("macro_id")
    catch = t["macro_catchments"]
    macros = list(dict.fromkeys([*needs.index, *catch["macro_id"]]))
    for macro in macros:
        name = needs.loc[macro, "macro_name"] if macro in needs.index else macro
        parts.append(f"<section class=macro><h3>{e(str(name))} ({e(macro)})</h3>")
        if macro in needs.index:
            row = needs.loc[macro]
            parts.append(
                f"<p>Needs: {e(str(row['needs']) or '—')}. Uncovered within reach: "
                f"<b>{e(str(row['uncovered']) or 'none')}</b>.</p>"
            )
        mine = t["macro_links"][t["macro_links"]["macro_id"] == macro]
        columns = ["rank", "partner_id", "partner_name", "partner_category", "score", "reason"]
        parts.append(_html_table(mine[columns], 10) if len(mine) else "<p>No link opportunity.</p>")
        bands = catch[catch["macro_id"] == macro].drop(columns=["macro_id", "macro_name"])
        if len(bands):
            parts.append(_html_table(bands))
        parts.append("</section>")
    for name, heading in (
        ("areas", "Areas"),
        ("deserts", "Link deserts"),
        ("skills", "Skills: supply and demand"),
        ("brokers", "Brokers"),
        ("geocoding", "Geocoding"),
        ("attention", "Rows that need attention"),
    ):
        parts.append(f"<h2>{e(heading)}</h2><p class=note>{e(_ABOUT[name])}</p>")
        parts.append(_html_table(t[name], 40) if len(t[name]) else "<p>None.</p>")
    parts.append("<h2>Columns</h2><dl>")
    seen = sorted({c for table in t.values() for c in table.columns})
    parts.extend(f"<dt><code>{e(c)}</code></dt><dd>{e(_describe(c))}</dd>" for c in seen)
    parts.append("</dl></body></html>\n")
    return "\n".join(parts)


def save_report(report: Report, folder: str | PathLike[str]) -> list[Path]:
    """Write a report: ``report.html`` (printable, charts inside), ``report.xlsx`` (a sheet per
    table, a ``columns`` sheet describing each column, an ``about`` sheet), one CSV per table
    in ``tables/``, and the audit beside the HTML.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    folder = Path(folder)
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in report.tables.items():
        path = folder / "tables" / f"{name}.csv"
        _csv_frame(table).to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    xlsx = folder / "report.xlsx"
    about = pd.DataFrame(
        {
            "sheet": list(report.tables),
            "what it holds": [_ABOUT[n] for n in report.tables],
            "rows": [len(t) for t in report.tables.values()],
        }
    )
    columns = pd.DataFrame(
        [
            {"sheet": name, "column": c, "description": _describe(c)}
            for name, table in report.tables.items()
            for c in table.columns
        ]
    )
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        about.to_excel(writer, sheet_name="about", index=False)
        columns.to_excel(writer, sheet_name="columns", index=False)
        for name, table in report.tables.items():
            _csv_frame(table).to_excel(writer, sheet_name=name[:31], index=False)
    stable_xlsx(xlsx)
    written.append(xlsx)
    page = folder / "report.html"
    page.write_text(_html(report), encoding="utf-8")
    written.append(page)
    written.append(write_audit(report.published, page))
    return written
