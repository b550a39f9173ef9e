"""Benchmark: a map of 100,000 assets, as a file a partner can open, side by side with folium.

Run by hand (not a test), with Debian's Chromium installed::

    python benchmarks/map_size.py [--assets 100000]

Builds a public register of micro assets over Greater Icknield (seeded), saves
``build_map`` self-contained, and opens it in headless Chromium from disk with no network,
timing until every marker is on the map. Side by side: the same points as plain
``folium.CircleMarker``\\ s with popups (what users write today). Targets: under 20 MB, open in
under 3 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from assetmap import build_map, save_map
from assetmap.schema import CATEGORIES


def register(n: int, seed: int = 5) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-1.975, -1.905, n)
    lat = rng.uniform(52.465, 52.505, n)
    category = rng.choice(CATEGORIES["micro"][1:], n)
    return gpd.GeoDataFrame(
        {
            "name": [f"Group {i}" for i in range(n)],
            "kind": "micro",
            "category": category,
            "subcategory": None,
            "description": "A community group.",
            "offers": [["catering"]] * n,
            "needs": [["meeting space"]] * n,
            "capacity": np.nan,
            "postcode": None,
            "footprint": None,
            "privacy": "public",
            "geocode_method": "coordinates",
            "geocode_precision_m": 5.0,
        },
        index=pd.Index([f"a{i}" for i in range(n)], name="asset_id"),
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )


def browser() -> webdriver.Chrome:
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,860"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def open_time(driver: webdriver.Chrome, path: Path, count_js: str, expected: int) -> float:
    t = time.perf_counter()
    driver.get(path.as_uri())
    while time.perf_counter() - t < 120:
        if driver.execute_script(count_js) >= expected:
            return time.perf_counter() - t
        time.sleep(0.02)
    raise RuntimeError("the map did not finish drawing within 2 minutes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    args = parser.parse_args()
    assets = register(args.assets)
    out = Path(tempfile.mkdtemp())
    t = time.perf_counter()
    ours = save_map(build_map(assets, study_area=None, tiles=None), out / "assetmap.html",
                    self_contained=True)  # fmt: skip
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    plain = folium.Map(location=[52.485, -1.94], zoom_start=14, tiles=None, prefer_canvas=True)
    for name, point in zip(assets["name"], assets.geometry, strict=True):
        folium.CircleMarker([point.y, point.x], radius=5, popup=str(name)).add_to(plain)
    plain.save(out / "folium.html")
    folium_s = time.perf_counter() - t
    driver = browser()
    try:
        counted = "return assetmap.index.length"
        ours_open = open_time(driver, ours, counted, args.assets)
        theirs_open = open_time(
            driver,
            out / "folium.html",
            "var n = 0; for (var k in window) { if (k.startsWith('circle_marker_')) n++; }"
            " return n;",
            args.assets,
        )
    finally:
        driver.quit()
    mb = ours.stat().st_size / 1e6
    fmb = (out / "folium.html").stat().st_size / 1e6
    print(f"{args.assets:,} public assets")
    print(f"assetmap: built in {build_s:.1f} s, {mb:.1f} MB (target < 20), opened in "
          f"{ours_open:.2f} s (target < 3)")  # fmt: skip
    print(f"folium markers: built in {folium_s:.1f} s, {fmb:.1f} MB, opened in {theirs_open:.2f} s")
    print(f"ratios: file {fmb / mb:.1f}x smaller, opens {theirs_open / ours_open:.1f}x faster")


if __name__ == "__main__":
    main()
