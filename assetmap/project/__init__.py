"""Projects: the main line run once, from a project file or from settings.

:func:`read_project` reads a project file into a :class:`Project` (every setting with its
default: :data:`DEFAULTS`); :func:`run_project` runs it and writes its outputs (maps, links,
graph files and reports per audience, and ``build.json``); :func:`demo` runs the bundled
Greater Icknield project. The same project and inputs give the same bytes: nothing written
carries the time of the run (unless ``SOURCE_DATE_EPOCH`` gives one).
"""

from __future__ import annotations

from ._record import SOURCES
from ._run import Build, demo, run_project
from ._settings import DEFAULTS, MAX_DISTANCE_M, Project, project_from_settings, read_project

__all__ = [
    "DEFAULTS",
    "MAX_DISTANCE_M",
    "SOURCES",
    "Build",
    "Project",
    "demo",
    "project_from_settings",
    "read_project",
    "run_project",
]
