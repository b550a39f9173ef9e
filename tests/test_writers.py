"""Every writer: what it writes reads back, the same inputs give the same bytes in any time
zone, and a file is replaced whole, never through a symbolic link planted in its place."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetmap import (
    build_report,
    datasets,
    find_links,
    geocode,
    graph_from_assets,
    publish,
    read_assets,
    save_assets,
    save_graph,
    save_links,
    save_report,
)
from assetmap._reproducible import json_escaped, replacing, write_file
from assetmap._tabular import UNKEPT, XLSX_CELL_LIMIT
from assetmap.errors import ConfigurationError, GeocodingWarning, SchemaError, SchemaWarning
from assetmap.maps import build_map, save_map
from assetmap.schema import validate_assets
from tests.registers import register

FORMATS = ("csv", "xlsx", "geojson", "gpkg", "parquet")
ROOT = Path(__file__).resolve().parents[1]

#: Text a register can hold, with the characters files trip on given a good chance.
AWKWARD = st.sampled_from(
    [
        *["\x00", "\x0b", "\x1f", "\x7f", "\x85", "\r", "\n", "\r\n", "\t", "\ufffe"],
        *["\uffff", "_x000D_", "=", "+", "-", "@", "'", '"', ",", ";", " ", "é", "😀", "$5_$10"],
    ]
)
TEXT = st.lists(st.one_of(st.characters(exclude_categories=["Cs"]), AWKWARD), max_size=12).map(
    "".join
)
NAME = TEXT.filter(lambda t: UNKEPT.sub("", t).strip() != "")


def _cleaned(frame: pd.DataFrame) -> pd.DataFrame:
    """What a register holds once written: the characters no file keeps taken out."""
    out = frame.copy()
    for col in ("name", "description"):
        out[col] = out[col].map(lambda t: UNKEPT.sub("", t) if isinstance(t, str) else t)
    return out


def _write_quietly(frame: gpd.GeoDataFrame, path: Path) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        save_assets(frame, path)
    return [str(w.message) for w in caught if issubclass(w.category, SchemaWarning)]


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(NAME, min_size=1, max_size=3), description=TEXT)
def test_every_text_reads_back_from_every_format(
    fmt: str, names: list[str], description: str
) -> None:
    raw = pd.DataFrame(
        {
            "asset_id": [f"a{i}" for i in range(len(names))],
            "name": names,
            "description": description,
            "kind": "micro",
            "category": "association",
            "privacy": "public",
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaWarning)  # two rows of the same name, say
        assets = validate_assets(raw)
        expected = validate_assets(_cleaned(raw))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"register.{fmt}"
        notes = _write_quietly(assets, path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SchemaWarning)
            back = read_assets(path)
    assert back.index.tolist() == expected.index.tolist()
    for col in ("name", "description"):
        assert back[col].tolist() == expected[col].tolist(), col
    # validation trims the edges first (U+001F is white space to str.strip)
    unkept = [i for i, n in assets["name"].items() if UNKEPT.search(n)]
    if unkept or any(isinstance(t, str) and UNKEPT.search(t) for t in assets["description"]):
        assert len(notes) == 1
        for asset in unkept:
            assert f"asset {asset!r} (name" in notes[0]
    else:
        assert notes == []


def test_the_note_names_each_row_and_column(tmp_path: Path) -> None:
    assets = register(name=["fine", "nul\x00here", "vt\x0bhere"], description=["x", "y", "d\x1fd"])
    with pytest.warns(SchemaWarning) as caught:
        save_assets(assets, tmp_path / "r.csv")
    (message,) = [str(w.message) for w in caught]
    assert "from 3 cells" in message
    assert "asset 'a1' (name); asset 'a2' (name, description)" in message
    assert "'a0'" not in message
    back = read_assets(tmp_path / "r.csv")
    assert back["name"].tolist() == ["fine", "nulhere", "vthere"]


def test_ids_that_become_one_without_control_characters_are_refused(tmp_path: Path) -> None:
    # validation refuses C0 controls in ids; U+FFFE gets through
    assets = register(name=["x", "y", "z"], asset_id=["a", "a\ufffe", "b"])
    with pytest.warns(SchemaWarning), pytest.raises(SchemaError) as caught:
        save_assets(assets, tmp_path / "r.geojson")
    message = str(caught.value)
    assert "2 problems" in message and "(ids 'a', 'a\\ufffe')" in message  # grouped: one line
    assert [p.row for p in caught.value.problems] == ["a", "a\ufffe"]
    assert not (tmp_path / "r.geojson").exists()


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg", "parquet"])
def test_long_text_is_kept_whole(fmt: str, tmp_path: Path) -> None:
    text = "ab\ncd" * 10_000  # 50,000 characters, line breaks inside
    save_assets(register(name=["x", "y"], description=["short", text]), tmp_path / f"r.{fmt}")
    assert read_assets(tmp_path / f"r.{fmt}").loc["a1", "description"] == text


def test_long_text_is_refused_in_xlsx_naming_every_cell(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"the old file")
    long = "x" * (XLSX_CELL_LIMIT + 1)
    assets = register(name=["x", long, "z"], description=["d", "d", long])
    with pytest.raises(SchemaError) as caught:
        save_assets(assets, path)
    message = str(caught.value)
    assert "2 problems" in message
    assert "asset 'a1' [name]: holds 32,768 characters" in message
    assert "asset 'a2' [description]" in message and "write CSV" in message
    assert path.read_bytes() == b"the old file"  # left as it was
    # the limit itself fits
    at_limit = register(name=["x"], description=["y" * XLSX_CELL_LIMIT])
    save_assets(at_limit, path)
    assert read_assets(path).loc["a0", "description"] == "y" * XLSX_CELL_LIMIT


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_header_only_register_reads_back_empty(fmt: str, tmp_path: Path) -> None:
    empty = register(name=["x"]).iloc[:0]
    path = save_assets(empty, tmp_path / f"r.{fmt}")
    back = read_assets(path)
    assert len(back) == 0 and back.index.name == "asset_id"


# ---- reports ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_placed() -> gpd.GeoDataFrame:
    frame = datasets.sample_register().reset_index()
    public = frame.index[frame["privacy"].eq("public")]
    frame.loc[public[0], "name"] = "fees $5_$10 \x00\x0b\x1f $\\frac{1}{0}$"
    frame["offers"] = frame["offers"].map(lambda tags: [*tags, "fees $5_$10", "$x^"])
    frame["needs"] = frame["needs"].map(lambda tags: [*tags, "fees $5_$10", "$x^"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GeocodingWarning)
        return geocode(validate_assets(frame))


def test_report_charts_draw_any_text_literally(
    hostile_placed: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    links = find_links(hostile_placed, between=("micro", "macro"))
    report = build_report(hostile_placed, links, audience="partners")
    assert "fees $5_$10" in report.tables["skills"]["tag"].tolist()
    assert "supply and demand by skill" in report.charts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaWarning)  # the NUL in a name, said once per file
        written = save_report(report, tmp_path)
    assert {p.name for p in written} >= {"report.html", "report.xlsx"}
    book = zipfile.ZipFile(tmp_path / "report.xlsx")
    assert all(b"\x00" not in book.read(n) for n in book.namelist())


# ---- same bytes in any time zone ---------------------------------------------------------------

_WRITE_ALL = """
import sys, warnings
from pathlib import Path
warnings.simplefilter("ignore")
from assetmap import (build_report, datasets, find_links, geocode, graph_from_assets, publish,
                      save_assets, save_graph, save_links, save_report)
from assetmap.maps import build_map, save_map
out = Path(sys.argv[1])
placed = geocode(datasets.sample_register())
links = find_links(placed, between=("micro", "macro"))
shown = publish(placed, links=links, audience="partners")
for fmt in ("csv", "xlsx", "geojson", "gpkg", "parquet"):
    save_assets(shown, out / f"assets.{fmt}")
save_links(shown, out / "links.xlsx")
save_links(shown, out / "links.csv")
G = graph_from_assets(placed, links=links)
for suffix in ("gexf", "graphml", "gpkg"):
    save_graph(G, out / f"graph.{suffix}", audience="partners")
save_report(build_report(placed, links, audience="partners"), out / "report")
save_map(build_map(shown), out / "map.html")
"""


def _write_all(folder: Path, tz: str, epoch: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env.update({"TZ": tz, "PYTHONPATH": str(ROOT)})
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = epoch
    folder.mkdir()
    subprocess.run([sys.executable, "-c", _WRITE_ALL, str(folder)], env=env, check=True)
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(".audit.json")  # 'written' says when
    }


@pytest.mark.parametrize("epoch", [None, "1700000000"])
def test_every_writer_writes_the_same_bytes_in_any_time_zone(
    epoch: str | None, tmp_path: Path
) -> None:
    utc = _write_all(tmp_path / "utc", "UTC", epoch)
    auckland = _write_all(tmp_path / "auckland", "Pacific/Auckland", epoch)
    assert len(utc) >= 15 and "graph.gexf" in utc and "report/report.xlsx" in utc
    assert utc == auckland
    day = "2023-11-14" if epoch else "1980-01-01"
    assert f'lastmodifieddate="{day}"'.encode() in (tmp_path / "utc/graph.gexf").read_bytes()
    core = zipfile.ZipFile(tmp_path / "auckland/assets.xlsx").read("docProps/core.xml")
    stamp = "2023-11-14T22:13:20Z" if epoch else "1980-01-01T00:00:00Z"
    assert core.count(stamp.encode()) == 2  # created and modified
    with sqlite3.connect(tmp_path / "auckland/assets.gpkg") as db:
        changes = [row[0] for row in db.execute("SELECT last_change FROM gpkg_contents")]
    assert changes and all(c.startswith(stamp[:-1]) for c in changes), changes


def test_a_bad_source_date_epoch_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ConfigurationError, match="SOURCE_DATE_EPOCH must be whole seconds"):
        save_assets(register(name=["x"]), tmp_path / "r.xlsx")


# ---- replaced whole, never through a planted link --------------------------------------------


@pytest.fixture(scope="module")
def shown() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GeocodingWarning)
        placed = geocode(datasets.sample_register())
    links = find_links(placed, between=("micro", "macro"))
    return placed, links, publish(placed, links=links, audience="public")


def _writers(shown: Any) -> dict[str, Any]:
    placed, links, published = shown
    G = graph_from_assets(placed, links=links)
    out: dict[str, Any] = {
        f"assets.{fmt}": lambda p, fmt=fmt: save_assets(published, p) for fmt in FORMATS
    }
    out["links.csv"] = lambda p: save_links(published, p)
    out["links.xlsx"] = lambda p: save_links(published, p)
    for suffix in ("gexf", "graphml", "gpkg"):
        out[f"graph.{suffix}"] = lambda p: save_graph(G, p, audience="public")
    out["map.html"] = lambda p: save_map(build_map(published), p)
    return out


@pytest.mark.parametrize(
    "name",
    [f"assets.{f}" for f in FORMATS]
    + ["links.csv", "links.xlsx", "graph.gexf", "graph.graphml", "graph.gpkg", "map.html"],
)
def test_a_planted_symlink_is_replaced_not_followed(name: str, shown: Any, tmp_path: Path) -> None:
    victim = tmp_path / "elsewhere" / "precious.txt"
    victim.parent.mkdir()
    victim.write_bytes(b"not yours")
    out = tmp_path / "build"
    out.mkdir()
    (out / name).symlink_to(victim)
    (out / f"{name}.audit.json").symlink_to(victim)
    _writers(shown)[name](out / name)
    assert victim.read_bytes() == b"not yours"
    assert not (out / name).is_symlink() and (out / name).stat().st_size > 0
    assert not (out / f"{name}.audit.json").is_symlink()
    assert json.loads((out / f"{name}.audit.json").read_text())["export"] == name
    assert sorted(p.name for p in out.iterdir()) == [name, f"{name}.audit.json"]  # no leftovers


def test_save_report_replaces_planted_links(shown: Any, tmp_path: Path) -> None:
    placed, links, _ = shown
    victim = tmp_path / "precious.txt"
    victim.write_bytes(b"not yours")
    folder = tmp_path / "report"
    (folder / "tables").mkdir(parents=True)
    for name in ("report.html", "report.xlsx", "tables/skills.csv", "report.html.audit.json"):
        (folder / name).symlink_to(victim)
    save_report(build_report(placed, links, audience="public"), folder)
    assert victim.read_bytes() == b"not yours"
    assert not any(p.is_symlink() for p in folder.rglob("*"))


def test_a_failed_write_leaves_the_old_file_and_no_scraps(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), replacing(path) as new:
        new.write_bytes(b"half a fi")
        raise RuntimeError("disk full")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    write_file(path, "new")
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_missing_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"the folder .*nowhere does not exist"):
        save_assets(register(name=["x"]), tmp_path / "nowhere" / "r.csv")
    with pytest.raises(ConfigurationError, match="is a folder"):
        write_file(tmp_path, "x")


@given(st.lists(st.none() | st.text(st.characters(exclude_categories=["Cs"]), max_size=6)))
def test_json_escaped_writes_between_the_quotes_what_json_dumps_does(texts: list[Any]) -> None:
    for held in (pa.array(texts, pa.string()), pa.array(["x", *texts], pa.large_string())[1:]):
        expected = [None if t is None else json.dumps(t, ensure_ascii=False)[1:-1] for t in texts]
        assert json_escaped(held).to_pylist() == expected
