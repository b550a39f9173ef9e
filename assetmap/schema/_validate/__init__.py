"""Validation of registers and relationships against the canonical schema.

This package owns checking a frame against :mod:`assetmap.schema` and returning it in canonical
form: :func:`validate_assets` (in ``_assets``) and :func:`validate_relationships` (in
``_relationships``), over the cell parsing of ``_cells``. Users call them from
:mod:`assetmap.schema` (or :mod:`assetmap.io`). Validation reports *every* problem at once,
each with its row id and where the row stands in its source, in one
:class:`~assetmap.errors.SchemaError`. Soft problems become one
:class:`~assetmap.errors.SchemaWarning` each, counting the rows concerned.
"""

from __future__ import annotations

from ._assets import validate_assets
from ._cells import representative_points
from ._relationships import validate_relationships

__all__ = [
    "representative_points",
    "validate_assets",
    "validate_relationships",
]
