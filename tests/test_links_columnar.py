"""Opportunity links, computed in columns, against their definition worked out link by link.

The reference below is the definition written plainly, one Python step per pair: for each close
pair (the proximity links of the same call: same pairs, distances, walks and weights), both ways
round, the offerer's offers (canonical, first mention first) each with the codes above it,
longest first, against the needer's needs. The columnar :func:`assetmap.find_links` must give
the very same frame, cell for cell and dtype for dtype, on any register.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetmap import datasets, find_links, geocode
from assetmap.links import LINK_COLUMNS
from assetmap.network import street_graph_from_networkx
from assetmap.schema import synonym_map
from tests.registers import register
from tests.test_links import E0, N0, _footprint
from tests.test_network import _grid_over, canal_streets

TAGS = [
    "jobs", "nursing", "registered nurse", "cleaning", "cleaner", "meeting space",
    "soc:2", "soc:22", "soc:2231", "soc:224", "sic:86", "sic:8610",
]  # fmt: skip
VOCABULARIES = [
    None,
    {"registered nurse": "nursing", "cleaner": "cleaning"},
    {"registered nurse": "soc:2231", "jobs": "soc:22", "sic:8610": "sic:86"},
]


def _above(tag: str) -> list[str]:
    """A code and the codes above it, longest first (``soc:2231``, ``soc:223``, …)."""
    scheme, sep, code = tag.partition(":")
    return [f"{scheme}:{code[:n]}" for n in range(len(code), 0, -1)] if sep and code else [tag]


def reference(assets: pd.DataFrame, vocabulary: Any = None, **kwargs: Any) -> pd.DataFrame:
    """Opportunity links by their definition, one pair at a time."""
    close = find_links(assets, kind="proximity", **kwargs)
    vocab = synonym_map(vocabulary)
    order = {a: k for k, a in enumerate(assets.index)}
    walks = close["walk_m"] if "walk_m" in close else pd.Series(np.nan, index=close.index)
    rows = []
    for s, t, d, w, weight in zip(
        close["source"], close["target"], close["distance_m"], walks, close["weight"], strict=True
    ):
        for src, tgt in ((s, t), (t, s)):
            offers = dict.fromkeys(vocab.get(x, x) for x in assets.at[src, "offers"])
            needs = dict.fromkeys(vocab.get(x, x) for x in assets.at[tgt, "needs"])
            matched: list[str] = []
            met: list[str] = []
            for offer in offers:
                for code in _above(offer):
                    if code in needs:
                        matched += [offer] if offer not in matched else []
                        met += [code] if code not in met else []
            if met:
                rows.append((src, tgt, d, w, tuple(matched), tuple(met), len(met) / len(needs),
                             weight))  # fmt: skip
    cols = list(zip(*rows, strict=True)) if rows else [[]] * 8
    src, tgt = np.array(cols[0], dtype=object), np.array(cols[1], dtype=object)
    dist, walk = np.array(cols[2], dtype=float), np.array(cols[3], dtype=float)
    apart = np.where(np.isfinite(walk), walk, dist)
    limit = kwargs.get("max_distance_m", 1200.0)
    decay, decay_m = kwargs.get("decay", "linear"), kwargs.get("decay_m") or limit / 2
    prox = {
        "threshold": np.where(apart <= limit, 1.0, 0.0),
        "linear": np.clip(1.0 - apart / limit, 0.0, 1.0),
        "exponential": np.exp(-apart / decay_m),
    }[decay]
    prox, match = np.round(prox, 6), np.round(np.array(cols[6], dtype=float), 6)
    weight = np.array(cols[7], dtype=float)
    score = np.round(match * prox * weight, 6)
    label = kwargs.get("weights") or ""
    reason = [
        f"offers {', '.join(m)}; {x:,.0f} m{' walk' if np.isfinite(f) else ''}"
        + (f"; {label} ×{ww:g}" if label else "")
        for m, x, f, ww in zip(cols[4], apart, walk, weight, strict=True)
    ]
    tuples = [np.empty(len(rows), dtype=object) for _ in range(2)]
    for k in range(len(rows)):
        tuples[0][k], tuples[1][k] = cols[4][k], cols[5][k]
    frame = pd.DataFrame(
        {
            "source": pd.Categorical(src, dtype=close["source"].dtype),
            "target": pd.Categorical(tgt, dtype=close["source"].dtype),
            "kind": pd.Categorical(["opportunity"] * len(rows), dtype=close["kind"].dtype),
            "distance_m": dist,
            **({"walk_m": walk} if "walk_m" in close else {}),
            "matched": tuples[0],
            "met": tuples[1],
            "match": match,
            "proximity": prox,
            "weight": weight,
            "score": score,
            # categorical text, its categories in text order
            "reason": pd.Categorical(
                reason, dtype=pd.CategoricalDtype(pd.Index(sorted(set(reason)), dtype="str"))
            ),
        }
    )
    best = np.lexsort(([order[x] for x in tgt], [order[x] for x in src], -score))
    return frame.iloc[best].reset_index(drop=True)


def _same(assets: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    got = find_links(assets, **kwargs)
    pd.testing.assert_frame_equal(got, reference(assets, **kwargs), check_exact=True)
    return got


@st.composite
def registers(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(2, 14))
    tags = st.lists(st.sampled_from(TAGS), max_size=4).map("; ".join)
    macro = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    sites = [m and draw(st.booleans()) for m in macro]
    xy = draw(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=n, max_size=n))
    return geocode(
        register(
            asset_id=[f"x{k}" for k in draw(st.permutations(range(n)))],
            kind=["macro" if m else "micro" for m in macro],
            category=["anchor_institution" if m else "association" for m in macro],
            offers=draw(st.lists(tags, min_size=n, max_size=n)),
            needs=draw(st.lists(tags, min_size=n, max_size=n)),
            easting=[None if f else E0 + 10 * x for f, (x, _) in zip(sites, xy, strict=True)],
            northing=[None if f else N0 + 10 * y for f, (_, y) in zip(sites, xy, strict=True)],
            footprint=[
                _footprint(10 * x, 10 * y, 10 * x + 60, 10 * y + 40) if f else None
                for f, (x, y) in zip(sites, xy, strict=True)
            ],
            weight=draw(st.lists(st.sampled_from([1.0, 0.5, 2.0, 3.0]), min_size=n, max_size=n)),
        ),
        study_area=None,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    assets=registers(),
    vocabulary=st.sampled_from(VOCABULARIES),
    max_distance_m=st.sampled_from([150.0, 400.0, 1000.0]),
    k=st.sampled_from([None, None, 1, 3]),
    between=st.sampled_from([None, ("micro", "macro")]),
    decay=st.sampled_from(["threshold", "linear", "exponential"]),
    weights=st.sampled_from([None, "weight"]),
)
def test_columnar_links_are_their_definition(assets: pd.DataFrame, **kwargs: Any) -> None:
    _same(assets, **kwargs)


def test_codes_synonyms_repeats_and_order_on_paper() -> None:
    assets = geocode(
        register(
            asset_id=["nurse", "ward"],
            kind=["micro", "macro"],
            category=["individual", "anchor_institution"],
            offers=["soc:2231; registered nurse; nursing; jobs; soc:2231", ""],
            needs=["", "jobs; soc:2; nursing; soc:22; cleaning"],
            easting=[E0, E0 + 100],
            northing=[N0, N0],
        ),
        study_area=None,
    )
    links = _same(assets, vocabulary={"registered nurse": "nursing"}, max_distance_m=250)
    only = links.iloc[0]
    assert len(links) == 1 and (only["source"], only["target"]) == ("nurse", "ward")
    # soc:2231 meets soc:22 then soc:2 (longest first); nursing (twice over) once; then jobs
    assert only["matched"] == ("soc:2231", "nursing", "jobs")
    assert only["met"] == ("soc:22", "soc:2", "nursing", "jobs")
    assert only["match"] == 0.8
    assert only["reason"] == "offers soc:2231, nursing, jobs; 100 m"


def test_walking_links_are_their_definition() -> None:
    streets = street_graph_from_networkx(canal_streets())
    assets = geocode(
        register(
            asset_id=["hospital", "across", "beside", "far"],
            kind=["macro", "micro", "micro", "micro"],
            category=["anchor_institution", "association", "association", "individual"],
            offers=["jobs; soc:2231", "cleaning", "volunteers", "jobs"],
            needs=["cleaning; volunteers", "jobs", "soc:22; jobs", "cleaning"],
            easting=[E0, E0, E0 + 100, E0 + 150],
            northing=[N0 + 50, N0 - 50, N0 - 60, N0 - 50],
        ),
        study_area=None,
    )
    links = _same(assets, max_distance_m=650, streets=streets, weights=None)
    assert "walk_m" in links and links["reason"].str.endswith("walk").any()
    assert ("hospital", "across") not in set(zip(links["source"], links["target"], strict=True))


def test_sample_register_with_sites_streets_and_weights() -> None:
    from assetmap.areas import study_polygon

    placed = geocode(datasets.sample_register()).assign(
        weight=lambda a: np.linspace(0.5, 2.0, len(a))
    )
    streets = street_graph_from_networkx(_grid_over(study_polygon(datasets.study_area())))
    for kwargs in (
        {"between": ("micro", "macro"), "max_distance_m": 1200.0, "weights": "weight"},
        {"between": ("micro", "macro"), "max_distance_m": 1200.0, "streets": streets},
        {"max_distance_m": 800.0, "k": 4, "decay": "exponential"},
    ):
        assert len(_same(placed, **kwargs)) > 0


def test_tags_as_arrow_lists_or_missing_give_the_same_links() -> None:
    placed = geocode(datasets.sample_register())
    kwargs: dict[str, Any] = {"between": ("micro", "macro"), "max_distance_m": 1200.0}
    first = find_links(placed, **kwargs)["source"].iloc[0]  # one with links, to lose them
    empty, missing, arrow = placed.copy(), placed.copy(), placed.copy()
    for col in ("offers", "needs"):
        values = [list(t) for t in placed[col]]
        empty[col] = [[] if a == first else v for a, v in zip(placed.index, values, strict=True)]
        missing[col] = [
            None if a == first else v for a, v in zip(placed.index, values, strict=True)
        ]
        arrow[col] = pd.array(missing[col].tolist(), dtype=pd.ArrowDtype(pa.list_(pa.string())))
    want = _same(empty, **kwargs)
    assert first not in set(want["source"]) | set(want["target"])
    pd.testing.assert_frame_equal(find_links(missing, **kwargs), want)
    pd.testing.assert_frame_equal(find_links(arrow, **kwargs), want)


def test_no_needs_no_pairs_give_an_empty_frame_of_the_same_shape() -> None:
    assets = geocode(
        register(offers=["jobs", "jobs"], needs=["", ""], easting=[E0, E0 + 10], northing=[N0, N0]),
        study_area=None,
    )
    none = _same(assets, max_distance_m=100.0)
    assert none.empty and list(none.columns) == list(LINK_COLUMNS)
    apart = _same(assets.assign(needs=[["jobs"], []]), max_distance_m=1.0)
    assert apart.empty


@pytest.mark.parametrize(("chunk", "table"), [(1, 1 << 26), (3, 0), (1 << 18, 0)])
def test_matching_in_chunks_or_without_the_table_loses_nothing(
    chunk: int, table: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pairs matched a few at a time, and needs looked up by a sorted search (as for registers
    with too many distinct tags for a yes/no table), give the same links."""
    from assetmap.links import _tags

    placed = geocode(datasets.sample_register())
    whole = find_links(placed, between=("micro", "macro"))
    monkeypatch.setattr(_tags, "_CHUNK", chunk)
    monkeypatch.setattr(_tags, "_TABLE_CELLS", table)
    pd.testing.assert_frame_equal(find_links(placed, between=("micro", "macro")), whole)


def test_many_tags_and_huge_weights_keep_the_definition() -> None:
    """Twenty offers meeting twenty needs (past the short-row shortcut), and scores too large
    for the one-key sort."""
    many = [f"soc:{k}{k}" for k in range(10, 30)]
    assets = geocode(
        register(
            offers=["; ".join(many), "jobs", "; ".join(reversed(many)), ""],
            needs=["jobs", "; ".join([*many[::2], "soc:1"]), "; ".join(many), "; ".join(many)],
            easting=[E0, E0 + 50, E0 + 100, E0 + 150],
            northing=[N0, N0, N0, N0],
            weight=[1e6, 3e5, 7.0, 1e6],
        ),
        study_area=None,
    )
    links = _same(assets, max_distance_m=500.0, weights="weight")
    assert links["score"].max() > 1e9
    top = links.set_index(["source", "target"]).loc[("a0", "a3")]
    assert top["matched"] == tuple(many) and top["match"] == 1.0


def test_pairs_searched_a_slice_at_a_time_lose_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Group A's points searched against B's tree a few at a time (as above 131,072 of them)
    find every pair within the distance, each once, with its distance along the Earth."""
    from scipy.spatial import cKDTree

    from assetmap.crs import arc_m
    from assetmap.links import _pairs

    rng = np.random.default_rng(11)
    a, b = rng.uniform(0, 5_000, (3_000, 3)), rng.uniform(0, 5_000, (2_000, 3))
    a[:, 2] = b[:, 2] = 0.0  # on a plane: tens of thousands of pairs
    expected = cKDTree(a).sparse_distance_matrix(cKDTree(b), 300.0, output_type="ndarray")
    monkeypatch.setattr(_pairs, "_QUERY_CHUNK", 7)
    i, j, d = _pairs._pairs_between(a, b, 300.0)
    assert i.dtype == j.dtype == np.int32 and len(i) == len(expected) > 10_000
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == set(
        zip(expected["i"].tolist(), expected["j"].tolist(), strict=True)
    )
    assert np.array_equal(d, arc_m(np.linalg.norm(a[i] - b[j], axis=1)))


def test_links_with_the_search_in_slices_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same links, bit for bit, whether group A's points are searched at once or in
    slices of five."""
    from assetmap.links import _pairs

    placed = geocode(datasets.synthetic_register(3_000, seed=2))
    whole = find_links(placed, between=("micro", "macro"))
    assert len(whole) > 100
    monkeypatch.setattr(_pairs, "_QUERY_CHUNK", 5)
    pd.testing.assert_frame_equal(find_links(placed, between=("micro", "macro")), whole)


def test_first_seen_numbers_as_pandas_factorize() -> None:
    from assetmap.links._tags import first_seen

    values = np.array([7, -3, 7, 2**40, 0, -3, 2**40, 5], dtype=np.int64)
    codes, uniques = first_seen(values)
    expected_codes, expected_uniques = pd.factorize(values)
    assert codes.tolist() == expected_codes.tolist() == [0, 1, 0, 2, 3, 1, 2, 4]
    assert uniques.tolist() == expected_uniques.tolist()
    assert [len(x) for x in first_seen(np.empty(0, dtype=np.int64))] == [0, 0]


@pytest.mark.parametrize("decay", ["threshold", "linear", "exponential"])
@pytest.mark.parametrize("walks", [False, True])
def test_the_lean_score_is_the_tables_score_bit_for_bit(decay: str, walks: bool) -> None:
    # find_links sorts by _score (two arrays at a time) and writes _factors' score: they must
    # be the same numbers, or the table would not be in its own order
    from assetmap.links._tables import Scoring, _factors, _score

    rng = np.random.default_rng(7)
    n, k = 5_000, 300
    dist = rng.uniform(0, 1_500, n)
    walked = np.where(rng.random(n) < 0.3, np.nan, dist * rng.uniform(1, 1.6, n)) if walks else None
    share = rng.choice([0.25, 1 / 3, 0.5, 2 / 3, 1.0], n)
    o, n_ = rng.integers(0, k, n), rng.integers(0, k, n)
    weight = rng.uniform(0.1, 3, k).round(3)
    how = Scoring(weight, decay, 1_200.0, 400.0)  # type: ignore[arg-type]
    lean = _score(dist, walked, share, o, n_, how)
    full = _factors(dist, walked, share, o, n_, how)["score"]
    assert lean.tobytes() == full.tobytes()
    assert (full > 0).any() and (full < 1).any()  # the factors did vary


def test_interned_numbers_sequences_in_order_of_first_appearance() -> None:
    """Rows with the same codes in the same order share a number; a row that is another's
    prefix, or holds its codes in another order, does not; numbers go by first appearance."""
    from assetmap.links._tags import interned

    rows = [[3, 1], [], [3], [3, 1], [1, 3], [3], [], [3, 1, 2], [1, 3]]
    ptr = np.r_[0, np.cumsum([len(r) for r in rows])]
    codes = np.array([c for r in rows for c in r], dtype=np.int32)
    seq, first = interned(ptr, codes, 4)
    assert seq.tolist() == [0, 1, 2, 0, 3, 2, 1, 4, 3]
    assert first.tolist() == [0, 1, 2, 4, 7]


def test_matches_hold_offsets_of_32_bits_and_the_same_links() -> None:
    """What met what is CSR over the matching pairs, its offsets 32-bit while they fit."""
    from assetmap.links._tags import matches, numbered_tags

    placed = geocode(datasets.sample_register())
    tags = numbered_tags(placed, {})
    n = len(placed)
    i, j = np.triu_indices(n, 1)
    found = matches(tags, i.astype(np.int32), j.astype(np.int32))
    assert len(found.which) > 0
    assert found.offer_ptr.dtype == found.need_ptr.dtype == np.int32
    assert found.offer_ptr[-1] == len(found.offer_tag) and found.need_ptr[-1] == len(found.need_tag)
    assert (np.diff(found.need_ptr) > 0).all() and (np.diff(found.offer_ptr) > 0).all()
