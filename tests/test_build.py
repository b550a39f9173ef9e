"""assetmap build: one project file, every output, the same bytes twice."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from assetmap import datasets
from assetmap.cli import main
from assetmap.errors import ConfigurationError
from assetmap.project import read_project, run_project

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "greater-icknield.toml"


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_demo_project_builds_the_same_bytes_twice(tmp_path: Path) -> None:
    project = tmp_path / "greater-icknield.toml"
    shutil.copy(DEMO, project)
    written = run_project(project)
    out = tmp_path / "build"
    first = _hashes(out)
    for who in ("public", "partners"):
        for name in (
            "map.html", "map.html.audit.json", "links.csv", "links.csv.audit.json",
            "graph.graphml", "graph.gpkg", "report.html", "report.xlsx",
            "tables/macro_links.csv", "tables/areas.csv", "tables/brokers.csv",
        ):  # fmt: skip
            assert f"{who}/{name}" in first
    assert not (out / "analyst").exists()  # personal data only when asked for
    record = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert written[-1] == out / "build.json"
    sample = datasets.sample_register_path().read_bytes()
    assert record["inputs"]["register"]["sha256"] == hashlib.sha256(sample).hexdigest()
    assert record["project"]["sha256"] == hashlib.sha256(project.read_bytes()).hexdigest()
    assert record["parameters"]["links"]["max_distance_m"] == 1200
    assert record["parameters"]["outputs"]["folder"] == "build"  # relative: the record moves
    assert record["versions"]["assetmap"] and record["versions"]["geopandas"]
    assert "Open Government Licence" in record["sources"]["postcodes"]["attribution"]
    assert {k: v for k, v in first.items() if k != "build.json"} == record["outputs"]
    audit = json.loads((out / "public/map.html.audit.json").read_text(encoding="utf-8"))
    assert audit["written"] is None  # no clock in a build
    run_project(project)
    assert _hashes(out) == first


def test_source_date_epoch_stamps_the_audits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "p.toml"
    project.write_text("[inputs]\nsample = true\n[outputs]\ngraph = []\nreport = false\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    run_project(project)
    audit = json.loads((tmp_path / "build/public/links.csv.audit.json").read_text())
    assert audit["written"] == "2023-11-14T22:13:20+00:00"
    assert not (tmp_path / "build/public/report.html").exists()


def test_every_problem_of_a_project_file_at_once(tmp_path: Path) -> None:
    project = tmp_path / "bad.toml"
    project.write_text(
        "[inputs]\nregister = 'missing.csv'\nimd = 'not-a-list.csv'\n"
        "[links]\nmax_distance_m = -3\nmax_distanse_m = 100\n"
        "[privacy]\naudiences = ['everyone']\n[colours]\nx = 1\n"
    )
    with pytest.raises(ConfigurationError) as caught:
        read_project(project)
    message = str(caught.value)
    for expected in (
        "no file at", "imd must be a list", "max_distance_m must be a number of metres above 0",
        "unknown setting 'max_distanse_m'", "'everyone'", "unknown section [colours]",
    ):  # fmt: skip
        assert expected in message, expected
    assert "6 problem(s)" in message


def test_cli_build_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "p.toml"
    project.write_text('[inputs]\nsample = true\n[outputs]\nfolder = "out"\ngraph = ["gpkg"]\n')
    assert main(["build", str(project), "--no-progress"]) == 0
    assert "build.json" in capsys.readouterr().out
    assert (tmp_path / "out/partners/graph.gpkg").is_file()
    project.write_text("[inputs]\nsample = 'yes'\n")
    assert main(["build", str(project)]) == 1
    assert "sample must be true or false" in capsys.readouterr().err
    assert main(["build", str(tmp_path / "nowhere.toml")]) == 1


def test_a_build_with_real_boundaries_and_imd(tmp_path: Path, shared_data: Path) -> None:
    lsoa = shared_data / "boundaries/lsoa_2011_bgc_martinjc/lsoa11_bgc_bbox.geojson"
    imd = shared_data / "imd/iod2019_energy_flex/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
    project = tmp_path / "p.toml"
    project.write_text(
        f"[inputs]\nsample = true\nboundaries = [{json.dumps(str(lsoa))}]\n"
        f"imd = [{json.dumps(str(imd))}]\n[privacy]\naudiences = ['partners']\n"
        "[outputs]\ngraph = []\nanalyst = true\n"
    )
    run_project(project)
    out = tmp_path / "build"
    record = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert set(record["sources"]) >= {"postcodes", "boundaries", "imd", "basemap"}
    assert record["inputs"]["imd[0]"]["path"] == imd.name
    areas = (out / "partners/tables/areas.csv").read_text(encoding="utf-8")
    assert "E01010054" in areas and "imd_decile" in areas
    assert (out / "partners/tables/mismatch.csv").is_file()
    assert (out / "analyst/register.gpkg").is_file()
