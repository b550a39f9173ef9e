"""publish(): the one place that decides what an audience may see."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from ..crs import geographic
from ..errors import ConfigurationError
from ..geocoding.gazetteer import Gazetteer
from ..schema import CATEGORIES, id_positions
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
    shown_coarse, how = _coarse_rows(_slim(assets, coarse), areas, policy.gazetteer)
    shown = gpd.GeoDataFrame(pd.concat([shown_exact, shown_coarse]), geometry="geometry", crs=4326)
    if "footprint" in shown:  # a record shown coarsely has none (None, as geometry columns hold)
        shown["footprint"] = (
            shown["footprint"].astype(object).where(shown["footprint"].notna(), None)
        )
    counts = _kept_back_counts(assets, hidden & placed, exact | coarse, areas, policy)
    ends = _Ends.of(assets.index, exact, coarse, shown_coarse.index)
    out_links = _published_links(links, ends)
    out_relationships = _published_relationships(relationships, ends)
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
        ids=ends.renamed(),
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


def _slim(assets: gpd.GeoDataFrame, rows: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """The columns that place and describe a record coarsely (and count it), for ``rows``:
    never a copy of the whole register."""
    columns = [c for c in (*COARSE_FIELDS, "postcode") if c in assets.columns]
    slim = assets[[*columns, assets.geometry.name]]
    return slim if rows is None else slim[rows]


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
    slim = _slim(assets)
    if areas is not None and len(areas):
        rows = [*areas.index.astype("str"), "outside the areas"]
    elif policy.gazetteer is None or "postcode" not in slim:
        rows = ["all"]  # every record is counted in one area for all (count_areas)
    else:
        visible = slim[seen & ~shapely.is_empty(slim.geometry.to_numpy())]
        found: list[str] = (
            sorted(count_areas(visible, None, policy.gazetteer).unique()) if len(visible) else []
        )
        rows = ["all"] if found in ([], ["all"]) else [*found, "elsewhere"]
    columns = sorted({c for cats in CATEGORIES.values() for c in cats})
    hidden = slim[kept]
    where = (
        count_areas(hidden, areas, policy.gazetteer) if len(hidden) else pd.Series([], dtype="str")
    )
    where = where.where(where.isin(rows), rows[-1])  # the last row takes the rest
    table = _crosstab(where, hidden["category"]) if len(hidden) else pd.DataFrame()
    table = table.reindex(index=rows, columns=columns, fill_value=0)
    table.index.name, table.columns.name = "area", "category"
    return protect(table, policy.min_count)


def _crosstab(where: pd.Series, category: pd.Series) -> pd.DataFrame:
    """How many records of each category are in each area (``pd.crosstab`` of the two, by
    counting codes; missing values not counted)."""
    w_codes, areas = pd.factorize(where.astype("str"))
    c_codes, categories = pd.factorize(category.astype("str"))
    both = (w_codes >= 0) & (c_codes >= 0)
    cells = np.bincount(
        w_codes[both] * len(categories) + c_codes[both], minlength=len(areas) * len(categories)
    ).reshape(len(areas), len(categories))
    return pd.DataFrame(
        cells.astype(np.int64), index=areas.astype(object), columns=categories.astype(object)
    )


def _exact_rows(
    assets: gpd.GeoDataFrame, exact: np.ndarray, allowed: list[str]
) -> gpd.GeoDataFrame:
    """The records shown exactly: the allowed fields, at their place."""
    geom = assets.geometry.to_numpy()
    out = gpd.GeoDataFrame(assets.loc[exact, allowed], geometry=geom[exact], crs=4326)
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
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The records shown coarsely, as ``<category>-<n>`` (the n-th of its category, in the
    register's order) at their coarse point, and where each point stands (text)."""
    lon, lat, prec, how = (
        coarse_points(rows, areas, gazetteer)
        if len(rows)
        else (np.array([]), np.array([]), np.array([]), np.array([], dtype=object))
    )
    category = rows["category"].astype("str").reset_index(drop=True)
    n = category.groupby(category).cumcount() + 1
    opaque = category + "-" + n.astype("str")
    columns = [c for c in COARSE_FIELDS if c in rows.columns]
    out = gpd.GeoDataFrame(
        {c: rows[c].to_numpy() for c in columns},
        index=pd.Index(opaque.to_numpy(dtype=object), dtype="str", name="published_id"),
        geometry=shapely.points(lon, lat) if len(rows) else [],
        crs=4326,
    )
    out.insert(0, "shown", "coarse")
    out.insert(1, "precision_m", prec)
    return out, how


@dataclass(frozen=True)
class _Ends:
    """What links and relationships are renamed with: ids (``lookup``; every asset's when they
    are unique, else those of the records shown) and, aligned with them, whether each is
    shown, its published id and whether it is shown coarsely."""

    lookup: pd.Index
    shown: np.ndarray
    published: np.ndarray
    coarse: np.ndarray

    @classmethod
    def of(cls, index: pd.Index, exact: np.ndarray, coarse: np.ndarray, opaque: pd.Index) -> _Ends:
        ids = index.astype("str")
        if ids.is_unique:  # as validated registers are: every asset's id, in place
            published = np.full(len(ids), None, dtype=object)
            published[exact] = ids[exact].to_numpy(dtype=object)
            published[coarse] = opaque.to_numpy(dtype=object)
            return cls(ids, exact | coarse, published, coarse.copy())
        exact_ids = ids[exact].to_numpy(dtype=object)
        lookup = pd.Index(np.concatenate([exact_ids, ids[coarse].to_numpy(dtype=object)]))
        published = np.concatenate([exact_ids, opaque.to_numpy(dtype=object)])
        flags = np.concatenate([np.zeros(len(exact_ids), bool), np.ones(len(opaque), bool)])
        last = ~lookup.duplicated(keep="last")  # one id twice: the last record shown answers
        shown = np.ones(int(last.sum()), dtype=bool)
        return cls(lookup[last], shown, published[last], flags[last])

    def at(self, source: pd.Series, target: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Where each end is (-1: not shown), by its id as text (see
        :func:`assetmap.schema.id_positions`)."""
        shown = np.append(self.shown, False)  # position -1 (not found): not shown

        def where(ends: pd.Series) -> np.ndarray:
            at = id_positions(self.lookup, ends)
            return np.where(shown[at], at, -1)

        return where(source), where(target)

    def renamed(self) -> dict[str, str]:
        """Asset id → published id, for every record shown (those shown exactly first)."""
        order = np.concatenate(
            [np.flatnonzero(self.shown & ~self.coarse), np.flatnonzero(self.shown & self.coarse)]
        )
        ids = self.lookup[order].to_numpy(dtype=object)
        return dict(zip(ids, self.published[order], strict=True))


def _published_links(links: pd.DataFrame | None, ends: _Ends) -> pd.DataFrame | None:
    """The links whose ends are shown, renamed.

    A link to a record shown coarsely says only that it exists and what the record is: no
    distance, no factor, no score and no tags (a score rounded even to 0.1 from several anchors
    places a resident within tens of metres; the tags that met would describe them). Such
    links come after the others, in the order of their published ids, so that their place in
    a ranking says nothing either.
    """
    if links is None:
        return None
    src, tgt = ends.at(links["source"], links["target"])
    rows = np.flatnonzero((src >= 0) & (tgt >= 0))
    src, tgt = src[rows], tgt[rows]
    private_end = ends.coarse[src] | ends.coarse[tgt]
    published = pa.array(ends.published, pa.string())  # each end's text taken, not made again
    source, target = published.take(src), published.take(tgt)
    hidden = np.flatnonzero(private_end)
    if len(hidden):  # in the order of their published ids
        key = pd.DataFrame({"s": _texts(source.take(hidden)), "t": _texts(target.take(hidden))})
        hidden = hidden[key.sort_values(["s", "t"], kind="stable").index.to_numpy()]
    order = np.concatenate([np.flatnonzero(~private_end), hidden])  # the rows, taken once
    out: pd.DataFrame = links.iloc[rows[order]].reset_index(drop=True)
    private_end = private_end[order]
    out["source"], out["target"] = _texts(source.take(order)), _texts(target.take(order))
    for column in ("distance_m", "walk_m", "proximity", "match", "weight", "score"):
        if column in out:
            out[column] = out[column].where(~private_end)
    for column in ("matched", "met"):
        if column in out and private_end.any():
            values = out[column].to_numpy(dtype=object, copy=True)
            nothing = np.empty(1, dtype=object)
            nothing[0] = ()
            values[private_end] = nothing  # the same empty tuple in every such row
            out[column] = values
    if "reason" in out:
        reason = _arrow_texts(out["reason"])
        withheld = pa.scalar("a link to a record shown only by its category", pa.string())
        out["reason"] = _texts(pc.if_else(pa.array(private_end), withheld, reason))
    for column in ("source", "target", "reason"):
        if column in out:
            out[column] = out[column].astype("str")
    return out


def _arrow_texts(values: pd.Series) -> pa.Array:
    """A column as text in Arrow (missing as null); a categorical one by its codes, each
    category's text made once."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        names = pa.array(values.cat.categories.astype("str").array, pa.string())
        codes = values.cat.codes.to_numpy()
        return names.take(pa.array(codes, mask=codes < 0))
    return pa.array(values.astype("str").array, pa.string())


def _strings(values: np.ndarray) -> pa.Array:
    """Texts (an object array of str, or empty) as an Arrow string array."""
    return pa.array(values, pa.string()) if len(values) else pa.array([], pa.string())


def _texts(values: pa.Array) -> pd.arrays.ArrowStringArray:
    return pd.arrays.ArrowStringArray(pa.chunked_array([values], pa.string()))


def _published_relationships(
    relationships: pd.DataFrame | None, ends: _Ends
) -> pd.DataFrame | None:
    """Relationships whose ends are both shown: ends renamed, only the allowed fields."""
    if relationships is None:
        return None
    src, tgt = ends.at(relationships["source"], relationships["target"])
    keep = (src >= 0) & (tgt >= 0)
    columns = [c for c in RELATIONSHIP_FIELDS if c in relationships.columns]
    out = relationships.loc[keep, columns].reset_index(drop=True)
    out["source"] = pd.array(ends.published[src[keep]], dtype="str")
    out["target"] = pd.array(ends.published[tgt[keep]], dtype="str")
    return out


def _audit(
    shown: gpd.GeoDataFrame,
    described: dict[str, Any],
    how: np.ndarray,
    with_links: bool,
    with_relationships: bool,
) -> pd.DataFrame:
    """One row per record published, and one per kind of thing kept back (how many is never
    said: with what is shown, that would count the hidden records)."""
    is_exact = (shown["shown"] == "exact").to_numpy()
    exact = int(is_exact.sum())
    fields = pa.array(
        [", ".join(described["fields_coarse"]), ", ".join(described["fields_exact"])], pa.string()
    )
    placed = pa.concat_arrays(
        [pa.array(["as geocoded"], pa.string()).take(np.zeros(exact, np.intp)), _strings(how)]
    )
    audit = pd.DataFrame(
        {
            "published_id": shown.index,
            "shown": shown["shown"].array,
            "precision_m": shown["precision_m"].to_numpy(),
            "fields": _texts(fields.take(is_exact.astype(np.intp))).astype("str"),
            "placed_at": _texts(placed).astype("str"),
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
