"""Questions asked of the links and the graph: brokers, communities, gaps, capacity matching.

Every function returns tables (DataFrames), never prints. The work lives in four modules:
:mod:`~assetmap.analysis.connections` (brokers, communities, isolated assets),
:mod:`~assetmap.analysis.gaps` (unmet needs, unused offers, deserts),
:mod:`~assetmap.analysis.matching` (capacity and skills matching) and
:mod:`~assetmap.analysis.places` (area summaries).
"""

from __future__ import annotations

from .connections import brokers, communities, isolated
from .gaps import anchor_deserts, link_deserts, uncovered_needs, unused_offers
from .matching import (
    DEFAULT_BARRIERS,
    Matching,
    match_capacity,
    skills_matches,
    skills_mismatch,
)
from .places import area_summary, reach_by_category

__all__ = [
    "DEFAULT_BARRIERS",
    "Matching",
    "anchor_deserts",
    "area_summary",
    "brokers",
    "communities",
    "isolated",
    "link_deserts",
    "match_capacity",
    "reach_by_category",
    "skills_matches",
    "skills_mismatch",
    "uncovered_needs",
    "unused_offers",
]
