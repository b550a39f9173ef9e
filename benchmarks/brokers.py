"""Benchmark: ``analysis.brokers`` beside what an analyst writes with networkx.

Run by hand (not a test)::

    PYTHONPATH=. python benchmarks/brokers.py [--sizes 1000 10000 100000] [--networkx-up-to 10000]
        [--samples 100 1000]

The graph is the pipeline's: a synthetic register (``datasets.synthetic_register(n, seed=1)``),
geocoded, with opportunity links (micro ↔ macro within 1,200 m) and proximity links (50 m).
assetmap answers with igraph's exact betweenness and one pass over the block-cut tree; the
alternative is networkx's exact ``betweenness_centrality`` and ``articulation_points``, then
the graph copied once per articulation point to see who loses every path to a macro-asset (as
assetmap did before). Both answers are compared cell by cell. networkx runs only up to
``--networkx-up-to`` assets (it takes ~50 s at 10^4 and grows as n³).

A second table sets the sampled mode (``brokers(G, sample=k)``: betweenness estimated from k
source assets) beside the exact one: its CPU time and the Spearman rank correlation of its
betweenness with the exact betweenness, over every connected asset and over the exact top 1%.
Prints CPU seconds (steadier than wall time on a shared machine) and the ratios.
"""

from __future__ import annotations

import argparse
import time
import warnings

import networkx as nx
import pandas as pd
from scipy.stats import spearmanr

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


def build(n: int) -> nx.MultiGraph:
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
        return assetmap.graph_from_assets(placed, links=links)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--networkx-up-to", type=int, default=10000)
    parser.add_argument("--samples", type=int, nargs="+", default=[100, 1000])
    args = parser.parse_args()
    exact, sampled = [], []
    for n in args.sizes:
        G = build(n)
        ours_s, ours = cpu(lambda: analysis.brokers(G))  # noqa: B023
        row = f"| {n:,} | {G.number_of_nodes():,} | {G.number_of_edges():,} | {ours_s:.3f} "
        if n <= args.networkx_up_to:
            theirs_s, theirs = cpu(lambda: by_networkx(G))  # noqa: B023
            same = ours.sort_index().drop(columns="n_stranded").equals(theirs)
            row += f"| {theirs_s:.3f} | {theirs_s / ours_s:.0f}× | {same} |"
        else:
            row += "| – | – | – |"
        exact.append(row)
        print(row, flush=True)
        truth = ours["betweenness"].sort_index()
        top = truth.index[truth.rank(ascending=False, method="first") <= max(10, len(truth) // 100)]
        for k in args.samples:
            est_s, est = cpu(lambda: analysis.brokers(G, sample=k))  # noqa: B023
            guess = est["betweenness"].sort_index()
            rho = spearmanr(truth, guess).statistic
            rho_top = spearmanr(truth[top], guess[top]).statistic
            leader = est.index[0] == ours.index[0]
            sampled.append(
                f"| {n:,} | {k:,} | {est_s:.3f} | {ours_s:.3f} | {ours_s / est_s:.1f}× "
                f"| {rho:.4f} | {rho_top:.4f} | {leader} |"
            )
            print(sampled[-1], flush=True)
    print()
    print("| assets | nodes | edges | assetmap (s) | networkx (s) | networkx ÷ assetmap | same |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    print("\n".join(exact))
    print()
    print("| assets | sample k | sampled (s) | exact (s) | exact ÷ sampled "
          "| Spearman ρ (all) | Spearman ρ (exact top 1%) | same top asset |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    print("\n".join(sampled))


if __name__ == "__main__":
    main()
