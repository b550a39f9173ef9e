"""What the dask path costs and when it wins: links in memory against links on a local dask
cluster, time and memory, side by side in one run.

    PYTHONPATH=. python benchmarks/dask_links.py [--sizes 100000 1000000] [--partitions 8]

The same geocoded synthetic register (``datasets.synthetic_register(n, seed=1)``), the same
parameters (``between=("micro", "macro")`` within 1,200 m) and a check that both give the same
links. In memory: :func:`assetmap.find_links` on the GeoDataFrame, its wall and CPU time and the
peak resident memory of this process holding the register and its links (sampled every 5 ms).
On dask: the same call on a ``dask_geopandas`` frame of ``--partitions`` partitions, computed
on a ``LocalCluster`` of two single-threaded worker processes (the two cores of the machine
these figures come from); its wall time, the CPU time of the workers and this process
together, and each worker's peak resident memory. The last lines say when the dask path wins,
from the figures just measured.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import dask
import dask_geopandas
from distributed import Client, LocalCluster

sys.path.insert(0, str(Path(__file__).parent))
from _timing import Peak

from assetmap import datasets, find_links, geocode, settings

OPTIONS: dict[str, Any] = {"between": ("micro", "macro"), "max_distance_m": 1200}


def _worker_state() -> tuple[float, int]:
    """A worker's CPU seconds so far and its peak resident memory (bytes) so far."""
    return time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _warm() -> None:
    """Import what the workers will run (as a cluster in use has), with no guard on pairs."""
    import assetmap.links
    import assetmap.scale

    assetmap.settings.set_option(max_pairs=None)


def _same(got: Any, want: Any) -> bool:
    key = ["source", "target"]
    a = got[key].astype(str).sort_values(key).reset_index(drop=True)
    b = want[key].astype(str).sort_values(key).reset_index(drop=True)
    scores = got.set_index(key)["score"].sort_index()
    mine = want.astype({"source": str, "target": str}).set_index(key)["score"].sort_index()
    return bool(a.equals(b) and (scores.to_numpy() == mine.to_numpy()).all())


def run(n: int, partitions: int) -> dict[str, float]:
    """Time and measure one size both ways."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        placed = geocode(datasets.synthetic_register(n, seed=1), study_area=None)
    gc.collect()
    peak = Peak()
    before = peak.rss()
    with peak.watch():
        wall, cpu = time.perf_counter(), time.process_time()
        want = find_links(placed, **OPTIONS)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    memory = {
        "wall": wall,
        "cpu": cpu,
        "mb": peak.peak / 2**20,
        "more": (peak.peak - before) / 2**20,
    }
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")  # "Sending large graph": the frame goes from memory
        with dask.config.set({"dataframe.convert-string": False}):
            parts = dask_geopandas.from_geopandas(placed, npartitions=partitions, sort=False)
        client.run(_warm)  # a running cluster has its imports done
        start = client.run(_worker_state)
        wall, cpu = time.perf_counter(), time.process_time()
        got = find_links(parts, **OPTIONS).compute()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        end = client.run(_worker_state)
    workers_cpu = sum(end[w][0] - start[w][0] for w in end)
    worker_mb = max(state[1] for state in end.values()) / 2**20
    same = _same(got, want)
    print(
        f"{n:>10,} assets, {len(want):,} links\n"
        f"  in memory (find_links)          {memory['wall']:7.2f} s wall {memory['cpu']:7.2f} s CPU"
        f"   peak {memory['mb']:,.0f} MB here (+{memory['more']:,.0f} MB for the links)\n"
        f"  dask, 2 workers × {partitions} partitions   {wall:7.2f} s wall "
        f"{workers_cpu + cpu:7.2f} s CPU   peak {worker_mb:,.0f} MB per worker"
        f" (register sent from memory)\n"
        f"  dask ÷ in memory: {wall / memory['wall']:.1f}× the wall time, "
        f"{(workers_cpu + cpu) / memory['cpu']:.1f}× the CPU; same links: {same}",
        flush=True,
    )
    return {
        "n": n,
        "memory_mb": memory["mb"],
        "worker_mb": worker_mb,
        "ratio": wall / memory["wall"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args()
    # this register is dense (co-located assets on shared postcodes): measure every pair
    # rather than stop at find_links' guard on candidate pairs, as run_all.py does
    settings.set_option(max_pairs=None)
    # what a process holds before any register: its imports and the postcode directory
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        geocode(datasets.synthetic_register(100, seed=1), study_area=None)
    base_mb = Peak.rss() / 2**20
    results = [run(n, args.partitions) for n in args.sizes]
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    largest = results[-1]
    per_asset = (largest["memory_mb"] - base_mb) / largest["n"]
    ratios = [r["ratio"] for r in results]
    faster = [f"{r['n']:,}" for r in results if r["ratio"] < 1]
    on_time = (
        f"on time at {', '.join(faster)} assets"
        if faster
        else f"never on time on one machine (here {min(ratios):.1f}–{max(ratios):.1f}× slower: "
        "partitions, halos and frames moved between processes cost more than the links)"
    )
    print(
        f"\nWhen dask wins: {on_time}. In memory, a process holding the geocoded register and "
        f"its links peaks at {per_asset * 1e3:.1f} MB per 1,000 assets beyond the "
        f"{base_mb:,.0f} MB it holds before any register (at {largest['n']:,} assets), so this "
        f"{ram / 2**10:.0f} GB machine runs out near "
        f"{(ram - base_mb) / per_asset / 1e6:.0f} million assets "
        f"(reading and geocoding them in the same process peak higher: see run_all.py). "
        f"Dask wins past "
        f"that ceiling, or on a cluster of machines: read the register in partitions "
        f"(dask_geopandas.read_parquet), geocode and link on dask and write the links "
        f"(to_parquet) without computing them into one process; each worker then holds its "
        f"share of the register, spilling to disk past its memory limit (here "
        f"{largest['worker_mb']:,.0f} MB per worker at {largest['n']:,} assets, two workers).",
    )


if __name__ == "__main__":
    main()
