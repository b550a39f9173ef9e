"""Street graphs as users hold them: OpenStreetMap files as distributed (.osm, .osm.bz2,
.osm.gz, .osm.pbf), osmnx graphs projected or not, plain networkx graphs; a graph of another
place; and how street graphs and reports show in a notebook."""

from __future__ import annotations

import bz2
import gzip
import html
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest

from assetmap import find_links, geocode
from assetmap.analysis import reach_by_category
from assetmap.crs import from_lonlat, to_lonlat
from assetmap.errors import ConfigurationError, SchemaError
from assetmap.network import (
    StreetCoverageWarning,
    StreetGraph,
    as_street_graph,
    catchments,
    read_street_graph,
    street_graph_from_networkx,
    walk_distances,
)
from assetmap.report import build_report
from tests.registers import register

E0, N0 = 406000.0, 286000.0  # British National Grid, in Birmingham
_GEOD = pyproj.Geod(ellps="WGS84")


def _lonlat(dx: float, dy: float) -> tuple[float, float]:
    """Longitude and latitude, to 7 decimals as OpenStreetMap stores them, of a point dx, dy
    metres east and north of (E0, N0) on the British National Grid."""
    lon, lat = to_lonlat(np.array([E0 + dx]), np.array([N0 + dy]), "EPSG:27700")
    return round(float(lon[0]), 7), round(float(lat[0]), 7)


#: A square block of streets 200 m a side (nodes 1-4 at its corners, 5 halfway along the south
#: side), a footway across it, and ways a walk leaves out: a motorway, a private drive, a
#: foot=no road, an area; one way runs out of the extract (node 99 is not in the file).
NODES = {
    1: _lonlat(0, 0), 2: _lonlat(200, 0), 3: _lonlat(200, 200), 4: _lonlat(0, 200),
    5: _lonlat(100, 0), 6: _lonlat(100, 200), 7: _lonlat(0, -300), 8: _lonlat(200, -300),
}  # fmt: skip
WAYS: list[tuple[int, list[int], dict[str, str]]] = [
    (100, [1, 5, 2], {"highway": "residential", "name": "South Street"}),
    (101, [2, 3], {"highway": "residential", "name": "East Street & <Co>"}),
    (102, [3, 6, 4], {"highway": "residential", "name": "North Street"}),
    (103, [4, 1], {"highway": "footway"}),
    (104, [5, 6], {"highway": "path", "name": "Cut-through"}),
    (105, [7, 8], {"highway": "motorway", "name": "M6"}),
    (106, [1, 7], {"highway": "service", "service": "driveway", "access": "private"}),
    (107, [2, 8], {"highway": "primary", "foot": "no"}),
    (108, [1, 2, 3, 4, 1], {"highway": "pedestrian", "area": "yes"}),
    (109, [4, 99], {"highway": "residential"}),
]
WALKED = {(1, 5), (5, 2), (2, 3), (3, 6), (6, 4), (4, 1), (5, 6)}


def osm_xml() -> str:
    """The streets above as OpenStreetMap XML, as the OSM website's export writes it."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<osm version="0.6" generator="assetmap tests">',
             '  <bounds minlat="52.46" minlon="-1.92" maxlat="52.48" maxlon="-1.90"/>']  # fmt: skip
    for n, (lon, lat) in NODES.items():
        lines.append(f'  <node id="{n}" visible="true" version="1" lat="{lat}" lon="{lon}"/>')
    for w, refs, tags in WAYS:
        lines.append(f'  <way id="{w}" visible="true" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{html.escape(v)}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def write_osm(folder: Path, kind: str) -> Path:
    """The streets written as an OpenStreetMap file of one format."""
    text = osm_xml().encode("utf-8")
    if kind == "osm":
        path = folder / "streets.osm"
        path.write_bytes(text)
    elif kind == "bz2":
        path = folder / "streets.osm.bz2"
        path.write_bytes(bz2.compress(text))
    elif kind == "gz":
        path = folder / "streets.osm.gz"
        path.write_bytes(gzip.compress(text))
    else:
        osmium = pytest.importorskip("osmium", reason="PBF needs pyosmium (assetmap[osm])")
        path = folder / "streets.osm.pbf"
        writer = osmium.SimpleWriter(str(path))
        for n, (lon, lat) in NODES.items():
            writer.add_node(osmium.osm.mutable.Node(id=n, location=(lon, lat), tags={}))
        for w, refs, tags in WAYS:
            writer.add_way(osmium.osm.mutable.Way(id=w, nodes=refs, tags=tags))
        writer.close()
    return path


def _segment_m(u: int, v: int) -> float:
    (x1, y1), (x2, y2) = NODES[u], NODES[v]
    return float(_GEOD.inv(x1, y1, x2, y2)[2])


@pytest.mark.parametrize("kind", ["osm", "bz2", "gz", "pbf"])
def test_openstreetmap_files_as_distributed(kind: str, tmp_path: Path) -> None:
    streets = read_street_graph(write_osm(tmp_path, kind))
    G = streets.graph
    assert G.graph["crs"] == "EPSG:4326"
    got = {(min(u, v), max(u, v)) for u, v in G.edges()}
    assert got == {(min(u, v), max(u, v)) for u, v in WALKED}  # only the walkable ways
    assert set(G.nodes) == {1, 2, 3, 4, 5, 6}
    for u, v, d in G.edges(data=True):
        assert d["length"] == pytest.approx(_segment_m(u, v), abs=0.01)
        assert G.has_edge(v, u)  # walked both ways
    assert G.nodes[1]["x"] == NODES[1][0] and G.nodes[1]["y"] == NODES[1][1]
    assert {d.get("name") for *_, d in G.edges(data=True)} >= {"East Street & <Co>"}
    assert len(streets.edges[2]) == 7
    assert streets.total_m == pytest.approx(sum(_segment_m(u, v) for u, v in WALKED), abs=0.1)


def test_every_format_gives_the_same_graph(tmp_path: Path) -> None:
    kinds = ["osm", "bz2", "gz"]
    try:
        import osmium  # noqa: F401
    except ImportError:
        pass
    else:
        kinds.append("pbf")
    graphs = [read_street_graph(write_osm(tmp_path, kind)) for kind in kinds]
    first = graphs[0]
    for other in graphs[1:]:
        assert list(other.nodes) == list(first.nodes)
        assert np.array_equal(other.x, first.x) and np.array_equal(other.y, first.y)
        assert (other.lengths != first.lengths).nnz == 0


def test_walking_on_an_openstreetmap_file(tmp_path: Path) -> None:
    """A resident at the block's south-west corner walks to a site at its north-east corner:
    100 m east, 200 m north up the cut-through, 100 m east (not round the outside)."""
    streets = read_street_graph(write_osm(tmp_path, "bz2"))
    (lon1, lat1), (lon3, lat3) = NODES[1], NODES[3]
    assets = geocode(
        register(asset_id=["home", "site"], kind=["micro", "macro"],
                 category=["individual", "anchor_institution"],
                 latitude=[lat1, lat3], longitude=[lon1, lon3]),
        study_area=None,
    )  # fmt: skip
    walks = walk_distances(assets, streets)
    walked = float(walks.set_index("target").loc["home", "walk_m"])
    shortest = _segment_m(1, 5) + _segment_m(5, 6) + _segment_m(6, 3)
    assert walked == pytest.approx(shortest, abs=0.5)


def test_not_openstreetmap_nor_graphml_is_one_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "streets.osm.bz2"
    broken.write_bytes(bz2.compress(b'<osm version="0.6"><node id="1" lat="52" lon="-1">'))
    with pytest.raises(SchemaError, match="cannot read it as OpenStreetMap XML"):
        read_street_graph(broken)
    empty = tmp_path / "empty.osm"
    empty.write_text('<osm version="0.6"><node id="1" lat="52.1" lon="-1.1"/></osm>')
    with pytest.raises(SchemaError, match="no walkable street"):
        read_street_graph(empty)
    with pytest.raises(ConfigurationError, match="no street graph file"):
        read_street_graph(tmp_path / "nowhere.osm.pbf")


def test_pbf_without_pyosmium_names_the_extra(tmp_path: Path) -> None:
    try:
        import osmium  # noqa: F401
    except ImportError:
        path = tmp_path / "streets.osm.pbf"
        path.write_bytes(b"\x00\x00\x00\x0d\x0a\x09OSMHeader")
        with pytest.raises(ConfigurationError, match=r"assetmap\[osm\]"):
            read_street_graph(path)
    else:
        pytest.skip("pyosmium is installed: the message for its absence cannot be seen")


# --- a street graph that does not cover the assets ---------------------------------------------


def _birmingham(n_far: int = 0) -> pd.DataFrame:
    """Four assets on the block above (and ``n_far`` 5 km north of it)."""
    spots = [_lonlat(0, 0), _lonlat(200, 200), _lonlat(100, 0), _lonlat(0, 200)]
    spots += [_lonlat(0, 5000 + 10 * k) for k in range(n_far)]
    n = len(spots)
    return geocode(
        register(
            kind=["macro", "micro", "micro", "micro"] + ["micro"] * n_far,
            category=["anchor_institution"] + ["individual"] * (n - 1),
            offers=["jobs"] + ["cooking"] * (n - 1),
            needs=["cooking"] + ["jobs"] * (n - 1),
            latitude=[lat for _, lat in spots],
            longitude=[lon for lon, _ in spots],
        ),
        study_area=None,
    )


def _manchester() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(1, x=-2.2426, y=53.4808)
    G.add_node(2, x=-2.2400, y=53.4808)
    G.add_edge(1, 2, length=172.0)
    G.add_edge(2, 1, length=172.0)
    return G


def test_a_street_graph_of_another_place_is_an_error(tmp_path: Path) -> None:
    assets = _birmingham()
    with pytest.raises(ConfigurationError, match=r"reaches none of the 4 placed assets.*km"):
        find_links(assets, streets=_manchester())
    with pytest.raises(ConfigurationError, match="another place"):
        walk_distances(assets, _manchester())
    with pytest.raises(ConfigurationError, match="reaches none of the 1 placed sites"):
        catchments(assets, _manchester())


def test_a_street_graph_covering_part_of_the_register_is_a_warning(tmp_path: Path) -> None:
    assets = _birmingham(n_far=3)
    streets = read_street_graph(write_osm(tmp_path, "osm"))
    with pytest.warns(StreetCoverageWarning, match=r"^3 of 7 placed assets are more than 250 m"):
        links = find_links(assets, streets=streets)
    assert set(links["source"].astype(str)) | set(links["target"].astype(str)) == {
        "a0", "a1", "a2", "a3"
    }  # fmt: skip


# --- whatever osmnx and networkx users hold --------------------------------------------------


def osmnx_like(projected: bool) -> nx.MultiDiGraph:
    """The block above shaped as osmnx builds it: integer node ids, x/y (and, projected, lon/lat
    kept beside), edges both ways with osmid, highway, oneway, reversed, length; ``crs`` the
    string "epsg:4326", or after ``ox.project_graph`` a pyproj CRS (here UTM 30N)."""
    utm = pyproj.CRS.from_user_input("+proj=utm +zone=30 +ellps=WGS84 +datum=WGS84 +units=m")
    G = nx.MultiDiGraph(crs=utm if projected else "epsg:4326", created_with="osmnx 2.0.1")
    for n in {1, 2, 3, 4, 5, 6}:
        lon, lat = NODES[n]
        if projected:
            x, y = from_lonlat(np.array([lon]), np.array([lat]), utm.to_string())
            G.add_node(n, x=float(x[0]), y=float(y[0]), lon=lon, lat=lat, street_count=3)
        else:
            G.add_node(n, x=lon, y=lat, street_count=3)
    for k, (u, v) in enumerate(sorted(WALKED)):
        for a, b, rev in ((u, v, False), (v, u, True)):
            G.add_edge(a, b, osmid=100 + k, highway="residential", oneway=False, reversed=rev,
                       length=round(_segment_m(u, v), 3))  # fmt: skip
    return G


def plain_networkx() -> nx.Graph:
    """A plain undirected graph with x/y in degrees, no crs, and lengths on the edges."""
    G = nx.Graph()
    for n in {1, 2, 3, 4, 5, 6}:
        G.add_node(f"n{n}", x=NODES[n][0], y=NODES[n][1])
    for u, v in WALKED:
        G.add_edge(f"n{u}", f"n{v}", length=_segment_m(u, v))
    return G


@pytest.mark.parametrize(
    "make", [lambda: osmnx_like(False), lambda: osmnx_like(True), plain_networkx],
    ids=["osmnx", "osmnx projected", "networkx"],
)  # fmt: skip
def test_graphs_users_hold_are_taken_wherever_a_street_graph_is(make: object) -> None:
    assets = _birmingham()
    reference = read_street_graph_from_nodes()
    G = make()  # type: ignore[operator]
    before = nx.to_dict_of_dicts(G), dict(G.graph)
    expected = find_links(assets, streets=reference)
    got = find_links(assets, streets=G)
    assert got["walk_m"].tolist() == pytest.approx(expected["walk_m"].tolist(), abs=0.02)
    assert got[["source", "target"]].astype(str).values.tolist() == (
        expected[["source", "target"]].astype(str).values.tolist()
    )
    walks = walk_distances(assets, G)
    assert walks["walk_m"].tolist() == pytest.approx(
        walk_distances(assets, reference)["walk_m"].tolist(), abs=0.02
    )
    areas = catchments(assets, G, minutes=(1,))
    assert areas["area_m2"].iloc[0] == pytest.approx(
        catchments(assets, reference, minutes=(1,))["area_m2"].iloc[0], rel=1e-3
    )
    reach = reach_by_category(assets, streets=G, bands_m=(150, 500))
    assert reach.attrs["measured"] == "walk"
    assert reach.loc[("a0", 150)].sum() == 1 and reach.loc[("a0", 500)].sum() == 3
    report = build_report(assets, got, audience="public", streets=G, charts=False)
    assert report.tables["macro_catchments"]["measured"].eq("walk").all()
    assert (nx.to_dict_of_dicts(G), dict(G.graph)) == before  # the caller's graph unchanged


def read_street_graph_from_nodes() -> StreetGraph:
    """The reference: the same block as a StreetGraph made explicitly."""
    return street_graph_from_networkx(osmnx_like(False))


def test_as_street_graph_passes_a_street_graph_through() -> None:
    streets = read_street_graph_from_nodes()
    assert as_street_graph(streets) is streets


def test_what_is_missing_is_named() -> None:
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(1, x=-1.9, y=52.4)
    G.add_node(2, x=-1.9)
    G.add_node(3, lon=-1.9, lat=52.4)
    G.add_edge(1, 2)
    with pytest.raises(SchemaError, match=r"2 of 3 nodes have no x/y position") as caught:
        as_street_graph(G)
    assert "node 2" in str(caught.value) and "node 3" in str(caught.value)
    metres = nx.Graph()
    metres.add_node("a", x=E0, y=N0)
    metres.add_node("b", x=E0 + 100, y=N0)
    with pytest.raises(ConfigurationError, match=r"G.graph\['crs'\]"):
        as_street_graph(metres)
    metres.graph["crs"] = "EPSG:27700"
    assert as_street_graph(metres).lengths.nnz == 0  # no edges: nodes alone
    with pytest.raises(ConfigurationError, match="a DataFrame was given"):
        find_links(_birmingham(), streets=pd.DataFrame({"x": [1]}))  # type: ignore[arg-type]
    negative = nx.Graph(crs="epsg:4326")
    negative.add_edge("a", "b", length=-5)
    nx.set_node_attributes(negative, {"a": {"x": -1.9, "y": 52.4}, "b": {"x": -1.9, "y": 52.41}})
    with pytest.raises(SchemaError, match="1 edges have a negative length"):
        as_street_graph(negative)
    wrong = nx.Graph(crs="EPSG:4326")
    wrong.add_node("a", x=E0, y=N0)
    with pytest.raises(ConfigurationError, match="outside the Earth"):
        as_street_graph(wrong)


# --- notebooks ---------------------------------------------------------------------------------


def test_street_graph_repr_and_html(tmp_path: Path) -> None:
    path = tmp_path / "<img src=x onerror=alert(1)>.osm"
    path.write_text(osm_xml(), encoding="utf-8")
    streets = read_street_graph(path)
    text = repr(streets)
    assert "\n" not in text
    assert text.startswith("<StreetGraph: 6 nodes, 7 segments, 1.0 km in EPSG:27700>")
    page = streets._repr_html_()
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;.osm" in page
    assert "<td>6</td>" in page and "<td>7</td>" in page


def test_report_repr_and_html() -> None:
    assets = _birmingham()
    links = find_links(assets)
    report = build_report(assets, links, audience="public", title="<b>Ladywood</b> & co",
                          charts=False)  # fmt: skip
    assert repr(report) == "<Report '<b>Ladywood</b> & co' for public: 10 tables>"
    page = report._repr_html_()
    assert "<b>Ladywood" not in page and "&lt;b&gt;Ladywood&lt;/b&gt; &amp; co" in page
    assert len(page) < 10_000  # a summary, not the tables
    assert f"4 records shown, {len(report.published.links)} links" in page
    for name, table in report.tables.items():
        assert f"<code>{name}</code></td><td style='text-align:right'>{len(table):,}<" in page
    for note in report.notes:
        assert html.escape(note) in page


def test_assetmap_build_with_a_street_file_as_distributed(tmp_path: Path) -> None:
    from assetmap.cli import main

    write_osm(tmp_path, "bz2")
    frame = _birmingham().reset_index()
    for column in ("offers", "needs"):
        frame[column] = frame[column].map("; ".join)
    frame[["asset_id", "name", "kind", "category", "offers", "needs", "latitude", "longitude",
           "privacy"]].to_csv(tmp_path / "register.csv", index=False)  # fmt: skip
    (tmp_path / "p.toml").write_text(
        'title = "Block"\n[inputs]\nregister = "register.csv"\nstreets = "streets.osm.bz2"\n'
        '[privacy]\naudiences = ["public"]\n[outputs]\nfolder = "build"\n',
        encoding="utf-8",
    )
    assert main(["build", "--no-progress", str(tmp_path / "p.toml")]) == 0
    links = pd.read_csv(next((tmp_path / "build").rglob("links.csv")))
    assert links["walk_m"].notna().any()
