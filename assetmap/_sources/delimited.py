"""Reading CSV files nobody checked: every row found at its physical line, or one error
naming every problem at its line.

    The encoding is decided per file and said in a note: UTF-8 (with or without a byte-order
    mark), UTF-16 with a byte-order mark (Excel's "Unicode text", tab-separated), or cp1252 (as
    Excel saves "CSV") when the file is not UTF-8. A file that is UTF-8 in some places and not
    in others, bytes cp1252 does not define, and NUL characters are errors naming their lines:
    nothing becomes mojibake or U+FFFD without a word. The delimiter is read from the header
    (a comma unless the header has none, or has more tabs than commas).

    Lines are physical lines of the file (blank lines and the lines inside quoted values
    counted), as an editor numbers them. A row with more fields than the header is an error.
    A quoted value may span lines (addresses do), but one that looks like a stray quote is an
    error naming the line where it opens and the lines it swallows: it never closes, or a line
    it swallows is on its own a whole row (the header's number of fields), or its row ends up
    with another number of fields than the header, or text follows its closing quote.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from .._tabular import from_csv_cells, from_csv_text
from ..errors import Problem, SchemaError

__all__ = ["CsvTable", "read_csv_bytes"]

_LISTED = 50  # problems of one kind listed one by one; the rest summarised by line ranges
_CP1252_UNDEFINED = np.array([0x81, 0x8D, 0x8F, 0x90, 0x9D], dtype=np.uint8)
_BREAK = re.compile(r"\r\n|\r|\n")
_NOT_UTF8 = re.compile("[\udc80-\udcff]+")
_UTF8_WIDE = re.compile("[^\x00-\x7f\udc80-\udcff]")
_SAVE_UTF8 = "save the file again as UTF-8 ('CSV UTF-8' in Excel)"
_QUOTE, _LF, _CR = 34, 10, 13


@dataclass(frozen=True, repr=False)
class CsvTable:
    """A CSV file as read.

    Attributes
    ----------
    frame
        Every data row, in file order, as :func:`pandas.read_csv` reads it (text columns as
        text, empty cells missing) with spreadsheet quoting undone
        (:func:`assetmap._tabular.from_csv_cells`).
    lines
        The physical line (1-based) where each row of ``frame`` starts.
    encoding
        ``"utf-8"``, ``"utf-8-sig"`` (UTF-8 with a byte-order mark), ``"utf-16"`` or
        ``"cp1252"``.
    notes
        What was decided about the file (its encoding, a delimiter other than a comma).
    """

    frame: pd.DataFrame
    lines: tuple[int, ...]
    encoding: str
    notes: tuple[str, ...]

    def __repr__(self) -> str:
        return f"CsvTable({len(self.frame)} rows, {self.frame.shape[1]} columns, {self.encoding})"


def _ranges(numbers: Sequence[int]) -> str:
    """``[3, 4, 5, 9]`` as ``"3-5, 9"``."""
    parts, start = [], None
    for i, n in enumerate(numbers):
        start = n if start is None else start
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            parts.append(str(n) if n == start else f"{start}-{n}")
            start = None
    return ", ".join(parts)


def _lines(numbers: Sequence[int]) -> str:
    """``"line 4"`` or ``"lines 4-5, 9"``."""
    return f"line{'s' if len(numbers) > 1 else ''} {_ranges(numbers)}"


def _listed(found: Sequence[tuple[int, str]], kind: str) -> list[Problem]:
    """One problem per (line, message), the lines past the first ``_LISTED`` in one more."""
    problems = [Problem(None, f"line {line}", None, message) for line, message in found]
    if len(found) > _LISTED:
        rest = sorted({line for line, _ in found[_LISTED:]})
        more = Problem.of_table(f"{len(rest)} more lines with {kind}: {_ranges(rest)}")
        problems = [*problems[:_LISTED], more]
    return problems


def _text_lines(text: str, positions: Sequence[int]) -> list[int]:
    """The 1-based physical line of each character position of ``text``."""
    breaks = np.array([m.start() for m in _BREAK.finditer(text)], dtype=np.int64)
    return [int(n) + 1 for n in np.searchsorted(breaks, positions, side="left")]


def _decode_utf16(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-16")
    except UnicodeDecodeError as exc:
        head = raw[: exc.start].decode("utf-16", errors="replace")
        line = _text_lines(head, [len(head)])[0]
        message = f"not UTF-16 from here on ({exc.reason}), though the file starts as UTF-16"
        raise SchemaError(what, [Problem(None, f"line {line}", None, message)]) from None


def _not_utf8(raw: bytes, what: str, *, bom: bool) -> tuple[str, str]:
    """Decode a file that is not UTF-8: cp1252, unless it is UTF-8 in places (an error)."""
    b = np.frombuffer(raw + b"\n", dtype=np.uint8)
    high = np.flatnonzero(b >= 0x80)  # a UTF-8 sequence starts C2-F4 and goes on with 80-BF
    lead, follow = b[high], b[high + 1]
    if bom or ((lead >= 0xC2) & (lead <= 0xF4) & (follow >= 0x80) & (follow <= 0xBF)).any():
        mixed = raw.decode("utf-8", errors="surrogateescape")
        bad = [(m.start(), m.group()) for m in _NOT_UTF8.finditer(mixed)]
        wide = [(m.start(), m.group()) for m in _UTF8_WIDE.finditer(mixed)]
    else:
        mixed, bad, wide = "", [], []
    if wide or bom:  # UTF-8 text and bytes UTF-8 cannot hold: which is the odd one out?
        odd = bad if bom or len(wide) >= len(bad) else wide
        lines = _text_lines(mixed, [p for p, _ in odd])
        found: dict[int, str] = {}
        for line, (_, chars) in zip(lines, odd, strict=True):
            if odd is bad:
                data = chars.encode("utf-8", errors="surrogateescape")
                seen = data.decode("cp1252", errors="replace")
                message = (
                    f"byte {data.hex(' ').upper()} is not UTF-8 (in cp1252 it is {seen!r}), "
                    "but the rest of the file is UTF-8"
                )
            else:
                message = f"{chars!r} is UTF-8, but the rest of the file is not (cp1252?)"
            found.setdefault(line, message)
        head = Problem.of_table(
            f"the file mixes encodings (UTF-8 characters: {len(wide)}, places that are not "
            f"UTF-8: {len(bad)}): fix the lines below, then {_SAVE_UTF8}"
        )
        raise SchemaError(what, [head, *_listed(sorted(found.items()), "mixed encodings")])
    if np.isin(lead, _CP1252_UNDEFINED).any():
        undefined = [int(at) for at in high[np.isin(lead, _CP1252_UNDEFINED)]]
        lines = _text_lines(raw.decode("latin-1"), undefined)
        found = {}
        for line, at in zip(lines, undefined, strict=True):
            found.setdefault(
                line,
                f"byte {raw[at]:02X} is neither UTF-8 nor cp1252: in which encoding was the "
                f"file saved? {_SAVE_UTF8}",
            )
        raise SchemaError(what, _listed(sorted(found.items()), "undefined bytes"))
    return raw.decode("cp1252"), "cp1252"


def _decode(raw: bytes, what: str) -> tuple[str, str, bytes]:
    """The text, its encoding's name, and bytes to scan (ASCII-compatible, same lines)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _decode_utf16(raw, what)
        return text, "utf-16", text.encode("utf-8")
    if raw.startswith(b"PK\x03\x04") or raw.startswith(b"\xd0\xcf\x11\xe0"):
        kind = "a zip archive (an XLSX workbook?)" if raw[:1] == b"P" else "an Excel .xls workbook"
        message = f"this is {kind}, not CSV text: give it its own extension or save it as CSV"
        raise SchemaError(what, [Problem.of_table(message)])
    if raw.startswith(b"\xef\xbb\xbf"):
        encoding, body = "utf-8-sig", raw[3:]
    else:
        encoding, body = "utf-8", raw
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:  # after a UTF-8 byte-order mark, any other byte is "mixed"
        text, encoding = _not_utf8(body, what, bom=encoding == "utf-8-sig")
    if "\x00" in text:
        at = [m.start() for m in re.finditer("\x00", text)]
        found = dict.fromkeys(
            _text_lines(text, at),
            "a NUL character: is this a binary file, "
            "or UTF-16 saved without a byte-order mark? " + _SAVE_UTF8,
        )
        raise SchemaError(what, _listed(sorted(found.items()), "NUL characters"))
    return text, encoding, body


def _delimiter(text: str) -> str:
    """A comma, unless the header line has none (or more tabs than commas): then a tab or a
    semicolon, whichever it has more of (quoted text not counted)."""
    at, header = 0, ""
    while at < len(text) and not header.strip():
        found = _BREAK.search(text, at)
        stop = found.start() if found else len(text)
        header, at = text[at:stop], found.end() if found else len(text)
    outside = "".join(header.split('"')[::2])
    counts = {d: outside.count(d) for d in (",", "\t", ";")}
    if counts[","] and counts["\t"] <= counts[","]:
        return ","
    best = max(("\t", ";"), key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass(frozen=True)
class _Spans:
    """The quoted values that span lines or have text after their closing quote, one entry
    each: their record, field, the lines they open and close on (-1: never closed), and
    whether text follows the closing quote."""

    record: np.ndarray
    field: np.ndarray
    opens: np.ndarray
    closes: np.ndarray
    after: np.ndarray


@dataclass(frozen=True)
class _Records:
    """The records of a file: the physical lines each starts and ends on, its field count,
    whether it is blank (skipped, as pandas does), and the quoted values that span lines."""

    start: np.ndarray
    end: np.ndarray
    fields: np.ndarray
    blank: np.ndarray
    spans: _Spans
    last_line: int
    fields_alone: Callable[[np.ndarray], np.ndarray]  # of lines, each read as a file
    line_text: Callable[[int], str]
    cr_ends: np.ndarray  # byte positions of rows that end with a lone carriage return
    spaced: bool  # a blank line holds white space (pandas skips it; Arrow would not)


def _quoted(b: np.ndarray, q: np.ndarray, sep: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where quoted values open and close (``len(b)`` when never closed), and whether text
    follows the closing quote, as pandas' and Python's CSV parsers read the quotes ``q``.

    A quote opens a value where a field starts; a quote in a value that did not start with
    one is text (``12" wide``); in a quoted value ``""`` is a quote and ``"`` closes it.
    """
    n = len(b)
    prev = b[np.maximum(q - 1, 0)]
    after = b[np.minimum(q + 1, n - 1)]
    starts = np.isin(prev, np.array([_LF, _CR, sep], dtype=np.uint8)) | (q == 0)
    ends = np.isin(after, np.array([_LF, _CR, sep], dtype=np.uint8)) | (q == n - 1)
    if not len(q):
        return q, q, np.zeros(0, dtype=bool)
    odd = np.arange(len(q)) % 2 == 1
    if np.where(odd, ends | (after == _QUOTE), starts | (prev == _QUOTE)).all():
        # every quote opens or closes a field (RFC 4180): inside is the parity of the quotes
        opens, closes = q[0::2], np.append(q[1::2], n) if len(q) % 2 else q[1::2]
        joined = opens[1:] == closes[:-1] + 1  # "" in a value: close and open again
        opens = opens[np.append(True, ~joined)]
        closes = closes[np.append(~joined, True)]
        return opens, closes, np.zeros(len(opens), dtype=bool)
    found_opens, found_closes, found_after = [], [], []
    inside, escaped = False, False
    for i, (at, start, end, quote_next) in enumerate(
        zip(q.tolist(), starts.tolist(), ends.tolist(), (after == _QUOTE).tolist(), strict=True)
    ):
        if escaped:
            escaped = False
        elif inside and quote_next and i + 1 < len(q):
            escaped = True
        elif inside:
            inside = False
            found_closes.append(at)
            found_after.append(not end)
        elif start:
            inside = True
            found_opens.append(at)
    if inside:
        found_closes.append(n)
        found_after.append(False)
    return (
        np.array(found_opens, dtype=np.int64),
        np.array(found_closes, dtype=np.int64),
        np.array(found_after, dtype=bool),
    )


def _scan(buf: bytes, delim: str, encoding: str) -> _Records:
    """The records of the file ``buf`` holds (ASCII-compatible bytes), with array operations
    over the whole file and a loop over its quotes only."""
    b = np.frombuffer(buf, dtype=np.uint8)
    n, sep = len(b), ord(delim)
    if b"\r" in buf:
        lf = b == _LF
        lone = b == _CR
        lone[:-1] &= ~lf[1:]
        breaks = np.flatnonzero(lf | lone)
    else:
        breaks = np.flatnonzero(b == _LF)
    opens, closes, text_after = _quoted(b, np.flatnonzero(b == _QUOTE), sep)

    def value_of(positions: np.ndarray) -> np.ndarray:
        """The quoted value each position is inside, or -1."""
        k = np.searchsorted(opens, positions, side="right") - 1
        inside = (k >= 0) & (positions < closes[np.maximum(k, 0)]) if len(opens) else k >= 0
        return np.where(inside, k, -1)

    in_value = value_of(breaks)
    ends = breaks[in_value < 0]
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [n]))
    if starts[-1] >= n:  # the file ends with a line break
        starts, stops = starts[:-1], stops[:-1]
    delims = np.flatnonzero(b == sep)
    delims = delims[value_of(delims) < 0]
    fields = np.searchsorted(delims, stops) - np.searchsorted(delims, starts) + 1
    start = np.searchsorted(breaks, starts) + 1
    end = np.searchsorted(breaks, stops) + 1
    blank = np.zeros(len(starts), dtype=bool)
    space = b" \r" if delim == "\t" else b" \t\r"
    first = b[np.minimum(starts, max(n - 1, 0))] if n else np.zeros(0, dtype=np.uint8)
    maybe = (fields == 1) & (start == end)
    maybe &= (stops == starts) | np.isin(first, np.frombuffer(space, dtype=np.uint8))
    for i in np.flatnonzero(maybe):
        blank[i] = not buf[starts[i] : stops[i]].strip(space)
    spanning = set(np.unique(in_value[in_value >= 0]).tolist())
    if len(closes) and closes[-1] == n:
        spanning.add(len(opens) - 1)  # never closed, even on the last line
    spanning.update(np.flatnonzero(text_after).tolist())  # text after the closing quote
    ks = np.array(sorted(spanning), dtype=np.int64)
    record = np.searchsorted(starts, opens[ks], side="right") - 1
    field = np.searchsorted(delims, opens[ks]) - np.searchsorted(delims, starts[record])
    opened = np.searchsorted(breaks, opens[ks]) + 1
    closed = np.where(closes[ks] < n, np.searchsorted(breaks, closes[ks]) + 1, -1)
    spans = _Spans(record, field, opened, closed, text_after[ks])
    every_delim = np.flatnonzero(b == sep)
    quotes = np.flatnonzero(b == _QUOTE)
    line_starts = np.concatenate(([0], breaks + 1))
    line_stops = np.concatenate((breaks, [n]))

    def fields_alone(lines: np.ndarray) -> np.ndarray:
        begin, stop = line_starts[lines - 1], line_stops[lines - 1]
        count: np.ndarray = np.searchsorted(every_delim, stop) + 1
        count -= np.searchsorted(every_delim, begin)
        for i in np.flatnonzero(np.searchsorted(quotes, stop) > np.searchsorted(quotes, begin)):
            row = next(csv.reader([line_text(int(lines[i]))], delimiter=delim), [])
            count[i] = len(row)
        return count

    def line_text(line: int) -> str:
        begin = 0 if line == 1 else int(breaks[line - 2]) + 1
        stop = int(breaks[line - 1]) if line - 1 < len(breaks) else n
        return buf[begin:stop].decode(encoding).rstrip("\r")

    last = len(breaks) + (0 if n == 0 or b[-1] in (_LF, _CR) else 1)
    cr_ends = ends[b[ends] == _CR] if len(ends) else ends
    spaced = bool((blank & (stops > starts)).any())
    return _Records(
        start, end, fields, blank, spans, last, fields_alone, line_text, cr_ends, spaced
    )


def _span_problems(
    records: _Records, header: int, names: Sequence[str]
) -> list[tuple[int, Problem]]:
    """The quoted values that look like a stray quote, at the line where they open: spanning
    lines (see the module's docstring), or followed by text after their closing quote."""
    width, spans = int(records.fields[header]), records.spans
    never = spans.closes < 0
    last = np.where(never, records.last_line, spans.closes)
    low, high = spans.opens + 1, np.where(never, last, last - 1)  # the lines inside
    counts = np.clip(high - low + 1, 0, None)
    owner = np.repeat(np.arange(len(counts)), counts)
    inner = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    inner += np.repeat(low, counts)
    whole = records.fields_alone(inner) == width if width >= 3 else inner < 0
    whole_lines, whole_owner = inner[whole], owner[whole]
    wrong = ~never & (records.fields[spans.record] != width)
    found = []
    for i in np.flatnonzero(
        never | wrong | spans.after | (np.bincount(whole_owner, minlength=len(counts)) > 0)
    ):
        opens, closes, field = int(spans.opens[i]), int(spans.closes[i]), int(spans.field[i])
        column = names[field] if field < len(names) else None
        if closes == opens:  # on one line, with text after its closing quote
            message = (
                "text follows a quoted value's closing quote, so the quote is dropped "
                '("12" wide reads 12 wide): a quote meant as text is written twice ("")'
            )
            found.append((opens, Problem(None, f"line {opens}", column, message)))
            continue
        reasons = ["it never closes"] if never[i] else []
        mine = whole_lines[
            np.searchsorted(whole_owner, i) : np.searchsorted(whole_owner, i, "right")
        ]
        if len(mine):
            own = "on their own are whole rows" if len(mine) > 1 else "on its own is a whole row"
            reasons.append(f"{_lines(mine.tolist())} {own} of {width} fields")
        if wrong[i]:
            reasons.append(
                f"its row has {records.fields[spans.record[i]]} fields, the header {width}"
            )
        if spans.after[i]:
            reasons.append(f"text follows its closing quote on line {closes}")
        to = "the end of the file" if never[i] else f"line {closes}"
        swallowed = list(range(opens + 1, int(last[i]) + 1))
        head = (
            f"a quoted value opens here and runs to {to}, swallowing {_lines(swallowed)}, but"
            if swallowed
            else "a quoted value opens here, but"
        )
        message = (
            f"{head} {'; '.join(reasons)}: a stray or missing quote? Close it on this line; "
            'a quote meant as text is written twice ("")'
        )
        found.append((opens, Problem(None, f"line {opens}", column, message)))
    return found


def _frame(
    text: str,
    delim: str,
    text_columns: Callable[[list[str]], Collection[str]] | None,
    utf8: bytes | None = None,
) -> pd.DataFrame:
    """The rows as pandas reads them: the columns ``text_columns`` names (all when None) as
    text, empty cells missing, every other text kept ("NA" is text), spreadsheet quoting
    undone.

    Given the file as UTF-8 bytes ``utf8`` (when every row has the header's number of fields
    and no blank line holds white space: then both read the same rows), the text columns are
    read by Arrow's CSV reader straight into Arrow text, without a Python string per cell;
    pandas then parses only the other columns (numbers, booleans).
    """
    written = list(pd.read_csv(io.StringIO(text), sep=delim, nrows=0, dtype=str).columns)
    headings = [from_csv_text(h) for h in written]
    chosen = set(headings if text_columns is None else text_columns(headings))
    if utf8 is None:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            dtype={w: str for w, h in zip(written, headings, strict=True) if h in chosen},
            keep_default_na=False,
            na_values={w: [""] for w in written},
        )
        return _undo_quoting(frame, headings)
    texts = [k for k, h in enumerate(headings) if h in chosen]
    others = [k for k, h in enumerate(headings) if h not in chosen]
    names = [str(k) for k in range(len(written))]
    table = pa_csv.read_csv(
        pa.py_buffer(utf8),
        read_options=pa_csv.ReadOptions(column_names=names),
        parse_options=pa_csv.ParseOptions(delimiter=delim, newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types={k: pa.string() for k in names},
            include_columns=[names[k] for k in texts],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    ).slice(1)  # the header, read as a row
    columns: dict[int, Any] = {k: pd.array(table.column(names[k]), dtype="str") for k in texts}
    if others:
        rest = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            usecols=others,
            keep_default_na=False,
            na_values={w: [""] for w in written},
        )
        columns.update(zip(others, (rest.iloc[:, j] for j in range(len(others))), strict=True))
    frame = pd.DataFrame({k: columns[k] for k in range(len(written))})
    frame.columns = pd.Index(written)
    return _undo_quoting(frame, headings)


def _undo_quoting(frame: pd.DataFrame, headings: list[str]) -> pd.DataFrame:
    """:func:`~assetmap._tabular.from_csv_cells` of the columns that may hold a cell written
    with a leading ``'``: a text column none of whose cells starts with one is left as it is
    (looked for in Arrow, without a Python string per cell)."""
    quoted = []
    for k in range(frame.shape[1]):
        column = frame.iloc[:, k]
        if (
            not isinstance(column.dtype, pd.StringDtype)
            or column.str.startswith("'", na=False).any()
        ):
            quoted.append(k)
    if quoted:
        undone = from_csv_cells(frame.iloc[:, quoted])
        for j, k in enumerate(quoted):
            frame.isetitem(k, undone.iloc[:, j].array)
    frame.columns = pd.Index(headings)
    return frame


def read_csv_bytes(
    raw: bytes,
    *,
    what: str,
    text_columns: Callable[[list[str]], Collection[str]] | None = None,
) -> CsvTable:
    """Read a CSV file's bytes, or say everything that is wrong with them.

    Parameters
    ----------
    raw
        The file's bytes.
    what
        Names the file in errors (its path).
    text_columns
        Given the headings (spreadsheet quoting undone), the headings whose columns are read
        as text; the others are parsed by pandas (numbers, booleans). ``None`` reads every
        column as text.

    Returns
    -------
    CsvTable
        Every row, the physical line where each starts, the encoding and notes.

    Raises
    ------
    SchemaError
        For an encoding that cannot be decided (mixed UTF-8 and cp1252, bytes undefined in
        cp1252, NUL characters), an empty file, rows with more fields than the header, or
        quoted values that look like a stray quote; every problem at its physical line.

    Examples
    --------
    >>> table = read_csv_bytes(b'id,address\\n\\na1,"1 High St\\nB70 6QT"\\na2,\\n', what="x")
    >>> table.lines, table.frame["id"].tolist(), table.notes
    ((3, 5), ['a1', 'a2'], ('read as UTF-8',))
    """
    text, encoding, buf = _decode(raw, what)
    notes = [_ENCODING_NOTES[encoding]]
    delim = _delimiter(text)
    if delim != ",":
        notes.append(f"fields separated by {_DELIMITER_NAMES[delim]}")
    records = _scan(buf, delim, "cp1252" if encoding == "cp1252" else "utf-8")
    used = np.flatnonzero(~records.blank)
    if not len(used):
        raise SchemaError(what, [Problem.of_table("the file is empty: no header line")])
    header, rows = int(used[0]), used[1:]
    width = int(records.fields[header])
    names = [from_csv_text(h) for h in _header_names(records.line_text, records, header, delim)]
    wide = rows[records.fields[rows] > width]
    ragged = [
        (
            int(records.start[r]),
            Problem(
                None,
                f"line {records.start[r]}",
                None,
                f"{records.fields[r]} fields where the header has {width}: a value holding "
                f"{_DELIMITER_NAMES[delim]} must be quoted (or is the last one too many?)",
            ),
        )
        for r in wide
    ]
    found = sorted(ragged + _span_problems(records, header, names), key=lambda p: p[0])
    if found:
        problems = [p for _, p in found]
        if len(problems) > _LISTED:
            rest = sorted({line for line, _ in found[_LISTED:]})
            more = f"{len(rest)} more lines with problems like these: {_ranges(rest)}"
            problems = [*problems[:_LISTED], Problem.of_table(more)]
        raise SchemaError(what, problems)
    if len(records.cr_ends):  # pandas eats the character after a blank line ending "\r"
        ended = np.frombuffer(buf, dtype=np.uint8).copy()
        ended[records.cr_ends] = _LF
        text = ended.tobytes().decode("cp1252" if encoding == "cp1252" else "utf-8")
    utf8 = None  # the file for Arrow's reader, where it reads the rows pandas reads
    if not (records.spaced or len(records.cr_ends) or (records.fields[rows] != width).any()):
        utf8 = buf if encoding in ("utf-8", "utf-8-sig", "utf-16") else text.encode("utf-8")
    frame = _frame(text, delim, text_columns, utf8)
    lines = tuple(int(n) for n in records.start[rows])
    if len(frame) != len(lines):  # never expected: refuse rather than misplace rows
        message = (
            f"pandas reads {len(frame)} rows where assetmap finds {len(lines)}; "
            "please report this file"
        )
        raise SchemaError(what, [Problem.of_table(message)])
    return CsvTable(frame, lines, encoding, tuple(notes))


_ENCODING_NOTES = {
    "utf-8": "read as UTF-8",
    "utf-8-sig": "read as UTF-8 (with a byte-order mark)",
    "utf-16": "read as UTF-16 (with a byte-order mark), as Excel saves 'Unicode text'",
    "cp1252": "read as cp1252 (Windows Western European, as Excel saves 'CSV'): it is not UTF-8",
}
_DELIMITER_NAMES = {",": "a comma", "\t": "a tab", ";": "a semicolon"}


def _header_names(
    line_text: Callable[[int], str], records: _Records, header: int, delim: str
) -> list[str]:
    """The header's fields as written."""
    first, last = int(records.start[header]), int(records.end[header])
    text = "\n".join(line_text(k) for k in range(first, last + 1))
    return next(csv.reader(io.StringIO(text, newline=""), delimiter=delim), [])
