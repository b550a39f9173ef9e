"""The graph of assets, links and relationships: contents, round trips, files."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from assetmap import find_links, geocode, graph_from_assets, graph_to_gdfs, save_graph
from assetmap.errors import GeocodingWarning, SchemaError
from assetmap.graph import graph_from_gdfs
from tests.registers import register


@pytest.fixture
def assets() -> pd.DataFrame:
    with pytest.warns(GeocodingWarning, match="1 of 5"):  # U has no place
        return _assets()


def _assets() -> pd.DataFrame:
    return geocode(
        register(
            asset_id=["M", "L", "R", "G", "U"],
            name=["Hospital", "Broker", "Rana (pseudonym)", "Group", "Nowhere"],
            kind=["macro", "micro", "micro", "micro", "micro"],
            category=[
                "anchor_institution",
                "institution",
                "individual",
                "association",
                "association",
            ],
            offers=["jobs", "careers advice", "nursing", "catering", None],
            needs=["nursing; catering", None, "jobs; careers advice", "jobs", None],
            easting=[406000, 406300, 406500, 405800, None],
            northing=[286000, 286000, 286100, 286200, None],
            privacy=["public", "public", "private", "public", "public"],
        ),
        study_area=None,
    )


@pytest.fixture
def relationships() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": ["L", "G"],
            "target": ["M", "L"],
            "type": ["partners", "refers"],
            "weight": [3, None],
            "note": ["skills matching", None],
        }
    )


def test_nodes_edges_and_attributes(assets: pd.DataFrame, relationships: pd.DataFrame) -> None:
    links = find_links(assets, max_distance_m=1000)
    G = graph_from_assets(assets, links=links, relationships=relationships)
    assert isinstance(G, nx.MultiGraph)
    assert sorted(G.nodes) == ["G", "L", "M", "R", "U"]  # the unplaced asset too
    assert G.graph["crs"] == "EPSG:27700"
    assert G.nodes["L"]["x"] == pytest.approx(406300, abs=0.05)
    assert G.nodes["U"]["x"] is None and G.nodes["U"]["offers"] == []
    assert G.nodes["M"]["needs"] == ["nursing", "catering"]
    kinds = sorted(k for _, _, k in G.edges(data="kind"))
    assert kinds.count("opportunity") == len(links)
    assert kinds.count("partners") == 1 and kinds.count("refers") == 1
    rel = next(d for _, _, d in G.edges(data=True) if d["kind"] == "refers")
    assert "weight" not in rel  # missing values are not stored
    opp = [d for _, _, d in G.edges(data=True) if d["kind"] == "opportunity"]
    assert all({"source", "target", "score", "reason", "matched"} <= set(d) for d in opp)


def test_round_trip_through_geodataframes(
    assets: pd.DataFrame, relationships: pd.DataFrame
) -> None:
    G = graph_from_assets(assets, links=find_links(assets, max_distance_m=1000),
                          relationships=relationships)  # fmt: skip
    nodes, edges = graph_to_gdfs(G)
    assert len(nodes) == 5 and len(edges) == G.number_of_edges()
    assert nodes.crs.to_epsg() == 27700 and edges.geometry.geom_type.dropna().eq("LineString").all()
    assert nodes.loc["U"].geometry is None
    H = graph_from_gdfs(nodes, edges, graph_attrs=dict(G.graph))
    assert nx.utils.graphs_equal(G, H)


def test_unknown_ids_are_one_error(assets: pd.DataFrame, relationships: pd.DataFrame) -> None:
    bad = pd.concat([relationships, pd.DataFrame({"source": ["X"], "target": ["Y"],
                                                   "type": ["refers"]})])  # fmt: skip
    with pytest.raises(SchemaError, match="2 problems") as info:
        graph_from_assets(assets, relationships=bad)
    assert "'X'" in str(info.value) and "'Y'" in str(info.value)


@pytest.mark.parametrize("suffix", [".graphml", ".gexf", ".gpkg"])
def test_files_open_and_keep_private_records_private(
    assets: pd.DataFrame, relationships: pd.DataFrame, tmp_path: Path, suffix: str
) -> None:
    G = graph_from_assets(assets, links=find_links(assets, max_distance_m=1000),
                          relationships=relationships)  # fmt: skip
    path = save_graph(G, tmp_path / f"g{suffix}")
    text = path.read_bytes()
    assert b"Rana" not in text and b"Hospital" in text
    if suffix == ".graphml":
        back = nx.read_graphml(path, force_multigraph=True)
        # the private resident and every edge of theirs stay behind; the rest travels
        assert sorted(back.nodes) == ["G", "L", "M", "U"]
        private = sum(1 for u, v in G.edges() if "R" in (u, v))
        assert back.number_of_edges() == G.number_of_edges() - private
        assert back.nodes["M"]["needs"] == '["nursing", "catering"]'
        assert "x" not in back.nodes["U"]  # never placed
    elif suffix == ".gexf":
        assert nx.read_gexf(path).number_of_nodes() == 4
    else:
        import geopandas as gpd

        assert len(gpd.read_file(path, layer="nodes")) == 4
        assert len(gpd.read_file(path, layer="edges")) < G.number_of_edges()
    assert path.with_name(path.name + ".audit.json").exists()


def test_unknown_file_type(assets: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"\.graphml, \.gexf or \.gpkg"):
        save_graph(graph_from_assets(assets), tmp_path / "g.json")


def _attributes_by_definition(assets: pd.DataFrame) -> dict[str, dict[str, object]]:
    """What each node carries, by the definition: ``json_safe`` of each record's value."""
    from assetmap.graph import json_safe

    fields = pd.DataFrame(assets.drop(columns=assets.geometry.name))
    records = fields.to_dict("records")
    return {
        str(i): {str(c): json_safe(v) for c, v in record.items()}
        for i, record in zip(fields.index, records, strict=True)
    }


def _same_values(got: object, want: object) -> bool:
    """Equal, and of the same types all the way down (True is not 1, 1.0 is not 1)."""
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(
            _same_values(g, w) for g, w in zip(got, want, strict=True)
        )  # fmt: skip
    if isinstance(want, dict):
        return isinstance(got, dict) and got.keys() == want.keys() and all(
            _same_values(got[k], want[k]) for k in want
        )  # fmt: skip
    return type(got) is type(want) and got == want


def _assert_nodes_by_definition(assets: pd.DataFrame) -> None:
    G = graph_from_assets(assets)
    want = _attributes_by_definition(assets)
    assert list(G.nodes) == list(want)
    for node, attrs in want.items():
        got = {k: v for k, v in G.nodes[node].items() if k not in ("x", "y")}
        assert _same_values(got, attrs), (node, got, attrs)


def test_node_attributes_are_json_safe_records_on_the_sample_register() -> None:
    from assetmap import datasets

    _assert_nodes_by_definition(geocode(datasets.sample_register(), study_area=None))


def test_node_attributes_are_json_safe_records_of_every_dtype() -> None:
    import numpy as np
    import shapely

    with pytest.warns(GeocodingWarning, match="1 of 5"):
        base = _assets()
    n = len(base)
    extra = pd.DataFrame(
        {
            "cat_text": pd.Categorical(["a", None, "b", "a", "c"]),
            "cat_int": pd.Categorical([3, 1, None, 3, 2]),
            "nullable_int": pd.array([1, None, 3, 4, None], dtype="Int64"),
            "nullable_bool": pd.array([True, None, False, True, None], dtype="boolean"),
            "nullable_float": pd.array([1.5, None, 2.0, None, 0.25], dtype="Float64"),
            "text": pd.array(["x", None, "z", "", "w"], dtype="str"),
            "float": [1.0, np.nan, np.inf, -0.0, 2.5],
            "int": np.arange(n, dtype="int32"),
            "uint": np.arange(n, dtype="uint16"),
            "bool": [True, False, True, True, False],
            "when": pd.to_datetime(["2024-01-02", None, "2024-03-04", "2024-01-02", None])
            + pd.to_timedelta([0, 0, 5, 0, 0], unit="h"),
            "when_tz": pd.to_datetime(["2024-01-02", None, None, "2024-06-01", None], utc=True),
            "span": pd.to_timedelta([1, None, 3, 1, 2], unit="D"),
            "period": pd.period_range("2024-01", periods=n, freq="M"),
            "tuples": [("a", "b"), (), None, ("c",), ("a", 1)],
            "lists": [["a"], [], np.nan, ["b", None], [np.float64(1.5), np.nan]],
            "mixed": [True, 1, 1.0, "1", None],
            "nan_and_na": [np.nan, pd.NA, None, pd.NaT, "text"],
            "numpy_scalars": [np.int64(2), np.float32(0.5), np.bool_(True), np.str_("s"), None],
            "shapes": [shapely.Point(1, 2), None, shapely.Point(), None, None],
            "dicts": [{"a": 1}, {}, None, {2: (1, 2)}, None],
            7: ["seven"] * n,  # a heading that is not text
        },
        index=base.index,
    )
    _assert_nodes_by_definition(pd.concat([base, extra], axis=1))
