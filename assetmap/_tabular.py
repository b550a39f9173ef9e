"""The one policy for untrusted text in spreadsheet files: no cell starts a formula.

Registers hold text typed by anyone, and the CSV and XLSX files assetmap writes are opened in
Excel or LibreOffice by partners. A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return can be run as a formula there (``=HYPERLINK(...)`` sends data away).

CSV
    Text that begins with one of those six characters gets a leading ``'`` (the OWASP advice
    for CSV injection), so a spreadsheet shows it as text. Text that already begins with one
    or more ``'`` and then one of the six gets one more ``'``, so reading back is exact:
    :func:`from_csv_cells` removes one ``'`` from text that begins with ``'`` (one or more)
    and then one of the six, and touches nothing else.
XLSX
    Every text cell is written as a string cell, never as a formula (nor as an error value
    such as ``#N/A``), so the workbook holds the exact text. Characters XML cannot carry as
    they are (a carriage return, other control characters) are written as OOXML escapes
    (``_x000D_``), as Excel writes them, and a literal ``_xHHHH_`` in the text as
    ``_x005F_xHHHH_``; :func:`from_xlsx_cells` undoes it.

Only text is touched (str cells and headings): numbers, booleans and missing values are
written as they are, so a negative number stays a number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "FORMULA_STARTS",
    "csv_text",
    "from_csv_cells",
    "from_csv_text",
    "from_xlsx_cells",
    "from_xlsx_text",
    "to_csv_cells",
    "to_xlsx_cells",
    "write_csv",
    "write_xlsx",
    "xlsx_text",
]

#: The characters a spreadsheet may read as the start of a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_STARTS = "[=+\\-@\t\r]"
_TO_QUOTE = re.compile(f"^'*{_STARTS}")  # written with one more leading '
_QUOTED = re.compile(f"^'+{_STARTS}")  # read with one leading ' fewer
_XLSX_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b\x0c\r\x0e-\x1f]")
_XLSX_ESCAPED = re.compile(r"_x[0-9A-Fa-f]{4}_")


def csv_text(text: str) -> str:
    """``text`` as a CSV cell that no spreadsheet runs as a formula."""
    return "'" + text if _TO_QUOTE.search(text) else text


def from_csv_text(text: str) -> str:
    """The text :func:`csv_text` was given."""
    return text[1:] if _QUOTED.search(text) else text


def xlsx_text(text: str) -> str:
    """``text`` as an XLSX string cell holds it (OOXML escapes for what XML cannot carry)."""
    return _XLSX_ESCAPE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def from_xlsx_text(text: str) -> str:
    """The text an XLSX string cell holds (OOXML escapes undone, as Excel reads them)."""
    if "_x" not in text:
        return text
    return _XLSX_ESCAPED.sub(lambda m: chr(int(m.group()[2:6], 16)), text)


def _found(column: pd.Series, pattern: re.Pattern[str]) -> np.ndarray:
    """Which cells of a column are text in which ``pattern`` is found."""
    if not (
        column.dtype == object or isinstance(column.dtype, pd.StringDtype | pd.CategoricalDtype)
    ):
        return np.zeros(len(column), dtype=bool)  # numbers, booleans, dates: never text
    try:
        found = column.astype(object).str.contains(pattern, na=False)
    except AttributeError:  # an object column without any text
        return np.zeros(len(column), dtype=bool)
    return np.asarray(found, dtype=bool)


def _cells(
    frame: pd.DataFrame, pattern: re.Pattern[str], change: Callable[[str], str]
) -> pd.DataFrame:
    """A copy of ``frame`` with ``change`` applied to its headings and to every text cell in
    which ``pattern`` is found; other cells (numbers, booleans, missing) as they were."""
    out = frame.copy()
    for position in range(out.shape[1]):
        found = _found(out.iloc[:, position], pattern)
        if found.any():
            values = out.iloc[:, position].to_numpy(dtype=object, copy=True)
            values[found] = [change(v) for v in values[found]]
            out.isetitem(position, values)
    out.columns = pd.Index(
        [change(c) if isinstance(c, str) and pattern.search(c) else c for c in out.columns]
    )
    return out


def to_csv_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as it is written to CSV: text that could start a formula quoted with ``'``."""
    return _cells(frame, _TO_QUOTE, csv_text)


def from_csv_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame read from a CSV assetmap wrote, with the text it was given (headings included)."""
    return _cells(frame, _QUOTED, from_csv_text)


def to_xlsx_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as its text is stored in XLSX string cells (see :func:`xlsx_text`)."""
    return _cells(frame, _XLSX_ESCAPE, xlsx_text)


def from_xlsx_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame read from an XLSX, with OOXML escapes in its text and headings undone."""
    return _cells(frame, _XLSX_ESCAPED, from_xlsx_text)


def write_csv(frame: pd.DataFrame, path: str | PathLike[str]) -> None:
    """Write ``frame`` as UTF-8 CSV (no index, ``\\n`` line ends) so that no cell starts a
    formula.

    Python's CSV writer (3.11) quotes a field holding a line break only when the break is part
    of the line ending, so with ``\\n`` endings a carriage return in a cell would be written
    bare and end the row for every reader. The table is written with ``\\r\\n`` endings (every
    field holding either break quoted) and the endings, which are all outside quotes, turned
    into ``\\n``: the same bytes as a plain ``\\n`` CSV wherever no cell holds a carriage return.
    """
    text = to_csv_cells(frame).to_csv(index=False, lineterminator="\r\n")
    parts = text.split('"')  # even parts are outside quotes (a doubled "" is an empty odd part)
    parts[::2] = [part.replace("\r\n", "\n") for part in parts[::2]]
    Path(path).write_bytes('"'.join(parts).encode("utf-8"))


def write_xlsx(path: str | PathLike[str], sheets: Mapping[str, pd.DataFrame]) -> None:
    """Write one sheet per frame (no index), every text cell a string cell, never a formula."""
    with pd.ExcelWriter(Path(path), engine="openpyxl") as writer:
        for name, frame in sheets.items():
            to_xlsx_cells(frame).to_excel(writer, sheet_name=name, index=False)
        for sheet in writer.book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    # openpyxl guesses a formula for text starting "=", an error for "#N/A"
                    if isinstance(cell.value, str):
                        cell.data_type = "s"
