"""The layers of a map: what each draws, in which colours, and the legend lines it adds.

Owns the colours (micro categories, link scores, deprivation deciles, walking bands), the card a
record shows when selected, and one ``add_*`` function per layer: areas, walking catchments, the
study area, link opportunities (with their list view), macro sites and micro categories. Each
adds its layer to a folium map and returns the legend's ``<li>`` lines for it. They draw only
what they are given: what an audience may see is decided before, by
:func:`assetmap.privacy.publish`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import to_crs
from ..schema import CATEGORIES
from ._drawn import Drawn
from ._elements import DataLayer, escape_html, label
from ._packed import (
    Factorised,
    PackedLayer,
    Texts,
    each_distinct,
    numbers,
    page_texts,
    tag_lists,
)

#: Colours of the micro categories (Okabe–Ito, distinguishable with colour-blindness).
CATEGORY_COLOURS: dict[str, str] = {
    "individual": "#E69F00",
    "association": "#56B4E9",
    "institution": "#009E73",
    "physical": "#CC79A7",
    "natural": "#4D9221",
    "economic": "#0072B2",
    "cultural": "#D55E00",
}

#: Deciles 1 (most deprived, darkest) to 10 (least, palest): a sequential grey ramp, which no
#: category, link or walking colour uses, drawn as squares (categories are round).
DECILE_COLOURS = ("#1a1a1a", "#2f2f2f", "#454545", "#5c5c5c", "#737373",
                  "#8c8c8c", "#a6a6a6", "#bfbfbf", "#d6d6d6", "#ececec")  # fmt: skip

#: What a decile means, as the legend says it.
DECILE_MEANING = "1 = most deprived 10% of neighbourhoods in England"

#: Walking bands, nearest first: the darker, the closer.
CATCHMENT_COLOURS = ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef")


def _rounded(geom: shapely.Geometry) -> dict[str, Any]:
    """GeoJSON geometry with coordinates rounded to 6 decimals (~0.1 m)."""
    if isinstance(geom, shapely.Point):  # the many: straight to the numbers
        return {"type": "Point", "coordinates": [round(geom.x, 6), round(geom.y, 6)]}
    mapping: dict[str, Any] = shapely.geometry.mapping(shapely.set_precision(geom, 1e-6))
    rounded: dict[str, Any] = json.loads(
        json.dumps(mapping), parse_float=lambda s: round(float(s), 6)
    )
    return rounded


#: How a record was placed, as its card says it.
_PLACED = {
    "coordinates": "from coordinates",
    "footprint": "the site's footprint",
    "postcode": "by postcode",
    "sector": "at the centre of its postcode sector",
    "district": "at the centre of its postcode district",
}


def _precision_text(method: str | None, precision: float) -> str:
    """The card's Location line: how the record was placed (``None``: not recorded) and to
    within how many metres."""
    how = "(method not recorded)" if method is None else _PLACED.get(method, f"by {method}")
    return (
        f"placed {how}, to within about {precision:,.0f} m"
        if math.isfinite(precision)
        else f"placed {how}"
    )


def _given(value: Any) -> bool:
    """``pd.notna`` of one value as a column of text or numbers holds it, without pandas."""
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def _exact_card(row: Mapping[Any, Any]) -> dict[str, Any]:
    rows: list[list[str]] = []
    for heading, col in (("Offers", "offers"), ("Needs", "needs")):
        if len(row[col]):
            rows.append([heading, ", ".join(row[col])])
    if _given(row["capacity"]):
        rows.append(["Capacity", f"{row['capacity']:g}"])
    if _given(row["description"]):
        rows.append(["About", str(row["description"])])
    if _given(row["postcode"]):
        rows.append(["Postcode", str(row["postcode"])])
    rows.append(
        [
            "Location",
            _precision_text(
                str(row["geocode_method"]) if _given(row["geocode_method"]) else None,
                float(row["geocode_precision_m"]),
            ),
        ]
    )
    sub = label(str(row["category"]))
    if _given(row["subcategory"]):
        sub += f" · {row['subcategory']}"
    return {"title": str(row["name"]), "subtitle": sub, "rows": rows}


class _AreaLayer:
    """Areas as a choropleth of deciles, with their legend lines."""

    def __init__(self, features: list[dict[str, Any]], label: str, counts: dict[int, int]) -> None:
        self.features, self.label, self.counts = features, label, counts

    def add_to_map(self, m: folium.Map) -> list[str]:
        DataLayer(
            self.features,
            name=f"{self.label} ({len(self.features)})",
            opts={
                "style": {
                    "color": "#4d4d4d",
                    "weight": 0.8,
                    "fillOpacity": 0.55,
                    "className": "assetmap-area",
                },
                "searchable": False,
            },
        ).add_to(m)
        if not self.counts:
            return [f"<li>{escape_html(self.label)}</li>"]
        lines = [f'<li class="assetmap-note">{escape_html(self.label)}: {DECILE_MEANING}</li>']
        lines += [
            f'<li><span class="assetmap-swatch assetmap-square" style="background:'
            f'{DECILE_COLOURS[d - 1]}"></span>{escape_html(self.label)} {d}'
            f"{' (most deprived)' if d == 1 else ''} ({n})</li>"
            for d, n in sorted(self.counts.items())
        ]
        return lines


def _area_layer(areas: gpd.GeoDataFrame, colour: str) -> _AreaLayer:
    shown = to_crs(areas, 4326) if areas.crs is not None else areas
    level = str(areas.attrs.get("level", "area"))
    has = colour in shown.columns
    heading = {"imd_decile": "IMD 2019 decile"}.get(colour, label(colour))
    features: list[dict[str, Any]] = []
    counts: dict[int, int] = {}
    for code, row in shown.iterrows():
        value = pd.to_numeric(pd.Series([row[colour]]), errors="coerce").iloc[0] if has else np.nan
        decile = int(value) if np.isfinite(value) and 1 <= value <= 10 else None
        rows = [["Code", str(code)]]
        style: dict[str, Any] = {"fill": False}
        if decile is not None:
            rows.append([heading, str(decile)])
            style = {"fillColor": DECILE_COLOURS[decile - 1]}
            counts[decile] = counts.get(decile, 0) + 1
        name = row.get("area_name")
        features.append(
            {
                "type": "Feature",
                "id": f"{level}:{code}",
                "geometry": _rounded(row.geometry),
                "properties": {
                    "title": str(name) if pd.notna(name) else str(code),
                    "subtitle": level,
                    "rows": rows,
                    "style": style,
                },
            }
        )
    return _AreaLayer(features, heading if counts else "Areas", counts)


def add_areas(areas: gpd.GeoDataFrame, colour: str, m: folium.Map) -> list[str]:
    """Areas as a choropleth of the deciles in column ``colour`` (unfilled where unknown)."""
    return _area_layer(areas, colour).add_to_map(m)


def add_catchments(catchments: gpd.GeoDataFrame, m: folium.Map) -> list[str]:
    """Walking catchments, the longest walk drawn first so that nearer bands lie on top."""
    shown = to_crs(catchments, 4326).sort_values(["minutes", "asset_id"], ascending=[False, True])
    bands = sorted(set(shown["minutes"]))
    colour = {b: CATCHMENT_COLOURS[min(k, len(CATCHMENT_COLOURS) - 1)] for k, b in enumerate(bands)}
    features = [
        {
            "type": "Feature",
            "geometry": _rounded(row.geometry),
            "properties": {
                "title": f"{row['minutes']:g}-minute walk",
                "subtitle": str(row["asset_id"]),
                "rows": [["Walk", f"up to {row['walk_m']:,.0f} m"]],
                "style": {"fillColor": colour[row["minutes"]], "color": colour[row["minutes"]]},
            },
        }
        for _, row in shown.iterrows()
    ]
    DataLayer(
        features,
        name=f"Walking catchments ({len(bands)} bands)",
        opts={"style": {"weight": 1, "fillOpacity": 0.25, "className": "assetmap-catchment"}},
    ).add_to(m)
    return [
        f'<li><span class="assetmap-swatch" style="background:{colour[b]}"></span>'
        f"{b:g}-minute walk</li>"
        for b in bands
    ]


def add_study_area(polygon: shapely.Geometry, m: folium.Map) -> list[str]:
    """The study area as a dashed outline that does not catch clicks."""
    DataLayer(
        [
            {
                "type": "Feature",
                "geometry": _rounded(polygon),
                "properties": {"title": "Study area"},
            }
        ],
        name="Study area",
        opts={
            "interactive": False,
            "style": {
                "color": "#444",
                "weight": 2,
                "dashArray": "6 4",
                "fill": False,
                "className": "assetmap-boundary",
            },
        },
    ).add_to(m)
    return ['<li><span class="assetmap-swatch assetmap-boundary"></span>Study area</li>']


def add_macro_sites(exact: gpd.GeoDataFrame, m: folium.Map) -> list[str]:
    """The macro sites among records shown exactly: each with its footprint, if it has one."""
    macro = exact[exact["kind"] == "macro"]
    if not len(macro):
        return []
    feats = []
    fields = ["name", "category", "subcategory", "offers", "needs", "capacity", "description",
              "postcode", "geocode_method", "geocode_precision_m", "footprint"]  # fmt: skip
    columns = [macro[c].to_numpy(dtype=object).tolist() for c in fields]
    points = macro.geometry.to_numpy()
    columns.append(points.tolist())
    # points straight to their numbers (as _rounded writes them), footprints found at once
    is_point = shapely.get_type_id(points) == 0
    columns.append(np.where(is_point, shapely.get_x(points), np.nan).tolist())
    columns.append(np.where(is_point, shapely.get_y(points), np.nan).tolist())
    footprints = macro["footprint"].to_numpy(dtype=object)
    columns.append((~shapely.is_missing(footprints) & ~shapely.is_empty(footprints)).tolist())
    keys = [*fields, "geometry", "x", "y", "has_footprint"]
    # one dict a site (a few thousand at most): no pandas row each
    for aid, values in zip(macro.index, zip(*columns, strict=True), strict=True):
        row = dict(zip(keys, values, strict=True))
        card = _exact_card(row)
        fp = row["footprint"]
        if row["has_footprint"]:
            feats.append(
                {
                    "type": "Feature",
                    "id": f"{aid}:footprint",
                    "geometry": _rounded(fp),
                    "properties": card,
                }
            )
        feats.append(
            {
                "type": "Feature",
                "id": str(aid),
                "geometry": (
                    {"type": "Point", "coordinates": [round(row["x"], 6), round(row["y"], 6)]}
                    if row["x"] == row["x"]  # (a point)
                    else _rounded(row["geometry"])
                ),
                "properties": card,
            }
        )
    DataLayer(
        feats,
        name=f"Macro sites ({len(macro)})",
        opts={
            "marker": "site",
            "group": "Macro sites",
            "style": {
                "className": "assetmap-footprint",
                "color": "#1b1b1b",
                "weight": 2,
                "fillOpacity": 0.08,
            },
        },
    ).add_to(m)
    return [
        '<li><span class="assetmap-swatch assetmap-site-swatch"></span>'
        f"Macro sites ({len(macro)})</li>"
    ]


def _card_fields(drawn: Drawn, rows: np.ndarray) -> list[tuple[str, Factorised]]:
    """The card of each record at ``rows`` (shown exactly), as columns of text (missing: no
    such line), the same lines as :func:`_exact_card`'s, made once per distinct value."""
    fields: list[tuple[str, Factorised]] = []
    for heading, col in (("Offers", "offers"), ("Needs", "needs")):
        fields.append((heading, Factorised.of(tag_lists(drawn.series(col).iloc[rows]))))
    capacity = pd.to_numeric(drawn.series("capacity").iloc[rows], errors="coerce")
    fields.append(("Capacity", Factorised.said(capacity.to_numpy(), lambda v: f"{v:g}")))
    for heading, col in (("About", "description"), ("Postcode", "postcode")):
        codes, uniques, texts = drawn.texts(col)  # texts as they are
        fields.append((heading, Factorised(codes[rows], uniques, texts=texts)))
    # each (method, precision) said once: the two factorised apart, their pairs numbered
    methods, method_names = drawn.factorised("geocode_method", text=True)
    precisions, precision_values = pd.factorize(
        drawn.series("geocode_precision_m").iloc[rows].astype("float64"), use_na_sentinel=False
    )
    methods = methods[rows]
    pairs, codes = np.unique(
        methods.astype(np.int64) * len(precision_values) + precisions, return_inverse=True
    )
    said = np.array(
        [
            _precision_text(
                str(method_names[k // len(precision_values)]) if k >= 0 else None,
                float(precision_values[k % len(precision_values)]),
            )
            for k in pairs
        ],
        dtype=object,
    )
    fields.append(("Location", Factorised(codes.ravel(), said)))
    return fields


def _category_columns(
    drawn: Drawn,
    rows: np.ndarray,
    shown: np.ndarray,
    category: str,
    texts: Texts,
    cards: tuple[np.ndarray, list[tuple[str, Factorised]]],
) -> dict[str, Any]:
    """A category's records as packed columns: named cards where exact (first, at ``rows``),
    unnamed outlines where coarse (after them, at ``shown``); the runtime builds each card
    when it is opened. Texts are numbers into the map's one table (``texts``); ``cards`` are
    the card fields of the page's records shown exactly (:func:`_card_fields`) and where each
    of those records stands among them."""
    both = np.concatenate([rows, shown])
    name = label(category)
    sub_codes, sub_values = drawn.factorised("subcategory")
    sub_codes = sub_codes[rows]
    met = pd.unique(sub_codes[sub_codes >= 0])
    subtitles = np.full(len(sub_values) + 1, name, dtype=object)  # missing: the category
    subtitles[met] = [f"{name} · {v}" for v in sub_values[met]]
    coarse = each_distinct(
        drawn.values("precision_m")[shown].astype("float64"),
        lambda p: (
            f"Location approximate (within about {p:,.0f} m); details withheld to protect privacy"
        ),
    )
    name_codes, names, _ = drawn.texts("name", text=True)
    title = texts.numbered(name_codes[rows], names, texts=True)
    id_codes, ids = drawn.id_codes
    at, fields = cards
    return {
        "lonlat": numbers(np.column_stack([drawn.lon[both], drawn.lat[both]]).ravel()),
        "exact": len(rows),
        "id": texts.packed(texts.numbered(id_codes[rows], ids, texts=True)),
        "title": texts.packed(np.concatenate([title, np.full(len(shown), texts.code(name))])),
        "subtitle": texts.packed(
            np.concatenate(
                [
                    texts.numbered(np.where(sub_codes >= 0, sub_codes, len(sub_values)), subtitles),
                    texts.codes(coarse.fillna(name)),
                ]
            )
        ),
        "fields": [
            [texts.number(texts.code(h)), texts.packed(values.numbers(texts, at[rows]))]
            for h, values in (fields if len(rows) else [])
        ],
        "coarse_style": {"dashArray": "3 3", "fillOpacity": 0.35},
    }


class MicroLayer:
    """One micro category's packed layer, made before it is added (so that link lines can
    end at its points), with the records it draws in row order (their positions among those
    drawn) and its legend line."""

    def __init__(self, layer: PackedLayer, rows: np.ndarray, group: str, legend: str) -> None:
        self.layer, self.rows, self.group, self.legend = layer, rows, group, legend


def micro_layers(drawn: Drawn, m: folium.Map, *, canvas: bool) -> list[MicroLayer]:
    """One layer per micro category, exact and coarse records together; on one canvas if
    asked. Not yet on the map: see :func:`add_micro_categories`."""
    layers: list[MicroLayer] = []
    micro = drawn.exact & drawn.where("kind", "micro")
    texts = page_texts(m)
    in_category = {c: drawn.where("category", c) for c in CATEGORIES["micro"]}
    cards_of = np.flatnonzero(micro & np.logical_or.reduce(list(in_category.values())))
    at = np.full(len(drawn), -1, dtype=np.int64)
    at[cards_of] = np.arange(len(cards_of))
    cards = (at, _card_fields(drawn, cards_of))
    for category in CATEGORIES["micro"]:
        rows = np.flatnonzero(micro & in_category[category])
        shown = np.flatnonzero(drawn.coarse & in_category[category])
        if not len(rows) and not len(shown):
            continue
        colour = CATEGORY_COLOURS[category]
        n = len(rows) + len(shown)
        layer = PackedLayer(
            _category_columns(drawn, rows, shown, category, texts.texts, cards),
            texts=texts,
            name=f"{label(category)} ({n})",
            opts={
                "style": {
                    "radius": 7,
                    "color": "#222",
                    "weight": 1,
                    "fillColor": colour,
                    "fillOpacity": 0.9,
                    "className": f"assetmap-micro assetmap-{category}",
                },
                "group": label(category),
                "canvas": canvas,
            },
        )
        legend = (
            f'<li><span class="assetmap-swatch" style="background:{colour}"></span>'
            f"{escape_html(label(category))} ({n})</li>"
        )
        layers.append(MicroLayer(layer, np.concatenate([rows, shown]), label(category), legend))
    return layers


def add_micro_categories(layers: list[MicroLayer], m: folium.Map) -> list[str]:
    """Put the micro categories' layers on the map (above the context layers and the links);
    their legend lines."""
    for micro in layers:
        micro.layer.add_to(m)
    return [micro.legend for micro in layers]
