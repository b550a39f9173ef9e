"""Reports people read: the tables behind the map, for one audience, as CSV, XLSX and HTML.

:func:`build_report` is the public face (in ``_build``); the work lives in the private modules
beside it: ``_tables`` (the table builders), ``_columns`` (what each table and column holds),
``_charts`` (matplotlib PNGs), ``_html`` (the printable page), ``_model`` (:class:`Report`) and
``_write`` (:func:`save_report`: CSV, XLSX, HTML and the audit).
"""

from __future__ import annotations

from ._build import build_report
from ._columns import COLUMNS
from ._model import Report
from ._write import save_report

__all__ = [
    "COLUMNS",
    "Report",
    "build_report",
    "save_report",
]
