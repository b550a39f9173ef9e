"""Folium maps of a register: :func:`build_map` draws what an audience may see, :func:`save_map`
writes it as one HTML file.

The page needs only Leaflet (no jQuery, Bootstrap or icon fonts), so :func:`save_map` can inline
everything from installed packages and the file opens with no network at all. Every text from a
register reaches the page as JSON data and is put into the DOM through ``textContent`` by
assetmap's own small runtime: markup in a register shows as text and never runs. Element ids
are numbered in order, so the same inputs give the same bytes.

The work lives in the private modules beside this one: the folium elements and text helpers in
``_elements``, the layers and their colours in ``_layers``, the records a page draws as
columns made once per page in ``_drawn``, writing the page in ``_page``, and
:func:`build_map`'s steps in ``_build``.
"""

from __future__ import annotations

from ._build import CANVAS_ABOVE, build_map, drawn_areas
from ._layers import CATEGORY_COLOURS, DECILE_COLOURS
from ._links import links_summary
from ._page import save_map

__all__ = [
    "CANVAS_ABOVE",
    "CATEGORY_COLOURS",
    "DECILE_COLOURS",
    "build_map",
    "drawn_areas",
    "links_summary",
    "save_map",
]
