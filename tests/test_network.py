"""Walking along streets: a canal crossed by one bridge, worked out on paper."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from assetmap import datasets, geocode
from assetmap.crs import to_crs, to_lonlat
from assetmap.network import (
    StreetCoverageWarning,
    catchments,
    read_street_graph,
    save_street_graph,
    street_graph_from_networkx,
    walk_distances,
)
from tests.registers import register

E0, N0 = 406000.0, 286000.0


def canal_streets() -> nx.MultiDiGraph:
    """Two streets along a canal, 100 m apart (north at +50 m, south at -50 m), from x = -400 to
    +400 every 100 m, and one bridge at x = +300. British National Grid metres."""
    G = nx.MultiDiGraph(crs="EPSG:27700")
    xs = range(-400, 401, 100)
    for side, y in (("n", 50), ("s", -50)):
        for x in xs:
            G.add_node(f"{side}{x}", x=E0 + x, y=N0 + y)
        for x in xs[:-1]:
            G.add_edge(f"{side}{x}", f"{side}{x + 100}", length=100.0)
            G.add_edge(f"{side}{x + 100}", f"{side}{x}", length=100.0)
    G.add_edge("n300", "s300", length=100.0)  # the bridge
    return G


def _assets() -> gpd.GeoDataFrame:
    lon, lat = to_lonlat(
        np.array([E0, E0, E0 + 100]), np.array([N0 + 50, N0 - 50, N0 - 60]), "EPSG:27700"
    )
    return geocode(
        register(
            asset_id=["hospital", "across", "beside"],
            kind=["macro", "micro", "micro"],
            category=["anchor_institution", "association", "association"],
            latitude=lat.round(7).tolist(),
            longitude=lon.round(7).tolist(),
        ),
        study_area=None,
    )


def test_across_the_canal_is_700_m_on_foot() -> None:
    streets = street_graph_from_networkx(canal_streets())
    walks = walk_distances(_assets(), streets, max_distance_m=2000).set_index("target")
    # 300 m east to the bridge, 100 m across, 300 m back west
    assert walks.loc["across", "walk_m"] == pytest.approx(700, abs=0.1)
    # 10 m off the south street at x = 100: 300 + 100 + 200 + 10
    assert walks.loc["beside", "walk_m"] == pytest.approx(610, abs=0.1)
    assert walks.loc["beside", "snap_m"] == pytest.approx(10, abs=0.1)
    # a bounded search: nothing beyond the limit
    assert walk_distances(_assets(), streets, max_distance_m=650)["target"].tolist() == ["beside"]


def test_catchment_follows_the_streets_and_crosses_only_by_the_bridge() -> None:
    streets = street_graph_from_networkx(canal_streets())
    area = catchments(_assets(), streets, minutes=(5,), width_m=20).iloc[0]
    assert area["walk_m"] == 400 and area["minutes"] == 5
    shape = to_crs(gpd.GeoSeries([area.geometry], crs=4326), 27700).iloc[0]

    def at(x: float, y: float) -> bool:
        return bool(shape.contains(shapely.Point(E0 + x, N0 + y)))

    assert at(0, 50) and at(-400, 50) and at(400, 50)  # 400 m along the north street
    assert at(300, 0)  # the bridge
    assert at(300, -50) and not at(200, -50)  # across it, and no further: time is up
    assert not at(0, -50) and not at(0, 0)  # the far bank straight across, and the water
    # widened 20 m either side: 800 m + 100 m of street, 40 m wide
    assert shape.area == pytest.approx(900 * 40, rel=0.05)


def test_graphml_round_trip_as_osmnx_saves_it(tmp_path: Path) -> None:
    G = canal_streets()
    for u, v, d in G.edges(data=True):
        d["osmid"] = 1000
        d["highway"] = "residential"
        d["oneway"] = False
        d["geometry"] = shapely.LineString([(G.nodes[u]["x"], G.nodes[u]["y"]),
                                            (G.nodes[v]["x"], G.nodes[v]["y"])])  # fmt: skip
    path = save_street_graph(G, tmp_path / "streets.graphml")
    text = path.read_text(encoding="utf-8")
    assert 'attr.type="string"' in text and "LINESTRING" in text  # every value as text
    back = read_street_graph(path)
    edge = next(iter(back.graph.edges(data=True)))[2]
    assert edge["length"] == 100.0 and edge["oneway"] is False
    assert isinstance(edge["geometry"], shapely.LineString)
    original = street_graph_from_networkx(G)
    assert (back.lengths != original.lengths).nnz == 0
    assert np.allclose(back.x, original.x) and np.allclose(back.y, original.y)
    walks = walk_distances(_assets(), back).set_index("target")
    assert walks.loc["across", "walk_m"] == pytest.approx(700, abs=0.1)


def test_not_graphml_is_one_clear_error(tmp_path: Path) -> None:
    from assetmap.errors import SchemaError

    path = tmp_path / "x.graphml"
    path.write_text("not xml", encoding="utf-8")
    with pytest.raises(SchemaError, match="cannot read it as GraphML"):
        read_street_graph(path)
    G = nx.Graph()
    G.add_node("a")
    with pytest.raises(SchemaError, match="has no x/y"):
        street_graph_from_networkx(G)


def test_assets_far_from_streets_are_not_walked_to() -> None:
    streets = street_graph_from_networkx(canal_streets())
    assets = _assets()
    lon, lat = to_lonlat(np.array([E0]), np.array([N0 + 5000]), "EPSG:27700")
    far = geocode(register(asset_id=["far"], latitude=[round(float(lat[0]), 7)],
                           longitude=[round(float(lon[0]), 7)]), study_area=None)  # fmt: skip
    both = pd.concat([assets, far])
    with pytest.warns(StreetCoverageWarning, match=r"1 of 4 placed assets are more than 250 m"):
        walks = walk_distances(both, streets, max_distance_m=10_000)
    assert "far" not in set(walks["target"])


def test_links_use_walking_distance() -> None:
    streets = street_graph_from_networkx(canal_streets())
    assets = _assets()
    assets["offers"] = [["jobs"], [], []]
    assets["needs"] = [[], ["jobs"], ["jobs"]]
    from assetmap import find_links

    straight = find_links(assets, max_distance_m=650)
    assert set(straight["target"].astype(str)) == {"across", "beside"}
    walked = find_links(assets, max_distance_m=650, streets=streets)
    row = walked.set_index("target").loc["beside"]
    assert list(walked["target"].astype(str)) == ["beside"]  # "across" is 700 m on foot
    assert row["walk_m"] == pytest.approx(610, abs=0.1)
    assert row["distance_m"] == pytest.approx(np.hypot(100, 110), abs=0.1)
    assert row["proximity"] == pytest.approx(1 - 610 / 650, abs=1e-4)
    assert row["reason"] == "offers jobs; 610 m walk"


def _grid_over(area: shapely.Polygon, spacing: float = 100.0) -> nx.MultiDiGraph:
    """A street grid over an area (British National Grid), cut east-west by a 'canal' along
    one row of blocks, crossed by two bridges."""
    from assetmap.crs import from_lonlat

    x0, y0, x1, y1 = shapely.bounds(
        shapely.transform(
            area, lambda c: np.column_stack(from_lonlat(c[:, 0], c[:, 1], "EPSG:27700"))
        )
    )
    xs = np.arange(np.floor(x0 / spacing) * spacing, x1 + spacing, spacing)
    ys = np.arange(np.floor(y0 / spacing) * spacing, y1 + spacing, spacing)
    canal = ys[len(ys) // 2]
    bridges = {xs[len(xs) // 4], xs[3 * len(xs) // 4]}
    G = nx.MultiDiGraph(crs="EPSG:27700")
    for x in xs:
        for y in ys:
            G.add_node(f"{x:.0f},{y:.0f}", x=float(x), y=float(y))
    for x in xs:
        for y in ys:
            if x + spacing <= xs[-1]:
                G.add_edge(f"{x:.0f},{y:.0f}", f"{x + spacing:.0f},{y:.0f}", length=spacing)
            if y + spacing <= ys[-1] and (y != canal or x in bridges):
                G.add_edge(f"{x:.0f},{y:.0f}", f"{x:.0f},{y + spacing:.0f}", length=spacing)
    return G


def test_question_1_within_a_15_minute_walk_of_the_hospital() -> None:
    from assetmap import datasets, find_links
    from assetmap.areas import study_polygon
    from assetmap.crs import from_lonlat

    placed = geocode(datasets.sample_register())
    G = _grid_over(study_polygon(datasets.study_area()).buffer(0.02))
    streets = street_graph_from_networkx(G)
    links = find_links(placed, between=("micro", "macro"), max_distance_m=1200, streets=streets)
    q1 = links[links["target"] == "macro-mmuh"].set_index("source")
    # the same walk worked out with networkx alone: nearest nodes by brute force, and a
    # Dijkstra from every street node within 30 m of the hospital's footprint (or its nearest)
    H = nx.Graph()
    H.add_weighted_edges_from((u, v, d["length"]) for u, v, d in G.edges(data=True))
    names = list(G.nodes)
    xy = np.array([[G.nodes[n]["x"], G.nodes[n]["y"]] for n in names])
    site = to_crs(gpd.GeoSeries([placed.loc["macro-mmuh", "footprint"]], crs=4326), 27700).iloc[0]
    gaps = shapely.distance(site, shapely.points(xy))
    doors = [names[k] for k in np.flatnonzero(gaps <= max(gaps.min(), 30.0))]
    H.add_weighted_edges_from(("door", n, max(float(gaps[names.index(n)]), 1e-9)) for n in doors)
    far = nx.single_source_dijkstra_path_length(H, "door", cutoff=1200)
    needs = set(placed.loc["macro-mmuh", "needs"])
    expected = {}
    for aid, row in placed[placed["kind"] == "micro"].iterrows():
        if not needs & set(row["offers"]):
            continue
        x, y = from_lonlat(np.array([row.geometry.x]), np.array([row.geometry.y]), "EPSG:27700")
        k = int(np.argmin(np.hypot(xy[:, 0] - x[0], xy[:, 1] - y[0])))
        walk = far.get(names[k], np.inf) + float(np.hypot(*(xy[k] - [x[0], y[0]])))
        if walk <= 1200:
            expected[aid] = walk
    assert set(q1.index.astype(str)) == set(expected)
    for aid, walk in expected.items():
        assert q1.loc[aid, "walk_m"] == pytest.approx(walk, abs=0.05)
    # walking is never shorter than the straight line, and the canal drops some straight-line
    # answers: fewer assets within 1,200 m on foot than as the crow flies
    assert (q1["walk_m"] >= q1["distance_m"] - 0.05).all()
    straight = find_links(placed, between=("micro", "macro"), max_distance_m=1200)
    assert len(q1) < (straight["target"] == "macro-mmuh").sum()


def test_demo_draws_catchments_from_a_street_graph(tmp_path: Path, browser: object) -> None:
    from assetmap.areas import study_polygon
    from assetmap.cli import main

    path = save_street_graph(_grid_over(study_polygon(datasets.study_area()).buffer(0.02)),
                             tmp_path / "streets.graphml")  # fmt: skip
    out = tmp_path / "gi.html"
    assert main(["demo", "--out", str(out), "--streets", str(path)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "Walking catchments (3 bands)" in page and "15-minute walk" in page
    browser.get(out.as_uri())  # type: ignore[attr-defined]
    import time

    deadline = time.time() + 10
    drawn = 0
    while time.time() < deadline and not drawn:
        drawn = browser.execute_script(  # type: ignore[attr-defined]
            "return document.querySelectorAll('path.assetmap-catchment').length"
        )
    assert drawn == 3 * 3  # three sites, three bands
