"""The report's HTML page as a partner reads it: plain headings, blank cells, ranks that follow
the scores shown, a direction column; printed to A4 PDF by Chromium with no row split and no
heading left alone at a page's foot; and an axe-core WCAG 2.1 AA check of the saved file."""

from __future__ import annotations

import base64
import io
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assetmap import datasets, find_links, geocode, graph_from_assets
from assetmap.report import build_report, save_report
from assetmap.report._columns import COLUMNS, HEADINGS
from assetmap.report._html import CSS, cell_text

AUDIENCES = ("public", "partners")
A4_PT = (595.3, 841.9)  # 210 × 297 mm in PDF points


@pytest.fixture(scope="module")
def placed() -> Any:
    return geocode(datasets.sample_register())


@pytest.fixture(scope="module")
def pages(placed: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The saved report of the sample register, for each audience (charts and brokers in)."""
    links = find_links(placed, between=("micro", "macro"))
    G = graph_from_assets(placed, links=links, relationships=datasets.sample_relationships())
    out = {}
    for audience in AUDIENCES:
        folder = tmp_path_factory.mktemp(audience)
        save_report(build_report(placed, links, audience=audience, graph=G), folder)
        out[audience] = folder / "report.html"
    return out


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _cells(page: str, tag: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", page)]


@pytest.mark.parametrize("audience", AUDIENCES)
def test_headings_are_plain_words_and_empty_cells_are_empty(
    pages: dict[str, Path], audience: str
) -> None:
    page = _text(pages[audience])
    headings = _cells(page, "th") + _cells(page, "caption") + _cells(page, "h[1-3]")
    assert headings
    code = re.compile(r"\b[a-z]+_[a-z_]+\b")  # partner_id, within_m, n_uncovered …
    assert not [h for h in headings if code.search(h)], [h for h in headings if code.search(h)]
    assert not set(headings) & set(COLUMNS), set(headings) & set(COLUMNS)  # "measured", "total"
    # the glossary names each heading in words, with the workbook's column beside it
    assert "<dt>Distance (m)</dt>" in page and "<code>distance_m</code>" in page
    for missing in ("&lt;NA&gt;", "<NA>", ">nan<", ">NaN<", ">None<", ">NaT<"):
        assert missing not in page, missing
    # blank cells are there: the brokers' names of records shown only by category
    assert "<td></td>" in page
    assert 'lang="en-GB"' in page and "<title>Assets: report for" in page
    assert page.count("<caption>") == page.count("<table>") > 5
    assert page.count('<th scope="col"') > 30 and '<th scope="row"' in page


def test_every_column_has_a_plain_heading_and_a_description() -> None:
    assert set(COLUMNS) == set(HEADINGS)
    assert all("_" not in h for h in HEADINGS.values())


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [
        ("score", 0.1, "0.10"),
        ("score", 0.5508, "0.55"),
        ("score", pd.NA, ""),
        ("supply", float("nan"), ""),
        ("supply", None, ""),
        ("supply", np.float32("nan"), ""),
        ("imd_rank", np.int64(6200), "6,200"),
        ("articulation_point", np.bool_(False), "no"),
        ("rank", pd.array([3], dtype="Int64")[0], "3"),
        ("distance_m", 1023.0, "1,023"),
        ("linked_share", 0.456, "46%"),
        ("link_desert", True, "yes"),
        ("measured", "walk", "walking"),
        ("partner_category", "anchor_institution", "Anchor institution"),
        ("needs", ("jobs", "training"), "jobs; training"),
        ("people", 2.5, "2.5"),
    ],
)
def test_cells_read_plainly(column: str, value: object, shown: str) -> None:
    assert cell_text(column, value) == shown


def test_ranks_follow_the_scores_shown_with_a_direction(
    placed: Any, pages: dict[str, Path]
) -> None:
    links = find_links(placed, between=("micro", "macro"))
    table = build_report(placed, links, audience="partners", charts=False).tables["macro_links"]
    for macro, mine in table.groupby("macro_id"):
        ranked = mine[mine["rank"].notna()]
        # scores to three decimals; ranks 1..n by the score shown, nearer first among equals
        assert (ranked["score"] == ranked["score"].round(3)).all()
        assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1)), macro
        order = ranked.sort_values(["score", "distance_m"], ascending=[False, True], kind="stable")
        assert order["rank"].tolist() == ranked["rank"].tolist(), macro
        # links to records shown only by category: no score, so no rank, and last
        unranked = mine[mine["rank"].isna()]
        assert unranked["score"].isna().all() and mine["rank"].notna().sum() == len(ranked)
        assert mine.index[-len(unranked) :].tolist() == unranked.index.tolist() or not len(unranked)
    assert set(table["direction"]) == {"offers to", "needs from"}
    # a pair linked both ways appears twice, once each way, and says which
    both = table.dropna(subset=["rank"]).groupby(["macro_id", "partner_id"])["direction"]
    twice = both.nunique()
    assert (twice == 2).any()
    guild = table[
        (table["macro_id"] == "macro-mmuh") & (table["partner_id"] == "micro-porters-guild")
    ]
    assert dict(zip(guild["direction"], guild["reason"], strict=True)) == {
        "offers to": "offers training; 1,023 m",
        "needs from": "needs portering; 1,023 m",
    }
    page = _text(pages["partners"])
    assert '<th scope="col">The site…</th>' in page
    assert ">needs from<" in page and ">offers to<" in page
    # the page shows the scores as the table holds them, best first
    rows = re.findall(r"<td class=n>(\d+)</td><td>(?:offers to|needs from)</td>.*?"
                      r"<td class=n>(\d\.\d{2})</td>", page)  # fmt: skip
    assert rows and rows[0] == ("1", "0.55")


# ---------------------------------------------------------------- in Chromium


def _normal(text: str) -> str:
    """Text without its spacing (a PDF line may break anywhere, "micro-ladywood-⏎somali"),
    ligatures undone."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _print(browser: Any, path: Path) -> Any:
    import pypdf

    browser.get(path.as_uri())
    data = browser.execute_cdp_cmd(
        "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
    )["data"]
    return pypdf.PdfReader(io.BytesIO(base64.b64decode(data)))


_ROWS = """return Array.from(document.querySelectorAll('tbody tr')).map(
    tr => Array.from(tr.cells).map(c => c.innerText));"""
_LABELS = """return Array.from(document.querySelectorAll(
    'h1, h2, h3, caption, thead tr, p.about, p.lead')).map(e => e.innerText);"""


def _check_print(browser: Any, path: Path) -> tuple[int, list[Any], list[str]]:
    """Print to PDF; the rows not wholly on one page, and the pages that end with a heading, a
    caption or a table's header row (a heading orphaned from what follows it)."""
    pdf = _print(browser, path)
    rows = browser.execute_script(_ROWS)
    labels = {_normal(t) for t in browser.execute_script(_LABELS) if t.strip()}
    texts = [_normal(p.extract_text()) for p in pdf.pages]
    for page in pdf.pages:
        box = page.mediabox
        assert abs(float(box.width) - A4_PT[0]) < 2 and abs(float(box.height) - A4_PT[1]) < 2
    split = [r for r in rows if not any(all(_normal(c) in t for c in r) for t in texts)]
    orphaned = []
    for number, page in enumerate(pdf.pages[:-1], start=1):
        lines = [_normal(x) for x in page.extract_text().splitlines() if x.strip()]
        tail = "".join(lines[-3:])
        if any(tail.endswith(label) for label in labels):
            orphaned.append(f"page {number} ends with {lines[-1]!r}")
    return len(pdf.pages), split, orphaned


_A4_CONTENT_PX = round((210 - 2 * 12) / 25.4 * 96)  # the page's width less @page's margins


def _too_wide(browser: Any, path: Path) -> list[Any]:
    """The tables wider than an A4 page's content, laid out for print (Chromium would shrink
    every page to fit them)."""
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": _A4_CONTENT_PX, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        browser.get(path.as_uri())
        return list(
            browser.execute_script(
                "return Array.from(document.querySelectorAll('table')).filter(t => "
                "t.getBoundingClientRect().right > innerWidth + 1).map(t => t.caption.innerText)"
            )
        )
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


@pytest.mark.parametrize("audience", AUDIENCES)
def test_prints_to_clean_a4_pages(browser: Any, pages: dict[str, Path], audience: str) -> None:
    count, split, orphaned = _check_print(browser, pages[audience])
    assert 3 <= count <= 10, count  # the sample's report: a few pages, not one per table
    assert not split, split[:3]
    assert not orphaned, orphaned
    assert not _too_wide(browser, pages[audience])


def test_a_table_too_wide_for_a4_is_found(
    browser: Any, pages: dict[str, Path], tmp_path: Path
) -> None:
    wide = _text(pages["public"]).replace("<td>", "<td>Anunbreakablecellvaluewithnospace ")
    path = tmp_path / "wide.html"
    path.write_text(wide, encoding="utf-8")
    assert _too_wide(browser, path)


@pytest.fixture(scope="module")
def area_pages(
    placed: Any, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """The report with the real LSOAs and IMD deciles: the widest tables (a column per
    category, deprivation, link deserts)."""
    from assetmap.areas import assign_areas, read_boundaries, read_imd

    lsoa = read_boundaries(
        shared_data / "boundaries/lsoa_2011_bgc_martinjc/lsoa11_bgc_bbox.geojson"
    )
    imd = read_imd(
        shared_data / "imd/iod2019_energy_flex/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
    )
    placed = assign_areas(placed, lsoa)
    links = find_links(placed, between=("micro", "macro"))
    out = {}
    for audience in AUDIENCES:
        folder = tmp_path_factory.mktemp(f"areas-{audience}")
        report = build_report(placed, links, audience=audience, areas=lsoa, imd=imd)
        save_report(report, folder)
        out[audience] = folder / "report.html"
    return out


@pytest.mark.parametrize("audience", AUDIENCES)
def test_the_report_with_areas_and_deprivation(
    browser: Any,
    axe: Callable[..., list[dict[str, Any]]],
    area_pages: dict[str, Path],
    audience: str,
) -> None:
    page = _text(area_pages[audience])
    assert "Deprivation decile (1 = most deprived 10%)" in page and "Link desert" in page
    for missing in ("&lt;NA&gt;", ">nan<", ">None<"):
        assert missing not in page
    assert not _too_wide(browser, area_pages[audience])
    count, split, orphaned = _check_print(browser, area_pages[audience])
    assert count <= 14 and not split and not orphaned, (count, split[:2], orphaned)
    browser.get(area_pages[audience].as_uri())
    serious = [v["id"] for v in axe() if v["impact"] in ("serious", "critical")]
    assert not serious, serious


_KEEP_ROWS = "tr,figure,img,dl>div,.notes li,p{break-inside:avoid}"
_KEEP_HEADINGS = "h1,h2,h3,caption,.lead,.about{break-after:avoid}"


_KEEP_HEADER_ROWS = "break-after:avoid}tbody tr:first-child{break-before:avoid}"


@pytest.mark.parametrize(
    ("without", "found"),
    [
        ("", ""),
        (_KEEP_ROWS, "split"),
        (_KEEP_HEADINGS, "orphaned"),
        (_KEEP_HEADER_ROWS, "orphaned"),
    ],
)
def test_the_print_rules_keep_tall_rows_whole_and_headings_with_their_text(
    browser: Any, pages: dict[str, Path], tmp_path: Path, without: str, found: str
) -> None:
    # every cell three lines taller, so rows and headings meet page ends: the page's print
    # rules keep them whole; without each rule, the checks above find what it prevents
    page = _text(pages["partners"]).replace("<td>", "<td>line<br>line<br>line<br>")
    assert without in CSS
    path = tmp_path / "tall.html"
    rest = "}" if without == _KEEP_HEADER_ROWS else ""  # keep the thead rule's brace
    path.write_text(page.replace(without, rest) if without else page, encoding="utf-8")
    _, split, orphaned = _check_print(browser, path)
    assert {"split": bool(split), "orphaned": bool(orphaned)} == {
        "split": found == "split",
        "orphaned": found == "orphaned",
    }, (split[:2], orphaned)


@pytest.mark.parametrize("audience", AUDIENCES)
def test_axe_finds_no_serious_violation(
    browser: Any, axe: Callable[..., list[dict[str, Any]]], pages: dict[str, Path], audience: str
) -> None:
    browser.get(pages[audience].as_uri())
    found = axe()
    serious = [
        (v["id"], v["help"], [n.get("target") for n in v["nodes"]][:3])
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, serious
    assert browser.execute_script("return document.documentElement.lang") == "en-GB"
    assert browser.title.startswith("Assets: report for")
    # a table's sideways scrolling box is reachable by keyboard, and named by its caption
    box = browser.execute_script(
        "const b = document.querySelector('.scroll'); return [b.tabIndex, b.getAttribute("
        "'aria-label'), b.querySelector('caption').innerText];"
    )
    assert box[0] == 0 and box[1] == box[2]


def test_a_phone_reads_the_page_without_the_page_scrolling_sideways(
    browser: Any, pages: dict[str, Path]
) -> None:
    browser.set_window_size(390, 844)
    try:
        browser.get(pages["public"].as_uri())
        width = browser.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert width[0] <= width[1], width  # wide tables scroll in their own box
    finally:
        browser.set_window_size(1280, 860)
