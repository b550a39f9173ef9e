"""Registers as councils and charities publish them (tests/real_registers.py writes them byte
for byte), each read with at most five lines of mapping and taken through geocode ->
find_links -> build_map -> build_report."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from assetmap import build_map, build_report, find_links, geocode, read_assets
from assetmap.errors import AssetmapWarning, GeocodingWarning, SchemaError, SchemaWarning
from tests import real_registers as rr
from tests.contracts import assert_same_rows
from tests.registers import register


def _place(assets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Geocode with the ONS postcode directory (as tests/test_geocode.py); every row kept."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GeocodingWarning)  # each test asserts on the notes
        placed = geocode(assets)
    assert_same_rows(assets, placed, changed=["geometry"])
    return placed


def _link_map_report(placed: gpd.GeoDataFrame) -> None:
    """find_links -> build_map -> build_report, each keeping every row."""
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        links = find_links(placed)
        assert set(links["source"]) | set(links["target"]) <= set(placed.index)
        m = build_map(placed, links=links, tiles=None)
        assert m is not None
        report = build_report(placed, links, charts=False)
        assert len(report.notes) > 0 or not links.empty  # says what it could not compute
    foreign = [w for w in said if not issubclass(w.category, AssetmapWarning)]
    assert not foreign, [str(w.message) for w in foreign]


COUNCIL = {
    "columns": {
        "Property Reference": "asset_id",
        "Property Name": "name",
        "Site Address": "address",
        "Property Type": "category",
    },
    "defaults": {"privacy": "public"},
    "values": {"category": {"Office": "physical", "Community Centre": "physical",
                            "Shop": "economic", "Land": "natural"}},
}  # fmt: skip


def test_council_land_register_cp1252_geox_geoy_multiline_repeated_refs(tmp_path: Path) -> None:
    path = rr.council_land_register(tmp_path)
    with pytest.raises(SchemaError) as info:
        read_assets(path, **COUNCIL)  # type: ignore[arg-type]
    err = info.value
    # records 4 and 5 of the file, named by their physical lines (multi-line addresses above)
    assert [(p.row, p.column) for p in err.problems] == [("SMBC-0003", "asset_id")] * 2
    assert [p.where for p in err.problems] == ["line 7", "line 9"]
    assert "duplicate id 'SMBC-0003'" in str(err) and "make_ids_unique=True" in str(err)
    assert "--make-ids-unique" in err.message("cli")
    assert "make_ids_unique = true" in err.message("project")

    with pytest.warns(SchemaWarning, match="'SMBC-0003' at line 9 became 'SMBC-0003-2'"):
        assets = read_assets(path, **COUNCIL, make_ids_unique=True)  # type: ignore[arg-type]
    assert list(assets.index) == ["SMBC-0001", "SMBC-0002", "SMBC-0003", "SMBC-0003-2",
                                  "SMBC-0004"]  # fmt: skip
    assert assets.loc["SMBC-0003", "name"] == "Café on the Green"  # cp1252 é
    assert assets.loc["SMBC-0003-2", "name"] == "Café on the Green – Kiosk"  # cp1252 en dash
    assert assets.loc["SMBC-0002", "address"].splitlines() == [
        "Victoria Park", "St Paul's Road", "Smethwick"]  # fmt: skip
    assert assets["kind"].tolist() == ["micro"] * 5  # from the categories
    assert assets.loc["SMBC-0001", ["easting", "northing"]].tolist() == [403502, 288151]
    placed = _place(assets)
    assert (placed["geocode_method"] == "coordinates").all()
    # GeoX/GeoY are British National Grid: each lies within 30 m of its postcode's point
    assert (
        placed.loc["SMBC-0001"].geometry.distance(gpd.points_from_xy([-1.94985], [52.49126])[0])
        < 0.0005
    )
    _link_map_report(placed)


def test_library_list_with_type_no_id_no_category(tmp_path: Path) -> None:
    path = rr.library_list(tmp_path)
    mapping = {
        "columns": {"Library name": "name"},
        "defaults": {"privacy": "public"},
        "values": {"category": {"Static Library": "institution", "Mobile Library": "institution"}},
    }
    with pytest.warns(SchemaWarning) as record:
        assets = read_assets(path, **mapping)  # type: ignore[arg-type]
    said = " ".join(str(w.message) for w in record)
    assert "read heading 'Type' as category" in said
    assert said.count("there is no id column") == 1
    assert (assets["category"] == "institution").all() and (assets["kind"] == "micro").all()
    assert assets.index.is_unique and assets.index[0].startswith("smethwick-library-")
    # the ids follow the rows, not their order
    text = path.read_text().splitlines()
    path.write_text("\n".join([text[0], *reversed(text[1:])]) + "\n")
    with pytest.warns(SchemaWarning):
        again = read_assets(path, **mapping)  # type: ignore[arg-type]
    assert sorted(again.index) == sorted(assets.index)
    assert again.loc[assets.index[0], "name"] == "Smethwick Library"
    placed = _place(assets)
    assert (placed["geocode_method"] == "postcode").all()
    _link_map_report(placed)


def test_library_list_unmapped_words_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(SchemaError) as info:
        read_assets(rr.library_list(tmp_path), columns={"Library name": "name"})
    err = info.value
    cli = err.message("cli")
    assert "on 2 rows: lines 2, 4" in cli
    assert '--value "category:Static Library=..."' in cli
    assert "values={'category': {'Static Library': '...'}}" in str(err)
    assert err.table()["column"].tolist() == ["category"] * 4


def test_food_banks_latt_long_and_postcodes_inside_addresses(tmp_path: Path) -> None:
    with pytest.warns(SchemaWarning, match="there is no id column"):
        assets = read_assets(
            rr.food_banks(tmp_path), defaults={"category": "association", "privacy": "public"}
        )
    assert assets[["latitude", "longitude"]].iloc[0].tolist() == [52.4860, -1.9465]
    assert assets.loc[assets.index[0], "needs"] == ["volunteers", "tinned food"]
    placed = _place(assets)
    assert (placed["geocode_method"] == "coordinates").all()
    # Central Food Hub's coordinates (Smethwick) are far from its address's postcode
    note = placed["geocode_note"].fillna("")
    assert "from postcode 'B1 1TJ'" in note.iloc[2]
    assert "from postcode" not in note.iloc[0] + note.iloc[1]
    _link_map_report(placed)


def test_latt_long_cells_that_do_not_parse_are_problems_at_their_line(tmp_path: Path) -> None:
    path = tmp_path / "fb.csv"
    path.write_text('Name,latt_long\nA,"52.1,-1.3"\nB,somewhere\nC,\n', encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        read_assets(path, defaults={"category": "association", "privacy": "public"})
    (problem,) = info.value.problems
    assert (problem.where, problem.column) == ("line 3", "latt_long")
    assert "'somewhere' is not latitude,longitude" in problem.message


PUBLIC = {"privacy": "public"}
ARCGIS_VALUES = {
    "category": {"Community Centre": "physical", "Youth Club": "association",
                 "Arts Venue": "cultural", "Green Space": "natural"},
}  # fmt: skip


def test_arcgis_csv_x_y_in_degrees_never_in_the_sea(tmp_path: Path) -> None:
    with pytest.warns(SchemaWarning) as record:
        assets = read_assets(rr.arcgis_csv(tmp_path), values=ARCGIS_VALUES, defaults=PUBLIC)
    said = " ".join(str(w.message) for w in record)
    assert "read 'X' and 'Y' as longitude and latitude in degrees" in said
    assert "'OBJECTID' as asset_id" in said and "'TYPE' as category" in said
    assert "'X' as easting" not in said
    assert list(assets.index) == ["1", "2", "3", "4"]
    assert assets.loc["1", ["latitude", "longitude"]].tolist() == [52.49126, -1.94985]
    assert assets["easting"].isna().all()
    placed = _place(assets)
    assert placed.geometry.y.between(52.4, 52.7).all()  # not off the Scilly Isles (49.8)
    assert "from postcode 'B18 4JD'" in placed.loc["4", "geocode_note"]
    _link_map_report(placed)


def test_arcgis_geojson_points_and_a_line(tmp_path: Path) -> None:
    with pytest.warns(SchemaWarning, match="LineString, not a point or an area.*feature 5"):
        assets = read_assets(rr.arcgis_geojson(tmp_path), values=ARCGIS_VALUES, defaults=PUBLIC)
    assert list(assets.index) == ["1", "2", "3", "4", "5"]
    assert assets.loc["5", ["latitude", "longitude"]].tolist() == pytest.approx([52.488, -1.93])
    placed = _place(assets)
    assert placed.geometry.notna().all()
    _link_map_report(placed)


def test_rotterdam_register_with_no_uk_field(tmp_path: Path) -> None:
    mapping = {
        "columns": {"Naam": "name", "Soort": "category"},
        "defaults": {"privacy": "public"},
        "values": {"category": {"Buurthuis": "physical", "Bibliotheek": "institution"}},
    }
    with pytest.warns(SchemaWarning, match="there is no id column"):
        assets = read_assets(rr.rotterdam(tmp_path), **mapping)  # type: ignore[arg-type]
    assert assets["category"].tolist() == ["physical", "institution", "physical"]
    assert assets["Straat"].tolist()[0] == "Esch"  # other columns kept
    placed = _place(assets)
    assert placed.geometry.x.between(4.4, 4.6).all()
    assert (placed["geocode_method"] == "coordinates").all()
    assert "in_study_area" not in placed.columns or placed["in_study_area"].isna().all()
    _link_map_report(placed)


@pytest.mark.parametrize(
    ("csv", "first", "second", "fix"),
    [
        ("name,Type,category\nA,x,association\n", "Type", "category", "category"),
        ("name,Lat,latitude,lon,category\nA,52,52,-1,natural\n", "Lat", "latitude",
         "latitude"),
        ("Name,name,category\nA,B,association\n", "Name", "name", "name"),
        ("name,postcode,Post Code,category\nA,B1 1TJ,B1 1TJ,association\n", "postcode",
         "Post Code", "postcode"),
    ],
)  # fmt: skip
def test_a_heading_beside_its_alias_is_one_problem_naming_both(
    tmp_path: Path, csv: str, first: str, second: str, fix: str
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(csv, encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        read_assets(path)
    (problem,) = info.value.problems
    assert f"{first!r} and {second!r}" in problem.message
    assert problem.fix is not None and problem.fix.field == fix
    assert "--column" in info.value.message("cli")
    # choosing one with columns= reads it and keeps the other as it is
    with pytest.warns(SchemaWarning, match="no id column"):
        assets = read_assets(path, columns={fix: fix}, defaults=PUBLIC)
    other = first if fix == second else second
    assert [str(v) for v in assets[other]] == [pd.read_csv(path, dtype=str)[other][0]]


def test_a_heading_written_twice_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("name,category,name\nA,association,B\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="'name' is written 2 times"):
        read_assets(path)
    with pytest.warns(SchemaWarning, match="no id column"):
        assets = read_assets(path, columns={"name.1": "name"}, defaults=PUBLIC)
    assert assets["name"].tolist() == ["B"]
    assert assets["name (not read)"].tolist() == ["A"]


def test_one_heading_feeds_two_fields(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Site Address": ["1 High St, B66 2QT"], "Use": ["Land"]})
    with pytest.warns(SchemaWarning, match="no id column"):
        assets = read_assets(
            frame,
            columns={"Site Address": ["name", "address"], "Use": "category"},
            values={"category": {"land": "natural"}},
            defaults=PUBLIC,
        )
    assert assets.iloc[0][["name", "address", "category"]].tolist() == [
        "1 High St, B66 2QT", "1 High St, B66 2QT", "natural"]  # fmt: skip


def test_degrees_in_easting_northing_are_read_as_degrees_row_by_row() -> None:
    # a frame validated directly (no whole-column decision): the geocoder still reads each
    # row's X/Y within ±180/±90 as degrees, and still checks it against the row's postcode
    assets = register(
        postcode=["B66 2QT", "B66 2QT", "B18 4JD"],
        easting=[-1.94985, 403502, -1.89],
        northing=[52.49126, 288151, 52.60],
    )
    placed = geocode(assets)
    assert placed.geometry.y.between(52.4, 52.7).all()  # none off the Scilly Isles
    note = placed["geocode_note"].fillna("")
    assert note["a0"] == (
        "easting -1.94985, northing 52.4913 lie within ±180/±90: read as longitude and "
        "latitude in degrees"
    )
    assert note["a1"] == ""
    assert "from postcode 'B18 4JD'" in note["a2"]
