"""The canonical asset schema, and the validation that reports every problem at once.

- Columns, vocabularies, heading aliases and tags: :mod:`assetmap.schema._columns`.
- Which heading feeds which field: :mod:`assetmap.schema._headings`; defaults, values, ids
  and coordinate pairs before validation: :mod:`assetmap.schema._prepare`.
- :func:`validate_assets` and :func:`validate_relationships` check a frame and return it in
  canonical form, listing every problem with its row id and place in one
  :class:`~assetmap.errors.SchemaError`.
"""

from __future__ import annotations

from ._columns import (
    ALIASES,
    ASSET_COLUMNS,
    CATEGORIES,
    GEOCODE_COLUMNS,
    GUESSED_ALIASES,
    KINDS,
    PRIVACY_LEVELS,
    RELATIONSHIP_TYPES,
    SCORE_DECIMALS,
    TAG_COLUMNS,
    TEXT_COLUMNS,
    Selector,
    id_categories,
    id_positions,
    normalise_tags,
    parse_tags,
    select_assets,
    synonym_map,
)
from ._headings import (
    COMBINED_FIELDS,
    Columns,
    Headings,
    apply_headings,
    heading_key,
    map_headings,
)
from ._prepare import content_ids, prepare_assets
from ._validate import representative_points, validate_assets, validate_relationships

__all__ = [
    "ALIASES",
    "ASSET_COLUMNS",
    "CATEGORIES",
    "COMBINED_FIELDS",
    "GEOCODE_COLUMNS",
    "GUESSED_ALIASES",
    "KINDS",
    "PRIVACY_LEVELS",
    "RELATIONSHIP_TYPES",
    "SCORE_DECIMALS",
    "TAG_COLUMNS",
    "TEXT_COLUMNS",
    "Columns",
    "Headings",
    "Selector",
    "apply_headings",
    "content_ids",
    "heading_key",
    "id_categories",
    "id_positions",
    "map_headings",
    "normalise_tags",
    "parse_tags",
    "prepare_assets",
    "representative_points",
    "select_assets",
    "synonym_map",
    "validate_assets",
    "validate_relationships",
]
