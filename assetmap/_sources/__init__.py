"""Reading CSV and XLSX files nobody checked (:mod:`.delimited`, :mod:`.workbooks`): every
row found at its physical line, or one error naming every problem at its place.
"""

from __future__ import annotations

from .delimited import CsvTable, read_csv_bytes
from .workbooks import EXCEL_MAX_ROWS, MAX_XLSX_BYTES, MAX_XLSX_RATIO, check_xlsx, read_xlsx

__all__ = [
    "EXCEL_MAX_ROWS",
    "MAX_XLSX_BYTES",
    "MAX_XLSX_RATIO",
    "CsvTable",
    "check_xlsx",
    "read_csv_bytes",
    "read_xlsx",
]
