"""The areas the benchmarks give assets: 5 km cells of the British National Grid that hold
assets, about the size of MSOAs (shared by run_all.py and links_opportunity.py)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from assetmap.crs import BRITISH_NATIONAL_GRID, from_lonlat, to_lonlat


def five_km_cells(placed: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One square per 5 km cell holding a placed asset, in EPSG:4326, level "cell"."""
    x, y = from_lonlat(
        placed.geometry.x.to_numpy(), placed.geometry.y.to_numpy(), BRITISH_NATIONAL_GRID
    )
    ok = np.isfinite(x)
    cells = np.unique(np.column_stack([x[ok] // 5000, y[ok] // 5000]), axis=0)
    boxes = shapely.box(
        cells[:, 0] * 5000, cells[:, 1] * 5000, cells[:, 0] * 5000 + 5000, cells[:, 1] * 5000 + 5000
    )
    boxes = shapely.transform(
        boxes, lambda c: np.column_stack(to_lonlat(c[:, 0], c[:, 1], BRITISH_NATIONAL_GRID))
    )
    areas = gpd.GeoDataFrame(
        {"area_name": [f"cell {i}" for i in range(len(cells))]},
        geometry=boxes,
        crs=4326,
        index=pd.Index([f"C{i:07d}" for i in range(len(cells))], name="area_code"),
    )
    areas.attrs["level"] = "cell"
    return areas
