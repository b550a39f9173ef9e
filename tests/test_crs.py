from __future__ import annotations

import numpy as np
import pytest

from assetmap.crs import from_lonlat, metric_crs, to_lonlat
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
