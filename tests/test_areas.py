"""Official boundaries and deprivation: the real ONS and IoD2019 files load unchanged, assets land
in the right areas, and question 3 (link deserts) is answered on the bundled register."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from assetmap import analysis, datasets, find_links, geocode
from assetmap.areas import assign_areas, imd_for_lsoa21, read_boundaries, read_imd, read_lsoa_lookup
from assetmap.errors import GeocodingWarning, SchemaError, SchemaWarning
from assetmap.schema import validate_assets
from tests.contracts import assert_same_rows, odd_register
from tests.registers import register

BOUNDARIES = "boundaries"
FILES = {
    "wards_2020_bgc_geography-bits/WD20CD_bbox.geojson": ("ward20", 38, "Abbey"),
    "wards_2020_bgc_geography-bits/WD20CD_bbox.geojsonl": ("ward20", 38, "Abbey"),
    "lsoa_2011_bgc_martinjc/lsoa11_bgc_bbox.geojson": ("lsoa11", 350, None),
    "geographr_bsc/boundaries_lsoa11_bbox.geojson": ("lsoa11", 346, None),
    "geographr_bsc/boundaries_lsoa21_bbox.geojson": ("lsoa21", 364, None),
    "geographr_bsc/boundaries_wards22_bbox.geojson": ("ward22", 50, None),
    "geographr_bsc/boundaries_ltla24_bbox.geojson": ("la24", 3, "Birmingham"),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_real_boundary_file_loads_unchanged(shared_data: Path, name: str) -> None:
    level, count, first = FILES[name]
    if "_bsc" in name:  # super-generalised (200 m): read, with a warning naming the better file
        with pytest.warns(SchemaWarning, match="super-generalised.*BGC"):
            areas = read_boundaries(shared_data / BOUNDARIES / name)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            areas = read_boundaries(shared_data / BOUNDARIES / name)
    assert areas.attrs["level"] == level and len(areas) == count
    assert areas.index.is_unique and areas.index.name == "area_code"
    assert areas.crs.to_epsg() == 4326 and areas.geometry.is_valid.all()
    assert areas["area_name"].notna().all()
    if first is not None:
        assert first in set(areas["area_name"])


def test_hospitals_land_in_their_wards(shared_data: Path) -> None:
    wards = read_boundaries(
        shared_data / BOUNDARIES / "wards_2020_bgc_geography-bits/WD20CD_bbox.geojson"
    )
    placed = geocode(
        register(asset_id=["mmuh", "city"], postcode=["B66 2QT", "B18 7QH"]), study_area=None
    )
    out = assign_areas(placed, wards)
    assert out["ward20_name"].tolist() == ["Soho and Victoria", "Soho & Jewellery Quarter"]
    assert out["area_note"].isna().all()


def test_every_lsoa_of_birmingham_and_sandwell_finds_its_imd_decile(shared_data: Path) -> None:
    lsoa = read_boundaries(
        shared_data / BOUNDARIES / "lsoa_2011_bgc_martinjc/lsoa11_bgc_bbox.geojson"
    )
    imd = read_imd(sorted((shared_data / "imd/iod2019_energy_flex").glob("File_*.csv")))
    assert len(imd) == 833
    ours = lsoa[lsoa["area_name"].str.match(r"^(Birmingham|Sandwell) ")]
    joined = ours.join(imd[["imd_decile", "imd_rank"]])
    assert len(ours) > 300 and joined["imd_decile"].between(1, 10).all()
    # the published numbers, thousands separators and all: Birmingham 067A, rank "3,924", decile 2
    assert imd.loc["E01008881", ["imd_rank", "imd_decile"]].tolist() == [3924, 2]
    assert imd.loc["E01008881", "income_decile"] == 2 and imd.loc["E01008881", "population"] == 1642


def test_lsoa_2011_to_2021(shared_data: Path) -> None:
    folder = shared_data / BOUNDARIES / "geographr_bsc"
    lookup = read_lsoa_lookup(folder / "lookup_lsoa11_lsoa21_ltla22_bham_dudley_sandwell.csv")
    assert set(lookup["change"]) <= {"U", "S", "M", "X"}
    imd = read_imd(
        shared_data / "imd/iod2019_energy_flex/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
    )
    carried = imd_for_lsoa21(imd, lookup)
    with pytest.warns(SchemaWarning, match="super-generalised"):
        lsoa21 = read_boundaries(folder / "boundaries_lsoa21_bbox.geojson")
    inside = lsoa21[lsoa21["area_name"].str.match(r"^(Birmingham|Sandwell) ")]
    assert inside.join(carried["imd_decile"])["imd_decile"].notna().all()
    merged = lookup[lookup["change"] == "M"]["lsoa21_code"].iloc[0]
    parts = lookup.loc[lookup["lsoa21_code"] == merged, "lsoa11_code"]
    assert carried.loc[merged, "imd_rank"] == imd.loc[parts, "imd_rank"].min()  # most deprived


def test_edges_outside_and_unplaced(tmp_path: Path) -> None:
    # two squares sharing the edge x = 1; the code that sorts first takes a point on the edge
    areas = gpd.GeoDataFrame(
        {"WD99CD": ["E05000002", "E05000001"], "WD99NM": ["East", "West"]},
        geometry=[shapely.box(1, 51, 2, 52), shapely.box(0, 51, 1, 52)],
        crs=4326,
    )
    path = tmp_path / "wards.gpkg"
    areas.to_file(path)
    wards = read_boundaries(path)
    with pytest.warns(GeocodingWarning, match="1 of 5"):
        assets = geocode(
            register(latitude=[51.5, 51.5, 51.5, 40.0, None], longitude=[0.5, 1.0, 1.5, 0.5, None]),
            study_area=None,
        )
    out = assign_areas(assets, wards)
    assert out["ward99_name"].tolist()[:3] == ["West", "West", "East"]
    assert list(out.index) == list(assets.index)
    assert (
        pd.isna(out.loc["a3", "ward99_code"])
        and "outside every ward99 area" in out.loc["a3", "area_note"]
    )
    assert "not placed" in out.loc["a4", "area_note"]


def test_every_row_comes_back_with_its_area(tmp_path: Path) -> None:
    # West and East of longitude -1.94; the odd register has one row unplaced, four west
    # (0012, TRUE, 10 once swapped, x-1) and one east (007)
    path = tmp_path / "wards.gpkg"
    gpd.GeoDataFrame(
        {"WD99CD": ["E05000002", "E05000001"], "WD99NM": ["East", "West"]},
        geometry=[shapely.box(-1.94, 52.4, -1.9, 52.6), shapely.box(-2.0, 52.4, -1.94, 52.6)],
        crs=4326,
    ).to_file(path)
    with pytest.warns(GeocodingWarning, match="1 of 6"):
        assets = geocode(validate_assets(odd_register()), study_area=datasets.study_area())
    out = assign_areas(assets, read_boundaries(path))
    assert_same_rows(assets, out)
    assert out["ward99_name"].fillna("-").tolist() == ["West", "East", "-", "West", "West", "West"]
    assert "not placed" in out.loc["1e3", "area_note"]


def test_unknown_layouts_say_what_to_give(tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    gpd.GeoDataFrame({"zone": ["z1"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326).to_file(path)
    with pytest.raises(SchemaError, match="give code="):
        read_boundaries(path)
    zones = read_boundaries(path, code="zone", level="zone")
    assert zones.attrs["level"] == "zone" and list(zones.index) == ["z1"]
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="not an IoD2019 file"):
        read_imd(other)


def test_question_3_link_deserts_on_the_real_lsoas(shared_data: Path) -> None:
    lsoa = read_boundaries(
        shared_data / BOUNDARIES / "lsoa_2011_bgc_martinjc/lsoa11_bgc_bbox.geojson"
    )
    imd = read_imd(
        shared_data / "imd/iod2019_energy_flex/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
    )
    placed = assign_areas(geocode(datasets.sample_register()), lsoa)
    links = find_links(placed, between=("micro", "macro"), max_distance_m=1200)
    deserts = analysis.link_deserts(placed, links, level="lsoa11", imd=imd)
    # worked by hand: LSOAs holding micro assets, minus those where one of them has a link to
    # a macro asset; most deprived first
    micro = placed[placed["kind"] == "micro"]
    linked = set(links["source"].astype(str)) | set(links["target"].astype(str))
    with_assets = set(micro["lsoa11_code"])
    reached = set(micro.loc[micro.index.isin(linked), "lsoa11_code"])
    assert set(deserts.index) == with_assets - reached
    assert list(deserts.index) == [
        "E01010054", "E01010063", "E01009345", "E01009153", "E01009346", "E01010046",
        "E01009348", "E01010055", "E01033564",
    ]  # fmt: skip
    assert deserts["imd_decile"].tolist() == [1, 1, 1, 1, 2, 2, 2, 3, 4]
    assert deserts.loc["E01010054", "name"] == "Sandwell 028A"
    summary = analysis.area_summary(placed, links, level="lsoa11", imd=imd)
    assert summary["assets"].sum() == len(placed)
    assert (summary.loc[list(deserts.index), "linked_share"] < 1).all()
    assert summary.loc["E01009143", "micro"] == 14


def test_skills_mismatch_and_anchor_deserts_by_hand(tmp_path: Path) -> None:
    # two 1 km squares in British National Grid, West and East; a hospital needing 5 nurses and
    # 2 cleaners sits in West; West has 3 nurses (one resident counting 2 people), East has one
    # cleaner; a depot needing drivers has nobody near it
    from assetmap.crs import to_lonlat

    def square(x0: float) -> shapely.Polygon:
        xs = [x0, x0 + 1000, x0 + 1000, x0, x0]
        ys = [286000, 286000, 287000, 287000, 286000]
        lon, lat = to_lonlat(xs, ys, "EPSG:27700")
        return shapely.Polygon(zip(lon, lat, strict=True))

    path = tmp_path / "areas.geojson"
    gpd.GeoDataFrame(
        {"WD99CD": ["W", "E"], "WD99NM": ["West", "East"]},
        geometry=[square(400000), square(401000)],
        crs=4326,
    ).to_file(path)
    areas = read_boundaries(path)
    assets = geocode(
        register(
            asset_id=["hospital", "nurse-a", "nurse-b", "nurses", "cleaner", "depot"],
            kind=["macro", "micro", "micro", "micro", "micro", "macro"],
            category=["anchor_institution", "individual", "individual", "individual",
                      "economic", "anchor_institution"],
            offers=["jobs", "nursing", "nursing", "nursing", "cleaning", "jobs"],
            needs=["nursing; cleaning", None, None, None, None, "drivers"],
            capacity=[5, 1, None, 2, 10, 3],
            easting=[400500, 400200, 400800, 400400, 401500, 410000],
            northing=[286500] * 6,
        ),
        study_area=None,
    )  # fmt: skip
    table = analysis.skills_mismatch(assets, areas, reach_m=1200)
    # the hospital reaches both squares (East's nearest edge is 500 m away); the depot neither
    assert table.loc[("W", "nursing")].tolist() == [4.0, 5.0, 1.0, 1.0]  # 1 + 1 + 2 people
    assert table.loc[("W", "cleaning")].tolist() == [0.0, 5.0, 5.0, 5.0]
    assert table.loc[("E", "cleaning")].tolist() == [1.0, 5.0, 4.0, 4.0]  # a firm counts once
    assert ("W", "drivers") not in table.index
    links = find_links(assets, between=("micro", "macro"), max_distance_m=1200)
    assert list(analysis.anchor_deserts(assets, links).index) == ["depot"]


def test_lookup_from_lsoa21_to_wards_and_authorities(shared_data: Path) -> None:
    from assetmap.areas import read_area_lookup

    folder = shared_data / BOUNDARIES / "geographr_bsc"
    lookup = read_area_lookup(folder / "lookup_lsoa21_ward24_ltla24_bham_dudley_sandwell.csv")
    assert list(lookup.columns) == [
        "lsoa21_name", "lsoa21_code", "ward24_name", "ward24_code", "la24_name", "la24_code",
    ]  # fmt: skip
    assert lookup["lsoa21_code"].is_unique and len(lookup) > 1000
    # the hospital's LSOA 2021 lies in Sandwell's Soho and Victoria ward
    with pytest.warns(SchemaWarning, match="super-generalised"):
        lsoa21 = read_boundaries(folder / "boundaries_lsoa21_bbox.geojson")
    placed = assign_areas(geocode(register(postcode=["B66 2QT"]), study_area=None), lsoa21)
    row = lookup.set_index("lsoa21_code").loc[placed["lsoa21_code"].iloc[0]]
    assert (row["ward24_name"], row["la24_name"]) == ("Soho and Victoria", "Sandwell")
    older = read_area_lookup(folder / "lookup_lsoa11_lsoa21_ltla22_bham_dudley_sandwell.csv")
    assert {"lsoa11_code", "lsoa21_code", "la22_code"} <= set(older.columns)


def test_shapefiles_read_too(tmp_path: Path) -> None:
    path = tmp_path / "wards.shp"
    gpd.GeoDataFrame(
        {"WD23CD": ["E05000001"], "WD23NM": ["Somewhere"]},
        geometry=[shapely.box(-1.95, 52.47, -1.93, 52.49)],
        crs=4326,
    ).to_file(path)
    wards = read_boundaries(path)
    assert wards.attrs["level"] == "ward23" and wards.loc["E05000001", "area_name"] == "Somewhere"


# --- study areas: none unless given; a file, a frame, a polygon or a bundled area's exact name


def test_no_study_area_is_none() -> None:
    from assetmap.areas import study_polygon

    assert study_polygon(None) is None and study_polygon(False) is None
    placed = geocode(register(postcode=["B66 2QT"]), study_area=False)  # no shapely crash
    assert "in_study_area" not in placed.columns or placed["in_study_area"].isna().all()


def test_a_bundled_area_only_by_its_exact_name(tmp_path: Path) -> None:
    from assetmap.areas import BUNDLED_STUDY_AREAS, study_polygon
    from assetmap.errors import ConfigurationError

    assert list(BUNDLED_STUDY_AREAS) == ["greater-icknield"]
    bundled = study_polygon("greater-icknield")
    assert bundled.equals(datasets.study_area().union_all())
    for wrong in ("Greater Icknield", "greater-icknield ", "cheltenham", str(tmp_path / "x.gpkg")):
        with pytest.raises(ConfigurationError, match="not the name of a bundled area"):
            study_polygon(wrong)
    for odd in (True, 5, ["greater-icknield"]):
        with pytest.raises(ConfigurationError, match="was given"):
            study_polygon(odd)  # type: ignore[arg-type]


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp"])
def test_a_study_area_file_in_any_crs(suffix: str, tmp_path: Path) -> None:
    from assetmap.areas import study_polygon

    # two halves of one box in British National Grid: merged, and placed through OSTN15
    halves = [
        shapely.box(400000, 280000, 405000, 290000),
        shapely.box(405000, 280000, 410000, 290000),
    ]
    area = gpd.GeoDataFrame({"part": [1, 2]}, geometry=halves, crs="EPSG:27700")
    path = tmp_path / f"area{suffix}"
    area.to_file(path)
    polygon = study_polygon(path)
    assert isinstance(polygon, shapely.Polygon)  # one shape, not two
    assert polygon.symmetric_difference(study_polygon(area)).area < 1e-12  # as the frame
    x0, y0, x1, y1 = polygon.bounds
    assert (round(x0, 3), round(y0, 3), round(x1, 3), round(y1, 3)) == (
        -2.001,
        52.418,
        -1.854,
        52.508,  # degrees, not metres (OSTN15, see test_crs)
    )
    assert study_polygon(str(path)).equals(polygon)  # text naming a file is a file


def test_study_areas_that_cannot_be_used_are_clear_errors(tmp_path: Path) -> None:
    from assetmap.areas import study_polygon
    from assetmap.errors import CRSError

    with pytest.raises(CRSError, match="not in longitude/latitude"):
        study_polygon(shapely.box(400000, 280000, 410000, 290000))
    with pytest.raises(CRSError, match="has no CRS"):
        study_polygon(gpd.GeoSeries([shapely.box(0, 51, 1, 52)]))
    points = tmp_path / "points.geojson"
    gpd.GeoDataFrame(geometry=[shapely.Point(0, 51)], crs=4326).to_file(points)
    with pytest.raises(SchemaError, match="holds no polygon"):
        study_polygon(points)
    table = tmp_path / "table.csv"
    table.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="boundary file"):
        study_polygon(table)


def test_an_invalid_study_polygon_is_repaired() -> None:
    from assetmap.areas import study_polygon

    bowtie = shapely.Polygon([(0, 51), (1, 52), (1, 51), (0, 52)])
    fixed = study_polygon(bowtie)
    assert fixed.is_valid and fixed.area > 0
