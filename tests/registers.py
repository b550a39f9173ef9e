"""Small registers written in a line, for tests."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from assetmap.schema import validate_assets


def register(**columns: list[object] | object) -> gpd.GeoDataFrame:
    """A validated register of public micro associations with ids a0, a1…; columns override.

    The number of rows is the length of the first list given.
    """
    n = len(next(v for v in columns.values() if isinstance(v, list)))
    base: dict[str, object] = {
        "asset_id": [f"a{i}" for i in range(n)],
        "name": [f"N{i}" for i in range(n)],
        "kind": "micro",
        "category": "association",
        "privacy": "public",
    }
    base.update(columns)
    return validate_assets(pd.DataFrame(base))
