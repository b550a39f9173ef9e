"""Hostile CSV and XLSX files: every row out at its physical line, or one error naming every
planted problem at its line.

The CSV files are in ``tests/fixtures/hostile/`` (written byte for byte: line ends and
encodings are the point) or built here as bytes; the XLSX files are real workbooks written by
openpyxl, some then damaged or inflated.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetmap import datasets
from assetmap._sources import (
    EXCEL_MAX_ROWS,
    MAX_XLSX_RATIO,
    check_xlsx,
    read_csv_bytes,
    read_xlsx,
)
from assetmap._tabular import (
    from_csv_cells,
    from_csv_text,
    from_xlsx_cells,
    to_csv_cells,
    write_csv,
    write_xlsx,
)
from assetmap.errors import Problem, SchemaError

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
TEXT = {"asset_id", "name", "postcode", "address", "privacy"}


def text_columns(headings: list[str]) -> Collection[str]:
    return [h for h in headings if h in TEXT]


def plain_read(raw: bytes, text: Collection[str] | None) -> pd.DataFrame:
    """The reader io.py had before this module (decode, then pandas twice)."""
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        decoded = raw.decode("cp1252", errors="replace")
    written = list(pd.read_csv(io.StringIO(decoded), nrows=0, dtype=str).columns)
    headings = [from_csv_text(h) for h in written]
    chosen = set(headings if text is None else text)
    frame = pd.read_csv(
        io.StringIO(decoded),
        dtype={w: str for w, h in zip(written, headings, strict=True) if h in chosen},
        keep_default_na=False,
        na_values={h: [""] for h in written},
    )
    return from_csv_cells(frame)


def problems_of(raw: bytes, what: str = "f.csv") -> list[Problem]:
    with pytest.raises(SchemaError) as caught:
        read_csv_bytes(raw, what=what)
    assert str(caught.value).startswith(f"{what}: ")
    return caught.value.problems


# well-formed files: the same frame as before, and the lines


def test_a_well_formed_register_reads_as_pandas_reads_it() -> None:
    raw = datasets.sample_register_path().read_bytes()
    table = read_csv_bytes(raw, what="sample", text_columns=text_columns)
    pd.testing.assert_frame_equal(table.frame, plain_read(raw, TEXT))
    assert table.frame["latitude"].dtype == np.float64  # not text: parsed as before
    assert table.lines == tuple(range(2, len(table.frame) + 2))
    assert (table.encoding, table.notes) == ("utf-8", ("read as UTF-8",))
    assert repr(table) == f"CsvTable({len(table.frame)} rows, 17 columns, utf-8)"


def test_every_column_is_text_without_text_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"source": ["a", "=b"], "target": ["NA", ""], "weight": ["1", "2.50"], "n": [None, "x"]}
    )
    write_csv(frame, tmp_path / "r.csv")
    raw = (tmp_path / "r.csv").read_bytes()
    table = read_csv_bytes(raw, what="r")
    pd.testing.assert_frame_equal(table.frame, plain_read(raw, None))
    assert table.frame.to_dict("list") == {
        "source": ["a", "=b"],  # the ' written before = removed
        "target": ["NA", np.nan],  # "NA" is text, only empty cells are missing
        "weight": ["1", "2.50"],
        "n": [np.nan, "x"],
    }


def test_lines_are_physical_lines_after_blank_lines_and_multiline_values() -> None:
    raw = (
        b"\n"
        b"id,address,note\r\n"
        b'a1,"1 High St\r\nWest Bromwich",x\r\n'
        b"\r\n"
        b"   \r\n"
        b'a2,,"three\n\nlines"\n'
        b'a3,plain,"""quoted"""\n'
        b'a4,12" wide,y\n'  # a quote inside an unquoted value is text
    )
    table = read_csv_bytes(raw, what="f")
    assert table.lines == (3, 7, 10, 11)
    assert table.frame.to_dict("list") == {
        "id": ["a1", "a2", "a3", "a4"],
        "address": ["1 High St\r\nWest Bromwich", np.nan, "plain", '12" wide'],
        "note": ["x", "three\n\nlines", '"quoted"', "y"],
    }


def test_a_header_only_file_has_no_rows() -> None:
    table = read_csv_bytes(b"id,name\n", what="f")
    assert list(table.frame.columns) == ["id", "name"] and table.lines == ()


@pytest.mark.parametrize("raw", [b"", b"\n\r\n  \n"])
def test_an_empty_file_is_one_problem(raw: bytes) -> None:
    assert problems_of(raw) == [Problem.of_table("the file is empty: no header line")]


# the council register: cp1252, multi-line addresses, CRLF, a blank line


def test_a_council_register_in_cp1252_with_multiline_addresses_reads_fine() -> None:
    table = read_csv_bytes((HOSTILE / "council_register_cp1252.csv").read_bytes(), what="c")
    assert table.encoding == "cp1252"
    assert table.notes == (
        "read as cp1252 (Windows Western European, as Excel saves 'CSV'): it is not UTF-8",
    )
    assert table.lines == (2, 5, 8, 11)
    frame = table.frame
    assert frame["name"].tolist() == [
        "St Mary’s Café",
        'Smethwick Community "Hub"',
        "Zoë’s Allotment – North",
        "Résumé Clinic",
    ]
    assert frame["address"].tolist()[:3] == [
        "12 High Street\r\nWest Bromwich\r\nSandwell",
        "Unit 3, Tower Block,\r\nRolfe Street",
        "Plot 7\r\n\r\nAllotments, Londonderry Lane",
    ]
    assert frame["needs"].tolist() == ["volunteers", "£500 grant", "tools", np.nan]


# stray quotes


def test_a_stray_quote_that_swallows_two_rows_is_reported_where_it_opens() -> None:
    # read as before, r3 (private: a resident's phone and note) and r4 became r2's needs
    raw = (HOSTILE / "stray_quote.csv").read_bytes()
    assert len(plain_read(raw, None)) == 4
    assert [str(p) for p in problems_of(raw, "stray.csv")] == [
        "line 3 [needs]: a quoted value opens here and runs to line 5, swallowing lines 4-5, "
        "but line 4 on its own is a whole row of 6 fields; text follows its closing quote on "
        "line 5: a stray or missing quote? Close it on this line; a quote meant as text is "
        'written twice ("")'
    ]


def test_a_quote_that_never_closes_swallows_the_rest_of_the_file() -> None:
    raw = b'id,name,needs\na1,A,x\na2,B,"y\na3,C,z\n\na4,D,w\n'
    (problem,) = problems_of(raw)
    assert (problem.where, problem.column) == ("line 3", "needs")
    assert problem.message.startswith(
        "a quoted value opens here and runs to the end of the file, swallowing lines 4-6, "
        "but it never closes; lines 4, 6 on their own are whole rows of 3 fields"
    )
    (problem,) = problems_of(b'id,name,needs\na1,A,x\na2,B,"y')  # on the last line
    assert (problem.where, problem.column) == ("line 3", "needs")
    assert problem.message.startswith("a quoted value opens here, but it never closes")


def test_a_multiline_value_whose_row_loses_fields_is_reported() -> None:
    raw = b'id,name,needs,privacy\na1,A,"x\ny",public\na2,B,"food\nmore"\na3,C,z,public\n'
    (problem,) = problems_of(raw)
    assert (problem.where, problem.column) == ("line 4", "needs")
    assert "its row has 3 fields, the header 4" in problem.message


def test_text_after_a_closing_quote_on_another_line_is_reported() -> None:
    (problem,) = problems_of(b'id,note\na1,"one\ntwo" three\n')
    assert problem.where == "line 2"
    assert "text follows its closing quote on line 3" in problem.message


def test_text_after_a_closing_quote_on_one_line_is_reported() -> None:
    (problem,) = problems_of(b'id,size\na1,"12" wide\na2,"12"""\n')
    assert (problem.where, problem.column) == ("line 2", "size")
    assert problem.message.startswith("text follows a quoted value's closing quote, so the")


def test_addresses_with_commas_on_every_line_still_read() -> None:
    raw = (
        b"asset_id,name,category,address,postcode,privacy\n"
        b'a1,Hall,venue,"Flat 3, Block A,\nHigh St, Smethwick,\nSandwell",B66 1AA,public\n'
    )
    assert read_csv_bytes(raw, what="f").lines == (2,)


# ragged rows


def test_ragged_rows_are_one_error_listing_every_line() -> None:
    problems = problems_of((HOSTILE / "ragged_rows.csv").read_bytes())
    assert [str(p) for p in problems] == [
        "line 3: 4 fields where the header has 3: a value holding a comma must be quoted (or "
        "is the last one too many?)",
        "line 7: 5 fields where the header has 3: a value holding a comma must be quoted (or "
        "is the last one too many?)",
    ]


def test_thousands_of_ragged_lines_are_listed_by_ranges() -> None:
    raw = b"a,b\n" + b"1,2,3\n" * 60 + b"1,2\n" + b"1,2,3\n" * 3
    problems = problems_of(raw)
    assert len(problems) == 51
    assert problems[49].where == "line 51"
    assert str(problems[50]) == "table: 13 more lines with problems like these: 52-61, 63-65"


# encodings


def test_utf8_with_a_byte_order_mark() -> None:
    table = read_csv_bytes("\ufeffid,name\n1,Zoë\n".encode(), what="f")
    assert list(table.frame.columns) == ["id", "name"] and table.frame["name"][0] == "Zoë"
    assert table.notes == ("read as UTF-8 (with a byte-order mark)",)


@pytest.mark.parametrize("codec, bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_excel_unicode_text_is_utf16_and_tab_separated(codec: str, bom: bytes) -> None:
    raw = (HOSTILE / "unicode_text_utf16.txt").read_bytes()
    if codec == "utf-16-be":
        raw = bom + raw[2:].decode("utf-16-le").encode(codec)
    table = read_csv_bytes(raw, what="t")
    assert (table.encoding, table.lines) == ("utf-16", (2, 4))
    assert table.notes == (
        "read as UTF-16 (with a byte-order mark), as Excel saves 'Unicode text'",
        "fields separated by a tab",
    )
    assert table.frame.to_dict("list") == {
        "asset_id": ["u1", "u2"],
        "name": ["Zoë Łukasz", "北京 Tea Room"],
        "address": ["1 Rue de l’Église\r\nParis", np.nan],
        "privacy": ["private", "public"],
    }


def test_a_semicolon_file_is_read_with_a_note() -> None:
    table = read_csv_bytes(b"id;name\n1;Caf\xe9, bar\n", what="f")
    assert table.frame.to_dict("list") == {"id": ["1"], "name": ["Café, bar"]}
    assert table.notes[1] == "fields separated by a semicolon"


def test_one_cp1252_byte_in_a_utf8_file_is_an_error_at_its_line() -> None:
    problems = problems_of((HOSTILE / "mixed_encoding.csv").read_bytes())
    assert [str(p) for p in problems] == [
        "table: the file mixes encodings (UTF-8 characters: 4, places that are not UTF-8: 1): "
        "fix the lines below, then save the file again as UTF-8 ('CSV UTF-8' in Excel)",
        "line 4: byte E9 is not UTF-8 (in cp1252 it is 'é'), but the rest of the file is UTF-8",
    ]


def test_one_utf8_character_in_a_cp1252_file_is_an_error_at_its_line() -> None:
    raw = "id,name\n1,café\n2,naïve\n3,señor\n".encode("cp1252") + "4,Łukasz\n".encode()
    problems = problems_of(raw)
    assert problems[1:] == [
        Problem(None, "line 5", None, "'Ł' is UTF-8, but the rest of the file is not (cp1252?)")
    ]


def test_a_byte_after_a_utf8_byte_order_mark_that_is_not_utf8_is_an_error() -> None:
    problems = problems_of(b"\xef\xbb\xbfid,name\n1,ok\n2,Caf\xe9\n")
    assert [p.where for p in problems] == [None, "line 3"]


def test_bytes_cp1252_does_not_define_are_errors_at_their_lines() -> None:
    problems = problems_of(b"id,name\n1,ab\x81c\n\n2,x\x9d\x8d\n3,\xe9\n")
    assert [(p.where, p.message[:30]) for p in problems] == [
        ("line 2", "byte 81 is neither UTF-8 nor c"),
        ("line 4", "byte 9D is neither UTF-8 nor c"),
    ]


def test_nul_characters_are_errors_at_their_lines() -> None:
    # UTF-16 without its byte-order mark: every other byte is NUL
    problems = problems_of("id,name\n1,a\n".encode("utf-16-le"))
    assert [p.where for p in problems] == ["line 1", "line 2", "line 3"]  # "\n" is 0A 00
    assert "UTF-16 saved without a byte-order mark" in problems[0].message


def test_a_workbook_named_csv_is_one_problem(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "w.xlsx", {"s": pd.DataFrame({"a": [1]})})
    (problem,) = problems_of((tmp_path / "w.xlsx").read_bytes())
    assert problem.message.startswith("this is a zip archive (an XLSX workbook?), not CSV")


# against pandas and Python's CSV reader, on text made of the characters that matter

CSV_TEXT = st.text(alphabet=st.sampled_from(list('ab,"\n\r \t')), max_size=60)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CSV_TEXT)
def test_rows_and_lines_agree_with_python_csv_or_there_is_one_error(text: str) -> None:
    raw = text.encode()
    try:
        table = read_csv_bytes(raw, what="f")
    except SchemaError as exc:
        assert "please report" not in str(exc)
        return
    delim = "\t" if "fields separated by a tab" in table.notes else ","
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines, delimiter=delim)
    rows, done = [], 0
    for row in reader:
        first, done = done + 1, reader.line_num
        if first < done or lines[first - 1].strip(" \r\n" if delim == "\t" else " \t\r\n"):
            rows.append((first, row))
    header, data = rows[0], rows[1:]
    assert table.lines == tuple(first for first, _ in data)
    width = len(header[1])
    expected = [row + [""] * (width - len(row)) for _, row in data]
    got = table.frame.astype(object).where(table.frame.notna(), "").to_numpy().tolist()
    assert got == expected


VALUES = st.text(alphabet=st.sampled_from(list('ab "\r\n;é')), max_size=8)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(VALUES, VALUES, VALUES), max_size=6), st.sampled_from(["\n", "\r\n"]))
def test_what_a_csv_writer_writes_reads_back_whole(
    rows: list[tuple[str, str, str]], ending: str
) -> None:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([("id", "name", "note"), *rows])
    parts = out.getvalue().split('"')  # Python quotes a value holding "\r" only so
    parts[::2] = [part.replace("\r\n", ending) for part in parts[::2]]
    table = read_csv_bytes('"'.join(parts).encode(), what="f")
    got = table.frame.astype(object).where(table.frame.notna(), "").to_numpy().tolist()
    assert got == [list(row) for row in rows]
    breaks = [sum(v.count("\n") + v.count("\r") - v.count("\r\n") for v in r) for r in rows]
    assert table.lines == tuple(2 + i + sum(breaks[:i]) for i in range(len(rows)))


# XLSX


def workbook(path: Path) -> Path:
    frame = pd.DataFrame({"asset_id": ["a1", "a2"], "name": ["NA", "=x"]})
    write_xlsx(path, {"register": frame, "other": frame.head(1)})
    return path


def rebuilt(path: Path, out: Path, parts: dict[str, bytes | None]) -> Path:
    """``path`` with some parts replaced (None removes one), deflated at level 9."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = parts.get(info.filename, src.read(info.filename))
            if data is not None:
                dst.writestr(info.filename, data, zipfile.ZIP_DEFLATED, compresslevel=9)
    return out


def test_a_workbook_reads_as_before(tmp_path: Path) -> None:
    path = workbook(tmp_path / "w.xlsx")
    check_xlsx(path)
    before = from_xlsx_cells(
        pd.read_excel(path, dtype=object, keep_default_na=False, na_values=[""])
    )
    pd.testing.assert_frame_equal(read_xlsx(path), before)
    assert read_xlsx(path, sheet="other")["name"].tolist() == ["NA"]


def test_a_shared_string_that_inflates_to_1_gib_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "w.xlsx")
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        with dst.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            part.write(b"<si><t>")
            chunk = b"A" * (1 << 20)
            for _ in range(1024):
                part.write(chunk)
            part.write(b"</t></si></sst>")
    assert bomb.stat().st_size < 2_000_000
    with pytest.raises(SchemaError) as caught:
        read_xlsx(bomb)
    with zipfile.ZipFile(bomb) as archive:
        total = sum(i.file_size for i in archive.infolist())
        strings = archive.getinfo("xl/sharedStrings.xml")
    ratio = strings.file_size / strings.compress_size
    assert total > 1 << 30 and ratio > 1000
    assert [p.message for p in caught.value.problems] == [
        f"its parts inflate to {total:,} bytes, over the limit of 268,435,456: a workbook this "
        f"big is better read as CSV; if it is trusted, raise the limit (max_bytes={total})",
        f"part xl/sharedStrings.xml inflates {ratio:,.0f} times (from "
        f"{strings.compress_size:,} to {strings.file_size:,} bytes), over the limit of 100: a "
        f"zip bomb, or very repetitive data; if it is trusted, raise the limit "
        f"(max_ratio={ratio:.0f})",
    ]


def test_more_rows_than_excel_holds_are_refused_before_they_fill_the_memory(
    tmp_path: Path,
) -> None:
    # two million rows that differ only in their number compress about 14 times, under
    # check_xlsx's limits; the row limit stops them (tested at 1,000 rows; by default it is
    # Excel's own, 1,048,576)
    path = workbook(tmp_path / "w.xlsx")
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>a</t></is></c></row>' % (i, i)
        for i in range(2, 1_502)
    )
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>asset_id</t></is></c></row>'
        + rows
        + b"</sheetData></worksheet>"
    )
    many = rebuilt(path, tmp_path / "many.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    check_xlsx(many)
    assert len(read_xlsx(many)) == 1_500
    with pytest.raises(SchemaError, match=r"more than 999 rows below its header .* as CSV"):
        read_xlsx(many, max_rows=1_000)
    assert EXCEL_MAX_ROWS == 1_048_576


def test_a_very_repetitive_part_passes_when_the_limit_is_raised(tmp_path: Path) -> None:
    path = workbook(tmp_path / "w.xlsx")
    big = b"<!--" + b"x" * (8 << 20) + b"-->"
    with zipfile.ZipFile(path) as src:
        sheet = src.read("xl/worksheets/sheet1.xml")
    bomb = rebuilt(path, tmp_path / "r.xlsx", {"xl/worksheets/sheet1.xml": sheet + big})
    with pytest.raises(SchemaError, match="over the limit of 100: a zip bomb"):
        check_xlsx(bomb)
    assert MAX_XLSX_RATIO == 100
    check_xlsx(bomb, max_ratio=10_000)
    with pytest.raises(SchemaError, match=r"over the limit of 1,000,000: .* \(max_bytes="):
        check_xlsx(bomb, max_ratio=10_000, max_bytes=1_000_000)


def test_a_csv_named_xlsx_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    path.write_text("asset_id,name\na1,Hall\n", encoding="utf-8")
    with pytest.raises(SchemaError) as caught:
        read_xlsx(path)
    (problem,) = caught.value.problems
    assert problem.message.startswith("not an XLSX workbook (not a zip archive: ")
    assert problem.message.endswith("; it looks like text, perhaps a CSV named .xlsx: rename it")


@pytest.mark.parametrize(
    "head, says",
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "an Excel 97-2003 .xls or a"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "save it again from Excel as .xlsx"),
        (b"", "save it again from Excel as .xlsx"),
    ],
)
def test_other_files_named_xlsx_are_one_clear_error(tmp_path: Path, head: bytes, says: str) -> None:
    path = tmp_path / "w.xlsx"
    path.write_bytes(head)
    with pytest.raises(SchemaError, match="not an XLSX workbook") as caught:
        check_xlsx(path)
    assert says in caught.value.problems[0].message


def test_a_truncated_download_is_one_clear_error(tmp_path: Path) -> None:
    path = workbook(tmp_path / "w.xlsx")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(SchemaError) as caught:
        read_xlsx(path)
    assert caught.value.problems[0].message.endswith(
        "; it looks like a damaged zip archive: download or save it again"
    )


def test_a_zip_that_is_no_workbook_is_one_clear_error(tmp_path: Path) -> None:
    path = workbook(tmp_path / "w.xlsx")
    other = rebuilt(path, tmp_path / "z.xlsx", {"xl/workbook.xml": None})
    with pytest.raises(SchemaError, match="a zip archive but not an XLSX workbook"):
        read_xlsx(other)


def test_a_damaged_part_is_one_clear_error(tmp_path: Path) -> None:
    path = workbook(tmp_path / "w.xlsx")
    damaged = rebuilt(path, tmp_path / "d.xlsx", {"xl/worksheets/sheet1.xml": b"<worksheet"})
    with pytest.raises(SchemaError) as caught:
        read_xlsx(damaged)
    (problem,) = caught.value.problems
    assert problem.message.startswith("cannot read the workbook (")
    assert problem.message.endswith("): save it again as .xlsx")


@pytest.mark.parametrize("sheet", ["Sheet1", 2])
def test_an_unknown_sheet_names_the_sheets_there_are(tmp_path: Path, sheet: str | int) -> None:
    path = workbook(tmp_path / "w.xlsx")
    with pytest.raises(SchemaError) as caught:
        read_xlsx(path, sheet=sheet)
    assert caught.value.problems == [
        Problem.of_table(
            f"there is no sheet {sheet!r}; the workbook has 'register', 'other' (give a name, "
            "or a number counted from 0)"
        )
    ]


def test_to_csv_cells_round_trip_through_the_reader(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"id": ["a", "b", "c"], "text": ["=1+1", "line\r\nbreak", 'say "hi", then\rgo']}
    )
    write_csv(frame, tmp_path / "t.csv")
    table = read_csv_bytes((tmp_path / "t.csv").read_bytes(), what="t")
    pd.testing.assert_frame_equal(table.frame, frame)
    assert table.lines == (2, 3, 5)
    assert to_csv_cells(frame)["text"][0] == "'=1+1"


_CELL = st.one_of(
    st.sampled_from(["", "NA", "'=1+1", "'0123", '"', '""', "a,b", "1 High St\nB70 6QT", " x "]),
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=12
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_CELL, _CELL, st.integers(-5, 5)), min_size=1, max_size=8))
def test_arrow_reads_text_cells_as_pandas_reads_them(rows: list[tuple[str, str, int]]) -> None:
    """Well-formed files have their text columns read by Arrow: every cell as pandas reads it
    (quotes, delimiters and line breaks in values, a leading ', "NA", blanks, any script)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "address", "n"])
    writer.writerows(rows)
    raw = out.getvalue().encode("utf-8")
    table = read_csv_bytes(raw, what="r", text_columns=lambda h: ["name", "address"])
    pd.testing.assert_frame_equal(table.frame, plain_read(raw, ["name", "address"]))
