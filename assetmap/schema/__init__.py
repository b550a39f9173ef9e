"""The canonical asset schema, and the validation that reports every problem at once.

- Columns, vocabularies, heading aliases and tags: :mod:`assetmap.schema._columns`.
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
    KINDS,
    PRIVACY_LEVELS,
    RELATIONSHIP_TYPES,
    TAG_COLUMNS,
    TEXT_COLUMNS,
    Selector,
    normalise_tags,
    parse_tags,
    select_assets,
    synonym_map,
)
from ._validate import validate_assets, validate_relationships

__all__ = [
    "ALIASES",
    "ASSET_COLUMNS",
    "CATEGORIES",
    "GEOCODE_COLUMNS",
    "KINDS",
    "PRIVACY_LEVELS",
    "RELATIONSHIP_TYPES",
    "TAG_COLUMNS",
    "TEXT_COLUMNS",
    "Selector",
    "normalise_tags",
    "parse_tags",
    "select_assets",
    "synonym_map",
    "validate_assets",
    "validate_relationships",
]
