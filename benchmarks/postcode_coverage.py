"""Measure, over the whole ONS directory, what the postcode gazetteer claims.

Run by hand (not a test)::

    python benchmarks/postcode_coverage.py

Prints, for the directory assetmap ships (every first letter):

- fallback precision: for each postcode sector and district, the share of its postcodes
  (those with a position) that lie, geodesically, within the radius the gazetteer states around
  the centre it states; how many sectors and districts hold the claim "90% of its postcodes
  within this radius" (the target: at least 95% of each), and the mean share;
- placing: how many postcodes the directory holds with a position are placed by their own
  postcode when written as the directory writes them (the target: all of them), how many it
  lists without a position are said to be so (and none crash the look-up), and how many sit
  on a delivery office's point, with what precision.

``tests/test_gazetteer.py`` measures the same on a large sample in every test run.
"""

from __future__ import annotations

import string
import time

import numpy as np
import pandas as pd
import pyproj

from assetmap.geocoding import gazetteer

GEOD = pyproj.Geod(ellps="WGS84")


def coverage(
    keys: pd.Series, lon: np.ndarray, lat: np.ndarray, g: gazetteer.TableGazetteer, level: str
) -> pd.DataFrame:
    """For each coarse key of ``level``: its postcodes, and the share within its stated radius."""
    coarse = gazetteer.UK_POSTCODE_LEVELS[level](keys)
    group, labels = pd.factorize(coarse, sort=True)
    hit = g.lookup(pd.Series(np.asarray(labels, dtype=object), dtype="str"), level)
    assert hit.found.all(), f"{(~hit.found).sum()} {level}s with postcodes not found"
    _, _, gap = GEOD.inv(hit.lon[group], hit.lat[group], lon, lat)
    inside = np.bincount(group, weights=gap <= hit.precision_m[group], minlength=len(labels))
    count = np.bincount(group, minlength=len(labels))
    return pd.DataFrame({"key": labels, "postcodes": count, "share": inside / count})


def main() -> None:
    g = gazetteer.ons_postcode_directory()
    t0 = time.perf_counter()
    g.preload(list(string.ascii_uppercase))
    tables = [g.part(c) for c in string.ascii_uppercase]
    tables = [t for t in tables if len(t.keys)]
    keys = pd.concat([t.keys for t in tables], ignore_index=True)
    lon = np.concatenate([t.lon for t in tables])
    lat = np.concatenate([t.lat for t in tables])
    placed = np.isfinite(lon) & np.isfinite(lat)
    print(f"directory: {len(keys):,} postcodes, {placed.sum():,} with a position "
          f"(loaded in {time.perf_counter() - t0:.1f} s)")  # fmt: skip

    for level in ("sector", "district"):
        t0 = time.perf_counter()
        share = coverage(keys[placed], lon[placed], lat[placed], g, level)
        holds = share["share"] >= 0.9
        worst = share.nsmallest(3, "share")
        print(
            f"{level:>8}s: {holds.sum():,} of {len(share):,} ({holds.mean():.2%}) hold "
            f"'90% within'; mean share {share['share'].mean():.2%}; worst "
            + ", ".join(f"{k} {s:.1%}" for k, s in zip(worst["key"], worst["share"], strict=True))
            + f"  ({time.perf_counter() - t0:.1f} s)"
        )

    t0 = time.perf_counter()
    parsed = g.parse(keys)
    hit = g.lookup(parsed.key)
    missed = placed & ~hit.found
    print(
        f"placed by their own postcode: {(placed & hit.found).sum():,} of {placed.sum():,}; "
        f"not placed: {missed.sum():,} ({', '.join(keys[missed].str[:-4].unique()[:8])})  "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    notes = parsed.notes.fillna("")
    positionless = ~placed
    said = notes.str.contains("listed without a position").to_numpy()
    print(
        f"listed without a position: {positionless.sum():,}; said so: "
        f"{(positionless & said).sum():,}"
    )
    office = pd.Series(hit.notes).str.contains("a delivery office", na=False).to_numpy()
    widened = hit.precision_m[office]
    print(
        f"on a point {gazetteer.SHARED_POINT_MIN} postcodes or more share (delivery offices): "
        f"{office.sum():,} postcodes; precision median {np.median(widened):,.0f} m, "
        f"90th percentile {np.quantile(widened, 0.9):,.0f} m"
    )


if __name__ == "__main__":
    main()
