"""Deprecated: moved to :mod:`assetmap.geocoding.providers` (this name goes in the next release)."""

from __future__ import annotations

import warnings

from .geocoding.providers import *  # noqa: F403
from .geocoding.providers import __all__  # noqa: F401

warnings.warn(
    "assetmap.providers is now assetmap.geocoding.providers; the old name goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
