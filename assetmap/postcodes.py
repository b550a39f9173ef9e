"""Deprecated: moved to :mod:`assetmap.geocoding.postcodes` (this name goes in the next release)."""

from __future__ import annotations

import warnings

from .geocoding.postcodes import *  # noqa: F403
from .geocoding.postcodes import __all__  # noqa: F401

warnings.warn(
    "assetmap.postcodes is now assetmap.geocoding.postcodes; the old name goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
