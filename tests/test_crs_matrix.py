"""The main line gives the same answers whatever CRS the register comes in (issue 22).

The sample register, geocoded, is put into EPSG:4326, British National Grid (EPSG:27700, through
OSTN15 as real grid data is), web Mercator (EPSG:3857) and UTM zone 30N (EPSG:32630), with its
site footprints and the boundaries moved along with it, and run through every stage that takes
a GeoDataFrame. Links must name the same pairs with distances within 1 cm; areas, published
records, graphs, maps and files must agree; everything comes back in EPSG:4326.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from assetmap import (
    assign_areas,
    build_map,
    datasets,
    find_links,
    geocode,
    graph_from_assets,
    publish,
    read_assets,
    save_assets,
    save_map,
)
from assetmap.crs import to_crs

CRSS = ["EPSG:4326", "EPSG:27700", "EPSG:3857", "EPSG:32630"]
#: About 1 cm in degrees of latitude (and less of longitude, at 52°N).
DEG_CM = 1e-7


@pytest.fixture(scope="module")
def register() -> gpd.GeoDataFrame:
    return geocode(datasets.sample_register())


@pytest.fixture(scope="module")
def areas(register: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Four areas, a 2 × 2 grid over the register (lines placed between assets)."""
    x0, y0, x1, y1 = register.total_bounds
    xm, ym = -1.9401234, 52.4871234
    cells = [
        shapely.box(x0 - 0.01, y0 - 0.01, xm, ym),
        shapely.box(xm, y0 - 0.01, x1 + 0.01, ym),
        shapely.box(x0 - 0.01, ym, xm, y1 + 0.01),
        shapely.box(xm, ym, x1 + 0.01, y1 + 0.01),
    ]
    out = gpd.GeoDataFrame(
        {"area_name": ["South west", "South east", "North west", "North east"]},
        geometry=cells,
        index=pd.Index(["A1", "A2", "A3", "A4"], name="area_code"),
        crs="EPSG:4326",
    )
    out.attrs["level"] = "ward"
    return out


def _in(frame: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """The frame with its geometry and footprints in ``crs`` (grid data as the OS makes it)."""
    if crs == "EPSG:4326":
        return frame
    out = to_crs(frame, crs)
    if "footprint" in out:
        out["footprint"] = to_crs(out["footprint"], crs)
    out.attrs = dict(frame.attrs)
    return out


def _same_links(a: pd.DataFrame, b: pd.DataFrame) -> None:
    key = ["source", "target", "kind"]
    assert len(a) == len(b)
    both = a.merge(b, on=key, how="outer", indicator=True, suffixes=("_a", "_b"))
    assert (both["_merge"] == "both").all(), both.loc[both["_merge"] != "both", key]
    assert np.nanmax(np.abs(both["distance_m_a"] - both["distance_m_b"])) <= 0.01 + 1e-9
    assert (both["score_a"] - both["score_b"]).abs().max() <= 1e-4


def _same_points(a: gpd.GeoSeries, b: gpd.GeoSeries) -> None:
    assert a.crs == "EPSG:4326" and b.crs == "EPSG:4326"
    assert a.index.equals(b.index)
    assert (a.isna() | a.is_empty).equals(b.isna() | b.is_empty)
    ax, ay = shapely.get_x(a.to_numpy()), shapely.get_y(a.to_numpy())
    bx, by = shapely.get_x(b.to_numpy()), shapely.get_y(b.to_numpy())
    np.testing.assert_allclose(ax, bx, atol=DEG_CM)
    np.testing.assert_allclose(ay, by, atol=DEG_CM)


@pytest.mark.parametrize("crs", CRSS[1:])
def test_geocode_in_any_crs(register: gpd.GeoDataFrame, crs: str) -> None:
    again = geocode(_in(register, crs))
    _same_points(again.geometry, register.geometry)
    assert again["geocode_method"].equals(register["geocode_method"])
    assert (again["geocode_method"] == "footprint").sum() == 2  # footprints read in their CRS


@pytest.mark.parametrize("crs", CRSS)
def test_links_and_areas_in_any_crs(
    register: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, crs: str
) -> None:
    base = assign_areas(register, areas)
    assert base["ward_code"].nunique() == 4  # every area holds assets
    placed = assign_areas(_in(register, crs), _in(areas, crs))
    assert placed.crs == "EPSG:4326" and placed.index.equals(register.index)
    assert placed["ward_code"].equals(base["ward_code"])
    _same_points(placed.geometry, register.geometry)
    assert placed["footprint"].crs == "EPSG:4326"
    for a, b in zip(placed["footprint"], register["footprint"], strict=True):
        assert (a is None and b is None) or a.equals_exact(b, DEG_CM)

    _same_links(find_links(placed), find_links(base))
    _same_links(find_links(_in(register, crs)), find_links(register))
    near = find_links(_in(register, crs), kind="proximity", k=3, max_distance_m=800)
    _same_links(near, find_links(register, kind="proximity", k=3, max_distance_m=800))


@pytest.mark.parametrize("crs", CRSS[1:])
def test_graph_and_publish_in_any_crs(
    register: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, crs: str
) -> None:
    links = find_links(register)
    moved = _in(register, crs)
    G, H = graph_from_assets(register, links=links), graph_from_assets(moved, links=links)
    assert G.graph["crs"] == H.graph["crs"] == "EPSG:27700"
    assert sorted(G.edges) == sorted(H.edges)
    for node, attrs in G.nodes(data=True):
        other = H.nodes[node]
        if attrs["x"] is None:
            assert other["x"] is None
        else:
            assert abs(attrs["x"] - other["x"]) < 0.01 and abs(attrs["y"] - other["y"]) < 0.01
        if attrs.get("footprint") is None:
            assert other.get("footprint") is None
        else:  # the WKT, in EPSG:4326
            mine, theirs = shapely.from_wkt([attrs["footprint"], other["footprint"]])
            assert mine.equals_exact(theirs, DEG_CM)

    one = publish(register, audience="public", areas=areas, links=links)
    two = publish(moved, audience="public", areas=_in(areas, crs), links=links)
    assert two.assets.crs == "EPSG:4326"
    assert one.assets.index.equals(two.assets.index)
    _same_points(one.assets.geometry, two.assets.geometry)
    pd.testing.assert_frame_equal(one.counts, two.counts)
    _same_links(one.links, two.links)


def _numbers(page: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+\.\d{4,}", page)]


@pytest.mark.parametrize("crs", CRSS[1:])
def test_map_and_files_in_any_crs(register: gpd.GeoDataFrame, tmp_path: Path, crs: str) -> None:
    links = find_links(register)
    base = save_map(build_map(register, links=links, tiles=None), tmp_path / "a.html")
    moved = save_map(build_map(_in(register, crs), links=links, tiles=None), tmp_path / "b.html")
    a, b = base.read_text(encoding="utf-8"), moved.read_text(encoding="utf-8")
    # the same page, but for the last digit of a coordinate rounded either side of a half
    assert re.sub(r"-?\d+\.\d{4,}", "#", a) == re.sub(r"-?\d+\.\d{4,}", "#", b)
    np.testing.assert_allclose(_numbers(a), _numbers(b), atol=2e-6)

    for fmt in ("gpkg", "geojson", "csv"):
        saved = save_assets(_in(register, crs), tmp_path / f"r.{fmt}")
        back = read_assets(saved)
        _same_points(back.geometry, register.geometry)


def test_geodataframe_in_grid_reaches_links_without_set_up(register: gpd.GeoDataFrame) -> None:
    """The issue's case: a layer in British National Grid straight into find_links."""
    bng = _in(register, "EPSG:27700")
    before = bng.copy()
    links = find_links(bng, between=("micro", "macro"))
    assert len(links) and links.attrs["crs"] == "EPSG:27700"
    assert bng.crs == "EPSG:27700" and bng.geometry.equals(before.geometry)  # not changed


def test_footprints_without_a_crs_are_read_in_the_frames(register: gpd.GeoDataFrame) -> None:
    bng = _in(register, "EPSG:27700")
    plain = bng.copy()
    plain["footprint"] = pd.Series(bng["footprint"].to_numpy(dtype=object), index=bng.index)
    assert not isinstance(plain["footprint"], gpd.GeoSeries)
    _same_links(find_links(plain), find_links(register))


@pytest.mark.parametrize("crs", CRSS[1:])
def test_walks_in_any_crs(register: gpd.GeoDataFrame, crs: str) -> None:
    """walk_distances and catchments read the assets in their CRS (streets in the grid)."""
    import networkx as nx

    from assetmap.network import catchments, street_graph_from_networkx, walk_distances

    x0, y0, x1, y1 = to_crs(register[["geometry"]], "EPSG:27700").total_bounds
    G = nx.MultiDiGraph(crs="EPSG:27700")
    xs, ys = np.arange(x0 - 200, x1 + 200, 200), np.arange(y0 - 200, y1 + 200, 200)
    for x in xs:
        for y in ys:
            G.add_node((x, y), x=float(x), y=float(y))
            for nb in ((x - 200, y), (x, y - 200)):
                if nb in G:
                    G.add_edge((x, y), nb, length=200.0)
    streets = street_graph_from_networkx(G)
    base = walk_distances(register, streets, max_distance_m=1500)
    moved = walk_distances(_in(register, crs), streets, max_distance_m=1500)
    assert len(base) > 20
    pd.testing.assert_frame_equal(base, moved, atol=0.01)
    one, two = catchments(register, streets), catchments(_in(register, crs), streets)
    assert two.crs == "EPSG:4326"
    pd.testing.assert_frame_equal(one.drop(columns="geometry"), two.drop(columns="geometry"))
