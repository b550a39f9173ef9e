"""assetmap: map a place's assets and find where they can help each other.

The main line, in the order it runs::

    read_assets → geocode → assign_areas → find_links → graph_from_assets → publish → writers

:func:`run_project` runs it from a project file; :func:`demo` on the bundled sample data.
"""

import logging as _logging
import warnings as _warnings
from importlib import metadata as _metadata
from typing import Any as _Any

from . import (
    datasets,
    errors,
    scale,  # registers the dask twins of the stages that run on dask
    settings,
)
from .areas import assign_areas, read_boundaries, read_imd
from .export import save_assets, save_graph, save_links
from .geocoding import geocode, geocode_summary
from .graph import graph_from_assets, graph_from_gdfs, graph_to_gdfs
from .io import read_assets, read_relationships
from .links import find_links
from .maps import build_map, save_map
from .network import read_street_graph
from .privacy import publish
from .project import demo, read_project, run_project
from .report import build_report, save_report

try:
    __version__ = _metadata.version("assetmap")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

_logging.getLogger(__name__).addHandler(_logging.NullHandler())

#: Old names that keep working for one release, with a DeprecationWarning naming the new one.
_RENAMED = {"build": ("run_project", run_project)}


def __getattr__(name: str) -> _Any:
    if name in _RENAMED:
        new, value = _RENAMED[name]
        _warnings.warn(
            f"assetmap.{name} is now assetmap.{new}; the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return value
    raise AttributeError(f"module 'assetmap' has no attribute {name!r}")


__all__ = [
    "__version__",
    "assign_areas",
    "build_map",
    "build_report",
    "datasets",
    "demo",
    "errors",
    "find_links",
    "geocode",
    "geocode_summary",
    "graph_from_assets",
    "graph_from_gdfs",
    "graph_to_gdfs",
    "publish",
    "read_assets",
    "read_boundaries",
    "read_imd",
    "read_project",
    "read_relationships",
    "read_street_graph",
    "run_project",
    "save_assets",
    "save_graph",
    "save_links",
    "save_map",
    "save_report",
    "scale",
    "settings",
]
