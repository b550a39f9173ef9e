"""Benchmark: one million messy postcodes normalised and looked up offline.

Run by hand (not a test)::

    python benchmarks/geocode_postcodes.py [--rows 1000000] [--seed 1]

Postcodes are drawn from the real ONS directory that assetmap ships (all of the UK), then
damaged as community registers damage them: lower case, no space, extra spaces, trailing
punctuation, O/0 and I/1 keyed for each other, a postcode inside an address, a district only,
junk, blanks. Prints, side by side:

- loading the whole UK directory, cold (target: under 5 s);
- assetmap's reading + look-up (+ sector/district fallback), rows a second (target: 1 million);
- what analysts do instead: upper-case, strip spaces and ``DataFrame.merge`` on the directory
  (no corrections, no fallback), and a plain Python loop with a dict (on a tenth of the rows).
"""

from __future__ import annotations

import argparse
import string
import warnings

import numpy as np
import pandas as pd
from _timing import Timed, timed

from assetmap.geocoding import gazetteer, ons


def damaged(keys: np.ndarray, n: int, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    pcs = pd.Series(rng.choice(keys, n), dtype="str")
    kind = rng.choice(
        ["clean", "lower", "nospace", "spaces", "punct", "twin", "address", "district", "junk",
         "blank"],
        size=n,
        p=[0.27, 0.30, 0.20, 0.10, 0.05, 0.02, 0.01, 0.02, 0.01, 0.02],
    )  # fmt: skip
    out = pcs.copy()
    out[kind == "lower"] = pcs[kind == "lower"].str.lower()
    out[kind == "nospace"] = pcs[kind == "nospace"].str.replace(" ", "")
    out[kind == "spaces"] = "  " + pcs[kind == "spaces"].str.replace(" ", "   ") + " "
    out[kind == "punct"] = pcs[kind == "punct"] + "."
    twin = kind == "twin"
    out[twin] = pcs[twin].str.replace("1", "I", n=1).str.replace("0", "O", n=1)
    out[kind == "address"] = "Flat 2, 10 High Street, " + pcs[kind == "address"]
    out[kind == "district"] = pcs[kind == "district"].str.split(" ").str[0]
    out[kind == "junk"] = "see notes"
    out[kind == "blank"] = None
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    ons._ons_letter.cache_clear()
    g = gazetteer.ons_postcode_directory()
    load_s, _ = timed(lambda: g.preload(list(string.ascii_uppercase)), repeat=1)  # cold
    tables = [g.part(c) for c in string.ascii_uppercase]
    keys = np.concatenate([t.keys.to_numpy(dtype=object)[np.isfinite(t.lon)] for t in tables])
    values = damaged(keys, args.rows, args.seed)

    def ours() -> np.ndarray:
        k = g.parse(values)
        hit = g.lookup(k.key)
        found = hit.found.copy()
        for level, lk in k.levels.items():
            rest = np.flatnonzero(~found)  # only rows not yet placed are looked up
            found[rest] |= g.lookup(lk.iloc[rest], level).found
        return found

    ours(), ours()  # warm: coarse levels are computed on first use, as in any session
    best = Timed(ours, repeat=5)
    ours_s, found, ours_cpu = best.wall, best.result, best.cpu

    directory = pd.DataFrame(
        {
            "pc": np.concatenate([t.keys.to_numpy(dtype=object) for t in tables]),
            "lon": np.concatenate([t.lon for t in tables]),
            "lat": np.concatenate([t.lat for t in tables]),
        }
    )
    directory["key"] = directory["pc"].str.replace(" ", "")

    def merge() -> np.ndarray:
        frame = pd.DataFrame({"key": values.str.upper().str.replace(" ", "")})
        joined = frame.merge(directory[["key", "lon", "lat"]], on="key", how="left")
        return joined["lat"].notna().to_numpy()

    best = Timed(merge, repeat=5)
    merge_s, merge_found, merge_cpu = best.wall, best.result, best.cpu

    lookup = dict(zip(directory["key"], zip(directory["lon"], directory["lat"], strict=True),
                      strict=True))  # fmt: skip
    tenth = values.iloc[: args.rows // 10].tolist()

    def loop() -> int:
        hits = 0
        for v in tenth:
            if isinstance(v, str) and lookup.get(v.upper().replace(" ", "")) is not None:
                hits += 1
        return hits

    loop_s, _ = timed(loop, repeat=5)
    loop_s *= 10

    n = args.rows
    print(
        f"rows: {n:,} messy postcodes (seed {args.seed}); directory: {len(directory):,} postcodes"
    )
    print(f"load the whole UK directory:        {load_s:6.2f} s  (target < 5 s)")
    print(f"assetmap parse + look-up + fallback: {ours_s:6.2f} s  = {n / ours_s:12,.0f} rows/s"
          f"  placed {found.mean():.2%}")  # fmt: skip
    print(f"pandas upper/strip + merge:          {merge_s:6.2f} s  = {n / merge_s:12,.0f} rows/s"
          f"  placed {merge_found.mean():.2%}")  # fmt: skip
    print(f"python loop + dict (x10 of a tenth): {loop_s:6.2f} s  = {n / loop_s:12,.0f} rows/s")
    print(f"CPU time of the best runs: assetmap {ours_cpu:.2f} s ({n / ours_cpu:,.0f} rows/s), "
          f"pandas merge {merge_cpu:.2f} s")  # fmt: skip
    print(
        f"ratios: assetmap is {merge_s / ours_s:.1f}x pandas merge, {loop_s / ours_s:.1f}x the loop"
    )

    # the whole geocoder, register in and placed register out, at a council's scale and beyond
    from assetmap import geocode
    from assetmap.schema import validate_assets

    for size in (10_000, 100_000):
        register = pd.DataFrame(
            {
                "asset_id": [f"a{i}" for i in range(size)],
                "name": [f"Asset {i}" for i in range(size)],
                "kind": "micro",
                "category": "association",
                "privacy": "public",
                "postcode": values.iloc[:size].to_numpy(),
            }
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            valid_s, valid = timed(lambda r=register: validate_assets(r), repeat=1)
            geo_s, placed = timed(lambda v=valid: geocode(v, study_area=None), repeat=1)
        share = (placed["geocode_method"] != "none").mean()
        print(f"geocode() on {size:>7,} rows: validate {valid_s:5.2f} s, geocode {geo_s:5.2f} s"
              f"  placed {share:.2%}")  # fmt: skip


if __name__ == "__main__":
    main()
