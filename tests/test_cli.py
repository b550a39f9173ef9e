from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
