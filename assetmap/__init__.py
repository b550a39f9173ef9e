"""assetmap: map a place's assets and find where they can help each other."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from . import datasets, errors, settings
from .build import build
from .geocode import geocode, geocode_summary
from .graph import graph_from_assets, graph_to_gdfs, save_graph
from .io import read_assets, read_relationships, save_assets, save_links
from .links import find_links
from .maps import build_map, save_map
from .pipeline import demo
from .report import build_report, save_report

try:
    __version__ = version("assetmap")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "__version__",
    "build",
    "build_map",
    "build_report",
    "datasets",
    "demo",
    "errors",
    "find_links",
    "geocode",
    "geocode_summary",
    "graph_from_assets",
    "graph_to_gdfs",
    "read_assets",
    "read_relationships",
    "save_assets",
    "save_graph",
    "save_links",
    "save_map",
    "save_report",
    "settings",
]
