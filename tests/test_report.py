"""Reports: every table passes publish(); counts suppressed; CSV, XLSX and HTML written."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from assetmap import datasets, find_links, geocode, graph_from_assets
from assetmap.areas import assign_areas, read_boundaries, read_imd
from assetmap.errors import ConfigurationError
from assetmap.report import COLUMNS, build_report, save_report

BOUNDARIES = "boundaries"
COUNTS = ("assets", "micro", "people", "supply", "links", "total")


@pytest.fixture(scope="module")
def placed() -> Any:
    return geocode(datasets.sample_register())


@pytest.fixture(scope="module")
def links(placed: Any) -> pd.DataFrame:
    return find_links(placed, between=("micro", "macro"))


def _hidden_ids(placed: Any, audience: str) -> set[str]:
    shown = {"public": {"public"}, "partners": {"public", "partners"}}[audience]
    return set(placed.index[~placed["privacy"].isin(shown)].astype(str))


@pytest.mark.parametrize("audience", ["public", "partners"])
def test_no_hidden_record_leaves_and_only_not_shown_counts_hidden_records(
    placed: Any, links: pd.DataFrame, audience: str, tmp_path: Path
) -> None:
    G = graph_from_assets(placed, links=links, relationships=datasets.sample_relationships())
    report = build_report(placed, links, audience=audience, graph=G)
    hidden = _hidden_ids(placed, audience)
    hidden_names = set(placed.loc[list(hidden), "name"])
    assert hidden and hidden_names
    written = save_report(report, tmp_path)
    assert {p.name for p in written} >= {"report.html", "report.xlsx", "report.html.audit.json"}
    for path in written:
        text = path.read_text(encoding="utf-8") if path.suffix != ".xlsx" else ""
        if path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path)
            text = " ".join(
                str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row
            )
        for secret in hidden | hidden_names:
            assert secret not in text, (path.name, secret)
    for name, table in report.tables.items():
        for column in table.columns:
            assert column in COLUMNS or name in ("areas", "macro_catchments", "not_shown"), (
                name,
                column,
            )
    # every count but not_shown is of records this audience sees: the areas hold exactly the
    # placed records published, and the catchments never more than those
    shown = report.published.assets
    placed_shown = int((~shown.geometry.is_empty & shown.geometry.notna()).sum())
    assert report.tables["areas"]["assets"].sum() == placed_shown
    assert report.tables["macro_catchments"]["total"].max() <= placed_shown
    assert report.tables["geocoding"]["assets"].sum() == int((shown["shown"] == "exact").sum())
    # the records kept back are counted only there: small counts (0 included) left empty,
    # and no totals to subtract from
    hidden_counts = report.tables["not_shown"].drop(columns="area")
    assert "total" not in hidden_counts.columns and "total" not in set(
        report.tables["not_shown"]["area"]
    )
    values = hidden_counts.stack().dropna()
    assert (values >= report.min_count).all()


def test_macro_tables_worked_by_hand(placed: Any, links: pd.DataFrame) -> None:
    report = build_report(placed, links, audience="partners", charts=False)
    ranked = report.tables["macro_links"]
    mmuh = ranked[ranked["macro_id"] == "macro-mmuh"]
    scored = mmuh["rank"].notna().to_numpy()
    assert mmuh["rank"][scored].tolist() == list(range(1, scored.sum() + 1))
    # the same links, best first by their true scores
    mine = links[(links["source"] == "macro-mmuh") | (links["target"] == "macro-mmuh")]
    other = mine["source"].where(mine["target"] == "macro-mmuh", mine["target"]).astype(str)
    private = set(placed.index[placed["privacy"] == "private"])
    mine = mine[~other.isin(private).to_numpy()]
    assert len(mmuh) == len(mine)  # links to private records are left out, the rest kept
    # named partners keep their scores, best first; links to records shown only by category
    # come last with no score (a score would help place them)
    named = mmuh["partner_name"].notna().to_numpy()
    assert mmuh["score"][named].tolist() == sorted(mmuh["score"][named], reverse=True)
    assert mmuh["score"][~named].isna().all() and not named[named.sum() :].any()
    assert (scored == named).all()  # no score shown, no rank
    top = mmuh.iloc[0]
    assert top["partner_id"] == "micro-winson-green-tenants" and top["score"] == 0.55
    assert top["direction"] == "offers to" and top["distance_m"] == 539
    assert top["reason"] == "offers meeting space; 539 m"
    needs = report.tables["macro_needs"].set_index("macro_id")
    assert "security" in needs.loc["macro-city-hospital", "uncovered"]
    # the hospital's nursing needs are met by residents the partners see only by category:
    # the report does not say which skill a record it does not name holds
    assert "nursing" in needs.loc["macro-mmuh", "uncovered"]
    assert "nursing" not in needs.loc["macro-mmuh", "met"]
    bands = report.tables["macro_catchments"]
    assert set(bands["within_m"]) == {400, 800, 1200}
    assert set(bands["measured"]) == {"straight"}
    # nested bands never shrink
    mmuh_total = bands[bands["macro_id"] == "macro-mmuh"]["total"].dropna().tolist()
    assert mmuh_total == sorted(mmuh_total)
    geocoding = report.tables["geocoding"].set_index("geocode_method")
    assert geocoding["assets"].sum() == len(report.published.assets.query("shown == 'exact'"))
    attention = report.tables["attention"]
    assert "micro-winson-green-hall" in set(attention["asset_id"])  # placed by district only


def test_untrusted_text_is_escaped_in_the_html(placed: Any, tmp_path: Path) -> None:
    evil = placed.copy()
    evil.loc["macro-mmuh", "name"] = "<script>alert('x')</script> & co"
    report = build_report(evil, find_links(evil, between=("micro", "macro")))
    save_report(report, tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in page
    assert html.escape("<script>alert('x')</script> & co") in page
    assert page.count("data:image/png;base64,") == 3


def test_workbook_has_a_sheet_per_table_and_describes_every_column(
    placed: Any, links: pd.DataFrame, tmp_path: Path
) -> None:
    report = build_report(placed, links, charts=False)
    save_report(report, tmp_path)
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert book.sheetnames == ["about", "columns", *report.tables]
    described = {(r[0], r[1]) for r in book["columns"].iter_rows(min_row=2, values_only=True)}
    for name, table in report.tables.items():
        assert {(name, c) for c in table.columns} <= described
        assert len(pd.read_csv(tmp_path / "tables" / f"{name}.csv")) == len(table)


def test_areas_with_real_lsoas_and_imd(placed: Any, links: pd.DataFrame, shared_data: Path) -> None:
    lsoa = read_boundaries(
        shared_data / BOUNDARIES / "lsoa_2011_bgc_martinjc/lsoa11_bgc_bbox.geojson"
    )
    imd = read_imd(
        shared_data / "imd/iod2019_energy_flex/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
    )
    with pytest.raises(ConfigurationError, match="assign them to these areas first"):
        build_report(placed, links, areas=lsoa, imd=imd, charts=False)
    placed = assign_areas(placed, lsoa)  # the report never re-runs an earlier stage
    report = build_report(placed, links, areas=lsoa, imd=imd, charts=False)
    areas = report.tables["areas"].set_index("area_code")
    deserts = report.tables["deserts"]
    # the nine link deserts of question 3, most deprived first; and, for the public, one more:
    # E01009152's only linked micro-asset is a private resident, whose link it may not see
    assert deserts["area_code"].tolist()[:2] == ["E01010054", "E01010063"]
    assert len(deserts) == 10 and "E01009152" in set(deserts["area_code"])
    assert areas.loc[deserts["area_code"], "link_desert"].all()
    assert areas.loc["E01010054", "imd_decile"] == 1
    # every published record there (those shown by category at the area's centre included),
    # never the private ones
    there = placed[placed["lsoa11_code"] == "E01009143"]
    assert areas.loc["E01009143", "assets"] == int((there["privacy"] != "private").sum()) >= 12
    mismatch = report.tables["mismatch"]
    # areas within reach of an anchor count its demand even where no asset lies
    assert set(areas.index) < set(mismatch["area_code"]) <= set(lsoa.index)
    empty = mismatch[~mismatch["area_code"].isin(areas.index)]
    assert (empty["supply"] == 0).all() and (empty["demand"] > 0).all()
    assert "top_shortfall" in areas.columns


def test_reports_are_for_public_or_partners(placed: Any, links: pd.DataFrame) -> None:
    with pytest.raises(ConfigurationError, match="public"):
        build_report(placed, links, audience="analyst")  # type: ignore[arg-type]


def test_ranks_follow_the_rounded_scores_nearer_first_among_equals() -> None:
    from tests.registers import register

    e0, n0 = 406000.0, 286000.0
    # the site offers jobs; "a-far" (600 m less 0.4 on the grid) needs only jobs: score
    # 0.50015; "z-near" (1 m) needs jobs and cooking, half met: score 0.49958. Both show
    # 0.500, so the nearer ranks first although its unrounded score is lower, and the reader
    # sees why
    placed = geocode(
        register(
            asset_id=["site", "a-far", "z-near"],
            kind=["macro", "micro", "micro"],
            category=["anchor_institution", "association", "association"],
            offers=["jobs", "", ""],
            needs=["", "jobs", "jobs; cooking"],
            easting=[e0, e0 + 599.6, e0 + 1.0],
            northing=[n0, n0, n0],
        ),
        study_area=None,
    )
    links = find_links(placed, between=("micro", "macro"))
    assert links.set_index("target")["score"].round(5).to_dict() == {
        "a-far": 0.50015,
        "z-near": 0.49958,
    }
    table = build_report(placed, links, audience="public", charts=False).tables["macro_links"]
    assert table[["rank", "partner_id", "score", "distance_m"]].values.tolist() == [
        [1, "z-near", 0.5, 1.0],
        [2, "a-far", 0.5, 600.0],
    ]
    assert set(table["direction"]) == {"offers to"}
