"""Deprecated: moved to :mod:`assetmap.geocoding.gazetteer` (this name goes in the next release)."""

from __future__ import annotations

import warnings

from .geocoding.gazetteer import *  # noqa: F403
from .geocoding.gazetteer import __all__  # noqa: F401

warnings.warn(
    "assetmap.gazetteer is now assetmap.geocoding.gazetteer; the old name goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
