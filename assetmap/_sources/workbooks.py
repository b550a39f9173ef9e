"""Reading XLSX workbooks nobody checked: refused before anything is decompressed when they
would inflate beyond a size or ratio limit (a "zip bomb"), or are no workbook at all (a CSV or
an old ``.xls`` named ``.xlsx``, a damaged download); a sheet they do not have named with the
ones they have.
"""

from __future__ import annotations

import re
import zipfile
from os import PathLike
from pathlib import Path

import pandas as pd

from .._tabular import from_xlsx_cells
from ..errors import Problem, SchemaError

__all__ = ["MAX_XLSX_BYTES", "MAX_XLSX_RATIO", "check_xlsx", "read_xlsx"]

#: Largest total size (bytes) the parts of an XLSX may inflate to (256 MiB).
MAX_XLSX_BYTES = 256 * 1024 * 1024
#: Largest ratio of inflated to stored size for one part of an XLSX over 1 MiB (Apache POI's
#: default minimum inflate ratio, 0.01, is the same limit).
MAX_XLSX_RATIO = 100.0
_RATIO_FROM = 1024 * 1024  # small parts may compress well without harm


def check_xlsx(
    path: str | PathLike[str],
    *,
    max_bytes: int = MAX_XLSX_BYTES,
    max_ratio: float = MAX_XLSX_RATIO,
) -> None:
    """Refuse a workbook before it is opened: one that is not an XLSX (zip) file, or whose
    parts would inflate beyond ``max_bytes`` in all or ``max_ratio`` times their stored size.

    The sizes are those of the zip's central directory, read without decompressing anything.
    They are also the most Python's ``zipfile`` (and so openpyxl) will inflate: a part that
    inflates further fails its check rather than filling memory.

    Parameters
    ----------
    path
        The ``.xlsx`` file.
    max_bytes
        Largest total inflated size of the parts, in bytes.
    max_ratio
        Largest ratio of inflated to stored size of any part over 1 MiB.

    Raises
    ------
    SchemaError
        Saying what the file is instead, or which limit it passes and how to raise it.
    """
    path = Path(path)
    what = str(path)
    with path.open("rb") as handle:
        head = handle.read(8)
    hints = {
        b"\xd0\xcf\x11\xe0": "an Excel 97-2003 .xls or a password-protected workbook: save it "
        "as an unprotected .xlsx",
        b"PK\x03\x04": "a damaged zip archive: download or save it again",
        b"PK\x05\x06": "an empty zip archive",
    }
    hint = next((h for sig, h in hints.items() if head.startswith(sig)), None)
    if hint is None:
        hint = "text, perhaps a CSV named .xlsx: rename it" if _looks_like_text(path) else None
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        message = f"not an XLSX workbook (not a zip archive: {exc})"
        message += f"; it looks like {hint}" if hint else "; save it again from Excel as .xlsx"
        raise SchemaError(what, [Problem.of_table(message)]) from None
    names = {part.filename for part in parts}
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        message = "a zip archive but not an XLSX workbook (it has no xl/workbook.xml)"
        raise SchemaError(what, [Problem.of_table(message)])
    problems = []
    total = sum(part.file_size for part in parts)
    if total > max_bytes:
        problems.append(
            f"its parts inflate to {total:,} bytes, over the limit of {max_bytes:,}: a "
            "workbook this big is better read as CSV; if it is trusted, raise the limit "
            f"(max_bytes={total})"
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > _RATIO_FROM and ratio > max_ratio:
            problems.append(
                f"part {part.filename} inflates {ratio:,.0f} times (from {part.compress_size:,} "
                f"to {part.file_size:,} bytes), over the limit of {max_ratio:g}: a zip bomb, "
                f"or very repetitive data; if it is trusted, raise the limit "
                f"(max_ratio={ratio:.0f})"
            )
    if problems:
        raise SchemaError(what, [Problem.of_table(p) for p in problems])


def _looks_like_text(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096)
    return bool(head) and b"\x00" not in head and not re.search(rb"[\x01-\x08\x0e-\x1f]", head)


#: Excel's own limit, 1,048,576 rows a sheet, the header included
EXCEL_MAX_ROWS = 1_048_576


def read_xlsx(
    path: str | PathLike[str],
    *,
    sheet: str | int = 0,
    max_bytes: int = MAX_XLSX_BYTES,
    max_ratio: float = MAX_XLSX_RATIO,
    max_rows: int = EXCEL_MAX_ROWS,
) -> pd.DataFrame:
    """A sheet as it is, after :func:`check_xlsx`: text stays text ("NA", "null" too), only
    empty cells are missing, OOXML escapes undone.

    Parameters
    ----------
    path
        The ``.xlsx`` file.
    sheet
        The sheet's name or 0-based number.
    max_bytes, max_ratio
        The limits of :func:`check_xlsx`.
    max_rows
        The most rows a sheet may have, its header included (Excel's own limit by default):
        rows that compress well pass :func:`check_xlsx` and would still fill the memory.

    Raises
    ------
    SchemaError
        For a file :func:`check_xlsx` refuses, a sheet the workbook does not have (naming the
        ones it has), or a workbook that cannot be read.
    """
    check_xlsx(path, max_bytes=max_bytes, max_ratio=max_ratio)
    what = str(path)
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            sheets = [str(s) for s in book.sheet_names]
            if (isinstance(sheet, str) and sheet not in sheets) or (
                isinstance(sheet, int) and not 0 <= sheet < len(sheets)
            ):
                message = (
                    f"there is no sheet {sheet!r}; the workbook has {', '.join(map(repr, sheets))}"
                    " (give a name, or a number counted from 0)"
                )
                raise SchemaError(what, [Problem.of_table(message)])
            # never more rows than Excel itself can hold: a workbook of two million identical
            # rows compresses well enough to pass check_xlsx, but would fill the memory
            frame = pd.read_excel(
                book,
                sheet_name=sheet,
                dtype=object,
                keep_default_na=False,
                na_values=[""],
                nrows=max_rows,
            )
            if len(frame) >= max_rows:
                message = (
                    f"the sheet has more than {max_rows - 1:,} rows below its header (Excel "
                    f"holds at most {EXCEL_MAX_ROWS - 1:,}): save the register as CSV instead"
                )
                raise SchemaError(what, [Problem.of_table(message)])
    except (SchemaError, Warning):  # a warning raised as an error is not a damaged file
        raise
    except Exception as exc:  # openpyxl and zipfile raise many kinds for a damaged workbook
        message = f"cannot read the workbook ({type(exc).__name__}: {exc}): save it again as .xlsx"
        raise SchemaError(what, [Problem.of_table(message)]) from None
    return from_xlsx_cells(frame)
