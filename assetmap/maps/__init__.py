"""Folium maps of a register: :func:`build_map` draws what an audience may see, :func:`save_map`
writes it as one HTML file.
"""

from __future__ import annotations

from ._core import (
    CANVAS_ABOVE,
    CATEGORY_COLOURS,
    DECILE_COLOURS,
    build_map,
    drawn_areas,
    save_map,
)

__all__ = [
    "CANVAS_ABOVE",
    "CATEGORY_COLOURS",
    "DECILE_COLOURS",
    "build_map",
    "drawn_areas",
    "save_map",
]
