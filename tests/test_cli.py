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
