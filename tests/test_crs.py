from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from assetmap.crs import (
    BRITISH_NATIONAL_GRID,
    accuracy_m,
    from_lonlat,
    metric_crs,
    projected,
    to_crs,
    to_lonlat,
)
from assetmap.errors import CRSError


def test_british_national_grid_in_great_britain() -> None:
    assert metric_crs((-1.98, 52.46, -1.90, 52.51)) == "EPSG:27700"


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        ((4.45, 51.90, 4.50, 51.95), "EPSG:32631"),  # Rotterdam
        ((16.85, 52.35, 17.00, 52.45), "EPSG:32633"),  # Poznań
        ((12.45, 37.98, 12.55, 38.05), "EPSG:32633"),  # Trapani
        ((-5.95, 54.55, -5.90, 54.62), "EPSG:32630"),  # Belfast: not British National Grid
    ],
)
def test_utm_elsewhere(bounds: tuple[float, float, float, float], expected: str) -> None:
    assert metric_crs(bounds) == expected


def test_no_bounds_is_an_error() -> None:
    with pytest.raises(CRSError):
        metric_crs((np.nan, np.nan, np.nan, np.nan))


def test_round_trip_within_a_centimetre() -> None:
    lon, lat = np.array([-1.9498]), np.array([52.4913])
    x, y = from_lonlat(lon, lat, "EPSG:27700")
    back_lon, back_lat = to_lonlat(x, y, "EPSG:27700")
    assert abs(back_lon[0] - lon[0]) < 1e-7 and abs(back_lat[0] - lat[0]) < 1e-7


# --- British National Grid through OSTN15 --------------------------------------------------

#: The Ordnance Survey's 40 published OSTN15 test points: ETRS89 latitude, longitude and the
#: National Grid easting, northing OSTN15 gives for them (to the millimetre). Source: OS,
#: "OSTN15_OSGM15_TestInput_ETRStoOSGB.txt" and "..._TestOutput_ETRStoOSGB.txt" in the OSTN15
#: developer pack (OSI BSD licence; contains OS data © Crown copyright and database rights 2016).
OS_TEST_POINTS = [
    ("TP01", 49.92226393730, -6.29977752014, 91492.146, 11318.804),
    ("TP02", 49.96006137820, -5.20304609998, 170370.718, 11572.405),
    ("TP03", 50.43885825610, -4.10864563561, 250359.811, 62016.569),
    ("TP04", 50.57563665000, -1.29782277240, 449816.371, 75335.861),
    ("TP05", 50.93127937910, -1.45051433700, 438710.920, 114792.250),
    ("TP06", 51.40078220140, -3.55128349240, 292184.870, 168003.465),
    ("TP07", 51.37447025550, 1.44454730409, 639821.835, 169565.858),
    ("TP08", 51.42754743020, -2.54407618349, 362269.991, 169978.690),
    ("TP09", 51.48936564950, -0.11992557180, 530624.974, 178388.464),
    ("TP10", 51.85890896400, -4.30852476960, 241124.584, 220332.641),
    ("TP11", 51.89436637350, 0.89724327012, 599445.590, 225722.826),
    ("TP12", 52.25529381630, -2.15458614387, 389544.190, 261912.153),
    ("TP13", 52.25160951230, -0.91248956970, 474335.969, 262047.755),
    ("TP14", 52.75136687170, 0.40153547065, 562180.547, 319784.995),
    ("TP15", 52.96219109410, -1.19747655922, 454002.834, 340834.943),
    ("TP16", 53.34480280190, -2.64049320810, 357455.843, 383290.436),
    ("TP17", 53.41628516040, -4.28918069756, 247958.971, 393492.909),
    ("TP18", 53.41630925420, -4.28917792869, 247959.241, 393495.583),
    ("TP19", 53.77911025760, -3.04045490691, 331534.564, 431920.794),
    ("TP20", 53.80021519630, -1.66379168242, 422242.186, 433818.701),
    ("TP21", 54.08666318080, -4.63452168212, 227778.330, 468847.388),
    ("TP22", 54.11685144290, -0.07773133187, 525745.670, 470703.214),
    ("TP23", 54.32919541010, -4.38849118133, 244780.636, 495254.887),
    ("TP24", 54.89542340420, -2.93827741149, 339921.145, 556034.761),
    ("TP25", 54.97912273660, -1.61657685184, 424639.355, 565012.703),
    ("TP26", 55.85399952950, -4.29649016251, 256340.925, 664697.269),
    ("TP27", 55.92478265510, -3.29479219337, 319188.434, 670947.534),
    ("TP28", 57.00606696050, -5.82836691850, 167634.202, 797067.144),
    ("TP29", 57.13902518960, -2.04856030746, 397160.491, 805349.736),
    ("TP30", 57.48625000720, -4.21926398555, 267056.768, 846176.972),
    ("TP31", 57.81351838410, -8.57854456076, 9587.909, 899448.996),
    ("TP32", 58.21262247180, -7.59255560556, 71713.132, 938516.404),
    ("TP33", 58.51560361300, -6.26091455533, 151968.652, 966483.780),
    ("TP34", 58.58120461280, -3.72631022121, 299721.891, 967202.992),
    ("TP35", 59.03743871190, -3.21454001115, 330398.323, 1017347.016),
    ("TP36", 59.09335035320, -4.41757674598, 261596.778, 1025447.602),
    ("TP37", 59.09671617400, -5.82799339844, 180862.461, 1029604.114),
    ("TP38", 59.53470794490, -1.62516966058, 421300.525, 1072147.239),
    ("TP39", 59.85409913890, -1.27486910356, 440725.073, 1107878.448),
    ("TP40", 60.13308091660, -2.07382822798, 395999.668, 1138728.951),
]

#: A grid every 100 km across OSTN15's extent (easting, northing → latitude, longitude), from
#: an independent implementation of OSTN15: Toby Thurston's pure-Python ``osgb`` 1.2.0 (PyPI),
#: ``osgb.grid_to_ll(e, n, rounding=10)``, computed once and written here.
OSGB_GRID = [
    (50000, 50000, 50.2460502709, -6.9111630657),
    (150000, 50000, 50.2968410104, -5.5117135364),
    (250000, 50000, 50.3307712315, -4.1089131601),
    (350000, 50000, 50.3477723961, -2.7040913603),
    (450000, 50000, 50.3477886925, -1.2986087808),
    (550000, 50000, 50.3308401264, 0.1062127657),
    (650000, 50000, 50.2969456238, 1.5089968453),
    (50000, 150000, 51.1419656244, -7.0058543307),
    (150000, 150000, 51.1943965476, -5.5795888987),
    (250000, 150000, 51.2294211155, -4.1497415487),
    (350000, 150000, 51.2469640460, -2.7177397005),
    (450000, 150000, 51.2469863651, -1.2850141196),
    (550000, 150000, 51.2294798368, 0.1469817083),
    (650000, 150000, 51.1944989742, 1.5768153974),
    (50000, 250000, 52.0375930520, -7.1055091540),
    (150000, 250000, 52.0917352663, -5.6510365067),
    (250000, 250000, 52.1279064193, -4.1927287460),
    (350000, 250000, 52.1460225619, -2.7321055552),
    (450000, 250000, 52.1460459643, -1.2707112246),
    (550000, 250000, 52.1279682880, 0.1899117964),
    (650000, 250000, 52.0918430534, 1.6482164434),
    (50000, 350000, 52.9329403254, -7.2105002387),
    (150000, 350000, 52.9888571919, -5.7263194855),
    (250000, 350000, 53.0262190946, -4.2380267143),
    (350000, 350000, 53.0449317710, -2.7472495689),
    (450000, 350000, 53.0449556524, -1.2556491301),
    (550000, 350000, 53.0262927132, 0.2351277796),
    (650000, 350000, 52.9889793249, 1.7234346351),
    (50000, 450000, 53.8280029062, -7.3212170253),
    (150000, 450000, 53.8857641122, -5.8057236264),
    (250000, 450000, 53.9243612641, -4.2858100205),
    (350000, 450000, 53.9436919950, -2.7632215716),
    (450000, 450000, 53.9437186335, -1.2397551354),
    (550000, 450000, 53.9244336387, 0.2828298561),
    (650000, 450000, 53.8858805928, 1.8027620762),
    (50000, 550000, 54.7227651791, -7.4380798629),
    (150000, 550000, 54.7824500197, -5.8895459026),
    (250000, 550000, 54.8223340477, -4.3362611471),
    (350000, 550000, 54.8423105161, -2.7800994497),
    (450000, 550000, 54.8423365268, -1.2229713464),
    (550000, 550000, 54.8224027888, 0.3331931794),
    (650000, 550000, 54.7825604802, 1.8865029674),
    (50000, 650000, 55.6172072548, -7.5615683023),
    (150000, 650000, 55.6788956126, -5.9781472070),
    (250000, 650000, 55.7201300920, -4.3895925777),
    (350000, 650000, 55.7407880232, -2.7979305858),
    (450000, 650000, 55.7408116879, -1.2052297749),
    (550000, 650000, 55.7202039552, 0.3864394427),
    (650000, 650000, 55.6790209564, 1.9750132493),
    (50000, 750000, 56.5113102988, -7.6922433093),
    (150000, 750000, 56.5751146643, -6.0719200951),
    (250000, 750000, 56.6177629521, -4.4460383743),
    (350000, 750000, 56.6391308156, -2.8168020680),
    (450000, 750000, 56.6391557338, -1.1864414734),
    (550000, 750000, 56.6178437394, 0.4428032611),
    (650000, 750000, 56.5752536020, 2.0687006007),
    (50000, 850000, 57.4050863047, -7.8306459449),
    (150000, 850000, 57.4711019587, -6.1712564981),
    (250000, 850000, 57.5152320639, -4.5058443642),
    (350000, 850000, 57.5373413016, -2.8367928976),
    (450000, 850000, 57.5373730976, -1.1665230531),
    (550000, 850000, 57.5153292624, 0.5025391360),
    (650000, 850000, 57.4712701754, 2.1679734555),
    (50000, 950000, 58.2985155620, -7.9774115543),
    (150000, 950000, 58.3668485269, -6.2766264911),
    (250000, 950000, 58.4125367398, -4.5692943153),
    (350000, 950000, 58.4354262972, -2.8580107578),
    (450000, 950000, 58.4354623627, -1.1454059708),
    (550000, 950000, 58.4126399257, 0.5658815347),
    (650000, 950000, 58.3670287388, 2.2732270440),
    (50000, 1050000, 59.1915748383, -8.1332503397),
    (150000, 1050000, 59.2623470514, -6.3885520462),
    (250000, 1050000, 59.3096712868, -4.6367032128),
    (350000, 1050000, 59.3333852740, -2.8805518114),
    (450000, 1050000, 59.3334204819, -1.1229669109),
    (550000, 1050000, 59.3097786403, 0.6331759512),
    (650000, 1050000, 59.2625341681, 2.3850244751),
    (50000, 1150000, 60.0842688182, -8.2989463618),
    (150000, 1150000, 60.1575906600, -6.5075625871),
    (250000, 1150000, 60.2066303196, -4.7084058919),
    (350000, 1150000, 60.2312129909, -2.9045472316),
    (450000, 1150000, 60.2312496055, -1.0991024208),
    (550000, 1150000, 60.2067436300, 0.7047653134),
    (650000, 1150000, 60.1577782069, 2.5039425344),
]


def _metres_apart(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Metres between nearby lon/lat points (pyproj's geodesic on WGS84)."""
    return np.asarray(pyproj.Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)[2])


def test_ostn15_gives_the_os_published_test_points() -> None:
    _, lat, lon, east, north = (np.array(c) for c in zip(*OS_TEST_POINTS, strict=True))
    lat, lon, east, north = (a.astype("float64") for a in (lat, lon, east, north))
    x, y = from_lonlat(lon, lat, "EPSG:27700")
    assert np.hypot(x - east, y - north).max() < 0.005  # the OS rounds to 1 mm, convertbng too
    back_lon, back_lat = to_lonlat(east, north, "EPSG:27700")
    assert _metres_apart(back_lon, back_lat, lon, lat).max() < 0.01


def test_ostn15_agrees_with_an_independent_implementation_across_great_britain() -> None:
    east, north, lat, lon = (np.array(c, dtype="float64") for c in zip(*OSGB_GRID, strict=True))
    got_lon, got_lat = to_lonlat(east, north, "EPSG:27700")
    assert _metres_apart(got_lon, got_lat, lon, lat).max() < 0.005
    # the 16 grid points beyond convertbng's own lon/lat box (e.g. 650 km east, 50 km north)
    # go through the inverted grid-to-WGS84 direction: still within a centimetre
    x, y = from_lonlat(lon, lat, "EPSG:27700")
    assert np.hypot(x - east, y - north).max() < 0.01


@pytest.mark.parametrize(
    ("place", "lat", "lon", "east", "north"),
    [
        # osgb 1.2.0 ll_to_grid (see OSGB_GRID); PROJ's Helmert is 1.6-4.9 m off at these
        ("Birmingham, City Hospital (B18 7QH)", 52.4886, -1.9325, 404680.089, 287854.294),
        ("Land's End, Cornwall", 50.0657, -5.7132, 134373.814, 25005.806),
        ("Penzance, Cornwall", 50.1188, -5.5371, 147252.713, 30296.029),
        ("The Lizard, Cornwall (OS TP02)", 49.96006137820, -5.20304609998, 170370.718, 11572.405),
        # beyond convertbng's lon/lat box, within OSTN15's grid
        ("St Agnes, Isles of Scilly", 49.8925, -6.3438, 88141.35, 8193.722),
        ("Unst, Shetland", 60.8447, -0.8837, 460771.652, 1218500.616),
    ],
)
def test_places_within_a_tenth_of_a_metre(
    place: str, lat: float, lon: float, east: float, north: float
) -> None:
    x, y = from_lonlat(np.array([lon]), np.array([lat]), "EPSG:27700")
    assert np.hypot(x[0] - east, y[0] - north) < 0.1, place
    back_lon, back_lat = to_lonlat(np.array([east]), np.array([north]), "epsg:27700")
    assert _metres_apart(back_lon, back_lat, np.array([lon]), np.array([lat]))[0] < 0.1, place


def test_beyond_ostn15_the_helmert_answer_not_nothing() -> None:
    # Poznań in British National Grid is meaningless, but a number, as pyproj gives it
    x, y = from_lonlat(np.array([16.93]), np.array([52.41]), "EPSG:27700")
    assert np.isfinite(x).all() and np.isfinite(y).all()
    lon, lat = to_lonlat(x, y, "EPSG:27700")
    assert _metres_apart(lon, lat, np.array([16.93]), np.array([52.41]))[0] < 0.01
    lon, lat = to_lonlat(np.array([9e12, np.nan]), np.array([9e12, 1.0]), "EPSG:27700")
    assert not np.isfinite(lon).any()


def test_shapes_are_kept() -> None:
    east, north = np.array([[406000.0, 407000.0]]), np.array([[286000.0, 287000.0]])
    lon, lat = to_lonlat(east, north, "EPSG:27700")
    assert lon.shape == lat.shape == (1, 2)


def test_projected_uses_ostn15() -> None:
    tp = OS_TEST_POINTS[11]  # TP12, near Droitwich
    assets = gpd.GeoDataFrame(
        {"name": ["TP12"]}, geometry=[shapely.Point(tp[2], tp[1])], crs="EPSG:4326"
    )
    p = projected(assets, "EPSG:27700")
    assert abs(p.x[0] - tp[3]) < 0.005 and abs(p.y[0] - tp[4]) < 0.005
    assert projected(assets).crs == "EPSG:27700"


def test_accuracy_of_each_conversion() -> None:
    assert accuracy_m("EPSG:27700") == 0.1
    assert accuracy_m("EPSG:29903") == 1.0  # Irish Grid: TM75 to WGS 84 (2)
    assert accuracy_m("EPSG:32630") == 0.0
    with pytest.raises(CRSError):
        accuracy_m("EPSG:999999")


def test_postcode_points_of_ons_are_ostn15_conversions(shared_data: Path) -> None:
    """ONS publishes each postcode's grid reference and, in the NSPL, its latitude/longitude
    to 5 decimals (cut, not rounded). Converting the directory's grid references with OSTN15
    and cutting at 5 decimals gives the NSPL's figures exactly for 91% of postcodes (the rest
    moved between the two releases); the Helmert transformation gives 0%."""
    folder = shared_data / "postcodes"
    nspl = pd.read_csv(folder / "nspl_2025-05_latlon_odileeds" / "B.csv")
    nspd = pd.read_csv(folder / "nspd_pypi_qlacref_2026.1.1" / "postcodes_B_subset.csv")
    nspd["Postcode"] = nspd["pcd"].str[:4].str.strip() + " " + nspd["pcd"].str[4:]
    both = nspl.merge(nspd, on="Postcode").dropna()
    both = both[both["long"] != 0]
    assert len(both) > 23_000
    lon, lat = to_lonlat(
        both["oseast1m"].to_numpy(), both["osnrth1m"].to_numpy(), BRITISH_NATIONAL_GRID
    )
    same = (np.trunc(lon * 1e5) == np.round(both["long"].to_numpy() * 1e5)) & (
        np.trunc(lat * 1e5) == np.round(both["lat"].to_numpy() * 1e5)
    )
    assert same.mean() > 0.88
    apart = _metres_apart(lon, lat, both["long"].to_numpy(), both["lat"].to_numpy())
    assert np.median(apart) < 0.8  # cut at 5 decimals: up to 0.7 m east, 1.1 m north


def test_to_crs_moves_frames_through_ostn15() -> None:
    tp = OS_TEST_POINTS[1]  # TP02, the Lizard
    square = shapely.box(tp[3], tp[4], tp[3] + 100, tp[4] + 100)
    point = shapely.Point(tp[3], tp[4])
    frame = gpd.GeoDataFrame({"code": ["X", "Y"]}, geometry=[square, point], crs="EPSG:27700")
    out = to_crs(frame, "EPSG:4326")
    assert out.crs.equals("EPSG:4326") and list(out.columns) == ["code", "geometry"]
    moved = out.geometry.iloc[1]
    assert (
        _metres_apart(
            np.array([moved.x]), np.array([moved.y]), np.array([tp[2]]), np.array([tp[1]])
        )[0]
        < 0.01
    )
    back = to_crs(out.geometry, 27700)
    assert shapely.equals_exact(back.iloc[0], square, tolerance=0.01)
    assert frame.crs.equals("EPSG:27700")  # the caller's frame is untouched
    # other pairs: geopandas as it is
    utm = to_crs(out, "EPSG:32630")
    assert utm.geometry.iloc[0].equals_exact(out.to_crs(32630).geometry.iloc[0], 1e-9)


# --- every frame in any CRS: geographic() --------------------------------------------------


def _grid_frame() -> gpd.GeoDataFrame:
    """Two points 100 m apart on the National Grid, a footprint round the second."""
    return gpd.GeoDataFrame(
        {"name": ["A", "B"]},
        geometry=[shapely.Point(406000, 286000), shapely.Point(406100, 286000)],
        index=pd.Index(["a", "b"], name="asset_id"),
        crs="EPSG:27700",
    ).assign(footprint=[None, shapely.box(406090, 285990, 406110, 286010)])


def test_geographic_moves_geometry_and_footprints() -> None:
    from assetmap.crs import geographic

    grid = _grid_frame()
    before = grid.copy()
    out = geographic(grid)
    assert out.crs == "EPSG:4326" and out.index.equals(grid.index)
    assert out["footprint"].crs == "EPSG:4326" and out["footprint"].iloc[0] is None
    p = out.geometry.iloc[0]
    assert (round(p.x, 6), round(p.y, 6)) == (-1.913095, 52.471917)  # OSTN15, as to_lonlat
    assert out["footprint"].iloc[1].contains(out.geometry.iloc[1])
    pd.testing.assert_frame_equal(pd.DataFrame(grid), pd.DataFrame(before))  # caller's intact
    assert geographic(out) is out  # nothing to move: the same frame
    plain = pd.DataFrame({"name": ["A"]})
    assert geographic(plain) is plain


def test_footprint_keeps_its_own_crs() -> None:
    from assetmap.crs import geographic

    grid = _grid_frame()
    lonlat = geographic(grid)
    mixed = grid.copy()
    mixed["footprint"] = lonlat["footprint"]  # a GeoSeries in EPSG:4326 beside a grid geometry
    assert geographic(mixed)["footprint"].iloc[1].equals_exact(lonlat["footprint"].iloc[1], 1e-9)


def test_no_crs_is_an_error_that_names_the_fix() -> None:
    from assetmap import find_links
    from assetmap.crs import geographic

    bare = _grid_frame().set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match=r"set_crs\(\"EPSG:27700\"\)") as err:
        geographic(bare, "the assets given to find_links")
    assert "the assets given to find_links have no CRS" in str(err.value)
    assert "x 406000 to 406110" in str(err.value)  # the footprint counts too
    with pytest.raises(CRSError, match="find_links"):
        find_links(bare.assign(kind="micro", offers=[()] * 2, needs=[()] * 2))


def test_no_crs_but_only_degrees_is_a_warning() -> None:
    from assetmap.crs import geographic
    from assetmap.errors import CRSWarning

    bare = gpd.GeoDataFrame(geometry=[shapely.Point(-1.9, 52.5), None])
    with pytest.warns(CRSWarning, match="read as longitude/latitude"):
        out = geographic(bare)
    assert out.crs == "EPSG:4326" and out.geometry.iloc[0].equals(shapely.Point(-1.9, 52.5))
    empty = gpd.GeoDataFrame(geometry=[None, None])  # nothing placed yet: nothing to say
    assert geographic(empty).crs == "EPSG:4326"


def test_projected_reads_any_crs() -> None:
    grid = _grid_frame()
    p = projected(grid)
    assert p.crs == BRITISH_NATIONAL_GRID
    np.testing.assert_allclose(p.x, [406000, 406100], atol=0.001)
    np.testing.assert_allclose(p.y, [286000, 286000], atol=0.001)
    assert p.footprint[1].equals_exact(grid["footprint"].iloc[1], 0.001)
    web = projected(grid.to_crs(3857), BRITISH_NATIONAL_GRID)
    np.testing.assert_allclose(web.x, [406000, 406100], atol=5)  # PROJ's Helmert both ways
