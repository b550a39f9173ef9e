"""Building a report: the tables for one audience, from a geocoded register and its links.

:func:`build_report` works out the tables from a geocoded register and its links; every
record in them has passed :func:`assetmap.privacy.publish` for the audience: records that may
not be named appear by their published id and category, private ones only in counts, and
counts below the policy's ``min_count`` are suppressed (shown empty). The tables themselves
are worked out in :mod:`assetmap.report._tables`, the charts in :mod:`assetmap.report._charts`.
"""

from __future__ import annotations

import logging
import warnings

import geopandas as gpd
import networkx as nx
import pandas as pd

from ..analysis import skills_mismatch
from ..errors import ConfigurationError
from ..geocoding import geocode_summary
from ..network import Streets, as_street_graph
from ..privacy import Audience, Policy, Published, as_policy, publish
from ._charts import draw_charts
from ._model import Report
from ._notes import shape_notes
from ._tables import (
    area_codes,
    area_tables,
    attention_table,
    brokers_table,
    macro_catchments_table,
    macro_links_table,
    macro_needs_table,
    not_shown_table,
    skills_table,
    study_polygon,
    visible_records,
)

__all__ = ["build_report"]

log = logging.getLogger(__name__)


def build_report(
    assets: gpd.GeoDataFrame,
    links: pd.DataFrame,
    *,
    published: Published | None = None,
    policy: Policy | None = None,
    audience: Audience | None = None,
    title: str = "Assets",
    areas: gpd.GeoDataFrame | None = None,
    imd: pd.DataFrame | None = None,
    streets: Streets | None = None,
    max_distance_m: float | None = None,
    graph: nx.MultiGraph | None = None,
    charts: bool = True,
    k: int | None = None,
    reach_m: float | None = None,
) -> Report:
    """The report's tables for one audience.

    Parameters
    ----------
    assets
        A geocoded register (:func:`assetmap.geocode`), assigned to ``areas`` when they are
        given (:func:`assetmap.assign_areas`).
    links
        Its opportunity links (:func:`assetmap.find_links`), found within the distance that
        matters: they decide what is "within reach".
    published
        What :func:`assetmap.publish` let this audience see of the same assets and links: every
        record the report names comes from it. Published here when None, for the ``policy``.
    policy, audience
        Who may read it (:class:`assetmap.privacy.Policy`; ``audience=`` is a shortcut), when
        ``published`` is not given. Its gazetteer groups the areas when no boundaries are
        given (postcode districts with the ONS directory; one area for all without one).
    title
        The report's heading.
    areas
        Boundaries (:func:`assetmap.areas.read_boundaries`) for the per-area tables.
    imd
        Deprivation by the areas' codes (:func:`assetmap.areas.read_imd`).
    streets
        A street graph (an osmnx or networkx graph, a StreetGraph or a file): catchments are
        walked (else measured in a straight line).
    max_distance_m
        How far, in metres, an anchor's needs count for the skills tables (by default the
        links' ``max_distance_m``).
    graph
        The register's graph (:func:`assetmap.graph_from_assets`, with its relationships) for
        the brokers; without it the report has no brokers table.
    charts
        Draw the charts (matplotlib) for the HTML summary.
    k, reach_m
        Old names of the policy's ``min_count`` and of ``max_distance_m`` (deprecated).

    Returns
    -------
    Report

    Examples
    --------
    >>> from assetmap import datasets, find_links, geocode
    >>> assets = geocode(datasets.sample_register())
    >>> links = find_links(assets, between=("micro", "macro"))
    >>> report = build_report(assets, links, audience="public", charts=False)
    >>> report
    <Report 'Assets' for public: 10 tables>
    >>> "micro-resident-19" in set(report.tables["macro_links"]["partner_id"])  # private
    False
    """
    if reach_m is not None:
        warnings.warn(
            "build_report(reach_m=) is now max_distance_m=; the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        max_distance_m = reach_m if max_distance_m is None else max_distance_m
    if published is None:
        ranked = links.sort_values("score", ascending=False, kind="stable")  # best first
        chosen = as_policy(policy, audience=audience, k=k)
        published = publish(assets, policy=chosen, areas=areas, links=ranked)
    elif policy is not None or audience is not None or k is not None:
        raise ConfigurationError("give published= or a policy (or audience), not both")
    if published.links is None:
        raise ConfigurationError("the publication holds no links: publish(..., links=links)")
    min_count = published.policy.min_count
    reach = float(max_distance_m or links.attrs.get("max_distance_m", 1200.0))
    assets, level = area_codes(assets, areas, published.policy.gazetteer)
    # every table is made of what this audience sees: the records published, at the precision
    # published, and the published links; the records kept back are only in "not_shown"
    visible = visible_records(assets, published, level, areas)
    shown_links = published.links
    exact_ids = {i for i, p in published.ids.items() if i == p}
    exact = assets[assets.index.astype("str").isin(exact_ids)]
    notes = shape_notes(visible, shown_links, reach)
    tables: dict[str, pd.DataFrame] = {}
    tables["geocoding"] = geocode_summary(exact).round(1).reset_index()
    tables["attention"], more = attention_table(assets, published)
    if more:
        notes.append(
            "More rows need attention but may not be shown to this audience; the analyst's "
            "copy of the register lists them."
        )
    tables["macro_links"] = macro_links_table(assets, published)
    tables["macro_needs"] = macro_needs_table(visible, shown_links, exact_ids)
    walkable = as_street_graph(streets) if streets is not None else None
    tables["macro_catchments"] = macro_catchments_table(visible, walkable)
    mismatch = skills_mismatch(visible, areas, reach_m=reach) if areas is not None else None
    tables["areas"], tables["deserts"] = area_tables(visible, shown_links, level, imd, mismatch)
    if not (visible["kind"].astype("str") == "macro").any():  # no anchor: nothing to reach
        tables["deserts"] = tables["deserts"].iloc[0:0]
        tables["areas"]["link_desert"] = False
    study = skills_mismatch(visible, study_polygon(visible), reach_m=reach)
    tables["skills"] = skills_table(study.droplevel(0), [])
    if mismatch is not None:
        tables["mismatch"] = skills_table(mismatch, [f"{level}_code"]).rename(
            columns={f"{level}_code": "area_code"}
        )
    tables["brokers"], left_out = brokers_table(graph, published)
    if left_out:
        notes.append("Brokers are measured among the records this audience may see.")
    if graph is None:
        notes.append("No graph was given, so the report names no brokers.")
    tables["not_shown"] = not_shown_table(published)
    if areas is None:
        g = published.policy.gazetteer
        notes.append(
            f"Areas are {g.name} {level}s (no boundary files were given)."
            if g is not None
            else "The register is one area (no boundary files and no gazetteer were given)."
        )
    notes.append(
        "Every count here is of records this audience sees (those shown only by category "
        "at their approximate place included). Private records are counted only in the "
        "workbook's not_shown sheet (tables/not_shown.csv), per area, where counts from 0 to "
        f"{min_count - 1} are left empty, with no totals, so none can be worked out."
    )
    report = Report(title, published.policy.audience, tables, notes, published, min_count)
    if charts:
        report.charts.update(draw_charts(report))
    log.info("report for %s: %s", published.policy.audience, {n: len(t) for n, t in tables.items()})
    return report
