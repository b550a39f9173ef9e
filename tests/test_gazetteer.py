"""The default gazetteer against the real ONS files in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest

from assetmap.crs import to_lonlat
from assetmap.gazetteer import gazetteer_from_frame, ons_postcode_directory

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
