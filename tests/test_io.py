from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pandas.testing import assert_frame_equal

import assetmap
from assetmap import geocode, read_assets, read_relationships, save_assets
from assetmap.errors import GeocodingWarning, SchemaError, SchemaWarning
from assetmap.schema import validate_assets
from tests.contracts import assert_same_rows, odd_register
from tests.registers import register

REGISTER = (
    "Ref,Organisation,Kind,Type,Skills offered,Needs,Post Code,Privacy,Notes\n"
    'r1,Café Olé,micro,economic,"Catering; barista, ESOL teaching",customers,b16 8hj,'
    "public,first\n"
    "r2,Łódź Club,micro,association,interpreting,meeting space,B662QT,partners,second\n"
)
MAPPING = {"Organisation": "name", "Skills offered": "offers", "Kind": "kind", "Type": "category"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_csv_utf8_with_and_without_bom(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "reg.csv"
    path.write_bytes(REGISTER.encode(encoding))
    assets = read_assets(path, columns=MAPPING)
    assert list(assets.index) == ["r1", "r2"]
    assert assets.loc["r1", "name"] == "Café Olé"
    assert assets.loc["r2", "name"] == "Łódź Club"
    assert assets.loc["r1", "offers"] == ["catering", "barista", "esol teaching"]
    assert assets.loc["r1", "postcode"] == "b16 8hj"  # kept as written; geocode reads it
    assert assets.loc["r1", "Notes"] == "first"  # other columns untouched


def test_csv_cp1252_as_excel_writes_it(tmp_path: Path) -> None:
    text = REGISTER.replace("Łódź Club", "Señora’s Club")
    path = tmp_path / "reg.csv"
    path.write_bytes(text.encode("cp1252"))
    assets = read_assets(path, columns=MAPPING)
    assert assets.loc["r2", "name"] == "Señora’s Club"
    assert assets.loc["r1", "name"] == "Café Olé"


def test_xlsx(tmp_path: Path) -> None:
    frame = pd.read_csv(pd.io.common.StringIO(REGISTER), dtype=str)
    path = tmp_path / "reg.xlsx"
    frame.to_excel(path, index=False)
    assets = read_assets(path, columns=MAPPING)
    assert assets.loc["r2", "offers"] == ["interpreting"]
    assert assets.loc["r2", "privacy"] == "partners"


def test_mapping_to_missing_heading_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "reg.csv"
    path.write_text(REGISTER, encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        read_assets(path, columns={"Organisaton": "name", "Type": "category_name"})
    text = str(info.value)
    assert "no such heading" in text and "'Organisaton'" in text
    assert "'category_name', which is not a canonical column" in text


def test_geojson_points_and_polygons_become_inputs(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {
            "asset_id": ["p", "s"],
            "name": ["Point", "Site"],
            "kind": ["micro", "macro"],
            "category": ["natural", "capital_development"],
            "privacy": "public",
        },
        geometry=[shapely.Point(-1.93, 52.48), shapely.box(-1.93, 52.48, -1.92, 52.49)],
        crs=4326,
    )
    path = tmp_path / "in.geojson"
    frame.to_file(path)
    assets = read_assets(path)
    assert assets.loc["p", "latitude"] == pytest.approx(52.48)
    assert assets.loc["p", "longitude"] == pytest.approx(-1.93)
    assert assets.loc["s", "footprint"].equals(shapely.box(-1.93, 52.48, -1.92, 52.49))
    assert assets.geometry.isna().all()  # placing rows is geocode's job


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg", ".parquet"])
@pytest.mark.parametrize("geocoded", [False, True])
def test_save_and_read_back_equal(
    tmp_path: Path, suffix: str, geocoded: bool, sample_geocoded: gpd.GeoDataFrame
) -> None:
    assets = sample_geocoded if geocoded else assetmap.datasets.sample_register()
    path = save_assets(assets, tmp_path / f"out{suffix}")
    back = read_assets(path)
    assert_frame_equal(back, assets, check_like=False)
    assert back.index.name == "asset_id"
    assert back.crs == assets.crs


FORMATS = [".csv", ".geojson", ".gpkg", ".parquet", ".xlsx"]
XLSX_FLOATS = pytest.mark.xfail(
    strict=True,
    reason="XLSX keeps 16 significant digits: geocode_precision_m 226.63870816765692 reads "
    "back as 226.6387081676569",
)


@pytest.mark.parametrize(
    ("suffix", "geocoded"),
    [(s, False) for s in FORMATS]
    + [pytest.param(s, True, marks=XLSX_FLOATS if s == ".xlsx" else ()) for s in FORMATS],
)
def test_read_assets_gives_back_the_rows_save_assets_wrote(
    tmp_path: Path, suffix: str, geocoded: bool
) -> None:
    assets = validate_assets(odd_register())
    if geocoded:
        with pytest.warns(GeocodingWarning):
            assets = geocode(assets, study_area=assetmap.datasets.study_area())
    back = read_assets(save_assets(assets, tmp_path / f"out{suffix}"))
    assert_same_rows(assets, back)
    assert back.columns.tolist() == assets.columns.tolist()


@pytest.mark.parametrize("suffix", FORMATS)
def test_text_that_looks_missing_or_like_a_formula_reads_back(tmp_path: Path, suffix: str) -> None:
    assets = register(
        asset_id=["NA", "null", "n-a"],
        Notes=["N/A", "=1+1", "#N/A"],
        postcode=["None", "NaN", "-"],
    )
    back = read_assets(save_assets(assets, tmp_path / f"out{suffix}"))
    assert_same_rows(assets, back)


def test_save_does_not_touch_the_input(tmp_path: Path, sample_geocoded: gpd.GeoDataFrame) -> None:
    before = sample_geocoded.copy()
    save_assets(sample_geocoded, tmp_path / "x.csv")
    assert_frame_equal(sample_geocoded, before)


def test_relationships_check_ids(tmp_path: Path) -> None:
    assets = assetmap.datasets.sample_register()
    rel = assetmap.datasets.sample_relationships()
    assert len(rel) >= 10
    assert set(rel["source"]) | set(rel["target"]) <= set(assets.index)
    path = tmp_path / "rel.csv"
    path.write_text(
        "source,target,type\nmacro-mmuh,nobody,employs\nghost,macro-mmuh,funds\n", encoding="utf-8"
    )
    with pytest.raises(SchemaError) as info:
        read_relationships(path, assets=assets)
    assert "line 2" in str(info.value) and "'nobody'" in str(info.value)
    assert "line 3" in str(info.value) and "'ghost'" in str(info.value)


def test_ids_made_from_content_number_identical_rows_in_order() -> None:
    frame = pd.DataFrame(
        {"name": ["Hall", "Hall", "Park", "Hall"], "category": "physical", "privacy": "public",
         "postcode": ["B66 2QT", "B66 2QT", "B66 2QT", "B16 8HJ"]}
    )  # fmt: skip
    with pytest.warns(SchemaWarning) as record:
        assets = read_assets(frame)
    said = [str(w.message) for w in record]
    assert sum("there is no id column: 4 id" in m for m in said) == 1
    assert any("3 rows share a name" in m for m in said)  # the identical rows: said too
    first, second, park, other = assets.index
    assert second == f"{first}-2" and first.startswith("hall-") and park.startswith("park-")
    assert other != first  # another postcode, another id
    with pytest.warns(SchemaWarning):
        again = read_assets(frame.iloc[[3, 2, 0, 1]])
    assert list(again.index) == [other, park, first, second]


def test_make_ids_unique_suffixes_repeats_and_warns_once() -> None:
    frame = pd.DataFrame(
        {"asset_id": ["a", "a", "a-2", "a"], "name": ["1", "2", "3", "4"],
         "category": "physical", "privacy": "public"}
    )  # fmt: skip
    with pytest.raises(SchemaError) as info:
        read_assets(frame)
    assert "--make-ids-unique" in info.value.message("cli")
    with pytest.warns(SchemaWarning) as record:
        assets = read_assets(frame, make_ids_unique=True)
    assert len(record) == 1 and "2 repeated id(s) were made unique" in str(record[0].message)
    assert list(assets.index) == ["a", "a-3", "a-2", "a-4"]


def test_defaults_fill_blanks_and_values_map_words_case_and_space_insensitively() -> None:
    frame = pd.DataFrame(
        {"asset_id": ["1", "2", "3"], "name": ["A", "B", "C"],
         "category": ["  STATIC   library ", None, "association"]}
    )  # fmt: skip
    assets = read_assets(
        frame,
        defaults={"category": "natural", "privacy": "partners"},
        values={"category": {"Static Library": "institution"}},
    )
    assert assets["category"].tolist() == ["institution", "natural", "association"]
    assert assets["kind"].tolist() == ["micro"] * 3
    assert (assets["privacy"] == "partners").all()
    with pytest.raises(SchemaError, match="defaults= names 'catgory', which is not a field"):
        read_assets(frame, defaults={"catgory": "natural"})


def test_a_heading_written_twice_in_xlsx_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    pd.DataFrame([["A", "association", "B"]], columns=["name", "category", "name"]).to_excel(
        path, index=False
    )
    with pytest.raises(SchemaError, match="'name' is written 2 times"):
        read_assets(path)
    with pytest.warns(SchemaWarning, match="no id column"):
        assets = read_assets(path, columns={"name.1": "name"}, defaults={"privacy": "public"})
    assert assets["name"].tolist() == ["B"] and assets["name (not read)"].tolist() == ["A"]
