"""A street graph drawn as a light basemap that needs no network.

Owns the classes a street edge is drawn in (streets, main roads, railways, waterways, from the
edge attributes ``highway``, ``railway`` and ``waterway`` that OpenStreetMap data and osmnx
carry) and their quiet colours, and :func:`add_streets`, which draws each class as one
non-interactive line layer under everything else. With it, a map opened with no internet
still shows where the roads, canals and railways run.
"""

from __future__ import annotations

from typing import Any

import folium
import numpy as np

from ..crs import to_lonlat
from ..network import StreetGraph
from ._elements import DataLayer

#: Main roads by OpenStreetMap's ``highway`` values (their ``_link`` ramps too).
_MAIN = ("motorway", "trunk", "primary", "secondary", "tertiary")

#: The classes drawn, palest first: (key, legend words, colour, width, dash).
STREET_CLASSES = (
    ("street", "Street or path", "#cfcfcf", 1.0, None),
    ("main", "Main road", "#a8a8a8", 2.5, None),
    ("rail", "Railway", "#6b6b6b", 1.5, "6 3"),
    ("water", "Canal or river", "#8fbfe0", 3.0, None),
)


def _class(data: dict[str, Any]) -> str:
    """Which class an edge is drawn in, from its attributes."""
    if data.get("waterway"):
        return "water"
    if data.get("railway"):
        return "rail"
    highway = str(data.get("highway") or "")
    return "main" if any(kind in highway for kind in _MAIN) else "street"


def _segments(streets: StreetGraph) -> dict[str, list[list[list[float]]]]:
    """Each class's segments as lon/lat pairs (5 decimals, about 1 m), each once."""
    lon, lat = to_lonlat(np.asarray(streets.x), np.asarray(streets.y), streets.crs)
    lon, lat = np.round(lon, 5), np.round(lat, 5)
    at = {node: k for k, node in enumerate(streets.nodes.tolist())}
    seen: dict[tuple[int, int], str] = {}
    for u, v, data in streets.graph.edges(data=True):
        a, b = at.get(u), at.get(v)
        if a is None or b is None or a == b:
            continue
        key = (min(a, b), max(a, b))
        kind = _class(data)
        # where two edges join the same nodes, the more telling class is drawn
        if key not in seen or _rank(kind) > _rank(seen[key]):
            seen[key] = kind
    out: dict[str, list[list[list[float]]]] = {}
    for (a, b), kind in sorted(seen.items()):
        out.setdefault(kind, []).append(
            [[float(lon[a]), float(lat[a])], [float(lon[b]), float(lat[b])]]
        )
    return out


def _rank(kind: str) -> int:
    return [c[0] for c in STREET_CLASSES].index(kind)


def add_streets(streets: StreetGraph, m: folium.Map) -> list[str]:
    """Draw a street graph as a light, non-interactive basemap; its legend lines."""
    segments = _segments(streets)
    features = []
    legend = []
    for key, words, colour, width, dash in STREET_CLASSES:
        if key not in segments:
            continue
        style: dict[str, Any] = {"color": colour, "weight": width}
        if dash:
            style["dashArray"] = dash
        features.append(
            {
                "type": "Feature",
                "id": f"streets:{key}",
                "geometry": {"type": "MultiLineString", "coordinates": segments[key]},
                "properties": {"title": words, "style": style},
            }
        )
        border = f"{max(width, 1.5):g}px {'dashed' if dash else 'solid'} {colour}"
        legend.append(
            f'<li><span class="assetmap-swatch assetmap-line" style="border-top: {border};'
            f'width: 16px"></span>{words}</li>'
        )
    if not features:
        return []
    DataLayer(
        features,
        name="Streets (offline basemap)",
        opts={
            "interactive": False,
            "searchable": False,
            "style": {"opacity": 1, "className": "assetmap-street", "lineCap": "round"},
        },
    ).add_to(m)
    return legend
