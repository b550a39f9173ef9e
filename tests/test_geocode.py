from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from assetmap import datasets, geocode, geocode_summary
from assetmap.errors import GeocodingWarning
from assetmap.geocoding.gazetteer import gazetteer_from_frame
from assetmap.schema import validate_assets
from tests.contracts import assert_same_rows, odd_register
from tests.registers import register


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
    out = geocode(assets, study_area=datasets.study_area())
    note = out["geocode_note"]
    # in range both ways, but only the swap lies in the study area
    assert out.loc["a0", "geocode_method"] == "coordinates"
    assert out.loc["a0"].geometry.y == pytest.approx(52.4913)
    assert "were swapped" in note["a0"]
    # latitude out of range, longitude a latitude: only one reading (Singapore)
    assert (out.loc["a1"].geometry.x, out.loc["a1"].geometry.y) == (103.8, 1.35)
    assert not out.loc["a1", "in_study_area"]
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
