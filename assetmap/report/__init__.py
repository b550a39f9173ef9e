"""Reports people read: the tables behind the map, for one audience, as CSV, XLSX and HTML."""

from __future__ import annotations

from ._core import (
    COLUMNS,
    Report,
    build_report,
    save_report,
)

__all__ = [
    "COLUMNS",
    "Report",
    "build_report",
    "save_report",
]
