"""The gate: what each audience may see of a register, and a record of what was shown.

Privacy levels (the ``privacy`` column):

- ``public``: named, at its exact place, for everyone.
- ``partners``: named and exact for partners; for the public, as ``area``.
- ``area``: never named; shown only as its category, at a coarse point: the centre of its area
  (when areas are given), else of the coarsest-enough level of the policy's gazetteer (a
  postcode sector or district with the ONS directory), else of a 500 m grid cell. Coarsening
  is deterministic (no random jitter, which averaging would undo) and says how coarse it is.
  Its links say only that they exist: no distance, no score, no tags, and no place in a
  ranking.
- ``private``: never shown on its own; it is counted only in :attr:`Published.counts` (per
  area and category), where counts from 0 to ``min_count - 1`` are left empty and no totals
  are given. Nothing else an audience receives counts such records (maps, reports and their
  charts count only what they show), so no hidden count can be worked out from all the files
  of a run together.

A :class:`Policy` says who the audience is and what may leave; :func:`publish` applies it once
and returns a :class:`Published`. Every writer (:func:`assetmap.save_assets`,
:func:`assetmap.save_links`, :func:`assetmap.save_graph`, :func:`assetmap.save_map`,
:func:`assetmap.save_report`) writes what a :class:`Published` holds, and :func:`write_audit`
beside it; none decides privacy on its own.
"""

from __future__ import annotations

from ._audit import write_audit
from ._policy import (
    COARSE_CELL_M,
    EXACT_FIELDS,
    RELATIONSHIP_FIELDS,
    SHOWN_EXACTLY,
    Audience,
    Policy,
    Published,
    as_policy,
)
from ._publish import publish, published_or_publish
from ._suppress import protect, suppress

__all__ = [
    "COARSE_CELL_M",
    "EXACT_FIELDS",
    "RELATIONSHIP_FIELDS",
    "SHOWN_EXACTLY",
    "Audience",
    "Policy",
    "Published",
    "as_policy",
    "protect",
    "publish",
    "published_or_publish",
    "suppress",
    "write_audit",
]
