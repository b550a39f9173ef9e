"""Drawing a register: :func:`build_map`, in named steps, and :func:`drawn_areas`.

Owns the order a page is made in: publish what the audience may see, choose the extent, make
the map (or take the caller's), add the context layers (areas, catchments, study area, links),
then macro sites and micro categories, then the legend, the controls and the layer switcher.
The order is part of the output: element ids are numbered in tree order, so the same inputs
give the same bytes.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xyzservices
from branca.element import Element
from folium.map import FitBounds

from ..areas import StudyArea, study_polygon
from ..crs import geographic
from ..errors import ConfigurationError
from ..network import Streets, as_street_graph
from ..privacy import Audience, Policy, Published, published_or_publish
from ..schema import CATEGORIES
from ._drawn import Drawn
from ._elements import Controls, Layout, Legend, Runtime, escape_html, label, publications
from ._layers import (
    MicroLayer,
    add_areas,
    add_catchments,
    add_macro_sites,
    add_micro_categories,
    add_study_area,
    micro_layers,
)
from ._links import add_links
from ._page import CDN, number_elements, unrender
from ._streets import add_streets

#: Above this many points (or links), markers and lines are drawn on one canvas straight from
#: their packed columns (fast for 10^5), without tooltips.
CANVAS_ABOVE = 2000

#: The view of a map with nothing to show: the inhabited world, lon/lat.
_WORLD = (-180.0, -60.0, 180.0, 75.0)


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


def _tiles(tiles: str | xyzservices.TileProvider | None) -> folium.TileLayer | None:
    if tiles is None:
        return None
    provider = xyzservices.providers.query_name(tiles) if isinstance(tiles, str) else tiles
    return folium.TileLayer(tiles=provider, name=provider.name, control=False)


def _extent(polygon: shapely.Geometry | None, drawn: Drawn) -> tuple[Any, ...] | None:
    """Lon/lat bounds (x0, y0, x1, y1) of the study area and the assets drawn; None if none."""
    boxes = []
    if len(drawn):
        lon, lat = drawn.lon, drawn.lat
        boxes.append((np.nanmin(lon), np.nanmin(lat), np.nanmax(lon), np.nanmax(lat)))
    if shapely.is_geometry(polygon) and not shapely.is_empty(polygon):
        boxes.append(tuple(shapely.bounds(polygon)))
    if not boxes:
        return None
    corners = np.array(boxes, dtype="float64")
    x0, y0 = np.nanmin(corners[:, :2], axis=0)
    x1, y1 = np.nanmax(corners[:, 2:], axis=0)
    return x0, y0, x1, y1


def _new_map(
    extent: tuple[Any, ...],
    tiles: str | xyzservices.TileProvider | None,
    *,
    canvas: bool,
    with_table: bool,
) -> folium.Map:
    """A map centred on ``extent`` that loads only Leaflet, with the basemap asked for."""
    x0, y0, x1, y1 = extent
    m = folium.Map(
        location=[(y0 + y1) / 2, (x0 + x1) / 2],
        zoom_start=14,
        tiles=None,
        control_scale=True,
        prefer_canvas=canvas,
        height="85%" if with_table else "100%",
    )
    m.default_js = [("leaflet", f"{CDN}/leaflet.js")]
    m.default_css = [("leaflet_css", f"{CDN}/leaflet.css")]
    tile_layer = _tiles(tiles)
    if tile_layer is not None:
        m.add_child(tile_layer)
    return m


def _context_layers(
    m: folium.Map,
    *,
    areas: gpd.GeoDataFrame | None,
    area_colour: str,
    catchments: gpd.GeoDataFrame | None,
    polygon: shapely.Geometry | None,
    published: Published,
    drawn: Drawn,
    streets: Streets | None,
    points: list[MicroLayer],
) -> list[str]:
    """Streets, areas, catchments, the study area and links, under the assets; their legend
    lines. Link lines end at the ``points`` of the micro categories, where they are drawn."""
    legend: list[str] = []
    if streets is not None:
        legend.extend(add_streets(as_street_graph(streets), m))
    if areas is not None and len(areas):
        legend.extend(add_areas(areas, area_colour, m))
    if catchments is not None and len(catchments):
        legend.extend(add_catchments(catchments, m))
    if polygon is not None:
        legend.extend(add_study_area(polygon, m))
    if published.links is not None and len(published.links):
        legend.extend(
            add_links(
                published.links,
                drawn,
                m,
                min_count=published.policy.min_count,
                hidden=published.kept_back > 0,
                points=[(p.layer, p.rows, p.group) for p in points],
                canvas=len(drawn) > CANVAS_ABOVE or len(published.links) > CANVAS_ABOVE,
            )
        )
    return legend


def _last(m: folium.Map, element: Element, name: str) -> None:
    """Put ``element`` after everything on the map (so its script runs after every layer's)."""
    _drop(m, element)
    m.add_child(element, name=name)


def _drop(m: folium.Map, element: Element) -> None:
    """Take ``element`` off the map, and out of the page rendered from it before."""
    for key, child in list(m._children.items()):
        if child is element:
            del m._children[key]
            unrender(m, child)


def _controls(
    m: folium.Map,
    title: str,
    legend: list[str],
    coarse: int,
    hidden: bool,
    groups: list[str],
    with_list: bool,
) -> None:
    """The map's one legend, one search (with full-screen button) and one layer switcher:
    made on the first drawing, joined by every later one, and kept after all the layers (the
    layout of them all last)."""
    found = m._children.get("assetmap_legend")
    key = found if isinstance(found, Legend) else Legend()
    key.add(title, legend, coarse, hidden)
    _last(m, key, "assetmap_legend")
    found = m._children.get("assetmap_controls")
    controls = found if isinstance(found, Controls) else Controls()
    controls.add(groups, with_list)
    _last(m, controls, "assetmap_controls")
    switchers = [(k, c) for k, c in m._children.items() if isinstance(c, folium.LayerControl)]
    for _, extra in switchers[1:]:  # one switcher lists every layer; more would repeat them
        _drop(m, extra)
    switcher = switchers[0][1] if switchers else folium.LayerControl(collapsed=False)
    _last(m, switcher, "assetmap_layer_control")
    found = m._children.get("assetmap_layout")
    _last(m, found if isinstance(found, Layout) else Layout(), "assetmap_layout")
    root: Any = m.get_root()  # a branca Figure, whose title is the page's
    if not getattr(root, "title", None):
        root.title = escape_html(title)  # the page's title, as the legend's heading


def _fit(m: folium.Map, extent: tuple[Any, ...] | None) -> None:
    """Fit the map to what every drawing on it showed (and the caller's own bounds)."""
    fits = [c for c in m._children.values() if isinstance(c, FitBounds)]
    boxes = [c.bounds for c in fits]
    if extent is not None:
        x0, y0, x1, y1 = extent
        boxes.append([[y0, x0], [y1, x1]])
    if not boxes:
        return
    corners = np.array([corner for box in boxes for corner in box], dtype="float64")
    (s, w), (n, e) = corners.min(axis=0), corners.max(axis=0)
    ours = m._children.get("assetmap_fit_bounds")
    for other in fits:
        if other is not ours:
            _drop(m, other)
    fit = ours if isinstance(ours, FitBounds) else FitBounds([[s, w], [n, e]])
    fit.bounds = [[float(s), float(w)], [float(n), float(e)]]
    _last(m, fit, "assetmap_fit_bounds")


def build_map(
    assets: gpd.GeoDataFrame | Published,
    *,
    policy: Policy | None = None,
    audience: Audience | None = None,
    study_area: StudyArea | None = None,
    tiles: str | xyzservices.TileProvider | None = "Esri.WorldGrayCanvas",
    title: str = "Assets",
    areas: gpd.GeoDataFrame | None = None,
    area_colour: str = "imd_decile",
    catchments: gpd.GeoDataFrame | None = None,
    links: pd.DataFrame | None = None,
    streets: Streets | None = None,
    m: folium.Map | None = None,
    k: int | None = None,
) -> folium.Map:
    """Draw a geocoded register: study boundary, macro sites, micro assets by category, legend.

    Parameters
    ----------
    assets
        What :func:`assetmap.publish` returned (with its links), or a register as
        :func:`assetmap.geocode` returns it (in any CRS; see :func:`assetmap.crs.geographic`),
        which is published here for the ``policy``.
        Only what was published reaches the page: records shown coarsely appear unnamed, as
        their category, at their coarse point; ``private`` records are never drawn, only
        counted in the legend. :func:`save_map` writes the audit beside the page.
    policy, audience
        Who will see the map (:class:`assetmap.privacy.Policy`; ``audience=`` is a shortcut,
        public by default), when ``assets`` is a register. ``"public"``: only ``public``
        records are named and placed exactly; ``"partners"``: ``partners`` records too.
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
        under the map (the list view, which search and the category filter filter too). A link
        to a record shown coarsely goes to its coarse point as a dashed line; in the list, such
        links are grouped into one row per site and category ("Port Loop → 12 people within
        1.2 km, places approximate"; "fewer than N" below the policy's ``min_count``). A line
        above the list says how many links the map shows, and how many involve records it
        does not show (see :func:`assetmap.maps.links_summary`).
    streets
        A street graph (:class:`assetmap.network.StreetGraph`, an osmnx/networkx graph or a
        GraphML file): its streets are drawn as a light basemap that needs no network (main
        roads heavier; railways and waterways where its edges say ``railway``/``waterway``),
        so the map reads offline, where tiles stay blank.
    m
        A folium map to add the layers to (as geopandas' ``explore(m=)``), such as one
        ``GeoDataFrame.explore()`` made or an earlier ``build_map`` returned; a new one when
        None. The map keeps one legend (with every drawing's lines), one search and
        full-screen control, one layer switcher listing every layer, and is fitted to all
        that is drawn on it. Every drawing on one map must be for the same audience.
    k
        Old name of the policy's ``min_count`` (deprecated).

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> from assetmap import datasets, geocode
    >>> m = build_map(geocode(datasets.sample_register()), audience="public")
    >>> type(m).__name__
    'Map'
    """
    assets = geographic(assets, "the assets given to build_map")
    # only what the audience may see reaches the page: publish() decides, once
    if not isinstance(assets, Published) and "geocode_method" not in assets.columns:
        raise ConfigurationError("build_map draws geocoded assets; call assetmap.geocode first")
    # areas are drawn either way; with a register they also hold its coarse records' points
    coarsen = {} if isinstance(assets, Published) else {"areas": areas}
    published = published_or_publish(
        assets, policy=policy, audience=audience, k=k, links=links, **coarsen
    )
    drawn = Drawn(published.assets)

    polygon = study_polygon(study_area)
    extent = _extent(polygon, drawn)  # what is shown, never a hidden record's place
    many = len(drawn) > CANVAS_ABOVE
    if m is None:
        with_table = published.links is not None and len(published.links) > 0
        m = _new_map(extent or _WORLD, tiles, canvas=many, with_table=with_table)
    if "assetmap_runtime" not in m._children:
        m.add_child(Runtime(), name="assetmap_runtime")

    points = micro_layers(drawn, m, canvas=many)  # added last, above the links
    legend = _context_layers(
        m,
        areas=areas,
        area_colour=area_colour,
        catchments=catchments,
        polygon=polygon,
        published=published,
        drawn=drawn,
        streets=streets,
        points=points,
    )
    sites = np.flatnonzero(drawn.exact & drawn.where("kind", "macro"))
    legend.extend(add_macro_sites(drawn.frame(sites), m))
    legend.extend(add_micro_categories(points, m))

    groups = ["Macro sites", *(label(c) for c in CATEGORIES["micro"])]
    with_list = published.links is not None and len(published.links) > 0
    n_coarse = int(drawn.coarse.sum())
    _controls(m, title, legend, n_coarse, published.kept_back > 0, groups, with_list)
    _fit(m, extent)
    publications(m).add(published)  # save_map writes the audit of each
    number_elements(m.get_root())
    return m
