"""Every stage at every size, beside what users would do instead; writes benchmarks/RESULTS.md.

    python benchmarks/run_all.py                      # 10^3 … 10^6 (about 15 minutes)
    python benchmarks/run_all.py --sizes 1000 10000   # a quick look

Each size runs in a process of its own (so peak memory is that size's alone) on a synthetic
register (``assetmap.datasets.synthetic_register``: real live postcodes, clustered as towns,
seeded). Stages: read (CSV), geocode, assign areas (5 km cells holding assets), find links
(opportunity, micro ↔ macro within 1,200 m; and, up to 10^5, proximity within 50 m), build the
graph of the opportunity links, analyses (uncovered needs, area summary, link deserts,
isolated, communities), exact brokers (up to 10^5, as exact betweenness is O(n·m)), build and
save the map: the public map with its links up to 10^5, the map of points above.

The "whole pipeline" row is the issue's: read … map, without brokers (their own row and target)
and without the proximity links (no question here needs them; 4·10^7 pairs at 10^6, which
``benchmarks/links_proximity.py`` measures); its peak is the largest of its stages'. At 10^6 it
is read → geocode → areas → links → graph of the opportunity links → analyses → map of points.

The alternatives, timed in the same run: pandas ``read_csv``; a pandas normalise + ``merge``
with the ONS directory; geopandas ``sjoin``; a bare cKDTree ``query_pairs``; libpysal's
``DistanceBand`` to networkx (``pip install ".[bench]"``); a naive double loop (10^3);
``nx.from_pandas_edgelist`` (up to 10^5, timed before assetmap's graph, so the two are never
held together); plain folium markers (up to 10^4). Ratios are the figures that count on a shared
machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _timing import Peak  # noqa: E402


def _measure(f: Callable[[], Any]) -> tuple[float, float, Any]:
    import gc

    gc.collect()
    peak = Peak()
    with peak.watch():
        t = time.perf_counter()
        result = f()
        wall = time.perf_counter() - t
    return wall, peak.peak / 2**20, result


def one(n: int) -> list[dict[str, Any]]:
    """Run every stage for ``n`` assets in this process; one row per stage."""
    import geopandas as gpd
    import networkx as nx
    import numpy as np
    import pandas as pd
    from _cells import five_km_cells

    import assetmap
    from assetmap import analysis
    from assetmap.areas import assign_areas
    from assetmap.crs import BRITISH_NATIONAL_GRID, from_lonlat

    warnings.simplefilter("ignore")
    # this register is dense (co-located assets on shared postcodes): measure every pair
    # rather than stop at find_links' guard on candidate pairs
    assetmap.settings.set_option(max_pairs=None)
    rows: list[dict[str, Any]] = []

    def add(stage: str, ours: tuple[float, float, Any], alt: str = "", theirs: float | None = None):
        rows.append(
            {
                "n": n,
                "stage": stage,
                "wall_s": ours[0],
                "peak_mb": ours[1],
                "alternative": alt,
                "alt_wall_s": theirs,
            }
        )
        print(
            f"{n:>9,} {stage:<22} {ours[0]:8.3f} s {ours[1]:8.0f} MB  {alt} "
            f"{'' if theirs is None else f'{theirs:.3f} s'}",
            flush=True,
        )
        return ours[2]

    folder = Path(tempfile.mkdtemp())
    csv = folder / "register.csv"
    # made in a process of its own: drawing postcodes loads the whole directory, which the
    # pipeline below should load only as far as its postcodes need
    subprocess.run([sys.executable, __file__, "--make", str(n), str(csv)], check=True)
    register = pd.read_csv(csv, keep_default_na=False)

    assets = add(
        "read",
        _measure(lambda: assetmap.read_assets(csv)),
        "pandas read_csv",
        _measure(lambda: pd.read_csv(csv))[0],
    )

    # the pandas way: normalise the text and merge with the directory's table
    from assetmap.geocoding.gazetteer import ons_postcode_directory

    g = ons_postcode_directory()
    letters = sorted({p[0] for p in register["postcode"]})
    # the directory's letters this register needs, loaded once per process (geocode reuses it)
    add("load postcode directory", _measure(lambda: g.preload(letters)))
    table = pd.concat(
        pd.DataFrame(
            {"pc": g.part(x).keys.str.replace(" ", ""), "lon": g.part(x).lon, "lat": g.part(x).lat}
        )
        for x in letters
    )

    def merge() -> Any:
        key = register["postcode"].str.upper().str.replace(" ", "")
        return pd.DataFrame({"pc": key}).merge(table, on="pc", how="left")

    placed = add(
        "geocode",
        _measure(lambda: assetmap.geocode(assets, study_area=None)),
        "pandas str + merge",
        _measure(merge)[0],
    )

    # areas: 5 km cells (British National Grid) holding assets, like MSOAs in size
    x, y = from_lonlat(
        placed.geometry.x.to_numpy(), placed.geometry.y.to_numpy(), BRITISH_NATIONAL_GRID
    )
    ok = np.isfinite(x)
    areas = five_km_cells(placed)
    placed = add(
        "assign areas",
        _measure(lambda: assign_areas(placed, areas)),
        "geopandas sjoin",
        _measure(lambda: gpd.sjoin(placed[["geometry"]], areas[["geometry"]], predicate="within"))[
            0
        ],
    )

    links = add(
        "links (opportunity)",
        _measure(
            lambda: assetmap.find_links(placed, between=("micro", "macro"), max_distance_m=1200)
        ),
    )
    if n <= 1000:

        def naive() -> list[tuple[int, int]]:
            px, py = x, y
            macro = np.flatnonzero(register["kind"].to_numpy() == "macro")
            needs = [set(v.split("; ")) if v else set() for v in register["needs"]]
            offers = [set(v.split("; ")) if v else set() for v in register["offers"]]
            out = []
            for i in range(n):
                for j in macro:
                    if (
                        i != j
                        and np.hypot(px[i] - px[j], py[i] - py[j]) <= 1200
                        and (offers[i] & needs[j] or offers[j] & needs[i])
                    ):
                        out.append((i, j))
            return out

        rows[-1]["alternative"], rows[-1]["alt_wall_s"] = "naive double loop", _measure(naive)[0]

    print(f"{'':>9} {len(links):,} opportunity links", flush=True)
    # proximity links within 50 m: 4·10^7 pairs at 10^6 on this dense register (6 GB), a stage
    # no question below needs; benchmarks/links_proximity.py measures them at 10^6
    if n <= 100_000:
        from scipy.spatial import cKDTree

        xy = np.column_stack([x[ok], y[ok]])
        bare = _measure(lambda: cKDTree(xy).query_pairs(50.0, output_type="ndarray"))[0]
        close = add(
            "links (proximity 50 m)",
            _measure(lambda: assetmap.find_links(placed, kind="proximity", max_distance_m=50)),
            "bare cKDTree query_pairs",
            bare,
        )
        try:
            from libpysal.weights import DistanceBand

            def libpysal_way() -> Any:
                w = DistanceBand(xy, threshold=50.0, binary=True, silence_warnings=True)
                return w.to_networkx()

            rows.append(
                {
                    "n": n,
                    "stage": "links (proximity 50 m)",
                    "wall_s": None,
                    "peak_mb": None,
                    "alternative": "libpysal DistanceBand → networkx",
                    "alt_wall_s": _measure(libpysal_way)[0],
                }
            )
            print(f"{'':>9} libpysal → networkx {rows[-1]['alt_wall_s']:.3f} s", flush=True)
        except ImportError:
            pass
        print(f"{'':>9} {len(close):,} proximity links", flush=True)
        del close

    def by_hand() -> Any:
        edges = links.astype({"source": str, "target": str})
        H = nx.from_pandas_edgelist(
            edges, "source", "target", edge_attr=True, create_using=nx.MultiGraph
        )
        H.add_nodes_from(pd.DataFrame(placed.drop(columns="geometry")).to_dict("index").items())
        return H

    # by hand first, so that the two graphs are never held together; above 10^5 it takes
    # twice as long as assetmap and its freed memory stays with the process (graph_build.py
    # compares the two at 10^5)
    theirs = _measure(by_hand)[0] if n <= 100_000 else None
    G = add(
        "graph",
        _measure(lambda: assetmap.graph_from_assets(placed, links=links)),
        "nx.from_pandas_edgelist + add_nodes_from" if theirs else "",
        theirs,
    )

    def analyses() -> None:
        analysis.uncovered_needs(placed, links)
        analysis.area_summary(placed, links, level="cell")
        analysis.link_deserts(placed, links, level="cell")
        analysis.isolated(G)
        analysis.communities(G)

    add("analyses (no brokers)", _measure(analyses))
    if n <= 100_000:  # exact betweenness is O(n·m): its own row, outside the pipeline's total
        add("brokers (exact)", _measure(lambda: analysis.brokers(G)))

    import folium

    out = folder / "map.html"
    if n <= 100_000:
        stage = "map (build + save)"
        add(
            stage,
            _measure(
                lambda: assetmap.save_map(
                    assetmap.build_map(placed, links=links, study_area=None),
                    out,
                    self_contained=True,
                )
            ),
        )
    else:  # the issue's 10^6 pipeline: a map of the points, its links left to the questions
        del G
        stage = "map of points (build + save)"
        add(
            stage,
            _measure(
                lambda: assetmap.save_map(
                    assetmap.build_map(placed, study_area=None), out, self_contained=True
                )
            ),
        )
    rows[-1]["map_mb"] = out.stat().st_size / 2**20
    if n <= 10_000:

        def plain() -> None:
            m = folium.Map()
            for lat, lon in zip(placed.geometry.y, placed.geometry.x, strict=True):
                if np.isfinite(lat):
                    folium.CircleMarker([lat, lon], radius=3).add_to(m)
            m.save(folder / "plain.html")

        rows[-1]["alternative"] = "plain folium CircleMarkers (no links, no privacy)"
        rows[-1]["alt_wall_s"] = _measure(plain)[0]
    # the issue's whole pipeline: read … map, without the proximity links (a stage of their
    # own, no question here needs them) and without exact brokers (their own target)
    apart = ("links (proximity 50 m)", "brokers (exact)")
    total = sum(r["wall_s"] or 0 for r in rows if r["stage"] not in apart)
    rows.append(
        {
            "n": n,
            "stage": "whole pipeline (read … map, no brokers)",
            "wall_s": total,
            "peak_mb": max(r["peak_mb"] or 0 for r in rows),
            "alternative": "",
            "alt_wall_s": None,
        }
    )
    print(f"{n:>9,} {rows[-1]['stage']:<22} {total:8.3f} s {rows[-1]['peak_mb']:8.0f} MB")
    return rows


def _machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    from importlib.metadata import version

    libs = ", ".join(
        f"{p} {version(p)}"
        for p in (
            "assetmap",
            "geopandas",
            "shapely",
            "scipy",
            "networkx",
            "pandas",
            "folium",
        )
    )
    return (
        f"{os.cpu_count()} cores ({model or platform.processor()}), {memory:.0f} GB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}; {libs}"
    )


def _table(rows: list[dict[str, Any]]) -> str:
    def f(v: Any, fmt: str) -> str:
        return "" if v is None or (isinstance(v, float) and v != v) else format(v, fmt)

    lines = [
        "| assets | stage | assetmap (s) | peak RSS (MB) | alternative | alternative (s) | "
        "alternative ÷ assetmap |",
        "|---:|---|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        ratio = (
            f"{r['alt_wall_s'] / r['wall_s']:.2g}×"
            if r.get("alt_wall_s") and r.get("wall_s")
            else ""
        )
        lines.append(
            f"| {r['n']:,} | {r['stage']} | {f(r['wall_s'], '.3f')} | {f(r['peak_mb'], '.0f')} "
            f"| {r['alternative']} | {f(r.get('alt_wall_s'), '.3f')} | {ratio} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="*", type=int, default=[1000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--make", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args()
    if args.make:
        from assetmap import datasets

        datasets.synthetic_register(int(args.make[0]), seed=1).to_csv(args.make[1], index=False)
        return
    if args.one:
        print("JSON " + json.dumps(one(args.one)), flush=True)
        return
    rows: list[dict[str, Any]] = []
    for n in args.sizes:
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], capture_output=True, text=True
        )
        print("\n".join(line for line in done.stdout.splitlines() if not line.startswith("JSON")))
        if done.returncode == 0:
            rows += json.loads(done.stdout.split("JSON ", 1)[1])
        else:  # say so in the table: a size that could not finish is a finding too
            why = "killed (out of memory?)" if done.returncode < 0 else done.stderr[-300:]
            rows.append(
                {
                    "n": n,
                    "stage": f"did not finish: {why}",
                    "wall_s": None,
                    "peak_mb": None,
                    "alternative": "",
                    "alt_wall_s": None,
                }
            )
    text = (
        "# Benchmark results\n\n"
        f"Written by `python benchmarks/run_all.py --sizes {' '.join(map(str, args.sizes))}` on "
        f"{time.strftime('%Y-%m-%d')}.\n\nMachine: {_machine()}.\n\n"
        "Wall time is one run; peak RSS is the process's resident memory during the stage "
        "(everything held so far included). The last column is how many times longer the "
        "alternative took (below 1: the alternative is faster). A shared machine moves wall "
        "times by ±25 %; the ratios, measured in the same process minutes apart, move less.\n\n"
        + _table(rows)
        + "\n"
    )
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
