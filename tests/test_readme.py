"""The README's example runs as written, on the sample register with unfamiliar headings."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import assetmap
from assetmap.errors import SchemaError, SchemaWarning

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert code is not None
    sample = assetmap.datasets.sample_register_path().read_text(encoding="utf-8")
    header, rest = sample.split("\n", 1)
    header = (
        header.replace("postcode", "Post Code")
        .replace("name", "Organisation")
        .replace("offers", "Skills offered")
    )
    (tmp_path / "register.csv").write_text(f"{header}\n{rest}", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    exec(compile(code.group(1), "README.md", "exec"), {})
    assert (tmp_path / "assets.html").stat().st_size > 100_000
    back = assetmap.read_assets(tmp_path / "assets.gpkg")
    assert len(back) == 68


def test_readme_example_runs_on_a_register_with_only_its_three_headings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no id, no category, no kind: the ten lines run as written (ids made, with a warning)
    (tmp_path / "register.csv").write_text(
        "Organisation,Post Code,Skills offered\n"
        "Ladywood Cooks,B16 8HJ,catering\n"
        "Soho Road Sewing Circle,b21 9nd,sewing; alterations\n"
        "Winson Green Food Club,B18 4AA,\n",
        encoding="cp1252",
    )
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        exec(compile(_python_blocks()[0], "README.md", "exec"), {})
    said = " ".join(str(w.message) for w in seen if issubclass(w.category, SchemaWarning))
    assert "no id column" in said and "no privacy level" in said
    back = assetmap.read_assets(tmp_path / "assets.gpkg")
    assert len(back) == 3 and set(back["category"]) == {"association"}
    assert set(back["geocode_method"]) == {"postcode"}


def test_readme_bring_your_own_register_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = next(b for b in _python_blocks() if "libraries.csv" in b)
    (tmp_path / "libraries.csv").write_text(
        "Site Address,Type,Postcode\n"
        "Spring Hill Library,Static Library,B18 7BH\n"
        "Mobile Library 1,Mobile Library,\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        exec(compile(block, "README.md", "exec"), namespace)
    assert "no id column" in " ".join(str(w.message) for w in seen)
    libraries = namespace["libraries"]
    assert isinstance(libraries, pd.DataFrame)
    assert list(libraries["name"]) == ["Spring Hill Library", "Mobile Library 1"]
    assert (libraries["address"] == libraries["name"]).all()
    assert set(libraries["category"]) == {"institution"} and set(libraries["privacy"]) == {"public"}


def test_readme_links_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = _python_blocks()
    assert len(blocks) == 4
    namespace: dict[str, object] = {}
    exec(compile(blocks[1], "README.md", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "micro-learning-works" in printed  # the broker comes first
    assert "offers" in printed  # reasons are shown


def test_readme_privacy_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(_python_blocks()[3], "README.md", "exec"), {})
    assert capsys.readouterr().out.startswith("<Published for partners: ")
    for name in ("links.csv", "graph.graphml"):
        assert (tmp_path / f"{name}.audit.json").exists()
    graph = (tmp_path / "graph.graphml").read_text(encoding="utf-8")
    assert "IELTS/OET preparation" not in graph and "skills-matching partnership" not in graph


def test_the_two_setup_commands_are_there() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    assert blocks == [
        "pip install . && assetmap demo --out greater-icknield.html\n",
        'pip install ".[dev]" && pytest\n',
    ]


def test_broken_csv_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('asset_id,name\na,"unclosed\nb,c,d,e\n', encoding="utf-8")
    with pytest.raises(SchemaError, match=r"line 2 \[name\]: a quoted value opens here"):
        assetmap.read_assets(path)
