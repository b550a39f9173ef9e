from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from assetmap.cli import main


def test_demo_writes_a_self_contained_map(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "gi.html"
    assert main(["demo", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "<script src=" not in page
    assert "Midland Metropolitan University Hospital" in page
    assert f"wrote {out}" in capsys.readouterr().out


def test_console_script_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "assetmap.cli", "demo", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "--out" in done.stdout and "--audience" in done.stdout


def test_bad_option_exit_code() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "assetmap.cli", "demo", "--audience", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "invalid choice" in done.stderr


def test_demo_takes_boundaries_and_imd(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "gi.html"
    lsoa = shared_data / "boundaries/lsoa_2011_bgc_martinjc/lsoa11_bgc_bbox.geojson"
    wards = shared_data / "boundaries/wards_2020_bgc_geography-bits/WD20CD_bbox.geojsonl"
    imd = shared_data / "imd/iod2019_energy_flex/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
    argv = ["demo", "--out", str(out), "--boundaries", str(lsoa), "--boundaries", str(wards),
            "--imd", str(imd)]  # fmt: skip
    assert main(argv) == 0
    page = out.read_text(encoding="utf-8")
    assert "IMD 2019 decile 1 (most deprived)" in page
    assert "Birmingham 053D" in page  # an LSOA the hospital campus lies in, by name
    bad = main(["demo", "--out", str(out), "--boundaries", str(imd)])
    assert bad == 1 and "cannot read it as a boundary file" in capsys.readouterr().err


def test_demo_builds_a_public_and_a_partners_map(tmp_path: Path) -> None:
    import assetmap

    out = tmp_path / "gi.html"
    assert main(["demo", "--out", str(out)]) == 0
    partners = tmp_path / "gi.partners.html"
    register = assetmap.datasets.sample_register()
    shared = register.loc[register["privacy"] == "partners", "name"].tolist()
    residents = register.loc[register["category"] == "individual", "name"].tolist()
    public_page, partner_page = (
        out.read_text(encoding="utf-8"),
        partners.read_text(encoding="utf-8"),
    )
    assert shared and all(name in partner_page for name in shared)
    assert not any(name in public_page for name in shared)
    assert not any(name in page for name in residents for page in (public_page, partner_page))
    for page in (out, partners):
        assert page.with_name(page.name + ".audit.json").exists()


def test_geocode_and_links_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    import assetmap

    sample = assetmap.datasets.sample_register_path()
    text = sample.read_text(encoding="utf-8").replace("postcode", "Post Code", 1)
    register = tmp_path / "register.csv"
    register.write_text(text, encoding="utf-8")
    placed = tmp_path / "placed.gpkg"
    assert main(["geocode", str(register), str(placed), "--column", "Post Code=postcode"]) == 0
    said = capsys.readouterr().out
    assert "geocode_method" in said and f"wrote {placed}" in said
    assert len(assetmap.read_assets(placed)) == 68
    out = tmp_path / "links.csv"
    assert main(["links", str(placed), str(out), "--between", "micro", "macro"]) == 0
    links = pd.read_csv(out)
    assert len(links) > 0 and {"source", "target", "reason", "score"} <= set(links.columns)
    residents = assetmap.datasets.sample_register().query("category == 'individual'").index
    assert not set(links["source"]) & set(residents)  # the public get no resident's id
    assert out.with_name("links.csv.audit.json").exists()
    own = tmp_path / "own.xlsx"
    assert main(["links", str(placed), str(own), "--audience", "analyst"]) == 0
    assert set(pd.read_excel(own)["source"]) & set(residents)
    assert main(["links", str(placed), str(tmp_path / "x.json")]) == 1
    assert "written as .csv or .xlsx" in capsys.readouterr().err
    assert main(["geocode", str(register), str(placed), "--column", "nonsense"]) == 1


def test_map_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import assetmap

    out = tmp_path / "assets.html"
    register = str(assetmap.datasets.sample_register_path())
    assert main(["map", register, str(out), "--audience", "partners", "--title", "Ours"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "Link opportunities (" in page and "Ours" in page and "<script src=" not in page
    assert out.with_name("assets.html.audit.json").exists()
    assert f"wrote {out}" in capsys.readouterr().out
    assert main(["map", register, str(tmp_path / "plain.html"), "--no-links", "--cdn"]) == 0
    plain = (tmp_path / "plain.html").read_text(encoding="utf-8")
    assert "Link opportunities" not in plain and "integrity=" in plain


# --- the options of every command on a register, and the one boundary -----------------------

ROOT = Path(__file__).resolve().parents[1]

#: A register as a council might publish it: its own headings, every field there.
MESSY = (
    "Ref No,Organisation Name,Post Code,Type of Asset,Sort,Offers,Needs,Privacy\n"
    "r1,Winson Green Food Club,B18 7QH,association,micro,food,,public\n"
    "r2,City Hospital,B18 7QH,anchor_institution,macro,,food,public\n"
    "r3,Learning Works,B66 2AR,institution,micro,training,,public\n"
)
MESSY_COLUMNS = [
    "--column", "Ref No=asset_id", "--column", "Organisation Name=name",
    "--column", "Post Code=postcode", "--column", "Type of Asset=category",
    "--column", "Sort=kind",
]  # fmt: skip

#: A list of libraries as published: no id, no category, a type in its own words.
LIBRARIES = (
    "Library,Address,Postcode,Type\n"
    "Spring Hill Library,Spring Hill,B18 7BH,Static Library\n"
    "Smethwick Library,High Street,B66 1AA,Static Library\n"
    "Mobile Library 1,Depot,B16 0AA,Mobile Library\n"
)


def _cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``assetmap ARGV`` in a process of its own, from this source tree."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "assetmap.cli", *argv],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
    )


def _fails_cleanly(code: int, err: str, *expected: str) -> None:
    assert code == 1, err
    assert "Traceback" not in err, err
    assert err.startswith("assetmap: error:"), err
    for text in expected:
        assert text in err, (text, err)


def test_messy_headings_are_read_with_column_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import assetmap

    register = tmp_path / "council.csv"
    register.write_text(MESSY, encoding="utf-8")
    placed = tmp_path / "placed.gpkg"
    assert main(["geocode", str(register), str(placed), *MESSY_COLUMNS]) == 0
    back = assetmap.read_assets(placed)
    assert list(back.index) == ["r1", "r2", "r3"]
    assert back.loc["r2", "name"] == "City Hospital"
    assert set(back["geocode_method"]) == {"postcode"}
    assert "in_study_area" not in back.columns or back["in_study_area"].isna().all()
    links = tmp_path / "links.csv"
    assert main(["links", str(register), str(links), *MESSY_COLUMNS, "--audience", "analyst"]) == 0
    found = pd.read_csv(links)
    assert list(zip(found["source"], found["target"], strict=True)) == [("r1", "r2")]
    page = tmp_path / "map.html"
    assert main(["map", str(register), str(page), *MESSY_COLUMNS, "--cdn"]) == 0
    assert "Winson Green Food Club" in page.read_text(encoding="utf-8")
    capsys.readouterr()
    # without the mapping: one message, naming the CLI's own option as the fix
    assert main(["links", str(register), str(links)]) == 1
    err = capsys.readouterr().err
    assert "--default category=" in err and "Traceback" not in err
    assert "columns=" not in err  # the Python spelling of the fix is not the CLI's


def test_study_area_option_takes_a_file_in_any_crs(tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    import assetmap
    from assetmap.crs import from_lonlat

    register = tmp_path / "council.csv"
    register.write_text(MESSY, encoding="utf-8")
    first = assetmap.geocode(assetmap.read_assets(register, columns=_pairs(MESSY_COLUMNS)))
    x, y = from_lonlat([first.geometry.iloc[2].x], [first.geometry.iloc[2].y], "EPSG:27700")
    box = shapely.box(x[0] - 150, y[0] - 150, x[0] + 150, y[0] + 150)  # around r3 only
    area = tmp_path / "area.gpkg"
    gpd.GeoDataFrame({"name": ["ours"]}, geometry=[box], crs="EPSG:27700").to_file(area)
    placed = tmp_path / "placed.gpkg"
    argv = ["geocode", str(register), str(placed), *MESSY_COLUMNS, "--study-area", str(area)]
    assert main(argv) == 0
    inside = assetmap.read_assets(placed)["in_study_area"]
    assert inside.tolist() == [False, False, True]


def _pairs(argv: list[str]) -> dict[str, str]:
    return dict(a.split("=") for a in argv if "=" in a)


def test_malformed_options_are_one_message_naming_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    register = tmp_path / "council.csv"
    register.write_text(MESSY, encoding="utf-8")
    argv = [
        "links", str(register), str(tmp_path / "nowhere" / "links.csv"),
        "--column", "no equals sign", "--column", "Sort=kind", "--column", "Sort=category",
        "--default", "category", "--value", "category=institution",
        "--max-distance-m", "-4", "--study-area", "greater icknield",
    ]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    _fails_cleanly(
        1,
        err,
        "7 problem(s)",
        "--column wants HEADING=FIELD",
        "'no equals sign'",
        "--column 'Sort' is given twice",
        "--default wants FIELD=VALUE",
        "--value wants FIELD:FROM=TO",
        "--max-distance-m must be a number of metres above 0",
        "--study-area: no file at",
        "there is no folder",
    )


def _workbook(path: Path) -> Path:
    frame = pd.read_csv(io.StringIO(MESSY))
    with pd.ExcelWriter(path) as writer:
        frame.to_excel(writer, sheet_name="Assets", index=False)
    return path


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", ["no file at", "missing.csv"]),
        ("corrupt", ["corrupt.xlsx", "damaged zip archive"]),
        ("misnamed", ["misnamed.xlsx", "perhaps a CSV named .xlsx"]),
        ("unknown sheet", ["'Nope'", "Assets"]),
        ("sheet of a CSV", ["--sheet", "not an Excel workbook"]),
        ("no out folder", ["OUT", "no folder", "create it first"]),
        ("out is the input", ["OUT", "is an input"]),
        ("folder as register", ["REGISTER", "is a folder"]),
    ],
)
def test_every_failure_is_one_message_and_exit_1(
    case: str, expected: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "council.csv"
    csv.write_text(MESSY, encoding="utf-8")
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 this is no workbook")
    misnamed = tmp_path / "misnamed.xlsx"
    misnamed.write_text(MESSY, encoding="utf-8")
    book = _workbook(tmp_path / "book.xlsx")
    out = str(tmp_path / "placed.gpkg")
    argv = {
        "missing": [str(tmp_path / "missing.csv"), out],
        "corrupt": [str(corrupt), out],
        "misnamed": [str(misnamed), out],
        "unknown sheet": [str(book), out, "--sheet", "Nope"],
        "sheet of a CSV": [str(csv), out, "--sheet", "Assets"],
        "no out folder": [str(csv), str(tmp_path / "no" / "such" / "placed.gpkg")],
        "out is the input": [str(csv), str(csv)],
        "folder as register": [str(tmp_path), out],
    }[case]
    assert main(["geocode", *argv, *MESSY_COLUMNS]) == 1
    _fails_cleanly(1, capsys.readouterr().err, *expected)
    assert not Path(out).exists()


def test_a_real_process_fails_without_a_traceback_unless_debug(tmp_path: Path) -> None:
    corrupt = tmp_path / "register.xlsx"
    corrupt.write_bytes(b"\x00\x01 not a workbook")
    done = _cli("map", str(corrupt), str(tmp_path / "map.html"))
    _fails_cleanly(done.returncode, done.stderr, "register.xlsx", "not an XLSX workbook")
    assert done.stderr.count("assetmap: error:") == 1
    debug = _cli("--debug", "map", str(corrupt), str(tmp_path / "map.html"))
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_a_workbook_sheet_is_chosen_by_name(tmp_path: Path) -> None:
    import assetmap

    book = _workbook(tmp_path / "book.xlsx")
    placed = tmp_path / "placed.csv"
    assert main(["geocode", str(book), str(placed), "--sheet", "Assets", *MESSY_COLUMNS]) == 0
    assert len(assetmap.read_assets(placed)) == 3


def test_a_library_list_needs_only_a_default_category(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import assetmap

    register = tmp_path / "libraries.csv"
    register.write_text(LIBRARIES, encoding="utf-8")
    placed = tmp_path / "placed.gpkg"
    argv = ["geocode", str(register), str(placed), "--column", "Library=name"]
    # 'Type' is taken as the category (with a warning), but its words are not the vocabulary's:
    # one message naming the CLI's fix
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "'Static Library' is not one of" in err
    assert '--value "category:Static Library=..."' in err
    values = ["--value", "category:Static Library=institution",
              "--value", "category:Mobile Library=institution"]  # fmt: skip
    assert main([*argv, *values]) == 0
    # without the Type column: no category at all, and the fix is a default
    register.write_text(
        "\n".join(line.rsplit(",", 1)[0] for line in LIBRARIES.splitlines()) + "\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(argv) == 1
    assert "--default category=" in capsys.readouterr().err
    assert main([*argv, "--default", "category=institution"]) == 0
    back = assetmap.read_assets(placed)
    assert len(back) == 3 and back.index.is_unique
    assert set(back["category"]) == {"institution"} and set(back["kind"]) == {"micro"}
    page = tmp_path / "map.html"
    assert main(["map", str(register), str(page), "--column", "Library=name",
                 "--default", "category=institution", "--cdn"]) == 0  # fmt: skip
    assert "Spring Hill Library" in page.read_text(encoding="utf-8")


def test_values_and_two_fields_from_one_heading(tmp_path: Path) -> None:
    import assetmap

    text = LIBRARIES.replace("Library,Address", "Site Address,Area").replace("Type", "Kind Of")
    register = tmp_path / "libraries.csv"
    register.write_text(text, encoding="utf-8")
    placed = tmp_path / "placed.gpkg"
    argv = [
        "geocode", str(register), str(placed), "--column", "Site Address=name,address",
        "--column", "Kind Of=category", "--value", "category:Static Library=institution",
        "--value", "category:Mobile Library=institution", "--default", "privacy=public",
    ]  # fmt: skip
    assert main(argv) == 0
    back = assetmap.read_assets(placed)
    assert (back["name"] == back["address"]).all()
    assert set(back["category"]) == {"institution"} and set(back["privacy"]) == {"public"}


def test_repeated_ids_are_made_unique_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import assetmap

    register = tmp_path / "council.csv"
    register.write_text(MESSY.replace("r3,", "r1,"), encoding="utf-8")
    placed = tmp_path / "placed.gpkg"
    argv = ["geocode", str(register), str(placed), *MESSY_COLUMNS]
    assert main(argv) == 1
    assert "--make-ids-unique" in capsys.readouterr().err
    assert main([*argv, "--make-ids-unique"]) == 0
    assert assetmap.read_assets(placed).index.is_unique


def test_warnings_are_one_line_each_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    register = tmp_path / "council.csv"
    register.write_text(MESSY.replace(",Privacy", "").replace(",public", ""), encoding="utf-8")
    placed = tmp_path / "placed.gpkg"
    assert main(["geocode", str(register), str(placed), *MESSY_COLUMNS]) == 0
    err = capsys.readouterr().err
    assert "assetmap: warning:" in err and "no privacy level" in err
    assert "warnings.warn" not in err and "Traceback" not in err


def test_demo_wants_an_existing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path / "no" / "gi.html")]) == 1
    _fails_cleanly(1, capsys.readouterr().err, "--out", "no folder")
    assert not (tmp_path / "no").exists()
