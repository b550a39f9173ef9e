"""Every stage on ordinary registers: only micro-assets, only macro-assets, no offers, no
needs, no links, nothing placed. Nothing crashes, every row is kept, and the report says in
words what it could not work out and why."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from assetmap import find_links, geocode, graph_from_assets
from assetmap.analysis import (
    anchor_deserts,
    area_summary,
    brokers,
    communities,
    isolated,
    link_deserts,
    match_capacity,
    reach_by_category,
    skills_matches,
    skills_mismatch,
    uncovered_needs,
    unused_offers,
)
from assetmap.network import street_graph_from_networkx, walk_distances
from assetmap.report import build_report, save_report
from assetmap.report._tables import study_polygon
from tests.registers import register

E0, N0 = 406000.0, 286000.0  # British National Grid, in Birmingham

MICRO, MACRO = "individual", "anchor_institution"


def _shape(
    kinds: list[str], offers: list[str], needs: list[str], placed: bool = True
) -> pd.DataFrame:
    """Four to six assets 100 m apart on a line, public, with the given kinds and tags."""
    n = len(kinds)
    return register(
        kind=kinds,
        category=[MICRO if k == "micro" else MACRO for k in kinds],
        offers=offers,
        needs=needs,
        capacity=[2] * n,
        easting=[E0 + 100 * i for i in range(n)] if placed else [None] * n,
        northing=[N0] * n if placed else [None] * n,
    )


SHAPES = {
    "only micro": _shape(["micro"] * 4, ["cooking", "jobs", "", ""], ["jobs", "cooking", "", ""]),
    "only macro": _shape(["macro"] * 4, ["jobs", "space", "", ""], ["space", "jobs", "", ""]),
    "no offers": _shape(["micro", "macro", "micro", "macro"], [""] * 4, ["jobs"] * 4),
    "no needs": _shape(["micro", "macro", "micro", "macro"], ["jobs"] * 4, [""] * 4),
    "no tags": _shape(["micro", "macro", "micro", "macro"], [""] * 4, [""] * 4),
    "no links": _shape(["micro", "macro", "micro", "macro"], ["a"] * 4, ["b"] * 4),
    "nothing placed": _shape(
        ["micro", "macro", "micro", "macro"], ["jobs"] * 4, ["jobs"] * 4, placed=False
    ),
}

#: What the report must say of each shape (a few words of the note).
SAID = {
    "only micro": ["no macro-assets"],
    "only macro": ["no micro-assets"],
    "no offers": ["nothing is offered", "no link opportunit"],
    "no needs": ["nothing is needed", "no link opportunit"],
    "no tags": ["nothing is offered", "nothing is needed"],
    "no links": ["no link opportunit"],
    "nothing placed": ["no asset could be placed"],
}


@pytest.fixture(params=list(SHAPES), scope="module")
def shape(request: pytest.FixtureRequest) -> tuple[str, pd.DataFrame]:
    name = request.param
    with pytest.warns() if name == "nothing placed" else _nothing():
        placed = geocode(SHAPES[name], study_area=None)
    return name, placed


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def _streets() -> nx.MultiDiGraph:
    """A street along the line of assets, a node every 50 m, 20 m south of them."""
    from assetmap.crs import to_lonlat

    G = nx.MultiDiGraph(crs="EPSG:4326")
    xs = [E0 - 100 + 50 * k for k in range(14)]
    lon, lat = to_lonlat(pd.Series(xs).to_numpy(float), pd.Series([N0 - 20] * 14).to_numpy(float),
                         "EPSG:27700")  # fmt: skip
    for k in range(14):
        G.add_node(k, x=float(lon[k]), y=float(lat[k]))
    for k in range(13):
        G.add_edge(k, k + 1, length=50.0)
        G.add_edge(k + 1, k, length=50.0)
    return G


def test_links_on_every_shape(shape: tuple[str, pd.DataFrame]) -> None:
    name, placed = shape
    ids = set(placed.index.astype(str))
    for kind in ("opportunity", "proximity"):
        for k in (None, 2):
            for between in (None, ("micro", "macro")):
                links = find_links(placed, kind=kind, k=k, between=between)  # type: ignore[arg-type]
                assert set(links["source"].astype(str)) <= ids
                assert set(links["target"].astype(str)) <= ids
    opportunity = find_links(placed)
    if name in ("no offers", "no needs", "no tags", "no links", "nothing placed"):
        assert opportunity.empty
    elif name == "only micro":
        assert {(s, t) for s, t in zip(opportunity.source, opportunity.target, strict=True)} == {
            ("a0", "a1"), ("a1", "a0")
        }  # fmt: skip
    proximity = find_links(placed, kind="proximity", max_distance_m=150)
    assert len(proximity) == (0 if name == "nothing placed" else 3)


def test_walking_on_every_shape(shape: tuple[str, pd.DataFrame]) -> None:
    name, placed = shape
    streets = street_graph_from_networkx(_streets())
    walks = walk_distances(placed, streets)
    macro = set(placed.index[placed["kind"] == "macro"])
    assert set(walks["source"]) <= macro
    if name == "only micro" or name == "nothing placed":
        assert walks.empty
    links = find_links(placed, streets=streets)
    assert ("walk_m" in links.columns) or links.empty


def test_analyses_on_every_shape(shape: tuple[str, pd.DataFrame]) -> None:
    name, placed = shape
    links = find_links(placed)
    G = graph_from_assets(placed, links=links)
    assert set(G.nodes) == set(placed.index)  # every row is a node, placed or not
    assert set(brokers(G).index) <= set(placed.index)
    assert set(communities(G).index) <= set(placed.index)
    assert set(isolated(G)) <= set(placed.index)
    macro = placed.index[placed["kind"] == "macro"]
    micro = placed.index[placed["kind"] == "micro"]
    gaps = uncovered_needs(placed, links)
    assert list(gaps.index) == list(macro)
    assert list(gaps.columns) == ["needs", "met", "uncovered", "n_uncovered"]
    unused = unused_offers(placed, links)
    assert list(unused.index) == list(micro)
    assert list(unused.columns) == ["offers", "matched", "unused", "n_unused"]
    assert set(anchor_deserts(placed, links).index) <= set(macro)
    matching = match_capacity(placed, links)
    assert len(matching.assignments) <= len(links)
    skills_matches(placed, links)
    area = placed.assign(study_code=placed["geocode_method"].ne("none").map({True: "all"}))
    summary = area_summary(area, links, level="study")
    assert summary["assets"].sum() == (0 if name == "nothing placed" else len(placed))
    deserts = link_deserts(area, links, level="study")
    assert len(deserts) <= 1
    reach = reach_by_category(placed)
    assert set(reach.index.get_level_values("macro_id")) == set(macro)
    mismatch = skills_mismatch(placed, study_polygon(area), reach_m=500)
    assert list(mismatch.columns) == ["supply", "demand", "gap", "shortfall"]


def test_report_says_what_it_could_not_work_out(
    shape: tuple[str, pd.DataFrame], tmp_path: Path
) -> None:
    name, placed = shape
    links = find_links(placed)
    G = graph_from_assets(placed, links=links)
    streets = street_graph_from_networkx(_streets())
    report = build_report(placed, links, audience="public", graph=G, streets=streets)
    # every row is counted once in the geocoding table
    assert report.tables["geocoding"]["assets"].sum() == len(placed)
    words = " ".join(report.notes).lower()
    for said in SAID[name]:
        assert said in words, (said, report.notes)
    written = save_report(report, tmp_path / "report")
    assert written
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8").lower()
    for said in SAID[name]:
        assert said in page


@pytest.mark.parametrize("name", ["only micro", "no needs", "only macro"])
def test_assetmap_build_on_ordinary_registers(name: str, tmp_path: Path) -> None:
    from assetmap.cli import main

    frame = SHAPES[name].reset_index()
    for column in ("offers", "needs"):
        frame[column] = frame[column].map("; ".join)
    frame[["asset_id", "name", "kind", "category", "offers", "needs", "capacity", "easting",
           "northing", "privacy"]].to_csv(tmp_path / "register.csv", index=False)  # fmt: skip
    (tmp_path / "p.toml").write_text(
        'title = "Shapes"\n[inputs]\nregister = "register.csv"\n'
        '[privacy]\naudiences = ["public"]\n[outputs]\nfolder = "build"\n',
        encoding="utf-8",
    )
    assert main(["build", "--no-progress", str(tmp_path / "p.toml")]) == 0
    page = next((tmp_path / "build").rglob("report.html")).read_text(encoding="utf-8").lower()
    for said in SAID[name]:
        assert said in page
