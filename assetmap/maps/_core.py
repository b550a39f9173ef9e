"""Folium maps of a register: study boundary, macro sites, micro assets by category, legend.

The page needs only Leaflet (no jQuery, Bootstrap or icon fonts), so :func:`save_map` can inline
everything from installed packages and the file opens with no network at all. Every text from a
register reaches the page as JSON data and is put into the DOM through ``textContent`` by
assetmap's own small runtime: markup in a register shows as text and never runs. Element ids
are numbered in order, so the same inputs give the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xyzservices
from branca.element import Element, MacroElement
from jinja2 import Template

from ..areas import StudyArea, study_polygon
from ..errors import ConfigurationError
from ..privacy import SHOWN_EXACTLY, Audience, Published, publish, write_audit
from ..schema import CATEGORIES

__all__ = ["CATEGORY_COLOURS", "build_map", "drawn_areas", "save_map"]

LEAFLET_VERSION = "1.9.3"
_CDN = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist"
#: Every script and stylesheet a map may load: URL → (package holding the same file, path).
_LIBRARIES: dict[str, tuple[str, str]] = {
    f"{_CDN}/leaflet.js": ("xstatic.pkg.leaflet", "data/leaflet.js"),
    f"{_CDN}/leaflet.css": ("xstatic.pkg.leaflet", "data/leaflet.css"),
}

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


def _json_for_script(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element, whatever text it carries."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for raw, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, esc)
    # branca renders each element's output again as a Jinja template: "{{", "{%" and "{#"
    # (which in compact JSON can only stand inside strings) must not reach it as such
    return re.sub(r"\{(?=[{%#])", r"\\u007b", text)


def _escape_html(text: str) -> str:
    """HTML-escaped text that branca's second Jinja pass leaves as it is."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


def _static(name: str) -> str:
    return (resources.files("assetmap.maps") / "static" / name).read_text(encoding="utf-8")


class _Runtime(MacroElement):
    """assetmap's own script and styles, once per page."""

    _template = Template(
        "{% macro header(this, kwargs) %}<style>{{ this.css }}</style>"
        "<script>{{ this.js }}</script>{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "AssetmapRuntime"
        self.css = _static("assetmap.css")
        self.js = _static("assetmap.js")


class _DataLayer(folium.map.Layer):
    """A switchable layer drawn from GeoJSON by assetmap's runtime."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = assetmap.layer({{ this.data }}, {{ this.opts }});"
        "{% endmacro %}"
    )

    def __init__(
        self,
        features: list[dict[str, Any]],
        *,
        name: str,
        opts: dict[str, Any],
        show: bool = True,
        control: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "AssetLayer"
        packed = opts.get("canvas") and all(f["geometry"]["type"] == "Point" for f in features)
        data = _packed(features) if packed else {"type": "FeatureCollection", "features": features}
        self.data = _json_for_script(data)
        self.opts = _json_for_script(opts)


def _packed(features: list[dict[str, Any]]) -> dict[str, Any]:
    """Point features in few bytes: each text once in a table, each point as numbers.

    ``{"strings": [...], "points": [[lon, lat, id, title, subtitle, [label, value, ...],
    style], ...]}``, where texts are positions in ``strings``; the runtime unpacks it into
    GeoJSON. A map of 100,000 records stays a file one can e-mail.
    """
    strings: dict[str, int] = {}

    def at(text: Any) -> int:
        return strings.setdefault("" if text is None else str(text), len(strings))

    points = []
    for f in features:
        p = f["properties"]
        lon, lat = f["geometry"]["coordinates"]
        flat = [at(v) for row in p.get("rows", []) for v in row]
        points.append([lon, lat, at(f.get("id")), at(p.get("title")), at(p.get("subtitle")),
                       flat, p.get("style") or 0])  # fmt: skip
    return {"strings": list(strings), "points": points}


class _Legend(MacroElement):
    """A legend whose (escaped) HTML is in the page and which a Leaflet control shows."""

    _template = Template(
        "{% macro html(this, kwargs) %}"
        '<div id="{{ this.get_name() }}" class="assetmap-legend" hidden>{{ this.body }}</div>'
        "{% endmacro %}"
        "{% macro script(this, kwargs) %}"
        'assetmap.legend({{ this._parent.get_name() }}, "{{ this.get_name() }}", '
        '"bottomleft");'
        "{% endmacro %}"
    )

    def __init__(self, body: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "legend"
        self.body = body


def _rounded(geom: shapely.Geometry) -> dict[str, Any]:
    """GeoJSON geometry with coordinates rounded to 6 decimals (~0.1 m)."""
    if isinstance(geom, shapely.Point):  # the many: straight to the numbers
        return {"type": "Point", "coordinates": [round(geom.x, 6), round(geom.y, 6)]}
    mapping: dict[str, Any] = shapely.geometry.mapping(shapely.set_precision(geom, 1e-6))
    rounded: dict[str, Any] = json.loads(
        json.dumps(mapping), parse_float=lambda s: round(float(s), 6)
    )
    return rounded


def _label(value: str) -> str:
    return value.replace("_", " ").capitalize()


def _precision_text(method: str, precision: float) -> str:
    how = {
        "coordinates": "from coordinates",
        "footprint": "the site's footprint",
        "postcode": "by postcode",
        "sector": "at the centre of its postcode sector",
        "district": "at the centre of its postcode district",
    }.get(method, f"by {method}")
    return (
        f"placed {how}, to within about {precision:,.0f} m"
        if np.isfinite(precision)
        else f"placed {how}"
    )


def _exact_card(row: Mapping[str, Any]) -> dict[str, Any]:
    rows: list[list[str]] = []
    for label, col in (("Offers", "offers"), ("Needs", "needs")):
        if len(row[col]):
            rows.append([label, ", ".join(row[col])])
    if pd.notna(row["capacity"]):
        rows.append(["Capacity", f"{row['capacity']:g}"])
    if pd.notna(row["description"]):
        rows.append(["About", str(row["description"])])
    if pd.notna(row["postcode"]):
        rows.append(["Postcode", str(row["postcode"])])
    rows.append(
        ["Location", _precision_text(str(row["geocode_method"]), float(row["geocode_precision_m"]))]
    )
    sub = _label(str(row["category"]))
    if pd.notna(row["subcategory"]):
        sub += f" · {row['subcategory']}"
    return {"title": str(row["name"]), "subtitle": sub, "rows": rows}


def _tiles(tiles: str | xyzservices.TileProvider | None) -> folium.TileLayer | None:
    if tiles is None:
        return None
    provider = xyzservices.providers.query_name(tiles) if isinstance(tiles, str) else tiles
    return folium.TileLayer(tiles=provider, name=provider.name, control=False)


def drawn_areas(
    levels: list[gpd.GeoDataFrame], imd: pd.DataFrame | None, study: shapely.Geometry | None
) -> gpd.GeoDataFrame | None:
    """The areas to draw on a map: of the levels given, those touching the study area (or all,
    without one), preferring a level that IMD deciles can fill."""
    drawn = None
    for areas in levels:
        if imd is not None:
            known = imd[["imd_rank", "imd_decile"]].reindex(areas.index)
            if known["imd_decile"].notna().any():
                areas = areas.join(known)
        near = areas[areas.intersects(study)] if study is not None else areas
        if drawn is None or ("imd_decile" in near and "imd_decile" not in drawn):
            drawn = near
    return drawn


def build_map(
    assets: gpd.GeoDataFrame,
    *,
    audience: Audience = "public",
    study_area: StudyArea | None = None,
    tiles: str | xyzservices.TileProvider | None = "Esri.WorldGrayCanvas",
    title: str = "Assets",
    areas: gpd.GeoDataFrame | None = None,
    area_colour: str = "imd_decile",
    catchments: gpd.GeoDataFrame | None = None,
    links: pd.DataFrame | None = None,
    m: folium.Map | None = None,
    k: int = 5,
) -> folium.Map:
    """Draw a geocoded register: study boundary, macro sites, micro assets by category, legend.

    Parameters
    ----------
    assets
        A register as :func:`assetmap.geocode` returns it.
    audience
        Who will see the map. ``"public"``: only ``public`` records are named and placed
        exactly. ``"partners"``: ``partners`` records too. Others with privacy ``area`` (or
        ``partners`` on a public map) are shown unnamed, as their category, at the centre of
        their area (when ``areas`` are given) or postcode sector (see
        :func:`assetmap.privacy.publish`); ``private`` records are never drawn, only counted
        in the legend. The map's audit is written beside it by :func:`save_map`.
    study_area
        Drawn as a dashed outline (see :func:`assetmap.areas.study_polygon`): a polygon
        (EPSG:4326), a GeoDataFrame or a boundary file; none by default.
    tiles
        The basemap: an :mod:`xyzservices` provider or its name, or None for no basemap. The
        default, Esri's World Gray Canvas, needs no key and serves pages opened from disk
        (OpenStreetMap's own tiles refuse them; CARTO's now need a key).
    title
        The legend's heading.
    areas
        Areas to draw under the assets (:func:`assetmap.areas.read_boundaries`), each named,
        and filled by ``area_colour`` where they have it.
    area_colour
        The areas' column of IMD-style deciles (1 = most deprived) to fill them by.
    catchments
        Walking catchments (:func:`assetmap.network.catchments`), drawn as bands of minutes.
    links
        Link opportunities (:func:`assetmap.find_links`): lines whose width and colour follow
        the score, each with a popup that explains it, and the same links as a sortable table
        under the map (the list view). A link to a record shown coarsely goes to its coarse
        point and names only its category.
    m
        A folium map to add the layers to (as geopandas' ``explore(m=)``); a new one when None.
    k
        Counts of records not shown on their own below this are suppressed (see
        :func:`assetmap.privacy.publish`).

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> from assetmap import datasets, geocode
    >>> m = build_map(geocode(datasets.sample_register()))
    >>> type(m).__name__
    'Map'
    """
    if "geocode_method" not in assets.columns:
        raise ConfigurationError("build_map draws geocoded assets; call assetmap.geocode first")
    if audience not in SHOWN_EXACTLY:
        raise ConfigurationError(f"audience must be 'public' or 'partners', {audience!r} given")
    # only what the audience may see reaches the page: publish() decides, once
    published = publish(assets, audience=audience, areas=areas, links=links, k=k)
    placed = assets[assets.geometry.notna() & ~assets.geometry.is_empty]
    drawn = published.assets[~published.assets.geometry.isna()]
    exact = drawn[drawn["shown"] == "exact"]
    coarse = drawn[drawn["shown"] == "coarse"]
    hidden = int((assets["privacy"] == "private").sum())

    polygon = study_polygon(study_area)
    bounds_of = [g for g in (polygon, *placed.geometry) if g is not None]
    x0, y0, x1, y1 = (
        shapely.total_bounds(np.array(bounds_of, dtype=object))
        if bounds_of
        else (-180.0, -60.0, 180.0, 75.0)
    )
    many = len(drawn) > CANVAS_ABOVE
    if m is None:
        m = folium.Map(
            location=[(y0 + y1) / 2, (x0 + x1) / 2],
            zoom_start=14,
            tiles=None,
            control_scale=True,
            prefer_canvas=many,
            height="72%" if links is not None and len(links) else "100%",
        )
        m.default_js = [("leaflet", f"{_CDN}/leaflet.js")]
        m.default_css = [("leaflet_css", f"{_CDN}/leaflet.css")]
        tile_layer = _tiles(tiles)
        if tile_layer is not None:
            m.add_child(tile_layer)
    if "assetmap_runtime" not in m._children:
        m.add_child(_Runtime(), name="assetmap_runtime")

    legend: list[str] = []
    if areas is not None and len(areas):
        legend.extend(_area_layer(areas, area_colour).add_to_map(m))
    if catchments is not None and len(catchments):
        legend.extend(_catchment_layer(catchments, m))
    if polygon is not None:
        _DataLayer(
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
        legend.append('<li><span class="assetmap-swatch assetmap-boundary"></span>Study area</li>')

    if published.links is not None and len(published.links):
        legend.extend(_link_layer(published.links, drawn, m))

    macro = exact[exact["kind"] == "macro"]
    if len(macro):
        feats = []
        for aid, row in macro.iterrows():
            card = _exact_card(row)
            fp = row["footprint"]
            if fp is not None and not fp.is_empty:
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
                    "geometry": _rounded(row.geometry),
                    "properties": card,
                }
            )
        _DataLayer(
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
        legend.append(
            '<li><span class="assetmap-swatch assetmap-site-swatch"></span>'
            f"Macro sites ({len(macro)})</li>"
        )

    micro = exact[exact["kind"] == "micro"]
    for category in CATEGORIES["micro"]:
        rows = micro[micro["category"] == category]
        shown = coarse[coarse["category"] == category]
        if not len(rows) and not len(shown):
            continue
        colour = CATEGORY_COLOURS[category]
        feats = [
            {
                "type": "Feature",
                "id": str(aid),
                "geometry": _rounded(row["geometry"]),
                "properties": _exact_card(row),
            }
            for aid, row in zip(rows.index, rows.to_dict("records"), strict=True)
        ]
        feats += [
            {
                "type": "Feature",
                "geometry": _rounded(row["geometry"]),
                "properties": {
                    "title": _label(category),
                    "subtitle": f"Location approximate (within about {row['precision_m']:,.0f} "
                    "m); details withheld to protect privacy",
                    "style": {"dashArray": "3 3", "fillOpacity": 0.35},
                },
            }
            for row in shown.to_dict("records")
        ]
        n = len(feats)
        _DataLayer(
            feats,
            name=f"{_label(category)} ({n})",
            opts={
                "style": {
                    "radius": 7,
                    "color": "#222",
                    "weight": 1,
                    "fillColor": colour,
                    "fillOpacity": 0.9,
                    "className": f"assetmap-micro assetmap-{category}",
                },
                "group": _label(category),
                "canvas": many,
            },
        ).add_to(m)
        legend.append(
            f'<li><span class="assetmap-swatch" style="background:{colour}"></span>'
            f"{_escape_html(_label(category))} ({n})</li>"
        )

    notes = []
    if len(coarse):
        notes.append(
            f"{len(coarse)} records are shown only approximately, unnamed (dashed outline)."
        )
    if hidden:
        notes.append(f"{hidden} private records are not shown.")
    body = f"<h2>{_escape_html(title)}</h2><ul>{''.join(legend)}</ul>" + "".join(
        f"<p>{_escape_html(n)}</p>" for n in notes
    )
    m.add_child(_Legend(body))
    groups = ["Macro sites", *(_label(c) for c in CATEGORIES["micro"])]
    m.add_child(_Controls(groups))
    folium.LayerControl(collapsed=False).add_to(m)
    if bounds_of:
        m.fit_bounds([[y0, x0], [y1, x1]])
    _number_elements(m.get_root())
    setattr(m, "_assetmap_published", published)  # noqa: B010 - save_map writes the audit
    return m


#: Above this many points, markers are drawn on one canvas (fast for 10^5), without tooltips.
CANVAS_ABOVE = 2000

#: Link scores by class: (lowest score, colour, line width). ColorBrewer Purples.
LINK_CLASSES = ((0.75, "#3f007d", 5.0), (0.5, "#6a51a3", 3.5), (0.25, "#9e9ac8", 2.5),
                (0.0, "#cbc9e2", 1.5))  # fmt: skip


class _Controls(MacroElement):
    """Search by name, a category filter and a full-screen button (assetmap's runtime)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "assetmap.search({{ this._parent.get_name() }}, {{ this.groups }});"
        "assetmap.fullscreen({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self, groups: list[str]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "controls"
        self.groups = _json_for_script(groups)


class _LinksTable(MacroElement):
    """The list view: link opportunities as an accessible table, filled by the runtime."""

    _template = Template(
        "{% macro html(this, kwargs) %}"
        '<section class="assetmap-links-table" aria-label="Link opportunities">'
        '<table id="{{ this.get_name() }}"><caption>Link opportunities ({{ this.count }}), '
        "best first. Select a heading to sort.</caption><thead><tr>"
        '{% for h in this.headings %}<th scope="col"><button type="button">{{ h }}'
        "</button></th>{% endfor %}</tr></thead><tbody></tbody></table></section>"
        "{% endmacro %}"
        "{% macro script(this, kwargs) %}"
        'assetmap.table("{{ this.get_name() }}", {{ this.rows }}, {{ this.columns }});'
        "{% endmacro %}"
    )

    def __init__(self, rows: list[dict[str, Any]], headings: dict[str, str]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "links_table"
        self.count = len(rows)
        self.headings = [_escape_html(h) for h in headings.values()]
        self.columns = _json_for_script(list(headings))
        self.rows = _json_for_script(rows)


def _link_layer(links: pd.DataFrame, drawn: gpd.GeoDataFrame, m: folium.Map) -> list[str]:
    """Links as lines (width and colour by score) with explaining popups, and the list view."""
    ids = drawn.index.astype("str")
    where = dict(zip(ids, zip(drawn.geometry.x.round(6), drawn.geometry.y.round(6), strict=True),
                     strict=True))  # fmt: skip
    names = drawn["name"] if "name" in drawn.columns else pd.Series(pd.NA, index=drawn.index)
    named = (drawn["shown"] == "exact") & names.notna()
    titles = dict(
        zip(ids, np.where(named, names.astype("str"), drawn["category"].astype("str").map(_label)),
            strict=True)
    )  # fmt: skip
    feats, rows = [], []
    for k, link in enumerate(links.itertuples(index=False)):
        s, t = str(link.source), str(link.target)
        if s not in where or t not in where:
            continue
        score = float(getattr(link, "score"))  # noqa: B009 - itertuples rows are untyped
        colour, width = next((c, w) for low, c, w in LINK_CLASSES if score >= low)
        walk = float(getattr(link, "walk_m", float("nan")))
        straight = float(getattr(link, "distance_m"))  # noqa: B009 - itertuples rows are untyped
        apart = (
            f"{walk:,.0f} m walk"
            if np.isfinite(walk)
            else f"{straight:,.0f} m"
            if np.isfinite(straight)
            else "not shown (approximate place)"
        )
        met = ", ".join(getattr(link, "met", ()) or ())
        card_rows = [["Why", str(link.reason)]]
        if met:
            card_rows.append(["Meets", met])
        card_rows += [["Apart", apart]]
        for factor in ("match", "proximity", "weight", "score"):
            value = getattr(link, factor, float("nan"))
            if pd.notna(value):
                card_rows.append([_label(factor), f"{float(value):.3f}"])
        feats.append(
            {
                "type": "Feature",
                "id": f"link-{k}",
                "geometry": {"type": "LineString", "coordinates": [where[s], where[t]]},
                "properties": {
                    "title": f"{titles[s]} → {titles[t]}",
                    "subtitle": f"{_label(str(link.kind))} link",
                    "rows": card_rows,
                    "style": {"color": colour, "weight": width},
                },
            }
        )
        rows.append({"from": titles[s], "to": titles[t], "why": str(link.reason), "apart": apart,
                     "score": round(score, 3)})  # fmt: skip
    _DataLayer(
        feats,
        name=f"Link opportunities ({len(feats)})",
        opts={"style": {"opacity": 0.85, "className": "assetmap-link"}, "searchable": False},
    ).add_to(m)
    m.get_root().add_child(
        _LinksTable(
            rows, {"from": "From", "to": "To", "why": "Why", "apart": "Apart", "score": "Score"}
        )
    )
    return [
        f'<li><span class="assetmap-swatch assetmap-line" style="border-top: {w}px solid {c};'
        f'width: 16px"></span>Link score {low:g}+</li>'
        for low, c, w in LINK_CLASSES
    ]


#: Deciles 1 (most deprived, red) to 10 (least, blue): ColorBrewer RdYlBu, 10 classes.
DECILE_COLOURS = ("#a50026", "#d73027", "#f46d43", "#fdae61", "#fee090",
                  "#e0f3f8", "#abd9e9", "#74add1", "#4575b4", "#313695")  # fmt: skip


class _AreaLayer:
    """Areas as a choropleth of deciles, with their legend lines."""

    def __init__(self, features: list[dict[str, Any]], label: str, counts: dict[int, int]) -> None:
        self.features, self.label, self.counts = features, label, counts

    def add_to_map(self, m: folium.Map) -> list[str]:
        _DataLayer(
            self.features,
            name=f"{self.label} ({len(self.features)})",
            opts={
                "style": {
                    "color": "#555",
                    "weight": 1,
                    "fillOpacity": 0.35,
                    "className": "assetmap-area",
                }
            },
        ).add_to(m)
        lines = [
            f'<li><span class="assetmap-swatch" style="background:{DECILE_COLOURS[d - 1]}">'
            f"</span>{_escape_html(self.label)} {d}{' (most deprived)' if d == 1 else ''}"
            f" ({n})</li>"
            for d, n in sorted(self.counts.items())
        ]
        return lines or [f"<li>{_escape_html(self.label)}</li>"]


def _area_layer(areas: gpd.GeoDataFrame, colour: str) -> _AreaLayer:
    shown = areas.to_crs(4326) if areas.crs is not None else areas
    level = str(areas.attrs.get("level", "area"))
    has = colour in shown.columns
    label = {"imd_decile": "IMD 2019 decile"}.get(colour, _label(colour))
    features: list[dict[str, Any]] = []
    counts: dict[int, int] = {}
    for code, row in shown.iterrows():
        value = pd.to_numeric(pd.Series([row[colour]]), errors="coerce").iloc[0] if has else np.nan
        decile = int(value) if np.isfinite(value) and 1 <= value <= 10 else None
        rows = [["Code", str(code)]]
        style: dict[str, Any] = {"fill": False}
        if decile is not None:
            rows.append([label, str(decile)])
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
    return _AreaLayer(features, label if counts else "Areas", counts)


#: Walking bands, nearest first: the darker, the closer.
CATCHMENT_COLOURS = ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef")


def _catchment_layer(catchments: gpd.GeoDataFrame, m: folium.Map) -> list[str]:
    """Walking catchments, the longest walk drawn first so that nearer bands lie on top."""
    shown = catchments.to_crs(4326).sort_values(["minutes", "asset_id"], ascending=[False, True])
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
    _DataLayer(
        features,
        name=f"Walking catchments ({len(bands)} bands)",
        opts={"style": {"weight": 1, "fillOpacity": 0.25, "className": "assetmap-catchment"}},
    ).add_to(m)
    return [
        f'<li><span class="assetmap-swatch" style="background:{colour[b]}"></span>'
        f"{b:g}-minute walk</li>"
        for b in bands
    ]


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def _number_elements(root: Element) -> None:
    """Replace folium's random element ids with numbers in tree order (same map, same ids)."""
    for i, element in enumerate(_walk(root)):
        element._id = f"{i:04d}"


def _file_bytes(url: str) -> bytes:
    package, path = _LIBRARIES[url]
    return (resources.files(package) / path).read_bytes()


def _inline_css(url: str) -> str:
    css = _file_bytes(url).decode("utf-8")
    package, path = _LIBRARIES[url]
    folder = resources.files(package) / str(Path(path).parent)

    def data_uri(match: re.Match[str]) -> str:
        target = folder / match.group(1)
        if not target.is_file():
            return match.group(0)
        encoded = base64.b64encode(target.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    return re.sub(r"url\(([^)\"':]+\.png)\)", data_uri, css)


_SCRIPT = re.compile(r'<script src="(?P<url>[^"]+)"></script>')
_STYLE = re.compile(r'<link rel="stylesheet" href="(?P<url>[^"]+)"/>')


def save_map(m: folium.Map, path: str | PathLike[str], *, self_contained: bool = False) -> Path:
    """Write a map as one HTML file.

    Parameters
    ----------
    m
        A map from :func:`build_map`.
    path
        Where to write it.
    self_contained
        Inline every script and stylesheet (from installed packages), so the file opens with
        no network at all (only the basemap tiles then stay blank). Otherwise the page loads
        the same files from a CDN, checked with subresource integrity.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ConfigurationError
        When ``self_contained`` is asked for but the map loads a file assetmap cannot inline
        (from a plugin added by hand); the message lists them.
    """
    root = m.get_root()
    _number_elements(root)
    page = root.render()
    if self_contained:
        unknown = sorted(
            {u for pat in (_SCRIPT, _STYLE) for u in pat.findall(page) if u not in _LIBRARIES}
        )
        if unknown:
            raise ConfigurationError(
                "cannot save a self-contained map: these files are not available offline: "
                f"{unknown}; remove the plugins that load them or save with "
                "self_contained=False"
            )
        page = _SCRIPT.sub(
            lambda mt: (
                "<script>"
                + _file_bytes(mt["url"]).decode("utf-8").replace("</script", "<\\/script")
                + "</script>"
            ),
            page,
        )
        page = _STYLE.sub(lambda mt: "<style>" + _inline_css(mt["url"]) + "</style>", page)
    else:

        def integrity(url: str) -> str:
            if url not in _LIBRARIES:
                return ""
            digest = base64.b64encode(hashlib.sha384(_file_bytes(url)).digest()).decode()
            return f' integrity="sha384-{digest}" crossorigin="anonymous"'

        page = _SCRIPT.sub(
            lambda mt: f'<script src="{mt["url"]}"{integrity(mt["url"])}></script>', page
        )
        page = _STYLE.sub(
            lambda mt: f'<link rel="stylesheet" href="{mt["url"]}"{integrity(mt["url"])}/>', page
        )
    out = Path(path)
    out.write_bytes(page.encode("utf-8"))
    published = getattr(m, "_assetmap_published", None)
    if isinstance(published, Published):
        write_audit(published, out)
    return out
