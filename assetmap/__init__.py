"""assetmap: map a place's assets and find where they can help each other."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from . import datasets, errors, settings
from .geocode import geocode, geocode_summary
from .io import read_assets, read_relationships, save_assets
from .maps import build_map, save_map
from .pipeline import demo

try:
    __version__ = version("assetmap")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "__version__",
    "build_map",
    "datasets",
    "demo",
    "errors",
    "geocode",
    "geocode_summary",
    "read_assets",
    "read_relationships",
    "save_assets",
    "save_map",
    "settings",
]
