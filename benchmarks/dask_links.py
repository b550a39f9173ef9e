"""What the dask path costs: links in memory against links on a local 2-worker dask cluster.

    python benchmarks/dask_links.py [--n 100000] [--partitions 8]

Same synthetic register, same parameters; checks the two give the same links.
"""

from __future__ import annotations

import argparse
import time
import warnings

import dask
import dask_geopandas
from distributed import Client, LocalCluster

from assetmap import datasets, find_links, geocode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    placed = geocode(datasets.synthetic_register(args.n, seed=1), study_area=None)
    options = {"between": ("micro", "macro"), "max_distance_m": 1200}
    t = time.perf_counter()
    want = find_links(placed, **options)
    memory = time.perf_counter() - t
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        with dask.config.set({"dataframe.convert-string": False}):
            parts = dask_geopandas.from_geopandas(placed, npartitions=args.partitions, sort=False)
        t = time.perf_counter()
        got = find_links(parts, **options).compute()
        lazy = time.perf_counter() - t
    same = len(got) == len(want) and set(zip(got["source"], got["target"], strict=True)) == set(
        zip(want["source"].astype(str), want["target"].astype(str), strict=True)
    )
    print(
        f"{args.n:,} assets, {len(want):,} links: in memory {memory:.2f} s; dask (2 workers, "
        f"{args.partitions} partitions) {lazy:.2f} s = {lazy / memory:.1f}× ; same links: {same}"
    )


if __name__ == "__main__":
    main()
