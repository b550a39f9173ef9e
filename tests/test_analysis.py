"""Analyses: brokers, communities, gaps and capacity matching, on graphs checked by hand, and
the partners' questions 1, 2, 4 and 5 (CONTEXT.md) answered on the bundled register."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetmap import analysis, datasets, find_links, geocode, graph_from_assets
from assetmap.crs import to_crs


def _graph(edges: list[tuple[str, str, str]], kinds: dict[str, str]) -> nx.MultiGraph:
    G = nx.MultiGraph()
    G.add_nodes_from((n, {"kind": k}) for n, k in kinds.items())
    G.add_edges_from((u, v, {"kind": kind}) for u, v, kind in edges)
    return G


def test_brokers_and_what_falls_apart_without_them() -> None:
    # residents R1, R2 and group G reach the hospital M only through broker L;
    # R3 also reaches M directly; P is a pair on its own; proximity connects nobody
    G = _graph(
        [("R1", "L", "refers"), ("R2", "L", "refers"), ("G", "L", "refers"), ("L", "M", "partners"),
         ("R3", "L", "refers"), ("R3", "M", "opportunity"), ("P1", "P2", "member_of"),
         ("P1", "M", "proximity")],
        {"M": "macro", "L": "micro", "R1": "micro", "R2": "micro", "R3": "micro", "G": "micro",
         "P1": "micro", "P2": "micro"},
    )  # fmt: skip
    out = analysis.brokers(G)
    assert out.index[0] == "L"
    assert out.loc["L", "stranded"] == ("G", "R1", "R2")  # R3 keeps its own path
    assert out.loc["L", "articulation_point"] and out.loc["L", "n_stranded"] == 3
    assert not out.loc["M", "articulation_point"]  # removing M leaves L's star intact
    assert out.loc["L", "betweenness"] > out.loc["M", "betweenness"]
    assert out.loc["P1", "n_stranded"] == 0  # P1-P2 never reached M: nothing to lose
    assert list(analysis.isolated(G)) == []
    assert list(analysis.isolated(G, kinds=("partners",))) == ["G", "P1", "P2", "R1", "R2", "R3"]


def _brokers_by_definition(G: nx.MultiGraph) -> pd.DataFrame:
    """brokers() as its docstring defines it, the slow way: networkx betweenness, and the graph
    copied once per articulation point to see who loses every path to a macro-asset."""
    H = nx.Graph()
    H.add_edges_from((u, v) for u, v, kind in G.edges(data="kind") if kind == "refers")
    macro = {n for n, k in G.nodes(data="kind") if k == "macro"}

    def reaching(graph: nx.Graph) -> set[str]:
        return {n for c in nx.connected_components(graph) if c & macro for n in c if n not in macro}

    between, cuts = nx.betweenness_centrality(H), set(nx.articulation_points(H))
    before = reaching(H)
    stranded = {}
    for node in cuts:
        without = H.copy()
        without.remove_node(node)
        stranded[node] = tuple(sorted(before - reaching(without) - {node}))
    ids = sorted(H)
    return pd.DataFrame(
        {"betweenness": [round(between[n], 6) for n in ids],
         "articulation_point": [n in cuts for n in ids],
         "stranded": [stranded.get(n, ()) for n in ids]},
        index=pd.Index(ids, name="asset_id"),
    )  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(2, 14),
    edges=st.lists(st.tuples(st.integers(0, 13), st.integers(0, 13)), max_size=30),
    macros=st.sets(st.integers(0, 13), max_size=3),
)
def test_brokers_agree_with_their_definition(
    n: int, edges: list[tuple[int, int]], macros: set[int]
) -> None:
    # any graph: trees, cycles, bridges, several components, components with no macro-asset
    G = _graph(
        [(f"v{u % n:02d}", f"v{v % n:02d}", "refers") for u, v in edges if u % n != v % n],
        {f"v{i:02d}": "macro" if i in macros else "micro" for i in range(n)},
    )
    got = analysis.brokers(G).sort_index()
    want = _brokers_by_definition(G)
    pd.testing.assert_frame_equal(got.drop(columns="n_stranded"), want, check_dtype=False)


def _spider() -> nx.MultiGraph:
    """Broker L joins four groups (hubs g0…g3, g0 the hospital), each with ten residents;
    worked by hand, L lies on every path between groups: 6 × 11² = 726 pairs against a hub's
    C(10, 2) + 10 × 34 = 385."""
    edges = [("L", f"g{i}", "partners") for i in range(4)]
    edges += [(f"g{i}", f"r{i}{j}", "refers") for i in range(4) for j in range(10)]
    kinds = {n: "micro" for e in edges for n in e[:2]} | {"g0": "macro"}
    return _graph(edges, kinds)


def _random_graph(seed: int) -> nx.MultiGraph:
    H = nx.gnm_random_graph(60, 110, seed=seed)
    kinds = {f"v{i:02d}": "macro" if i % 9 == 0 else "micro" for i in H}
    return _graph([(f"v{u:02d}", f"v{v:02d}", "refers") for u, v in H.edges], kinds)


def test_sampled_brokers_are_the_same_for_a_seed() -> None:
    G = _random_graph(7)
    first = analysis.brokers(G, sample=10, seed=3)
    pd.testing.assert_frame_equal(first, analysis.brokers(G, sample=10, seed=3))
    other = analysis.brokers(G, sample=10, seed=4)  # another draw of sources
    assert not first["betweenness"].sort_index().equals(other["betweenness"].sort_index())
    exact = analysis.brokers(G).sort_index()
    for out in (first, other):  # articulation points and stranded assets never estimated
        pd.testing.assert_frame_equal(
            out.sort_index().drop(columns="betweenness"), exact.drop(columns="betweenness")
        )


def test_sampled_brokers_are_the_same_in_another_process() -> None:
    here = analysis.brokers(_random_graph(7), sample=10, seed=3)
    code = (
        "import json, networkx as nx\n"
        "from assetmap import analysis\n"
        "H = nx.gnm_random_graph(60, 110, seed=7)\n"
        "G = nx.MultiGraph()\n"
        "G.add_nodes_from((f'v{i:02d}', {'kind': 'macro' if i % 9 == 0 else 'micro'}) for i in H)\n"
        "G.add_edges_from((f'v{u:02d}', f'v{v:02d}', {'kind': 'refers'}) for u, v in H.edges)\n"
        "out = analysis.brokers(G, sample=10, seed=3)['betweenness']\n"
        "print(json.dumps(list(out.items())))\n"
    )
    for hash_seed in ("1", "2"):  # the set of edges is iterated in another order
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)  # fmt: skip
        there = [tuple(row) for row in json.loads(out.stdout)]
        assert there == list(here["betweenness"].items())  # same rows, order and values


@pytest.mark.parametrize("seed", [0, 5, 11])
def test_a_sample_of_every_asset_is_the_exact_answer(seed: int) -> None:
    G = _random_graph(seed)
    exact = analysis.brokers(G)
    n = len(exact)  # the connected assets (those of G with a "refers" edge)
    for k in (n, n + 1, G.number_of_nodes()):
        pd.testing.assert_frame_equal(analysis.brokers(G, sample=k, seed=seed), exact)


def test_a_small_sample_finds_the_broker() -> None:
    G = _spider()
    exact = analysis.brokers(G)
    assert exact.index[0] == "L"
    assert exact.loc["L", "betweenness"] == round(726 / (44 * 43 / 2), 6)
    assert exact.loc["g1", "betweenness"] == round(385 / (44 * 43 / 2), 6)
    estimates = []
    for seed in range(30):  # 11 of the 45 assets as sources, whichever 11
        out = analysis.brokers(G, sample=11, seed=seed)
        assert out.index[0] == "L"
        estimates.append(out.loc["L", "betweenness"])
    # the estimate is unbiased: its mean over draws is near the exact value
    assert sum(estimates) / len(estimates) == pytest.approx(exact.loc["L", "betweenness"], rel=0.1)


def test_brokers_refuse_a_sample_they_cannot_draw() -> None:
    from assetmap.errors import ConfigurationError

    G = _spider()
    with pytest.raises(ConfigurationError, match=r"sample must be .* 0 was given(?s:.*)seed must"):
        analysis.brokers(G, sample=0, seed=-1)
    for sample in (2.5, True, "10"):
        with pytest.raises(ConfigurationError, match="sample must be a positive whole number"):
            analysis.brokers(G, sample=sample)  # type: ignore[arg-type]


def test_communities_are_the_same_every_run() -> None:
    G = _graph(
        [("a", "b", "refers"), ("b", "c", "refers"), ("a", "c", "refers"), ("x", "y", "refers"),
         ("y", "z", "refers"), ("x", "z", "refers"), ("c", "x", "refers")],
        dict.fromkeys("abcxyz", "micro"),
    )  # fmt: skip
    first = analysis.communities(G)
    assert first.equals(analysis.communities(G))
    assert first["a"] == first["b"] == first["c"] != first["x"] == first["y"] == first["z"]


def _cliques(sizes: list[int]) -> nx.MultiGraph:
    """Cliques of the given sizes joined in a ring by one edge each, plus a proximity edge."""
    edges: list[tuple[str, str, str]] = []
    kinds: dict[str, str] = {}
    for k, size in enumerate(sizes):
        members = [f"c{k}-{i:02d}" for i in range(size)]
        kinds.update(dict.fromkeys(members, "micro"))
        edges += [(a, b, "refers") for j, a in enumerate(members) for b in members[j + 1 :]]
    for k in range(len(sizes)):
        edges.append((f"c{k}-00", f"c{(k + 1) % len(sizes)}-01", "partners"))
    kinds["alone"] = "micro"
    edges.append(("alone", "c0-00", "proximity"))  # proximity connects nobody
    return _graph(edges, kinds)


def test_communities_are_the_cliques_ranked_by_size() -> None:
    G = _cliques([4, 7, 5, 7])
    got = analysis.communities(G)
    assert got.name == "community" and got.index.name == "asset_id"
    assert list(got.index) == sorted(n for n in G if n != "alone")  # connected assets, sorted
    for k in range(4):
        assert got[[n for n in got.index if n.startswith(f"c{k}-")]].nunique() == 1
    # 0 the largest; the two cliques of 7 tie and the one with the first asset id comes first
    assert [got["c1-00"], got["c3-00"], got["c2-00"], got["c0-00"]] == [0, 1, 2, 3]
    empty = analysis.communities(_graph([("a", "b", "proximity")], {"a": "micro", "b": "micro"}))
    assert empty.empty and empty.name == "community"


def test_communities_are_the_same_in_another_process() -> None:
    G = nx.relabel_nodes(nx.MultiGraph(nx.random_partition_graph([30] * 12, 0.3, 0.02, seed=3)),
                         lambda n: f"a{n:03d}")  # fmt: skip
    nx.set_edge_attributes(G, "refers", "kind")
    here = analysis.communities(G, seed=7)
    assert here.nunique() > 1
    code = (
        "import sys, networkx as nx\n"
        "from assetmap import analysis\n"
        "G = nx.relabel_nodes(nx.MultiGraph(nx.random_partition_graph([30] * 12, 0.3, 0.02, "
        "seed=3)), lambda n: f'a{n:03d}')\n"
        "nx.set_edge_attributes(G, 'refers', 'kind')\n"
        "print(analysis.communities(G, seed=7).to_json())\n"
    )
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)  # fmt: skip
        there = pd.read_json(io.StringIO(out.stdout), typ="series")
        assert there.to_dict() == here.to_dict()


def test_capacity_matching_worked_by_hand() -> None:
    # A supplies 3, B supplies 2; X needs 2, Y needs 4.
    # Best: A→X 2 (2 × 0.9), A→Y 1 (0.5), B→Y 2 (2 × 0.8) = 3.9; Y is short of 1, no supply left.
    # (B→X 2 and A→Y 3 would give only 1.4 + 1.5 = 2.9.)
    assets = pd.DataFrame({"capacity": [3, 2, 2, 4]}, index=["A", "B", "X", "Y"])
    links = pd.DataFrame(
        {
            "source": ["A", "A", "B", "B"],
            "target": ["X", "Y", "Y", "X"],
            "kind": "opportunity",
            "score": [0.9, 0.5, 0.8, 0.7],
        }
    )
    result = analysis.match_capacity(assets, links)
    got = {(r.source, r.target): r.units for r in result.assignments.itertuples()}
    assert got == {("A", "X"): 2, ("A", "Y"): 1, ("B", "Y"): 2}
    assert result.assignments["total_score"].sum() == pytest.approx(3.9)
    assert result.unmet_need.to_dict("index") == {
        "X": {"capacity": 2, "assigned": 2, "unmet": 0},
        "Y": {"capacity": 4, "assigned": 3, "unmet": 1},
    }
    assert result.unused_supply["unused"].to_dict() == {"A": 0, "B": 0}
    # more supply than need: what no link can use stays unused
    more = analysis.match_capacity(assets.assign(capacity=[9, 2, 2, 4]), links)
    assert more.unused_supply.loc["A", "unused"] == 9 + 2 - 6
    assert more.unmet_need["unmet"].sum() == 0


# --- the partners' questions on the bundled register --------------------------------------


@pytest.fixture(scope="module")
def placed() -> gpd.GeoDataFrame:
    return geocode(datasets.sample_register())


def test_question_1_assets_within_reach_of_the_hospital_that_meet_its_needs(
    placed: gpd.GeoDataFrame,
) -> None:
    # straight-line 1,200 m (a 15-minute walk) until the walking-network issue lands
    links = find_links(placed, between=("micro", "macro"), max_distance_m=1200)
    q1 = links[links["target"] == "macro-mmuh"]
    assert sorted(q1["source"].astype(str)) == [
        "micro-ladywood-stories", "micro-porters-guild", "micro-resident-02",
        "micro-resident-03", "micro-resident-06", "micro-resident-07", "micro-resident-12",
        "micro-resident-18", "micro-resident-24", "micro-soho-translators",
    ]  # fmt: skip
    # the same answer worked out another way: geopandas distances to the hospital's footprint
    bng = to_crs(placed, 27700)
    site = to_crs(gpd.GeoSeries([placed.loc["macro-mmuh", "footprint"]], crs=4326), 27700).iloc[0]
    needs = set(placed.loc["macro-mmuh", "needs"])
    near = bng[(bng["kind"] == "micro") & (bng.distance(site) <= 1200)]
    expected = sorted(i for i in near.index if needs & set(placed.loc[i, "offers"]))
    assert sorted(q1["source"].astype(str)) == expected
    for row in q1.itertuples():
        # on the ground (geodesic), so a little longer than in grid metres (scale 0.9996)
        grid_m = bng.loc[row.source].geometry.distance(site)
        assert row.distance_m == pytest.approx(grid_m, rel=6e-4)


def test_question_2_residents_skills_barriers_and_income(placed: gpd.GeoDataFrame) -> None:
    links = find_links(placed, between=("individual", "anchor_institution"), max_distance_m=1200)
    pay = {"nursing": 31_000.0, "healthcare assistant": 24_000.0, "cleaning": 23_000.0,
           "catering": 23_000.0, "portering": 23_000.0, "interpreting": 25_000.0}  # fmt: skip
    matches = analysis.skills_matches(placed, links, pay=pay)
    rows = {(r.source, r.target): (r.skills, r.barriers) for r in matches.itertuples()}
    assert rows[("micro-resident-02", "macro-mmuh")] == (
        ("nursing",), ("oet preparation", "nmc registration"),
    )  # fmt: skip
    assert rows[("micro-resident-06", "macro-mmuh")] == (
        ("catering", "interpreting"),
        ("childcare",),
    )
    assert rows[("micro-resident-07", "macro-city-hospital")] == (("cleaning",), ())
    assert len(matches) == 8
    # income: each resident matched once, to the best-scoring job, within the vacancies
    people_to_jobs = links[links["source"].isin(matches["source"])]
    jobs = analysis.match_capacity(placed, people_to_jobs).assignments
    assert len(jobs) == 7 and jobs["source"].is_unique
    paid = matches.set_index(["source", "target"])["annual_pay"]
    income = sum(paid[(r.source, r.target)] * r.units for r in jobs.itertuples())
    assert income == 31_000 + 24_000 + 25_000 + 23_000 * 3 + 25_000


def test_question_4_brokers(placed: gpd.GeoDataFrame) -> None:
    G = graph_from_assets(placed, relationships=datasets.sample_relationships())
    out = analysis.brokers(G)
    assert out.index[0] == "micro-learning-works"
    assert out.loc["micro-learning-works", "stranded"] == (
        "micro-ladywood-somali-assoc", "micro-nhs-returners", "micro-ohp-network",
        "micro-soho-womens-network", "micro-words-work-cic",
    )  # fmt: skip
    assert out.loc["micro-ohp-network", "stranded"] == ("micro-words-work-cic",)
    assert out.loc["macro-mmuh", "stranded"] == ("micro-clean-sweep-coop", "micro-spice-route-cic")
    assert out["n_stranded"].sum() == 5 + 1 + 2


def test_question_5_spaces_near_groups_that_need_space(placed: gpd.GeoDataFrame) -> None:
    links = find_links(placed, between=("physical", "association"), max_distance_m=800)
    spaces = links[links["source"].isin(placed.index[placed["category"] == "physical"])]
    got = {(r.source, r.target): r.matched for r in spaces.itertuples()}
    assert got == {
        ("micro-ladywood-community-room", "micro-smethwick-polish-club"): ("meeting space",),
        ("micro-church-coworking", "micro-st-mark-mosque-youth"): ("meeting space",),
        ("micro-church-coworking", "micro-jq-makers-collective"): ("co-working space",),
        ("micro-empty-shop-unit", "micro-st-mark-mosque-youth"): ("meeting space",),
        ("micro-winson-green-hall", "micro-soho-womens-network"): ("meeting space",),
    }
    # the ones no group nearby asks for
    unused = analysis.unused_offers(placed, links, kinds=("physical",))
    assert unused.loc["micro-settlement-field", "n_unused"] == len(
        placed.loc["micro-settlement-field", "offers"]
    )


def test_uncovered_needs_of_the_anchors(placed: gpd.GeoDataFrame) -> None:
    links = find_links(placed, between=("micro", "macro"), max_distance_m=1200)
    out = analysis.uncovered_needs(placed, links)
    assert list(out.index) == ["macro-mmuh", "macro-city-hospital", "macro-port-loop"]
    assert out.loc["macro-city-hospital", "uncovered"] == ("security",)
    assert out["n_uncovered"].to_dict()["macro-mmuh"] == 0


def test_one_selector_refuses_a_typo_everywhere(placed: gpd.GeoDataFrame) -> None:
    # find_links, the gap questions and walking all choose assets with one validated selector
    from assetmap.errors import ConfigurationError

    links = find_links(placed, between=("micro", "macro"))
    with pytest.raises(ConfigurationError, match="neither kinds nor categories"):
        find_links(placed, between=("micro", "macr"))
    with pytest.raises(ConfigurationError, match="neither kinds nor categories"):
        analysis.uncovered_needs(placed, links, kinds=("macr",))
    assert len(analysis.uncovered_needs(placed, links, kinds=("macro",)))


def _hand_register() -> pd.DataFrame:
    """Two anchors and five micro-assets in wards A, B, C (X has none), checked by hand."""
    anchor = "anchor_institution"
    rows = [
        ("M1", "macro", anchor, [], ["esol", "english classes", "cleaning"], None, "A"),
        ("M2", "macro", anchor, [], ["driving"], None, "B"),
        ("R1", "micro", "individual", ["esol"], [], 3.0, "A"),
        ("R2", "micro", "individual", ["cleaning"], [], None, "C"),
        ("G1", "micro", "association", ["driving"], [], None, "B"),
        ("G2", "micro", "association", [], [], None, "C"),
        ("X", "micro", "individual", ["esol"], [], None, None),
    ]  # fmt: skip
    frame = pd.DataFrame(
        rows, columns=["asset_id", "kind", "category", "offers", "needs", "capacity", "ward_code"]
    ).set_index("asset_id")
    frame["ward_name"] = frame["ward_code"].map({"A": "Alpha", "B": "Beta", "C": "Gamma"})
    return frame


def _hand_links(categorical: bool) -> pd.DataFrame:
    """R1 meets M1's esol; R2 is only near M1 (proximity meets nothing); a link from an asset
    not in the register meets M2's driving."""
    links = pd.DataFrame(
        {
            "source": ["R1", "R2", "ghost"],
            "target": ["M1", "M1", "M2"],
            "kind": ["opportunity", "proximity", "opportunity"],
            "matched": [("esol",), ("cleaning",), ("driving",)],
            "met": [("esol",), ("cleaning",), ("driving",)],
        }
    )
    if categorical:
        links = links.astype({"source": "category", "target": "category", "kind": "category"})
    return links


@pytest.mark.parametrize("categorical", [False, True])
def test_gaps_and_areas_worked_by_hand(categorical: bool) -> None:
    assets, links = _hand_register(), _hand_links(categorical)
    before = assets.copy()
    needs = analysis.uncovered_needs(assets, links, vocabulary={"english classes": "esol"})
    assert needs.to_dict("index") == {
        # the synonym is the same need, once; cleaning was only near
        "M1": {"needs": ("esol", "cleaning"), "met": ("esol",), "uncovered": ("cleaning",),
               "n_uncovered": 1},
        "M2": {"needs": ("driving",), "met": ("driving",), "uncovered": (), "n_uncovered": 0},
    }  # fmt: skip
    offers = analysis.unused_offers(assets, links)
    assert list(offers.index) == ["R1", "R2", "G1", "G2", "X"]
    assert offers["unused"].tolist() == [(), ("cleaning",), ("driving",), (), ("esol",)]
    assert offers["matched"].tolist() == [("esol",), (), (), (), ()]
    assert offers["n_unused"].tolist() == [0, 1, 1, 0, 1]

    summary = analysis.area_summary(assets, links, level="ward")
    assert list(summary.index) == ["A", "B", "C"]  # X has no ward
    assert summary.to_dict("index") == {
        "A": {"assets": 2, "micro": 1, "macro": 1, "category_anchor_institution": 1,
              "category_association": 0, "category_individual": 1, "linked_share": 1.0,
              "links": 1},
        "B": {"assets": 2, "micro": 1, "macro": 1, "category_anchor_institution": 1,
              "category_association": 1, "category_individual": 0, "linked_share": 0.5,
              "links": 1},
        "C": {"assets": 2, "micro": 2, "macro": 0, "category_anchor_institution": 0,
              "category_association": 1, "category_individual": 1, "linked_share": 0.0,
              "links": 0},
    }  # fmt: skip
    assert "links" not in analysis.area_summary(assets, level="ward").columns

    deserts = analysis.link_deserts(assets, links, level="ward")
    assert deserts.to_dict("index") == {
        "B": {"name": "Beta", "micro": 1, "people": 0.0},  # G1 reaches no anchor
        "C": {"name": "Gamma", "micro": 2, "people": 1.0},  # R2 is one person, near only
    }
    assert deserts.index.name == "ward_code"
    pd.testing.assert_frame_equal(assets, before)  # nothing changed in place


def test_isolated_counts_self_loops_and_parallel_edges_on_any_graph() -> None:
    edges = [("A", "B", "opportunity"), ("A", "B", "proximity"), ("C", "C", "refers"),
             ("D", "E", "proximity")]  # fmt: skip
    G = _graph(edges, dict.fromkeys("ABCDEF", "micro"))
    assert list(analysis.isolated(G)) == ["D", "E", "F"]
    simple = nx.Graph()
    simple.add_nodes_from("ABCDEF")
    simple.add_edges_from((u, v, {"kind": k}) for u, v, k in edges if k != "proximity")
    simple.add_edge("D", "E", kind="proximity")
    assert list(analysis.isolated(simple)) == ["D", "E", "F"]
    assert analysis.communities(simple).to_dict() == analysis.communities(G).to_dict()
    assert set(analysis.communities(G).index) == {"A", "B", "C"}
