"""Benchmark: ``geocode()`` on a register of a million messy postcodes, whole.

Run by hand (not a test)::

    PYTHONPATH=. python benchmarks/geocode_million.py [--rows 1000000] [--seed 1]

The register is :func:`assetmap.datasets.synthetic_register` (tags, categories, privacy as a
council's CSV holds them) with its postcodes damaged as in ``geocode_postcodes.py`` (lower case,
no space, punctuation, O/0 and I/1 swapped, postcodes in addresses, districts, junk, blanks).
Prints, side by side in one run:

- loading the whole UK postcode directory: the first time ever (the shipped files decoded and
  converted with OSTN15, then kept in the cache folder) and in a new session after that
  (target: <= 2 s);
- ``geocode()`` on the register as a user has it (a DataFrame: validation included) and as
  :func:`assetmap.read_assets` gives it, rows a second (target: >= 1 M rows/s, within 1.5x of
  its own look-up tier);
- its own look-up tier alone: parse + look-up + sector/district fallback on the same postcodes;
- what an analyst writes instead: upper-case, strip spaces and ``DataFrame.merge``.
"""

from __future__ import annotations

import argparse
import string
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _timing import Timed
from geocode_postcodes import damaged

from assetmap import datasets, geocode, settings
from assetmap.geocoding import gazetteer, ons
from assetmap.io import read_assets


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.rows

    # the directory: the first time ever (an empty cache folder), then in a new session
    def load() -> tuple[float, float, gazetteer.TableGazetteer]:
        ons._ons_letter.cache_clear()
        before = _rss_mb()
        t = time.perf_counter()
        g = gazetteer.ons_postcode_directory()
        g.preload(list(string.ascii_uppercase))
        return time.perf_counter() - t, _rss_mb() - before, g

    with tempfile.TemporaryDirectory() as folder, settings.option_context(cache_folder=folder):
        first_s, first_mb, _ = load()
        load_s, load_mb, g = load()

    tables = [g.part(c) for c in string.ascii_uppercase]
    keys = np.concatenate([t.keys.to_numpy(dtype=object)[np.isfinite(t.lon)] for t in tables])
    register = datasets.synthetic_register(n, seed=args.seed)
    register["postcode"] = damaged(keys, n, args.seed).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assets = read_assets(register)
    values = register["postcode"]

    def ours() -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return geocode(assets, study_area=None)

    def raw() -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return geocode(register, study_area=None)

    def tier() -> np.ndarray:
        k = g.parse(values)
        hit = g.lookup(k.key)
        found = hit.found.copy()
        for level, lk in k.levels.items():
            rest = np.flatnonzero(~found)
            found[rest] |= g.lookup(lk.iloc[rest], level).found
        return found

    directory = pd.DataFrame(
        {
            "key": np.concatenate([t.keys.to_numpy(dtype=object) for t in tables]),
            "lon": np.concatenate([t.lon for t in tables]),
            "lat": np.concatenate([t.lat for t in tables]),
        }
    )
    directory["key"] = directory["key"].str.replace(" ", "")

    def merge() -> np.ndarray:
        frame = pd.DataFrame({"key": values.str.upper().str.replace(" ", "")})
        joined = frame.merge(directory, on="key", how="left")
        return joined["lat"].notna().to_numpy()

    tier(), ours()  # warm: coarse levels are computed on first use, as in any session
    whole = Timed(raw, repeat=args.repeat)
    geo = Timed(ours, repeat=args.repeat)
    look = Timed(tier, repeat=args.repeat)
    mer = Timed(merge, repeat=args.repeat)
    placed = (geo.result["geocode_method"] != "none").mean()

    print(f"rows: {n:,} messy postcodes in a synthetic register (seed {args.seed})")
    print(
        f"load the UK directory, first time:   {first_s:6.2f} s  +{first_mb:,.0f} MB (then cached)"
    )
    print(
        f"load the UK directory, new session:  {load_s:6.2f} s  +{load_mb:,.0f} MB  (target <= 2 s)"
    )
    for label, run in (
        ("geocode() of the DataFrame", whole),
        ("geocode() of read_assets' register", geo),
        ("its look-up tier: parse+look-up", look),
        ("pandas upper/strip + merge", mer),
    ):
        print(
            f"{label:36s} {run.wall:6.2f} s  = {n / run.wall:12,.0f} rows/s  (CPU {run.cpu:.2f} s)"
        )
    print(f"placed by geocode(): {placed:.2%}; by the tier: {look.result.mean():.2%}; "
          f"by merge: {mer.result.mean():.2%}")  # fmt: skip
    print(f"ratios (wall; CPU in brackets, steadier on a shared machine), target <= 1.5x:\n"
          f"  geocode() of read_assets' register / look-up tier = {geo.wall / look.wall:.2f}x "
          f"({geo.cpu / look.cpu:.2f}x)\n"
          f"  geocode() of the DataFrame / look-up tier = {whole.wall / look.wall:.2f}x "
          f"({whole.cpu / look.cpu:.2f}x)\n"
          f"  geocode() of read_assets' register / pandas merge = "
          f"{geo.wall / mer.wall:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
