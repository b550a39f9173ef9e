"""Questions asked of the links and the graph: brokers, communities, gaps, capacity matching.

Every function returns tables (DataFrames), never prints.
"""

from __future__ import annotations

from ._core import (
    DEFAULT_BARRIERS,
    Matching,
    anchor_deserts,
    area_summary,
    brokers,
    communities,
    isolated,
    link_deserts,
    match_capacity,
    skills_matches,
    skills_mismatch,
    uncovered_needs,
    unused_offers,
)

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
    "skills_matches",
    "skills_mismatch",
    "uncovered_needs",
    "unused_offers",
]
