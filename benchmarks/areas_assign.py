"""Benchmark: every B-area postcode (about 23,000) assigned to its LSOA 2011, side by side.

Run by hand (not a test), from a checkout beside the shared data folder::

    python benchmarks/areas_assign.py [--shared ../shared/data]

Times ``assign_areas`` (STRtree bulk query, deterministic on shared edges, every row kept)
against geopandas ``sjoin(predicate="within")``, the usual way, and checks they agree.
Target: under 2 s.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import pandas as pd
from _timing import timed

from assetmap.areas import assign_areas, read_boundaries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parents[1]
    parser.add_argument("--shared", type=Path, default=here.parent / "shared" / "data")
    args = parser.parse_args()
    nspl = pd.read_csv(args.shared / "postcodes/nspl_2025-05_latlon_odileeds/B.csv")
    nspl = nspl[nspl["lat"].notna()]
    points = gpd.GeoDataFrame(
        index=pd.Index(nspl["Postcode"].to_numpy(), name="asset_id"),
        geometry=gpd.points_from_xy(nspl["long"], nspl["lat"]),
        crs=4326,
    )
    load_s, lsoa = timed(
        lambda: read_boundaries(
            args.shared / "boundaries/lsoa_2011_bgc_martinjc/lsoa11_bgc_bbox.geojson"
        ),
        repeat=1,
    )
    ours_s, ours = timed(lambda: assign_areas(points, lsoa), repeat=5)
    sjoin_s, joined = timed(
        lambda: gpd.sjoin(points, lsoa[["geometry"]].reset_index(), predicate="within", how="left"),
        repeat=5,
    )
    theirs = joined[~joined.index.duplicated()]["area_code"]
    agree = (ours["lsoa11_code"].fillna("") == theirs.reindex(ours.index).fillna("")).mean()
    inside = ours["lsoa11_code"].notna().sum()
    print(f"{len(points):,} postcodes, {len(lsoa)} LSOA 2011 polygons (read in {load_s:.2f} s)")
    print(f"assign_areas: {ours_s:.3f} s ({inside:,} inside an LSOA; target < 2 s)")
    print(f"geopandas sjoin: {sjoin_s:.3f} s; ratio sjoin / assign_areas = {sjoin_s / ours_s:.2f}")
    print(f"the two agree on {agree:.2%} of postcodes")


if __name__ == "__main__":
    main()
