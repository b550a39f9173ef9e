"""Walking distance along streets, and walking catchments: a 15-minute walk, not a circle.

A street graph is whatever a user holds: an osmnx graph (projected or not), any networkx graph
whose nodes have ``x``/``y`` and whose edges have a ``length`` in metres, a GraphML file as
osmnx writes it, or an OpenStreetMap file as distributed (``.osm``, ``.osm.bz2``, ``.osm.gz``,
``.osm.pbf``). :func:`as_street_graph` makes any of them a :class:`StreetGraph` once, at every
function that takes one. Walking ignores one-way streets.

The work lives in the private modules beside this one: ``_streets`` (the street graph and its
conversions), ``_osm`` (OpenStreetMap files) and ``_walk`` (walking distances and catchments).
"""

from __future__ import annotations

from ._streets import (
    StreetGraph,
    Streets,
    as_street_graph,
    read_street_graph,
    save_street_graph,
    street_graph_from_networkx,
)
from ._walk import (
    ENTRANCE_M,
    MAX_SNAP_M,
    WALKING_SPEED_KMH,
    StreetCoverageWarning,
    catchments,
    walk_distances,
)

__all__ = [
    "ENTRANCE_M",
    "MAX_SNAP_M",
    "WALKING_SPEED_KMH",
    "StreetCoverageWarning",
    "StreetGraph",
    "Streets",
    "as_street_graph",
    "catchments",
    "read_street_graph",
    "save_street_graph",
    "street_graph_from_networkx",
    "walk_distances",
]
