"""Project files: every setting type- and range-checked, every problem at once with its key,
outputs kept in the project's folder unless allowed, and a Project a notebook can show."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from assetmap.errors import ConfigurationError, SchemaError, SchemaWarning
from assetmap.project import DEFAULTS, Project, project_from_settings, read_project, run_project
from assetmap.project._rules import RULES

ROOT = Path(__file__).resolve().parents[1]

REGISTER = (
    "asset_id,name,postcode,category,kind,offers,needs,privacy\n"
    "r1,Winson Green Food Club,B18 7QH,association,micro,food,,public\n"
    "r2,City Hospital,B18 7QH,anchor_institution,macro,,food,public\n"
)
#: Only what the tests look at: quick builds.
QUICK = "[outputs]\ngraph = []\nreport = false\n"


def _project(folder: Path, text: str, register: str = REGISTER) -> Path:
    (folder / "register.csv").write_text(register, encoding="utf-8")
    path = folder / "project.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> str:
    with pytest.raises(ConfigurationError) as caught:
        read_project(path)
    return str(caught.value)


def test_every_setting_has_a_rule_and_its_default_passes_it() -> None:
    for section, rules in RULES.items():
        assert set(rules) == set(DEFAULTS[section]), section
        for key, check in rules.items():
            assert check(DEFAULTS[section][key]) is None, (section, key)


def test_the_hostile_project_file_is_one_error_naming_every_key(tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        'k = "5"\n'
        "[inputs]\nregister = 5\nregisterr = 'register.csv'\n"
        '[links]\nk = "3"\nmax_distance_m = 1e9\ndecay_m = -1\nbetween = ["micro"]\n'
        '[privacy]\nk = "5"\naudiences = ["public", "public"]\n'
        "[geocode]\nstudy_area = true\nonline = 'yes'\n"
        "[map]\nself_contained = 1\n"
        "[outputs]\nfolder = 123\ngraph = ['graphml', 'svg']\nmap = 'map.pdf'\n"
        "[columns]\n'Post Code' = 7\n[defaults]\ncategory = ['institution']\n"
        "[values]\ncategory = 'institution'\n",
    )
    with pytest.warns(DeprecationWarning, match="min_count"):
        message = _problems(path)
    expected = [
        "unknown setting 'k' at the top of the file",
        "[inputs] register must be text",
        "unknown setting 'registerr' in [inputs]",
        "[links] k must be a whole number from 1 to 1,000, not the text '3'",
        "[links] max_distance_m must be a number of metres above 0 and at most 100,000",
        "[links] decay_m must be a number of metres above 0",
        "[links] between must list 0 or 2 items, not 1",
        "[privacy] min_count must be a whole number from 1 to 1,000, not the text '5'",
        "[privacy] audiences lists an item twice",
        "[geocode] study_area must be a boundary file",
        "[geocode] online must be true or false, not the text 'yes'",
        "[map] self_contained must be true or false, not 1",
        "[outputs] folder must be text",
        "[outputs] graph may hold 'graphml', 'gpkg', not 'svg'",
        "a map is written as .html or .htm, not 'map.pdf'",
        "[columns] 'Post Code' must name a field",
        "[defaults] 'category' must be one value for every row",
        "[values] 'category' must be a table",
    ]
    for text in expected:
        assert text in message, (text, message)
    assert f"has {len(expected)} problem(s)" in message
    assert message.count("\n  - ") == len(expected)


def test_the_cli_says_so_in_one_message(tmp_path: Path) -> None:
    path = _project(tmp_path, "[inputs]\nregister = 5\n[outputs]\nfolder = 123\n[links]\nk = '3'\n")
    done = subprocess.run(
        [sys.executable, "-m", "assetmap.cli", "build", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("assetmap: error:") and "3 problem(s)" in done.stderr
    for key in ("[inputs] register", "[outputs] folder", "[links] k"):
        assert key in done.stderr


@pytest.mark.parametrize("folder", ["../escaped", "{absolute}", "sub/../../escaped"])
def test_outputs_stay_in_the_project_unless_allowed(folder: str, tmp_path: Path) -> None:
    home = tmp_path / "project"
    home.mkdir()
    target = tmp_path / "escaped"
    folder = folder.format(absolute=target)
    path = _project(home, f'[inputs]\nregister = "register.csv"\n{QUICK}folder = "{folder}"\n')
    message = _problems(path)
    assert "[outputs] folder" in message and "outside the project's folder" in message
    assert "allow_outside = true" in message
    assert not target.exists()
    path.write_text(path.read_text() + "allow_outside = true\n", encoding="utf-8")
    written = run_project(path, progress=False)
    assert written[-1] == target / "build.json" and (target / "public/map.html").is_file()
    record = json.loads((target / "build.json").read_text(encoding="utf-8"))
    assert "public/map.html" in record["outputs"]


def test_a_file_output_outside_and_a_symlinked_folder_are_refused(tmp_path: Path) -> None:
    home = tmp_path / "project"
    home.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (home / "build").symlink_to(elsewhere, target_is_directory=True)
    path = _project(
        home, f'[inputs]\nregister = "register.csv"\n{QUICK}placed = "../placed.gpkg"\n'
    )
    message = _problems(path)
    assert "[outputs] folder: 'build' is outside" in message
    assert "[outputs] placed: '../placed.gpkg' is outside" in message
    assert list(elsewhere.iterdir()) == []


def test_allow_outside_from_the_command_line(tmp_path: Path) -> None:
    from assetmap.cli import main

    home = tmp_path / "project"
    home.mkdir()
    path = _project(home, f'[inputs]\nregister = "register.csv"\n{QUICK}folder = "../out"\n')
    assert main(["build", str(path), "--no-progress"]) == 1
    assert main(["build", str(path), "--no-progress", "--allow-outside"]) == 0
    assert (tmp_path / "out/partners/map.html").is_file()


def test_an_output_that_is_an_input_is_refused(tmp_path: Path) -> None:
    path = _project(
        tmp_path, '[inputs]\nregister = "register.csv"\n[outputs]\nplaced = "register.csv"\n'
    )
    assert "[outputs] placed: 'register.csv' is an input" in _problems(path)


def test_output_files_in_new_folders_inside_the_project_are_made(tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        f'[inputs]\nregister = "register.csv"\n{QUICK}map = "maps/assets.html"\n'
        'placed = "analysis/placed.gpkg"\nrecord = false\n',
    )
    written = run_project(path, progress=False)
    assert (
        tmp_path / "maps/assets.html" in written and (tmp_path / "analysis/placed.gpkg").is_file()
    )


def test_no_study_area_unless_given(tmp_path: Path) -> None:
    for setting in ("", "study_area = false\n"):
        path = _project(
            tmp_path, f'[inputs]\nregister = "register.csv"\n[geocode]\n{setting}{QUICK}'
        )
        project = read_project(path)
        assert project["geocode"]["study_area"] is None
        placed = run_project(project, progress=False).assets
        assert "in_study_area" not in placed.columns or placed["in_study_area"].isna().all()
    path = _project(
        tmp_path,
        '[inputs]\nregister = "register.csv"\n[geocode]\nstudy_area = "Greater Icknield"\n',
    )
    message = _problems(path)
    assert "no file at" in message and "not a bundled area: greater-icknield" in message


def test_a_study_area_file_relative_to_the_project(tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    area = gpd.GeoDataFrame(geometry=[shapely.box(-1.95, 52.48, -1.93, 52.50)], crs=4326)
    (tmp_path / "areas").mkdir()
    area.to_crs(27700).to_file(tmp_path / "areas" / "ours.gpkg")
    path = _project(
        tmp_path,
        f'[inputs]\nregister = "register.csv"\n[geocode]\nstudy_area = "areas/ours.gpkg"\n{QUICK}',
    )
    built = run_project(path, progress=False)
    assert built.assets["in_study_area"].notna().all()
    record = json.loads((tmp_path / "build/build.json").read_text(encoding="utf-8"))
    assert record["inputs"]["study_area"]["path"] == "ours.gpkg"
    assert len(record["inputs"]["study_area"]["sha256"]) == 64


def test_input_problems_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "register.xlsx").write_bytes(b"PK\x03\x04 no workbook")
    (tmp_path / "wards.geojson").write_text("{ not json", encoding="utf-8")
    path = _project(
        tmp_path,
        '[inputs]\nregister = "register.xlsx"\nboundaries = ["wards.geojson"]\n' + QUICK,
    )
    with pytest.raises(ConfigurationError) as caught:
        run_project(path, progress=False)
    message = str(caught.value)
    assert "2 input(s) could not be read" in message
    assert "register.xlsx" in message and "damaged zip archive" in message
    assert "wards.geojson" in message


def test_an_unknown_sheet_names_the_sheets_there(tmp_path: Path) -> None:
    frame = pd.read_csv(__import__("io").StringIO(REGISTER))
    frame.to_excel(tmp_path / "register.xlsx", sheet_name="Assets", index=False)
    path = _project(tmp_path, f'[inputs]\nregister = "register.xlsx"\nsheet = "Sheet1"\n{QUICK}')
    with pytest.raises((ConfigurationError, SchemaError)) as caught:
        run_project(path, progress=False)
    assert "'Sheet1'" in str(caught.value) and "Assets" in str(caught.value)


def test_a_project_shows_itself_in_one_line_and_in_html(tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        'title = "<Ours> & theirs"\n[inputs]\nregister = "register.csv"\n'
        '[links]\nmax_distance_m = 800\n[privacy]\naudiences = ["partners"]\n',
    )
    project = read_project(path)
    assert repr(project) == "<Project '<Ours> & theirs': register.csv for partners>"
    page = project._repr_html_()
    assert "&lt;Ours&gt; &amp; theirs" in page and "<Ours>" not in page
    assert "[links] max_distance_m" in page and "800" in page
    assert "[map] self_contained" not in page  # defaults are not repeated
    assert isinstance(project, Project)


def test_cli_labels_name_the_options(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        project_from_settings(
            {
                "inputs": {"register": "missing.csv"},
                "links": {"max_distance_m": 0},
                "defaults": {"category": None},
            },
            base=tmp_path,
            source="assetmap links",
            labels={
                "inputs.register": "REGISTER",
                "links.max_distance_m": "--max-distance-m",
                "defaults": "--default",
            },
            problems=["--column wants HEADING=FIELD; 'x' was given"],
        )
    message = str(caught.value)
    assert message.startswith("assetmap links has 4 problem(s)")
    for text in ("REGISTER: no file at", "--max-distance-m must be", "--default 'category'",
                 "--column wants"):  # fmt: skip
        assert text in message


def test_columns_defaults_and_values_from_a_project_file(tmp_path: Path) -> None:
    libraries = (
        "Site Address,Postcode,Type\n"
        "Spring Hill Library,B18 7BH,Static Library\n"
        "Mobile Library 1,B16 0AA,Mobile Library\n"
    )
    path = _project(
        tmp_path,
        '[inputs]\nregister = "register.csv"\n'
        '[columns]\n"Site Address" = ["name", "address"]\n"Type" = "category"\n'
        '[defaults]\nprivacy = "public"\n'
        '[values.category]\n"Static Library" = "institution"\n"Mobile Library" = "institution"\n'
        + QUICK,
        register=libraries,
    )
    with pytest.warns(SchemaWarning, match="no id column"):
        placed = run_project(path, progress=False).assets
    assert len(placed) == 2 and set(placed["category"]) == {"institution"}
    assert (placed["name"] == placed["address"]).all()
