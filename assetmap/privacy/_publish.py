"""publish(): the one place that decides what an audience may see."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import geographic
from ..errors import ConfigurationError
from ..geocoding.gazetteer import Gazetteer
from ..schema import CATEGORIES
from ._coarse import coarse_points, count_areas
from ._policy import COARSE_FIELDS, RELATIONSHIP_FIELDS, Audience, Policy, Published, as_policy
from ._suppress import protect

log = logging.getLogger("assetmap.privacy")


def publish(
    assets: gpd.GeoDataFrame,
    *,
    policy: Policy | None = None,
    audience: Audience | None = None,
    areas: gpd.GeoDataFrame | None = None,
    links: pd.DataFrame | None = None,
    relationships: pd.DataFrame | None = None,
    fields: Sequence[str] | None = None,
    k: int | None = None,
) -> Published:
    """What an audience may see of a geocoded register, its links and its relationships.

    Parameters
    ----------
    assets
        A geocoded register.
    policy
        Who will read it and what may leave (:class:`Policy`); ``audience=`` is a shortcut
        for ``Policy(audience)``. Public by default.
    audience
        ``"public"`` or ``"partners"`` (see the module's text).
    areas
        Boundaries (:func:`assetmap.areas.read_boundaries`): coarse records go to the centre
        of their area, and counts are per area.
    links
        Links to publish with them: ends renamed to published ids; links with a hidden end are
        left out (and counted in the audit); links to a record shown coarsely keep no distance,
        no tags and a score to one decimal.
    relationships
        Declared relationships (:func:`assetmap.read_relationships`): those whose ends are both
        shown keep only :data:`RELATIONSHIP_FIELDS`, ends renamed; the rest are left out.
    fields, k
        Old shortcuts for ``Policy(fields=...)`` and ``Policy(min_count=...)``.

    Returns
    -------
    Published

    Examples
    --------
    >>> from assetmap import datasets, geocode
    >>> published = publish(geocode(datasets.sample_register()), audience="public")
    >>> published.policy
    Policy('public')
    >>> "micro-resident-19" in published.assets.index  # private
    False
    """
    assets = geographic(assets, "the assets given to publish")
    if fields is not None:
        warnings.warn(
            "publish(fields=) is now publish(policy=Policy(fields=...)); the shortcut goes in "
            "the next release",
            DeprecationWarning,
            stacklevel=2,
        )
    policy = as_policy(policy, audience=audience, k=k, fields=fields)
    privacy = assets["privacy"].astype("str")
    geom = assets.geometry.to_numpy()
    placed = ~shapely.is_missing(geom) & ~shapely.is_empty(geom)
    exact = privacy.isin(policy.exact_levels).to_numpy()  # placed or not: nothing to hide
    coarse = placed & ~exact & (privacy != "private").to_numpy()
    hidden = ~exact & ~coarse
    described = policy.describe(assets, areas)
    shown_exact = _exact_rows(assets, exact, described["fields_exact"])
    shown_coarse, how = _coarse_rows(assets.loc[coarse], areas, policy.gazetteer)
    shown = gpd.GeoDataFrame(pd.concat([shown_exact, shown_coarse]), geometry="geometry", crs=4326)
    if "footprint" in shown:  # a record shown coarsely has none (None, as geometry columns hold)
        shown["footprint"] = (
            shown["footprint"].astype(object).where(shown["footprint"].notna(), None)
        )
    counts = _kept_back_counts(assets, hidden & placed, exact | coarse, areas, policy)
    renamed: dict[str, str] = {str(a): str(a) for a in assets.index[exact]}
    renamed.update(
        {
            str(a): str(o)
            for a, o in zip(shown_coarse.attrs["from"], shown_coarse.index, strict=True)
        }
    )
    out_links = _published_links(links, renamed, set(shown_coarse.index))
    out_relationships = _published_relationships(relationships, renamed)
    audit = _audit(shown, described, how, links is not None, relationships is not None)
    log.info(
        "published for %s: %d exact, %d coarse, %d kept back",
        policy.audience,
        int(exact.sum()),
        int(coarse.sum()),
        int(hidden.sum()),
    )
    return Published(
        assets=shown,
        counts=counts,
        links=out_links,
        audit=audit,
        policy=policy,
        kept_back=int(hidden.sum()),
        relationships=out_relationships,
        ids=renamed,
    )


def published_or_publish(
    data: gpd.GeoDataFrame | Published,
    *,
    policy: Policy | None = None,
    audience: Audience | None = None,
    k: int | None = None,
    **parts: Any,
) -> Published:
    """What was published already, or :func:`publish` of a frame now (for ``policy``, or its
    shortcuts; public by default): the one way every writer and drawer reaches the gate."""
    if isinstance(data, Published):
        given = [n for n, v in {"policy": policy, "audience": audience, "k": k, **parts}.items()
                 if v is not None]  # fmt: skip
        if given:
            raise ConfigurationError(
                f"this was published already (its policy and contents are fixed): give no "
                f"{', '.join(given)} beside it"
            )
        return data
    return publish(data, policy=as_policy(policy, audience=audience, k=k), **parts)


def _kept_back_counts(
    assets: gpd.GeoDataFrame,
    kept: np.ndarray,
    seen: np.ndarray,
    areas: gpd.GeoDataFrame | None,
    policy: Policy,
) -> pd.DataFrame:
    """The records kept back, per area and category, protected (:func:`protect`).

    The rows and columns are fixed by what the audience sees anyway, never by where the hidden
    records are: every area given (else every area holding a record it sees, or one for all),
    each with every category, plus "elsewhere"; so an area listed, or a zero, says nothing.
    """
    if areas is not None and len(areas):
        rows = [*areas.index.astype("str"), "outside the areas"]
    else:
        visible = assets.loc[seen & ~shapely.is_empty(assets.geometry.to_numpy())]
        found = sorted(set(count_areas(visible, None, policy.gazetteer))) if len(visible) else []
        rows = ["all"] if found in ([], ["all"]) else [*found, "elsewhere"]
    columns = sorted({c for cats in CATEGORIES.values() for c in cats})
    hidden = assets.loc[kept]
    where = (
        count_areas(hidden, areas, policy.gazetteer) if len(hidden) else pd.Series([], dtype="str")
    )
    where = where.where(where.isin(rows), rows[-1])  # the last row takes the rest
    table = pd.crosstab(where, hidden["category"].astype("str")) if len(hidden) else pd.DataFrame()
    table = table.reindex(index=rows, columns=columns, fill_value=0)
    table.index.name, table.columns.name = "area", "category"
    return protect(table, policy.min_count)


def _exact_rows(
    assets: gpd.GeoDataFrame, exact: np.ndarray, allowed: list[str]
) -> gpd.GeoDataFrame:
    """The records shown exactly: the allowed fields, at their place."""
    geom = assets.geometry.to_numpy()
    out = gpd.GeoDataFrame(assets.loc[exact, allowed].copy(), geometry=geom[exact], crs=4326)
    out.index = pd.Index(assets.index[exact].astype("str"), name="published_id")
    out.insert(0, "shown", "exact")
    precision = (
        assets.loc[exact, "geocode_precision_m"].to_numpy(dtype=float)
        if "geocode_precision_m" in assets
        else np.full(int(exact.sum()), np.nan)
    )
    out.insert(1, "precision_m", precision)
    return out


def _coarse_rows(
    rows: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None, gazetteer: Gazetteer | None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The records shown coarsely, as ``<category>-<n>`` at their coarse point, and where each
    point stands (``attrs["from"]`` holds the asset ids, in order; never written)."""
    lon, lat, prec, how = (
        coarse_points(rows, areas, gazetteer) if len(rows) else (np.array([]),) * 3 + ([],)
    )
    order = pd.DataFrame({"category": rows["category"].astype("str").to_numpy()})
    order["n"] = order.groupby("category").cumcount() + 1
    opaque = [f"{c}-{n}" for c, n in zip(order["category"], order["n"], strict=True)]
    columns = [c for c in COARSE_FIELDS if c in rows.columns]
    out = gpd.GeoDataFrame(
        rows[columns].to_numpy(),
        columns=columns,
        index=pd.Index(opaque, name="published_id"),
        geometry=shapely.points(lon, lat) if len(rows) else [],
        crs=4326,
    )
    out.insert(0, "shown", "coarse")
    out.insert(1, "precision_m", prec)
    out.attrs["from"] = [str(a) for a in rows.index]
    return out, how


def _published_links(
    links: pd.DataFrame | None, renamed: dict[str, str], coarse_ends: set[str]
) -> pd.DataFrame | None:
    """The links whose ends are shown, renamed.

    A link to a record shown coarsely says only that it exists and what the record is: no
    distance, no factor, no score and no tags (a score rounded even to 0.1 from several anchors
    places a resident within tens of metres; the tags that met would describe them). Such
    links come after the others, in the order of their published ids, so that their place in
    a ranking says nothing either.
    """
    if links is None:
        return None
    src, tgt = links["source"].astype("str"), links["target"].astype("str")
    keep = src.isin(renamed.keys()) & tgt.isin(renamed.keys())
    out = links[keep.to_numpy()].copy()
    out["source"] = src[keep].map(renamed).to_numpy()
    out["target"] = tgt[keep].map(renamed).to_numpy()
    private_end = (out["source"].isin(coarse_ends) | out["target"].isin(coarse_ends)).to_numpy()
    for column in ("distance_m", "walk_m", "proximity", "match", "weight", "score"):
        if column in out:
            out[column] = out[column].where(~private_end)
    for column in ("matched", "met"):
        if column in out:
            out[column] = [() if p else v for p, v in zip(private_end, out[column], strict=True)]
    if "reason" in out:
        out["reason"] = np.where(
            private_end,
            "a link to a record shown only by its category",
            out["reason"].astype("str"),
        )
    hidden_order = out[private_end].sort_values(["source", "target"], kind="stable")
    out = pd.concat([out[~private_end], hidden_order]).reset_index(drop=True)
    for column in ("source", "target", "reason"):
        if column in out:
            out[column] = out[column].astype("str")
    return out


def _published_relationships(
    relationships: pd.DataFrame | None, renamed: dict[str, str]
) -> pd.DataFrame | None:
    """Relationships whose ends are both shown: ends renamed, only the allowed fields."""
    if relationships is None:
        return None
    src = relationships["source"].astype("str")
    tgt = relationships["target"].astype("str")
    keep = (src.isin(renamed.keys()) & tgt.isin(renamed.keys())).to_numpy()
    columns = [c for c in RELATIONSHIP_FIELDS if c in relationships.columns]
    out = relationships.loc[keep, columns].reset_index(drop=True)
    out["source"] = src[keep].map(renamed).to_numpy()
    out["target"] = tgt[keep].map(renamed).to_numpy()
    return out


def _audit(
    shown: gpd.GeoDataFrame,
    described: dict[str, Any],
    how: list[str],
    with_links: bool,
    with_relationships: bool,
) -> pd.DataFrame:
    """One row per record published, and one per kind of thing kept back (how many is never
    said: with what is shown, that would count the hidden records)."""
    exact = int((shown["shown"] == "exact").sum())
    audit = pd.DataFrame(
        {
            "published_id": shown.index,
            "shown": shown["shown"].to_numpy(),
            "precision_m": shown["precision_m"].to_numpy(),
            "fields": [", ".join(described["fields_exact"])] * exact
            + [", ".join(described["fields_coarse"])] * (len(shown) - exact),
            "placed_at": ["as geocoded"] * exact + how,
        }
    )
    extra = [("(not shown on their own)", "counted", "only in counts per area (see counts)")]
    if with_links:
        extra.append(("(links)", "left out", "those with an end not shown"))
    if with_relationships:
        extra.append(("(relationships)", "left out", "those with an end not shown"))
    rows = pd.DataFrame(
        {
            "published_id": [e[0] for e in extra],
            "shown": [e[1] for e in extra],
            "precision_m": np.nan,
            "fields": "",
            "placed_at": [e[2] for e in extra],
        }
    )
    audit = pd.concat([audit, rows], ignore_index=True)
    audit.attrs["policy"] = described
    return audit
