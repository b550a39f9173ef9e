"""Benchmark: proximity links for 10^4, 10^5 and 10^6 assets, side by side.

Run by hand (not a test)::

    pip install ".[bench]"   # libpysal, for the comparison
    python benchmarks/links_proximity.py [--sizes 10000 100000 1000000] [--skip-libpysal-above N]

Points are spread at random (seeded) over a square of British National Grid around Birmingham,
sized so that each has about 10 neighbours within 100 m. For each size it times:

- ``bare``: ``scipy.spatial.cKDTree`` built on the metric points and ``query_pairs(100 m)``;
- ``assetmap``: ``find_links(kind="proximity", max_distance_m=100)`` from the geocoded
  GeoDataFrame (lon/lat), to the full links table (projection, pairs, distances, scores, ids,
  reasons);
- ``libpysal``: ``DistanceBand(threshold=100 m)`` then ``.to_networkx()``, what analysts use
  today to get a graph of neighbours;
- ``graph``: ``graph_from_assets`` on those links (building networkx objects is the slow part).

Best of three for assetmap and bare; one run for libpysal and the graph.
"""

from __future__ import annotations

import argparse
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
from _timing import timed
from scipy.spatial import cKDTree

from assetmap import find_links, graph_from_assets
from assetmap.crs import to_lonlat

RADIUS = 100.0
DEGREE = 10


def points(n: int, seed: int = 7) -> np.ndarray:
    side = np.sqrt(n * np.pi * RADIUS**2 / DEGREE)
    rng = np.random.default_rng(seed)
    return rng.uniform(0, side, (n, 2)) + np.array([390_000.0, 270_000.0])


def assets_at(xy: np.ndarray) -> gpd.GeoDataFrame:
    lon, lat = to_lonlat(xy[:, 0], xy[:, 1], "EPSG:27700")
    n = len(xy)
    return gpd.GeoDataFrame(
        {"kind": "micro", "category": "association"},
        index=pd.Index([f"a{i}" for i in range(n)], name="asset_id"),
        geometry=gpd.points_from_xy(np.round(lon, 7), np.round(lat, 7)),
        crs=4326,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--skip-libpysal-above", type=int, default=10_000_000)
    parser.add_argument("--skip-graph-above", type=int, default=100_000)
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        xy = points(n)
        assets = assets_at(xy)

        def bare(xy: np.ndarray = xy) -> np.ndarray:
            return cKDTree(xy).query_pairs(RADIUS, output_type="ndarray")

        bare_s, pairs = timed(bare)
        ours_s, links = timed(
            lambda a=assets: find_links(a, kind="proximity", max_distance_m=RADIUS)
        )
        row = {"assets": n, "pairs": len(pairs), "links": len(links), "bare_s": bare_s,
               "assetmap_s": ours_s}  # fmt: skip
        if n <= args.skip_libpysal_above:
            from libpysal.weights import DistanceBand

            def libpysal_graph(xy: np.ndarray = xy) -> object:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    w = DistanceBand(xy, threshold=RADIUS, binary=True, silence_warnings=True)
                return w.to_networkx()

            row["libpysal_s"], g = timed(libpysal_graph, repeat=1)
            row["libpysal_edges"] = g.number_of_edges()  # type: ignore[attr-defined]
        if n <= args.skip_graph_above:
            row["graph_s"], _ = timed(lambda a=assets, lk=links: graph_from_assets(a, links=lk),
                                      repeat=1)  # fmt: skip
        rows.append(row)
        print(row, flush=True)
    table = pd.DataFrame(rows).set_index("assets")
    table["assetmap / bare"] = table["assetmap_s"] / table["bare_s"]
    if "libpysal_s" in table:
        table["libpysal / assetmap"] = table["libpysal_s"] / table["assetmap_s"]
    print()
    print(table.round(3).to_string())


if __name__ == "__main__":
    main()
