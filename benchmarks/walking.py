"""Benchmark: walking distances within 2 km from 20 sites to 100,000 assets on 100,000 street nodes.

Run by hand (not a test)::

    python benchmarks/walking.py [--nodes 100000] [--assets 100000] [--sites 20]

A square street grid (50 m blocks) in British National Grid; assets and sites spread at random
(seeded). Times ``walk_distances`` (snapping by KD-tree, one bounded multi-source Dijkstra in
scipy) and, side by side, what analysts write with networkx: one
``single_source_dijkstra_path_length(cutoff=2 km)`` per site, then a look-up per asset of its
nearest node (found with the same KD-tree, to be fair to networkx). Target: under 10 s.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from assetmap.crs import to_lonlat
from assetmap.network import street_graph_from_networkx, walk_distances

E0, N0, BLOCK, LIMIT = 390_000.0, 270_000.0, 50.0, 2000.0


def grid(nodes: int) -> nx.Graph:
    side = int(np.sqrt(nodes))
    G = nx.grid_2d_graph(side, side)
    for (i, j), data in G.nodes(data=True):
        data["x"], data["y"] = E0 + i * BLOCK, N0 + j * BLOCK
    nx.set_edge_attributes(G, BLOCK, "length")
    G.graph["crs"] = "EPSG:27700"
    return G


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=20)
    args = parser.parse_args()
    G = grid(args.nodes)
    side = int(np.sqrt(args.nodes)) * BLOCK
    rng = np.random.default_rng(11)
    n = args.assets + args.sites
    xy = rng.uniform(0, side, (n, 2)) + np.array([E0, N0])
    lon, lat = to_lonlat(xy[:, 0], xy[:, 1], "EPSG:27700")
    kind = np.array(["macro"] * args.sites + ["micro"] * args.assets)
    assets = gpd.GeoDataFrame(
        {"kind": kind, "category": np.where(kind == "macro", "anchor_institution", "association")},
        index=pd.Index([f"a{i}" for i in range(n)], name="asset_id"),
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    t = time.perf_counter()
    streets = street_graph_from_networkx(G)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    walks = walk_distances(assets, streets, max_distance_m=LIMIT)
    ours_s = time.perf_counter() - t

    t = time.perf_counter()
    names = list(G.nodes)
    tree = cKDTree(np.array([[G.nodes[v]["x"], G.nodes[v]["y"]] for v in names]))
    gap, nearest = tree.query(xy)
    pairs = 0
    for s in range(args.sites):
        far = nx.single_source_dijkstra_path_length(G, names[nearest[s]], cutoff=LIMIT,
                                                    weight="length")  # fmt: skip
        for k in range(args.sites, n):
            d = far.get(names[nearest[k]])
            if d is not None and d + gap[k] + gap[s] <= LIMIT:
                pairs += 1
    theirs_s = time.perf_counter() - t
    print(f"{args.nodes:,} street nodes, {args.assets:,} assets, {args.sites} sites, "
          f"within {LIMIT:g} m")  # fmt: skip
    print(f"street graph ready in {build_s:.2f} s (once per area)")
    print(f"walk_distances: {ours_s:.2f} s for {len(walks):,} walks (target < 10 s)")
    print(f"networkx, one Dijkstra per site: {theirs_s:.2f} s for {pairs:,} walks; "
          f"ratio {theirs_s / ours_s:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
