"""Benchmark: ``analysis.brokers`` beside what an analyst writes with networkx.

Run by hand (not a test)::

    PYTHONPATH=. python benchmarks/brokers.py [--sizes 1000 10000]

The graph is the pipeline's: a synthetic register (``datasets.synthetic_register(n, seed=1)``),
geocoded, with opportunity links (micro ↔ macro within 1,200 m) and proximity links (50 m).
assetmap answers with igraph's exact betweenness and one pass over the block-cut tree; the
alternative is networkx's exact ``betweenness_centrality`` and ``articulation_points``, then
the graph copied once per articulation point to see who loses every path to a macro-asset (as
assetmap did before). Both answers are compared cell by cell. Prints CPU seconds (steadier than
wall time on a shared machine) and the ratio.
"""

from __future__ import annotations

import argparse
import time
import warnings

import networkx as nx
import pandas as pd

import assetmap
from assetmap import analysis, datasets


def by_networkx(G: nx.MultiGraph) -> pd.DataFrame:
    H = nx.Graph()
    H.add_edges_from(
        (u, v) for u, v, kind in G.edges(data="kind") if kind in analysis.connections.CONNECTING
    )
    macro = {n for n, k in G.nodes(data="kind") if k == "macro"}

    def reaching(graph: nx.Graph) -> set[str]:
        return {n for c in nx.connected_components(graph) if c & macro for n in c if n not in macro}

    between, cuts = nx.betweenness_centrality(H), set(nx.articulation_points(H))
    before, stranded = reaching(H), {}
    for node in cuts:
        without = H.copy()
        without.remove_node(node)
        stranded[node] = tuple(sorted(before - reaching(without) - {node}))
    ids = sorted(H)
    return pd.DataFrame(
        {
            "betweenness": [round(between[n], 6) for n in ids],
            "articulation_point": [n in cuts for n in ids],
            "stranded": [stranded.get(n, ()) for n in ids],
        },
        index=pd.Index(ids, name="asset_id"),
    )


def cpu(f):  # type: ignore[no-untyped-def]
    t = time.process_time()
    out = f()
    return time.process_time() - t, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    print("| assets | nodes | edges | assetmap (s) | networkx (s) | networkx ÷ assetmap | same |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    for n in args.sizes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            placed = assetmap.geocode(assetmap.read_assets(datasets.synthetic_register(n, seed=1)))
            links = pd.concat(
                [
                    assetmap.find_links(placed, between=("micro", "macro"), max_distance_m=1200),
                    assetmap.find_links(placed, kind="proximity", max_distance_m=50),
                ],
                ignore_index=True,
            )
            G = assetmap.graph_from_assets(placed, links=links)
        ours_s, ours = cpu(lambda: analysis.brokers(G))  # noqa: B023
        theirs_s, theirs = cpu(lambda: by_networkx(G))  # noqa: B023
        same = ours.sort_index().drop(columns="n_stranded").equals(theirs)
        print(
            f"| {n:,} | {G.number_of_nodes():,} | {G.number_of_edges():,} | {ours_s:.3f} "
            f"| {theirs_s:.3f} | {theirs_s / ours_s:.0f}× | {same} |"
        )


if __name__ == "__main__":
    main()
