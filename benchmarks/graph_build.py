"""Benchmark: the graph of a register and its links, and its communities.

Run by hand (not a test)::

    PYTHONPATH=. python benchmarks/graph_build.py [--sizes 10000 100000] [--seed 1]

Registers from :func:`assetmap.datasets.synthetic_register` (seeded), geocoded, with their
opportunity links (``between=("micro", "macro")`` within 1,200 m). Prints, side by side in one
run, per size:

- ``graph_from_assets`` against what a user writes with networkx on the same data:
  ``nx.from_pandas_edgelist`` + ``add_nodes_from`` of the register's records (no JSON-safe
  attributes, no checks); target: assetmap within 1.5x;
- ``analysis.communities`` (igraph Leiden, seeded) against networkx's Louvain on the same
  simple graph (``nx.community.louvain_communities``), with both partitions' modularity.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _timing import Timed

import assetmap
from assetmap import analysis, datasets
from assetmap.analysis.connections import CONNECTING


def run(n: int, seed: int, repeat: int) -> None:
    """Time one size."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        placed = assetmap.geocode(datasets.synthetic_register(n, seed=seed))
        links = assetmap.find_links(placed, between=("micro", "macro"), max_distance_m=1200)

    def ours() -> nx.MultiGraph:
        return assetmap.graph_from_assets(placed, links=links)

    def by_hand() -> nx.MultiGraph:
        edges = links.astype({"source": str, "target": str})
        H = nx.from_pandas_edgelist(
            edges, "source", "target", edge_attr=True, create_using=nx.MultiGraph
        )
        records = pd.DataFrame(placed.drop(columns="geometry")).to_dict("index")
        H.add_nodes_from(records.items())
        return H

    repeat = repeat if n <= 100_000 else 1
    mine, theirs = Timed(ours, repeat), Timed(by_hand, repeat)
    G = mine.result
    print(f"{n:,} assets, {len(links):,} links -> {G.number_of_nodes():,} nodes, "
          f"{G.number_of_edges():,} edges")  # fmt: skip
    print(f"  graph_from_assets                         {mine.wall:7.2f} s (CPU {mine.cpu:.2f})")
    print(f"  nx.from_pandas_edgelist + add_nodes_from  {theirs.wall:7.2f} s "
          f"(CPU {theirs.cpu:.2f})   ratio {mine.wall / theirs.wall:.2f}x "
          f"(CPU {mine.cpu / theirs.cpu:.2f}x; target <= 1.5x)")  # fmt: skip

    wanted = set(CONNECTING)
    simple = nx.Graph()
    simple.add_edges_from((u, v) for u, v, k in G.edges(data="kind") if k in wanted)

    def louvain() -> Any:
        return nx.community.louvain_communities(simple, seed=1)

    ig_run = Timed(lambda: analysis.communities(G), repeat)
    nx_run = Timed(louvain, 1 if n > 10_000 else repeat)
    ours_parts = [set(g.index) for _, g in ig_run.result.groupby(ig_run.result)]
    q_ours = nx.community.modularity(simple, ours_parts)
    q_nx = nx.community.modularity(simple, nx_run.result)
    print(f"  communities (igraph Leiden, seeded)       {ig_run.wall:7.2f} s  "
          f"{len(ours_parts):,} communities, modularity {q_ours:.4f}")  # fmt: skip
    print(f"  networkx louvain_communities (seeded)     {nx_run.wall:7.2f} s  "
          f"{len(nx_run.result):,} communities, modularity {q_nx:.4f}   "
          f"ratio {nx_run.wall / ig_run.wall:.1f}x faster")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    for n in args.sizes:
        run(n, args.seed, args.repeat)


if __name__ == "__main__":
    main()
