"""The default gazetteer against the real ONS files in ../shared/data."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest

from assetmap.crs import to_lonlat
from assetmap.errors import GeocodingWarning, SchemaError
from assetmap.geocoding.gazetteer import (
    gazetteer_from_frame,
    ons_postcode_directory,
    read_postcode_file,
)
from tests.registers import register

GEOD = pyproj.Geod(ellps="WGS84")


def _metres(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_every_postcode_of_the_same_release_lands_on_its_grid_reference(shared_data: Path) -> None:
    table = pd.read_csv(shared_data / "postcodes/nspd_pypi_qlacref_2026.1.1/postcodes_B_subset.csv")
    assert len(table) == 23420
    g = ons_postcode_directory()
    hit = g.lookup(g.parse(table["pcd"]).key)
    gridded = table["oseast1m"].notna().to_numpy()
    assert hit.found[gridded].all()
    assert not hit.found[~gridded].any()  # no grid reference: not placed, not (0, 0)
    lon, lat = to_lonlat(
        table["oseast1m"].to_numpy()[gridded], table["osnrth1m"].to_numpy()[gridded], "EPSG:27700"
    )
    gap = _metres(hit.lon[gridded], hit.lat[gridded], lon, lat)
    assert gap.max() < 0.5


def test_across_releases_at_least_98_percent_within_5_m(shared_data: Path) -> None:
    nspl = pd.read_csv(shared_data / "postcodes/nspl_2025-05_latlon_odileeds/B.csv")
    nspl = nspl[nspl["lat"].notna()]
    g = ons_postcode_directory()
    hit = g.lookup(g.parse(nspl["Postcode"]).key)
    both = hit.found
    gap = _metres(
        hit.lon[both], hit.lat[both], nspl["long"].to_numpy()[both], nspl["lat"].to_numpy()[both]
    )
    within = float((gap <= 5).mean())
    moved = nspl["Postcode"].to_numpy()[both][gap > 5]
    print(
        f"\n{both.sum()} postcodes in both releases; {within:.2%} within 5 m; "
        f"{len(moved)} moved further (e.g. {', '.join(moved[:5])})"
    )
    assert both.mean() > 0.99
    assert within >= 0.98


def test_hospital_postcodes() -> None:
    g = ons_postcode_directory()
    hit = g.lookup(g.parse(pd.Series(["B66 2QT", "b18 7qh", "B99 9ZZ", "nonsense"])).key)
    assert hit.found.tolist() == [True, True, False, False]
    assert hit.lat[0] == pytest.approx(52.4912, abs=1e-3)
    assert hit.lon[0] == pytest.approx(-1.9499, abs=1e-3)


def test_northern_ireland_uses_irish_grid() -> None:
    g = ons_postcode_directory()
    hit = g.lookup(g.parse(pd.Series(["BT1 1AA"])).key)
    assert hit.found[0]
    # Belfast city centre, not the Irish Sea where British National Grid would put it
    assert hit.lat[0] == pytest.approx(54.60, abs=0.02)
    assert hit.lon[0] == pytest.approx(-5.93, abs=0.02)


def test_bring_your_own_gazetteer_in_a_projected_crs() -> None:
    table = pd.DataFrame(
        {
            "code": ["3011AB", "3011AB", "61-001"],
            "x": [92600.0, 0.0, 630000.0],
            "y": [437500.0, 0.0, 5800000.0],
        }
    )
    g = gazetteer_from_frame(
        table.iloc[:2], key="code", x="x", y="y", crs="EPSG:28992", precision_m=25, name="pc6"
    )
    hit = g.lookup(g.parse(pd.Series([" 3011ab", "x"])).key)
    assert hit.found.tolist() == [True, False]
    assert hit.lat[0] == pytest.approx(51.92, abs=0.01)  # Rotterdam, first row wins
    assert hit.precision_m[0] == 25


def _geocode_each(postcodes: pd.Series, gazetteer: object) -> pd.DataFrame:
    """Geocode a register holding each postcode once, through the whole geocoder."""
    from assetmap import geocode

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GeocodingWarning)
        return geocode(
            register(postcode=postcodes.tolist()),
            gazetteer=gazetteer,  # type: ignore[arg-type]
            study_area=None,
        )


def _on_their_points(
    out: pd.DataFrame, where: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> None:
    """The rows ``where`` were placed by their postcode, within 0.5 m of the points given."""
    assert (out["geocode_method"].to_numpy()[where] == "postcode").all()
    gap = _metres(out.geometry.x.to_numpy()[where], out.geometry.y.to_numpy()[where], lon, lat)
    assert gap.max() < 0.5


def test_nspl_latlon_file_places_each_postcode_on_its_published_point(shared_data: Path) -> None:
    path = shared_data / "postcodes/nspl_2025-05_latlon_odileeds/B.csv"
    g = read_postcode_file(path)
    published = pd.read_csv(path)
    out = _geocode_each(published["Postcode"], g)
    with_point = published["lat"].notna().to_numpy()
    _on_their_points(
        out,
        with_point,
        published["long"].to_numpy()[with_point],
        published["lat"].to_numpy()[with_point],
    )
    # no grid reference (empty lat, long 0): not placed by the postcode, nor put at 0, 0
    missing = out[~with_point]
    assert len(missing) == 11
    assert missing["geocode_method"].isin(["sector", "district"]).all()
    assert missing["geocode_note"].str.contains("was not found in the postcode gazetteer").all()


def test_codepoint_open_places_each_postcode_on_its_grid_reference(shared_data: Path) -> None:
    folder = shared_data / "postcodes/codepoint_open_2014-08_open-postcode"
    g = read_postcode_file(folder / "b.csv")  # headers file found beside it
    names = (folder / "Code-Point_Open_Column_Headers.csv").read_text().splitlines()[1]
    published = pd.read_csv(folder / "b.csv", header=None, names=names.split(","))
    assert len(published) == 13612
    out = _geocode_each(published["Postcode"], g)
    lon, lat = to_lonlat(
        published["Eastings"].to_numpy(float), published["Northings"].to_numpy(float), "EPSG:27700"
    )
    _on_their_points(out, np.ones(len(out), dtype=bool), lon, lat)
    # the area codes Code-Point holds come through
    assert out["la_code"].iloc[0] == published["Admin_district_code"].iloc[0]
    assert out["ward_code"].iloc[0] == published["Admin_ward_code"].iloc[0]
    # the folder reads the same (the headers file is not taken for data)
    assert len(read_postcode_file(folder).part("").keys) == 13612


def test_ons_directory_subset_file_places_each_postcode(shared_data: Path) -> None:
    path = shared_data / "postcodes/nspd_pypi_qlacref_2026.1.1/postcodes_B_subset.csv"
    g = read_postcode_file(path)
    published = pd.read_csv(path)
    out = _geocode_each(published["pcd"], g)
    gridded = published["oseast1m"].notna().to_numpy()
    lon, lat = to_lonlat(
        published["oseast1m"].to_numpy()[gridded],
        published["osnrth1m"].to_numpy()[gridded],
        "EPSG:27700",
    )
    _on_their_points(out, gridded, lon, lat)
    assert (out["geocode_method"].to_numpy()[~gridded] != "postcode").all()


ONSPD_OLD = (
    "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,"
    "osgrdind,oshlthau,nhser,ctry,rgn,streg,pcon,eer,teclec,ttwa,pct,itl,statsward,oa01,"
    "casward,park,lsoa01,msoa01,ur01ind,oac01,oa11,lsoa11,msoa11,wz11,sicbl,bua24,ru11ind,"
    "oac11,lat,long,lep1,lep2,pfa,imd,calncv,icb,oa21,lsoa21,msoa21"
)
NSPD_NEW = (
    "pcd7,pcd8,pcds,dointr,doterm,usrtypind,east1m,north1m,gridind,oa21cd,cty25cd,ced25cd,"
    "lad25cd,wd25cd,nhser24cd,ctry25cd,rgn25cd,pcon24cd,ttwa15cd,itl25cd,npark16cd,lsoa21cd,"
    "msoa21cd,wz11cd,sicbl24cd,bua24cd,ruc21ind,oac11ind,lat,long"
)


def _onspd_row(header: str, **values: str) -> str:
    return ",".join(values.get(c, "") for c in header.split(","))


@pytest.mark.parametrize("header", [ONSPD_OLD, NSPD_NEW], ids=["ONSPD", "NSPD-2025"])
def test_onspd_layouts_quality_termination_and_codes(tmp_path: Path, header: str) -> None:
    new = header.startswith("pcd7")
    east, north, grid = (
        ("east1m", "north1m", "gridind") if new else ("oseast1m", "osnrth1m", "osgrdind")
    )
    lsoa, ward, la = ("lsoa21cd", "wd25cd", "lad25cd") if new else ("lsoa21", "osward", "oslaua")
    pos = {"B66 2QT": ("405815", "287430"), "B1 1AA": ("406649", "286530"),
           "B1 1BA": ("406600", "286450"), "B1 1BB": ("406672", "286966")}  # fmt: skip

    def row(pc: str, quality: str, lat: str = "", long: str = "", **more: str) -> dict[str, str]:
        e, n = pos.get(pc, ("", ""))
        return {"pcds": pc, "lat": lat, "long": long, east: e, north: n, grid: quality, **more}

    rows = [
        # live, placed by lat/long
        row("B66 2QT", "1", "52.491250", "-1.949940",
            **{lsoa: "E01010046", ward: "E05001272", la: "E08000028"}),
        # terminated in June 2019: still placed, with a note
        row("B1 1AA", "1", "52.476670", "-1.903530", doterm="201906", **{la: "E08000025"}),
        # no grid reference: ONS writes lat 99.999999, long 0
        row("B1 1ZZ", "9", "99.999999", "0.000000"),
        # imputed position (5): placed, less precise
        row("B1 1BA", "5", "52.476000", "-1.904000"),
        # grid reference only (no lat/long written)
        row("B1 1BB", "1"),
    ]  # fmt: skip
    for r in rows:
        r.setdefault("pcd7" if new else "pcd", r["pcds"])
    path = tmp_path / "ONSPD_TEST_UK.csv"
    path.write_text(
        header + "\n" + "\n".join(_onspd_row(header, **r) for r in rows) + "\n", encoding="utf-8"
    )
    g = read_postcode_file(path)
    out = _geocode_each(pd.Series(["B66 2QT", "B1 1AA", "B1 1ZZ", "B1 1BA", "B1 1BB"]), g)
    assert out["geocode_method"].tolist() == [
        "postcode",
        "postcode",
        "sector",
        "postcode",
        "postcode",
    ]
    assert out["geocode_note"].iloc[1] == "postcode 'B1 1AA' terminated in 2019-06"
    assert out.geometry.iloc[0].y == pytest.approx(52.49125)
    assert out["geocode_precision_m"].tolist()[:2] == [100, 100]
    assert out["geocode_precision_m"].iloc[3] == 200  # imputed
    assert out.geometry.iloc[4].y == pytest.approx(52.4807, abs=1e-3)  # from the grid reference
    assert out["lsoa21_code"].iloc[0] == "E01010046"
    assert out["ward_code"].iloc[0] == "E05001272"
    assert out["la_code"].tolist()[:2] == ["E08000028", "E08000025"]
    # the sector's centre leaves out the terminated postcode (live ones exist)
    hit = g.lookup(pd.Series(["B1 1"]), "sector")
    live = pd.DataFrame(
        {"lon": [-1.904000, out.geometry.iloc[4].x], "lat": [52.476000, out.geometry.iloc[4].y]}
    )
    assert hit.lat[0] == pytest.approx(live["lat"].mean())


def test_unknown_file_layout_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "places.csv"
    path.write_text("name,x,y\nsomewhere,1,2\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="no postcode column"):
        read_postcode_file(path)
    path.write_text("Postcode,colour\nB1 1AA,red\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="no latitude/longitude or easting/northing"):
        read_postcode_file(path)


def test_sector_precision_holds_most_of_its_postcodes() -> None:
    g = ons_postcode_directory()
    sector = g.lookup(pd.Series(["B16 8"]), "sector")
    table = g.part("B")
    mine = table.keys.str.startswith("B16 8").to_numpy() & np.isfinite(table.lon)
    gap = _metres(
        np.full(mine.sum(), sector.lon[0]), np.full(mine.sum(), sector.lat[0]),
        table.lon[mine], table.lat[mine],
    )  # fmt: skip
    share = float((gap <= sector.precision_m[0]).mean())
    assert 0.88 <= share <= 0.95
    district = g.lookup(pd.Series(["B16"]), "district")
    assert district.precision_m[0] > sector.precision_m[0]


def test_postcode_file_with_a_byte_order_mark_and_quoted_header(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b'\xef\xbb\xbf"Postcode","Latitude","Longitude"\r\n"B66 2QT",52.49125,-1.94994\r\n'
    )
    hit = read_postcode_file(path).lookup(pd.Series(["B66 2QT"]))
    assert hit.found.tolist() == [True] and hit.lat[0] == pytest.approx(52.49125)
