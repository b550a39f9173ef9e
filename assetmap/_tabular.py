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

Every writer
    Control characters other than tab, line feed and carriage return (NUL, vertical tab,
    ``\x1f``…), lone surrogates and the non-characters U+FFFE and U+FFFF are removed from the
    text before any file is written, with one :class:`~assetmap.errors.SchemaWarning` naming
    the rows and columns they were in: GDAL cuts text at a NUL, XML (XLSX) cannot hold them,
    UTF-8 cannot encode a lone surrogate, so no format would give them back alike. Line breaks
    stay, quoted in CSV so the file reads back. An XLSX cell holds at most 32,767 characters
    (Excel's limit; Excel cuts longer text when it opens the file): longer text is refused
    with a :class:`~assetmap.errors.SchemaError` naming each cell, never cut short.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from os import PathLike
from typing import TypeVar, cast

import numpy as np
import pandas as pd

from ._reproducible import stable_xlsx, write_file
from .errors import Problem, SchemaError, SchemaWarning

__all__ = [
    "FORMULA_STARTS",
    "UNKEPT",
    "XLSX_CELL_LIMIT",
    "csv_text",
    "from_csv_cells",
    "from_csv_text",
    "from_xlsx_cells",
    "from_xlsx_text",
    "to_csv_cells",
    "to_xlsx_cells",
    "without_control_characters",
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
#: What no file keeps alike: C0 controls but tab, LF, CR; lone surrogates; U+FFFE, U+FFFF.
UNKEPT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_Frame = TypeVar("_Frame", bound=pd.DataFrame)
#: The most characters an XLSX cell holds (Excel's limit).
XLSX_CELL_LIMIT = 32_767


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


def _where(rows: Sequence[str] | None, i: int) -> str:
    return rows[i] if rows is not None else f"row {i + 1}"


def without_control_characters(
    frame: _Frame, what: str, rows: Sequence[str] | None = None
) -> _Frame:
    """A copy of ``frame`` without the characters no file keeps (see the module's notes), in
    text cells, in text inside list cells and in headings; one warning names where they were.

    Parameters
    ----------
    frame
        The table to be written.
    what
        The file, for the warning.
    rows
        How to name each row in the warning (``"asset a1"``); ``"row 1"``, ``"row 2"``… when
        not given.
    """
    out = cast(_Frame, _cells(frame, UNKEPT, lambda text: UNKEPT.sub("", text)))
    found: dict[int, list[str]] = {}
    for position, column in enumerate(frame.columns):
        values = frame.iloc[:, position]
        hit = _found(values, UNKEPT)
        if values.dtype == object:  # lists of text (tags), as GeoParquet keeps them
            in_list = values.map(_unkept_in_list).to_numpy(dtype=bool)
            if in_list.any():
                cells = out.iloc[:, position].to_numpy(dtype=object, copy=True)
                cells[in_list] = [_clean_list(v) for v in cells[in_list]]
                out.isetitem(position, cells)
                hit = hit | in_list
        for i in np.flatnonzero(hit):
            found.setdefault(int(i), []).append(str(column))
    headings = [str(c) for c in frame.columns if isinstance(c, str) and UNKEPT.search(c)]
    if found or headings:
        places = [f"{_where(rows, i)} ({', '.join(cols)})" for i, cols in sorted(found.items())]
        if headings:
            places.insert(0, "headings " + ", ".join(repr(h) for h in headings))
        more = f" and {len(places) - 20} more" if len(places) > 20 else ""
        warnings.warn(
            f"{what}: removed control characters (NUL, vertical tab, \\x1f and the like) that "
            f"no file format keeps from {sum(map(len, found.values()))} cells: "
            + "; ".join(places[:20])
            + more,
            SchemaWarning,
            stacklevel=3,
        )
    return out


def _unkept_in_list(value: object) -> bool:
    return isinstance(value, list | tuple | np.ndarray) and any(
        isinstance(v, str) and UNKEPT.search(v) for v in value
    )


def _clean_list(values: list[object]) -> list[object]:
    return [UNKEPT.sub("", v) if isinstance(v, str) else v for v in values]


def write_csv(
    frame: pd.DataFrame, path: str | PathLike[str], *, rows: Sequence[str] | None = None
) -> None:
    """Write ``frame`` as UTF-8 CSV (no index, ``\\n`` line ends) so that no cell starts a
    formula, replacing ``path`` whole (see :func:`assetmap._reproducible.replacing`).

    Python's CSV writer (3.11) quotes a field holding a line break only when the break is part
    of the line ending, so with ``\\n`` endings a carriage return in a cell would be written
    bare and end the row for every reader. The table is written with ``\\r\\n`` endings (every
    field holding either break quoted) and the endings, which are all outside quotes, turned
    into ``\\n``: the same bytes as a plain ``\\n`` CSV wherever no cell holds a carriage return.
    Characters no file keeps are removed with a warning naming ``rows`` (see
    :func:`without_control_characters`).
    """
    frame = without_control_characters(frame, str(path), rows)
    text = to_csv_cells(frame).to_csv(index=False, lineterminator="\r\n")
    parts = text.split('"')  # even parts are outside quotes (a doubled "" is an empty odd part)
    parts[::2] = [part.replace("\r\n", "\n") for part in parts[::2]]
    write_file(path, '"'.join(parts).encode("utf-8"))


def _too_long(frame: pd.DataFrame, sheet: str, rows: Sequence[str] | None) -> list[Problem]:
    """A problem for each text cell longer than an XLSX cell holds."""
    problems = []
    for position, column in enumerate(frame.columns):
        values = frame.iloc[:, position]
        if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
            continue
        lengths = values.map(lambda v: len(v) if isinstance(v, str) else 0).to_numpy(dtype=int)
        for i in np.flatnonzero(lengths > XLSX_CELL_LIMIT):
            problems.append(
                Problem(
                    row=None,
                    where=f"sheet {sheet!r}, {_where(rows, int(i))}",
                    column=str(column),
                    message=(
                        f"holds {lengths[i]:,} characters as XLSX stores it; an XLSX cell "
                        f"holds at most {XLSX_CELL_LIMIT:,} (Excel cuts the rest): write CSV, "
                        "GeoJSON, GeoPackage or GeoParquet instead, or shorten the text"
                    ),
                )
            )
    return problems


def write_xlsx(
    path: str | PathLike[str],
    sheets: Mapping[str, pd.DataFrame],
    *,
    rows: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Write one sheet per frame (no index), every text cell a string cell, never a formula,
    replacing ``path`` whole with the same bytes for the same frames (see
    :mod:`assetmap._reproducible`).

    Characters no file keeps are removed with a warning naming the rows (``rows[sheet]``, or
    row numbers); text longer than an XLSX cell holds is refused.

    Raises
    ------
    SchemaError
        Naming every cell whose text is longer than :data:`XLSX_CELL_LIMIT`.
    """
    names = rows or {}
    cells = {}
    problems = []
    for name, frame in sheets.items():
        sheet_rows = names.get(name)
        frame = without_control_characters(frame, f"{path} (sheet {name!r})", sheet_rows)
        cells[name] = to_xlsx_cells(frame)
        problems += _too_long(cells[name], name, sheet_rows)
    if problems:
        raise SchemaError(str(path), problems)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in cells.items():
            frame.to_excel(writer, sheet_name=name, index=False)
        for sheet in writer.book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    # openpyxl guesses a formula for text starting "=", an error for "#N/A"
                    if isinstance(cell.value, str):
                        cell.data_type = "s"
    write_file(path, stable_xlsx(buffer.getvalue()))
