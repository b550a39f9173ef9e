"""Links on hand-sized registers whose answers can be checked on paper."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from assetmap import find_links, geocode
from assetmap.crs import to_lonlat
from assetmap.errors import ConfigurationError, SchemaError
from assetmap.links import LINK_COLUMNS
from tests.registers import register

E0, N0 = 406000.0, 286000.0  # British National Grid, in Birmingham
_GEOD = pyproj.Geod(ellps="WGS84")


def apart(assets: pd.DataFrame, a: str, b: str) -> float:
    """Metres between two placed assets along the Earth (geodesic): the grid's 100 m are
    about 100.03 m on the ground here (British National Grid's scale factor is 0.9997)."""
    pa, pb = assets.geometry[a], assets.geometry[b]
    return round(float(_GEOD.inv(pa.x, pa.y, pb.x, pb.y)[2]), 2)  # as distance_m gives it


def _footprint(x0: float, y0: float, x1: float, y1: float) -> str:
    """A rectangle given in British National Grid metres, as lon/lat WKT."""
    xs, ys = np.array([x0, x1, x1, x0, x0]) + E0, np.array([y0, y0, y1, y1, y0]) + N0
    lon, lat = to_lonlat(xs, ys, "EPSG:27700")
    return shapely.Polygon(np.column_stack([lon, lat])).wkt


@pytest.fixture
def grid() -> pd.DataFrame:
    """A, B, C on a line 100 m apart; D 300 m north of A; F a 100 m site 200 m east of C."""
    assets = register(
        asset_id=["A", "B", "C", "D", "F"],
        kind=["micro", "macro", "micro", "micro", "macro"],
        category=["individual", "anchor_institution", "individual", "association",
                  "capital_development"],
        offers=["registered nurse", "jobs", "soc:2231", "meeting space", "jobs"],
        needs=["jobs", "nursing; cleaning; soc:22", "jobs", "jobs", "cleaning"],
        easting=[E0, E0 + 100, E0 + 200, E0, None],
        northing=[N0, N0, N0, N0 + 300, None],
        footprint=[None, None, None, None, _footprint(400, 0, 500, 100)],
        privacy="public",
    )  # fmt: skip
    return geocode(assets, study_area=None)


def test_proximity_pairs_and_distances(grid: pd.DataFrame) -> None:
    links = find_links(grid, kind="proximity", max_distance_m=150)
    assert list(links.columns) == list(LINK_COLUMNS)
    got = {(s, t): d for s, t, d in zip(links.source, links.target, links.distance_m, strict=True)}
    assert got.keys() == {("A", "B"), ("B", "C")}
    assert all(d == pytest.approx(100.03, abs=0.02) for d in got.values())
    wider = find_links(grid, kind="proximity", max_distance_m=250)
    pairs = {(s, t) for s, t in zip(wider.source, wider.target, strict=True)}
    # C to the site's footprint is 200 m (its centre is 255 m away); D to B is 316 m
    assert pairs == {("A", "B"), ("B", "C"), ("A", "C"), ("C", "F")}
    assert wider.set_index(["source", "target"]).loc[("C", "F"), "distance_m"] == pytest.approx(
        200.06, abs=0.03
    )
    assert set(wider["reason"].astype(str)) >= {"100 m apart", "200 m apart"}
    assert wider.attrs["crs"] == "EPSG:27700"


def test_k_nearest_and_between(grid: pd.DataFrame) -> None:
    nearest = find_links(grid, kind="proximity", k=1, max_distance_m=1000)
    pairs = {(s, t) for s, t in zip(nearest.source, nearest.target, strict=True)}
    # A↔B, B's nearest is A (tie with C broken by order), C↔B, D→A, F→C
    assert pairs == {("A", "B"), ("B", "C"), ("A", "D"), ("C", "F")}
    between = find_links(grid, kind="proximity", max_distance_m=250, between=("micro", "macro"))
    assert {(s, t) for s, t in zip(between.source, between.target, strict=True)} == {
        ("A", "B"), ("B", "C"), ("C", "F"),
    }  # fmt: skip


def test_opportunities_both_ways_with_vocabulary_and_codes(grid: pd.DataFrame) -> None:
    links = find_links(
        grid, max_distance_m=250, vocabulary={"registered nurse": "nursing"}, decay="linear"
    )
    table = links.set_index(["source", "target"])
    # A offers nursing (its "registered nurse"), one of B's three needs, 100 m away
    ab = table.loc[("A", "B")]
    assert ab["matched"] == ("nursing",) and ab["met"] == ("nursing",)
    assert ab["match"] == pytest.approx(1 / 3, abs=1e-6)
    assert ab["proximity"] == pytest.approx(1 - apart(grid, "A", "B") / 250, abs=1e-5)
    assert ab["score"] == pytest.approx((1 - apart(grid, "A", "B") / 250) / 3, abs=1e-5)
    assert ab["reason"] == "offers nursing; 100 m"
    # the other way round: B's jobs meet A's only need
    assert table.loc[("B", "A"), "score"] == pytest.approx(
        1 - apart(grid, "A", "B") / 250, abs=1e-5
    )
    # a need for soc:22 is met by an offer of soc:2231
    assert table.loc[("C", "B"), "met"] == ("soc:22",)
    # F's jobs reach C (200 m to its footprint) but not A (400 m)
    assert ("F", "C") in table.index and ("F", "A") not in table.index
    assert links["score"].is_monotonic_decreasing
    assert set(links["kind"].astype(str)) == {"opportunity"}
    # nothing but offers meeting needs: D offers meeting space nobody needs
    assert "D" not in set(links["source"].astype(str))


def test_decay_and_weights(grid: pd.DataFrame) -> None:
    weights = pd.Series({"A": 2.0}, name="deprivation weight")
    links = find_links(grid, max_distance_m=250, decay="exponential", weights=weights)
    ba = links.set_index(["source", "target"]).loc[("B", "A")]
    assert ba["proximity"] == pytest.approx(math.exp(-apart(grid, "A", "B") / 125), abs=1e-5)
    assert ba["weight"] == 2.0
    assert ba["score"] == pytest.approx(2 * math.exp(-apart(grid, "A", "B") / 125), abs=1e-5)
    assert ba["reason"] == "offers jobs; 100 m; deprivation weight ×2"
    flat = find_links(grid, max_distance_m=250, decay="threshold")
    assert (flat["proximity"] == 1).all()
    by_area = find_links(
        grid.assign(area=["x", "x", "y", "y", "y"]),
        max_distance_m=250,
        weights=pd.Series({"x": 3.0}),
        weight_on="area",
    )
    assert by_area.set_index(["source", "target"]).loc[("B", "A"), "weight"] == 9.0


def test_every_asset_kept_unplaced_ones_have_no_links(grid: pd.DataFrame) -> None:
    unplaced = grid.copy()
    unplaced.loc["A", "geometry"] = None
    links = find_links(unplaced, kind="proximity", max_distance_m=250)
    assert "A" not in set(links["source"].astype(str)) | set(links["target"].astype(str))
    assert list(links["source"].cat.categories) == list(grid.index)  # every id is a category


def test_same_inputs_same_links(grid: pd.DataFrame) -> None:
    a = find_links(grid, max_distance_m=250)
    b = find_links(grid.copy(), max_distance_m=250)
    pd.testing.assert_frame_equal(a, b)


def test_clear_errors() -> None:
    with pytest.raises(SchemaError, match="geocode them first"):
        find_links(register(name=["x"]).drop(columns="geometry"))
    assets = geocode(register(latitude=[52.48], longitude=[-1.93]), study_area=None)
    with pytest.raises(ConfigurationError, match="neither kinds nor categories"):
        find_links(assets, between=("micro", "hospitals"))
    with pytest.raises(ConfigurationError, match="max_distance_m must be positive"):
        find_links(assets, max_distance_m=0)
    with pytest.raises(ConfigurationError, match="decay must be"):
        find_links(assets, decay="cubic")  # type: ignore[arg-type]


def test_large_sets_split_in_two_lose_no_pair() -> None:
    from scipy.spatial import cKDTree

    from assetmap.links._pairs import _SPLIT_PAIRS_AT, _close_pairs

    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 20_000, (_SPLIT_PAIRS_AT + 1000, 2))
    i, j, d = _close_pairs(xy, 60.0)
    expected = cKDTree(xy).query_pairs(60.0, output_type="ndarray")
    assert len(i) == len(expected) > 10_000
    got = set(zip(np.minimum(i, j).tolist(), np.maximum(i, j).tolist(), strict=True))
    assert got == set(map(tuple, np.sort(expected, axis=1).tolist()))
    assert np.allclose(d, np.hypot(*(xy[i] - xy[j]).T))


def test_missing_columns_are_named(grid: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="no 'offers' column"):
        find_links(grid.drop(columns=["offers"]))
    assert len(find_links(grid.drop(columns=["offers", "needs"]), kind="proximity")) > 0


def test_distances_are_geodesic_anywhere_on_earth() -> None:
    # towns across UTM zones (and both sides of the antimeridian, in Fiji) in one register:
    # every pair within the limit along the Earth is found, none beyond, each at its geodesic
    towns = {"Birmingham": (-1.90, 52.48), "Rotterdam": (4.48, 51.92), "Poznań": (16.93, 52.41),
             "Trapani": (12.51, 38.02), "Belfast": (-5.93, 54.60), "St Kilda": (-8.57, 57.81),
             "Suva east": (179.995, -18.0), "Suva west": (-179.995, -18.0)}  # fmt: skip
    rng = np.random.default_rng(5)
    lon, lat = [], []
    for tlon, tlat in towns.values():
        for _ in range(25):  # within about 2 km of the town's centre
            east = tlon + rng.uniform(-0.02, 0.02) / math.cos(math.radians(tlat))
            lon.append((east + 180) % 360 - 180)  # wrapped at the antimeridian
            lat.append(tlat + rng.uniform(-0.015, 0.015))
    n = len(lon)
    assets = geocode(
        register(asset_id=[f"p{i:03d}" for i in range(n)], latitude=lat, longitude=lon),
        study_area=None,
    )
    links = find_links(assets, kind="proximity", max_distance_m=1200, decay="threshold")
    geod = pyproj.Geod(ellps="WGS84")
    a, b = np.triu_indices(n, k=1)
    truth = np.asarray(geod.inv(np.array(lon)[a], np.array(lat)[a], np.array(lon)[b],
                                np.array(lat)[b])[2])  # fmt: skip
    expected = {(f"p{i:03d}", f"p{j:03d}"): d for i, j, d in zip(a, b, truth, strict=True)
                if d <= 1200}  # fmt: skip
    got = {tuple(sorted((s, t))): d for s, t, d in
           zip(links["source"].astype(str), links["target"].astype(str), links["distance_m"],
               strict=True)}  # fmt: skip
    assert got.keys() == expected.keys() and len(got) > 100  # none missed, none extra
    worst = max(abs(got[key] - expected[key]) for key in got)
    assert worst < 0.02  # metres: places and distance_m are both kept to about a centimetre
    # the two Suva halves, 1 km apart across the antimeridian, are linked
    across = [k for k in got if (int(k[0][1:]) // 25, int(k[1][1:]) // 25) == (6, 7)]
    assert across


# --- the guard on candidate pairs (issue 18) --------------------------------------------------


def _scattered(n: int, side_m: float, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return geocode(
        register(
            offers=["jobs"] * n,
            needs=["jobs"] * n,
            easting=list(E0 + rng.random(n) * side_m),
            northing=list(N0 + rng.random(n) * side_m),
        ),
        study_area=None,
    )


def test_too_many_candidate_pairs_fail_fast_with_the_way_out() -> None:
    """4,000 assets within 10^9 m of each other: 16 million candidate pairs (opportunity links
    are made both ways round) would take about 3.6 GB; the guard counts them first."""
    import tracemalloc

    from assetmap import settings

    assets = _scattered(4000, 20_000)
    tracemalloc.start()
    try:
        with pytest.raises(ConfigurationError) as caught:
            find_links(assets, max_distance_m=1e9)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6  # counted, not made
    message = str(caught.value)
    assert "about 15,996,000 candidate pairs" in message
    assert "more than max_pairs=10,000,000: about 3.6 GB" in message
    assert "find_links(..., max_pairs=16_000_000)" in message
    assert "settings.set_option(max_pairs=16_000_000)" in message
    assert settings.options.max_pairs == 10_000_000


def test_the_limit_is_a_parameter_and_a_setting() -> None:
    from assetmap import settings

    assets = _scattered(30, 500)  # 435 close pairs: every one within 1,200 m
    with pytest.raises(ConfigurationError, match="about 435 candidate pairs"):
        find_links(assets, kind="proximity", max_pairs=434)
    assert len(find_links(assets, kind="proximity", max_pairs=435)) == 435
    with pytest.raises(ConfigurationError, match="about 870 candidate pairs"):
        find_links(assets, max_pairs=869)  # opportunity: both ways round
    with settings.option_context(max_pairs=100):
        with pytest.raises(ConfigurationError, match="more than max_pairs=100"):
            find_links(assets, kind="proximity")
        assert len(find_links(assets, kind="proximity", k=2)) <= 60  # 30 x 2 at most: under it
    with settings.option_context(max_pairs=None):
        assert len(find_links(assets, kind="proximity")) == 435
    with pytest.raises(ConfigurationError, match="max_pairs must be a positive whole number"):
        settings.set_option(max_pairs=0)
    with pytest.raises(ConfigurationError, match="max_pairs must be a positive whole number"):
        find_links(assets, max_pairs=2.5)  # type: ignore[arg-type]


def test_the_count_is_close_on_a_large_register() -> None:
    """30,000 assets in a 10 km square: counted on a sample of 10,000, within 2 %."""
    assets = _scattered(30_000, 10_000)
    made = len(find_links(assets, kind="proximity", max_distance_m=100, max_pairs=None))
    with pytest.raises(ConfigurationError):
        find_links(assets, kind="proximity", max_distance_m=100, max_pairs=int(made * 0.98))
    assert (
        len(find_links(assets, kind="proximity", max_distance_m=100, max_pairs=int(made * 1.02)))
        == made
    )
