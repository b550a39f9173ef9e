"""Links between assets: close pairs, and offers that meet needs close enough to matter.

:func:`find_links` is the public face; the work lives in the private modules beside it.
"""

from __future__ import annotations

from ._core import (
    LINK_COLUMNS,
    find_links,
)

__all__ = [
    "LINK_COLUMNS",
    "find_links",
]
