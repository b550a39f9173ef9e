"""Writing a report: one CSV per table, one workbook, the printable HTML page and its audit.

The workbook has an ``about`` sheet (what each table holds), a ``columns`` sheet (what each
column holds) and a sheet per table; every file carries fixed times (see
:mod:`assetmap._reproducible`) and replaces the one before it whole, so the same report writes
the same bytes.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd

from .._reproducible import write_file
from .._tabular import write_csv, write_xlsx
from ..privacy import write_audit
from ._columns import ABOUT, describe, heading
from ._html import report_page
from ._model import Report

__all__ = ["save_report"]


def _csv_frame(table: pd.DataFrame) -> pd.DataFrame:
    return table.astype(object).where(table.notna(), None)


def save_report(report: Report, folder: str | PathLike[str]) -> list[Path]:
    """Write a report: ``report.html`` (printable, charts inside), ``report.xlsx`` (a sheet per
    table, a ``columns`` sheet describing each column, an ``about`` sheet), one CSV per table
    in ``tables/``, and the audit beside the HTML.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    folder = Path(folder)
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in report.tables.items():
        path = folder / "tables" / f"{name}.csv"
        write_csv(_csv_frame(table), path)
        written.append(path)
    xlsx = folder / "report.xlsx"
    about = pd.DataFrame(
        {
            "sheet": list(report.tables),
            "what it holds": [ABOUT[n] for n in report.tables],
            "rows": [len(t) for t in report.tables.values()],
        }
    )
    columns = pd.DataFrame(
        [
            {"sheet": name, "column": c, "heading": heading(c), "description": describe(c)}
            for name, table in report.tables.items()
            for c in table.columns
        ]
    )
    sheets = {"about": about, "columns": columns}
    sheets.update({name[:31]: _csv_frame(table) for name, table in report.tables.items()})
    write_xlsx(xlsx, sheets)
    written.append(xlsx)
    page = folder / "report.html"
    write_file(page, report_page(report))
    written.append(page)
    written.append(write_audit(report.published, page))
    return written
