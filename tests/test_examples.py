"""Every example runs on the bundled data, as a user would run it, and prints its answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(EXAMPLES.parent)},  # this checkout's assetmap
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("script", "answer"),
    [
        ("q1_walk_to_the_hospital.py", "within 1,200 m of the hospital could supply"),
        ("q2_skills_and_vacancies.py", "£174,000 a year in pay"),
        ("q4_brokers.py", "The Learning Works: without it, 5 lose every path"),
        ("q5_spaces_for_groups.py", "Ladywood Community Room → "),
        ("q6_what_changes.py", "with the new site"),
        ("bring_your_own_register.py", "wrote "),
        ("council_register.py", "SMBC-0003-2  Café on the Green – Kiosk"),
    ],
)
def test_example_prints_its_answer(script: str, answer: str) -> None:
    assert answer in _run(script)


def test_question_3_example_on_the_real_files(shared_data: Path) -> None:
    out = _run(
        "q3_link_deserts.py",
        str(shared_data / "boundaries/lsoa_2011_bgc_martinjc/lsoa11_bgc_bbox.geojson"),
        str(
            shared_data
            / "imd/iod2019_energy_flex/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
        ),
    )
    assert out.startswith("9 neighbourhoods hold assets but no link to any investment")
    assert "Sandwell 028A" in out


def test_every_example_is_tested() -> None:
    tested = {"q1_walk_to_the_hospital.py", "q2_skills_and_vacancies.py", "q3_link_deserts.py",
              "q4_brokers.py", "q5_spaces_for_groups.py", "q6_what_changes.py",
              "bring_your_own_register.py", "council_register.py"}  # fmt: skip
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested
