"""Publishing: what each audience may see of a register, and a record of what was shown.

Privacy levels (the ``privacy`` column):

- ``public``: named, at its exact place, for everyone.
- ``partners``: named and exact for partners; for the public, as ``area``.
- ``area``: never named; shown only as its category, at a coarse point: the centre of its area
  (when areas are given), else of its postcode sector, else of a 500 m grid cell. Coarsening is
  deterministic (no random jitter, which averaging would undo) and says how coarse it is.
- ``private``: never shown on its own; it only adds to counts per area, where counts below ``k``
  are suppressed, and enough others with them that none can be worked out from the totals.

Every writer (maps, graph files, registers saved for an audience) goes through
:func:`publish`, and writes an audit file beside what it wrote.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._reproducible import written_at
from .areas import area_of
from .crs import from_lonlat, metric_crs, to_lonlat
from .errors import ConfigurationError
from .geocoding.gazetteer import ons_postcode_directory
from .geocoding.postcodes import parse

__all__ = [
    "COARSE_CELL_M",
    "EXACT_FIELDS",
    "Audience",
    "Published",
    "publish",
    "suppress",
    "write_audit",
]

log = logging.getLogger(__name__)

Audience = Literal["public", "partners"]

#: Which privacy levels each audience sees named and exact; ``private`` never is.
SHOWN_EXACTLY: dict[str, frozenset[str]] = {
    "public": frozenset({"public"}),
    "partners": frozenset({"public", "partners"}),
}

#: Fields that may leave for a record shown exactly (``fields=`` adds more). Contact details,
#: notes and any other column of the register never leave unless named.
EXACT_FIELDS = (
    "name", "kind", "category", "subcategory", "description", "offers", "needs", "capacity",
    "postcode", "address", "footprint", "privacy", "geocode_method", "geocode_precision_m",
    "in_study_area",
)  # fmt: skip

#: Fields that may leave for a record shown coarsely: what it is, not who.
COARSE_FIELDS = ("kind", "category", "privacy")

#: The grid used when a coarse record has neither an area nor a postcode sector.
COARSE_CELL_M = 500.0

#: A coarse point must stand for at least this much ground (its precision, metres): a postcode
#: sector smaller than this gives way to its district.
MIN_COARSE_M = 250.0


@dataclass(frozen=True)
class Published:
    """What may be shown to an audience.

    Attributes
    ----------
    assets
        The records that may be drawn, index ``published_id`` (the asset id for exact records; an
        opaque ``<category>-<n>`` for coarse ones): ``shown`` (``exact``/``coarse``),
        ``precision_m`` and the allowed fields; geometry in EPSG:4326.
    counts
        Records not shown on their own, per area and category, small numbers suppressed (missing).
    links
        The links whose ends may be shown, ends renamed to published ids (None without links).
    audit
        One row per record published (id, how shown, precision, fields) and one for those kept
        back; ``attrs`` holds the policy.
    policy
        The rules applied (audience, k, fields, where coarse records go).
    ids
        Asset id → published id, for every record shown (exact or coarse); never written out.
    """

    assets: gpd.GeoDataFrame
    counts: pd.DataFrame
    links: pd.DataFrame | None
    audit: pd.DataFrame
    policy: dict[str, Any] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


def suppress(counts: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Counts with small numbers hidden, and enough others that none can be recovered.

    Primary suppression hides every cell from 1 to ``k - 1``. Secondary suppression then hides,
    in any column (then any row) with exactly one hidden cell, the smallest other non-zero
    cell, until no row or column has a single hidden cell: published totals minus published
    cells then never reveal a hidden one. Totals (``total`` column and row) are added, and are
    hidden only when they themselves are small.

    Examples
    --------
    >>> table = pd.DataFrame({"a": [1, 6], "b": [7, 8]}, index=["x", "y"])
    >>> suppress(table, k=5)
              a     b  total
    x      <NA>  <NA>      8
    y      <NA>  <NA>     14
    total     7    15     22
    """
    values = counts.to_numpy(dtype="int64")
    hidden = (values > 0) & (values < k)
    changed = True
    while changed:
        changed = False
        for axis in (0, 1):
            lines = hidden if axis == 1 else hidden.T
            vals = values if axis == 1 else values.T
            for r in range(lines.shape[0]):
                if lines[r].sum() == 1:
                    candidates = np.flatnonzero(~lines[r] & (vals[r] > 0))
                    if len(candidates):
                        pick = candidates[np.argmin(vals[r][candidates])]
                        lines[r, pick] = True
                        changed = True
    out = pd.DataFrame(values, index=counts.index, columns=counts.columns).astype("Int64")
    out = out.mask(hidden)
    row_total = pd.Series(values.sum(axis=1), index=counts.index, dtype="Int64")
    col_total = pd.Series(values.sum(axis=0), index=counts.columns, dtype="Int64")
    out["total"] = row_total.mask((row_total > 0) & (row_total < k))
    grand = int(values.sum())
    out.loc["total"] = [
        *col_total.mask((col_total > 0) & (col_total < k)),
        grand if grand >= k or grand == 0 else pd.NA,
    ]
    return out


def _coarse_grid(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Centres of a fixed 500 m grid (metric), and the farthest a point may lie from its centre."""
    crs = metric_crs(
        (float(np.nanmin(lon)), float(np.nanmin(lat)), float(np.nanmax(lon)), float(np.nanmax(lat)))
    )
    x, y = from_lonlat(lon, lat, crs)
    cx = (np.floor(x / COARSE_CELL_M) + 0.5) * COARSE_CELL_M
    cy = (np.floor(y / COARSE_CELL_M) + 0.5) * COARSE_CELL_M
    glon, glat = to_lonlat(cx, cy, crs)
    return glon, glat, COARSE_CELL_M * np.sqrt(2) / 2


def _coarse_points(
    rows: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Each record's coarse point (lon, lat), its precision in metres, and what it stands for."""
    n = len(rows)
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    precision = np.full(n, np.nan)
    how = ["" for _ in range(n)]
    x, y = rows.geometry.x.to_numpy(), rows.geometry.y.to_numpy()
    if areas is not None and len(areas):
        shapes = areas.to_crs(4326).geometry.to_numpy()
        at = area_of(shapely.points(x, y), areas)
        centres = shapely.point_on_surface(shapes)
        for i in np.flatnonzero(at >= 0):
            k = at[i]
            c = centres[k]
            lon[i], lat[i] = c.x, c.y
            corners = shapely.get_coordinates(shapes[k])
            precision[i] = _metres_to(c.x, c.y, corners[:, 0], corners[:, 1]).max()
            how[i] = f"centre of area {areas.index[k]}"
    todo = (
        np.flatnonzero(~np.isfinite(lon) & rows["postcode"].notna().to_numpy())
        if "postcode" in rows
        else np.array([], dtype=int)
    )
    if len(todo):
        g = ons_postcode_directory()
        keys = g.parse(rows["postcode"].iloc[todo].astype("str"))
        for level in ("sector", "district"):
            hit = g.lookup(keys.levels[level], level)
            # a sector of a handful of postcodes would point at a street: not coarse enough
            for j, i in enumerate(todo):
                wide = hit.found[j] and hit.precision_m[j] >= MIN_COARSE_M
                if wide and not np.isfinite(lon[i]):
                    lon[i], lat[i], precision[i] = hit.lon[j], hit.lat[j], hit.precision_m[j]
                    how[i] = f"centre of postcode {level} {keys.levels[level].iloc[j]}"
    rest = np.flatnonzero(~np.isfinite(lon))
    if len(rest):
        glon, glat, gp = _coarse_grid(x[rest], y[rest])
        lon[rest], lat[rest], precision[rest] = glon, glat, gp
        for i in rest:
            how[i] = f"centre of a {COARSE_CELL_M:.0f} m grid cell"
    return np.round(lon, 6), np.round(lat, 6), np.round(precision, 0), how


def _metres_to(lon0: float, lat0: float, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    dx = (lon - lon0) * np.cos(np.radians(lat0)) * 111_320.0
    dy = (lat - lat0) * 110_574.0
    return np.asarray(np.hypot(dx, dy))


def _area_of(rows: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None) -> pd.Series:
    """The area each record lies in (its code), for counts; postcode sector without areas."""
    if areas is not None and len(areas):
        at = area_of(rows.geometry.to_numpy(), areas)
        codes = np.asarray(areas.index.astype("str"), dtype=object)
        return pd.Series(
            np.where(at >= 0, codes[np.maximum(at, 0)], "outside the areas"),
            index=rows.index,
            dtype="str",
        )
    if "postcode" in rows:
        sector = parse(rows["postcode"])["sector"]
        return sector.fillna("no postcode").astype("str")
    return pd.Series("all", index=rows.index, dtype="str")


def publish(
    assets: gpd.GeoDataFrame,
    *,
    audience: Audience = "public",
    fields: Sequence[str] | None = None,
    k: int = 5,
    areas: gpd.GeoDataFrame | None = None,
    links: pd.DataFrame | None = None,
) -> Published:
    """What an audience may see of a geocoded register.

    Parameters
    ----------
    assets
        A geocoded register.
    audience
        ``"public"`` or ``"partners"`` (see the module's text).
    fields
        More fields that may leave for records shown exactly (by default :data:`EXACT_FIELDS`);
        records shown coarsely only ever show their kind and category.
    k
        Counts below this are suppressed.
    areas
        Boundaries (:func:`assetmap.areas.read_boundaries`): coarse records go to the centre
        of their area, and counts are per area (per postcode sector without them).
    links
        Links to publish with them: ends renamed to published ids; links with a hidden end are
        left out (and counted in the audit).

    Returns
    -------
    Published
    """
    if audience not in SHOWN_EXACTLY:
        raise ConfigurationError(f"audience must be 'public' or 'partners', {audience!r} given")
    if k < 1:
        raise ConfigurationError(f"k must be 1 or more, {k!r} was given")
    exact_levels = SHOWN_EXACTLY[audience]
    privacy = assets["privacy"].astype("str")
    geom = assets.geometry.to_numpy()
    placed = ~shapely.is_missing(geom) & ~shapely.is_empty(geom)
    exact = privacy.isin(exact_levels).to_numpy()  # placed or not: nothing to hide
    coarse = placed & ~exact & (privacy != "private").to_numpy()
    hidden = ~exact & ~coarse
    allowed = [f for f in (*EXACT_FIELDS, *(fields or ())) if f in assets.columns]
    allowed = list(dict.fromkeys(allowed))

    shown_exact = gpd.GeoDataFrame(
        assets.loc[exact, allowed].copy(), geometry=geom[exact], crs=4326
    )
    shown_exact.index = pd.Index(assets.index[exact].astype("str"), name="published_id")
    shown_exact.insert(0, "shown", "exact")
    precision = (
        assets.loc[exact, "geocode_precision_m"].to_numpy(dtype=float)
        if "geocode_precision_m" in assets
        else np.full(int(exact.sum()), np.nan)
    )
    shown_exact.insert(1, "precision_m", precision)

    rows = assets.loc[coarse]
    lon, lat, prec, how = _coarse_points(rows, areas) if len(rows) else (np.array([]),) * 3 + ([],)
    order = pd.DataFrame(
        {"category": rows["category"].astype("str").to_numpy(), "pos": np.arange(len(rows))}
    )
    order["n"] = order.groupby("category").cumcount() + 1
    opaque = [f"{c}-{n}" for c, n in zip(order["category"], order["n"], strict=True)]
    shown_coarse = gpd.GeoDataFrame(
        rows[[c for c in COARSE_FIELDS if c in rows.columns]].to_numpy(),
        columns=[c for c in COARSE_FIELDS if c in rows.columns],
        index=pd.Index(opaque, name="published_id"),
        geometry=shapely.points(lon, lat) if len(rows) else [],
        crs=4326,
    )
    shown_coarse.insert(0, "shown", "coarse")
    shown_coarse.insert(1, "precision_m", prec)
    shown = pd.concat([shown_exact, shown_coarse])
    shown = gpd.GeoDataFrame(shown, geometry="geometry", crs=4326)

    kept = assets.loc[hidden & placed]
    where = _area_of(kept, areas) if len(kept) else pd.Series([], dtype="str")
    table = pd.crosstab(where, kept["category"].astype("str")) if len(kept) else pd.DataFrame()
    counts = suppress(table, k) if len(table) else table

    renamed: dict[str, str] = {str(a): str(a) for a in assets.index[exact]}
    renamed.update({str(a): o for a, o in zip(rows.index, opaque, strict=True)})
    out_links = None
    dropped = 0
    if links is not None:
        src, tgt = links["source"].astype("str"), links["target"].astype("str")
        keep = src.isin(renamed.keys()) & tgt.isin(renamed.keys())
        dropped = int((~keep).sum())
        out_links = links[keep.to_numpy()].copy()
        out_links["source"] = src[keep].map(renamed).to_numpy()
        out_links["target"] = tgt[keep].map(renamed).to_numpy()
        coarse_ends = set(opaque)
        private_end = out_links["source"].isin(coarse_ends) | out_links["target"].isin(coarse_ends)
        # a link to a record shown coarsely says only what the record is, not what it offers,
        # nor how far it lies from the other end (an exact distance, or a proximity factor
        # made from one, would place it again); its score is kept to one decimal, to rank by
        for column in ("distance_m", "walk_m", "proximity", "match", "weight"):
            if column in out_links:
                out_links[column] = out_links[column].where(~private_end)
        if "score" in out_links:
            out_links["score"] = out_links["score"].where(~private_end, out_links["score"].round(1))
        for column in ("matched", "met"):
            if column in out_links:
                out_links[column] = [
                    () if p else v for p, v in zip(private_end, out_links[column], strict=True)
                ]
        if "reason" in out_links:
            out_links["reason"] = np.where(
                private_end,
                "a link to a record shown only by its category",
                out_links["reason"].astype("str"),
            )

    policy = {
        "audience": audience,
        "k": k,
        "exact_levels": sorted(exact_levels),
        "fields_exact": allowed,
        "fields_coarse": list(COARSE_FIELDS),
        "coarse_to": "area centre"
        if areas is not None
        else "postcode sector centre, else 500 m grid",
    }
    audit = pd.DataFrame(
        {
            "published_id": shown.index,
            "shown": shown["shown"].to_numpy(),
            "precision_m": shown["precision_m"].to_numpy(),
            "fields": [", ".join(allowed)] * len(shown_exact)
            + [", ".join(COARSE_FIELDS)] * len(shown_coarse),
            "placed_at": ["as geocoded"] * len(shown_exact) + how,
        }
    )
    extra = [("(not shown on their own)", "counted", f"{int(hidden.sum())} records in counts")]
    if dropped:
        extra.append(("(links)", "left out", f"{dropped} links with an end not shown"))
    audit = pd.concat(
        [
            audit,
            pd.DataFrame(
                {
                    "published_id": [e[0] for e in extra],
                    "shown": [e[1] for e in extra],
                    "precision_m": np.nan,
                    "fields": "",
                    "placed_at": [e[2] for e in extra],
                }
            ),
        ],
        ignore_index=True,
    )
    audit.attrs["policy"] = policy
    log.info(
        "published for %s: %d exact, %d coarse, %d kept back",
        audience,
        int(exact.sum()),
        int(coarse.sum()),
        int(hidden.sum()),
    )
    return Published(
        assets=shown, counts=counts, links=out_links, audit=audit, policy=policy, ids=renamed
    )


def write_audit(published: Published, export: str | PathLike[str]) -> Path:
    """Write the audit of an export beside it (``<export>.audit.json``).

    It says which records were published, how and with which fields, under which policy, and
    when (left out in a build, whose ``build.json`` says what went in); it names no record that
    was not published.
    """
    export = Path(export)
    path = export.with_name(export.name + ".audit.json")
    records = published.audit.astype(object).where(published.audit.notna(), None).to_dict("records")
    body = {
        "export": export.name,
        "written": written_at(),
        "policy": published.policy,
        "records": records,
        "counts": {
            str(r): {str(c): (None if pd.isna(v) else int(v)) for c, v in row.items()}
            for r, row in published.counts.iterrows()
        },
    }
    path.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
