"""Benchmark (issue 20): the partner map of 100,000 assets with its links, beside folium's
FastMarkerCluster of the same points (points only), in one run.

Run by hand (not a test), with Debian's Chromium and chromedriver installed and
``pip install xstatic-leaflet-markercluster`` (the cluster plugin's files, so that its page too
opens with no network)::

    PYTHONPATH=. python benchmarks/map_size.py [--assets 100000] [--everyone-partners]

The register is ``datasets.synthetic_register(n, seed=1)``, geocoded; its links are
``find_links(between=("micro", "macro"), max_distance_m=1200)``, as ``run_all.py`` makes them.
assetmap: ``build_map(register, audience="partners", links=links)`` and ``save_map(...,
self_contained=True)`` (publishing and the privacy audit included), with popups, legend, search,
category filter and the list view. FastMarkerCluster: the points that map draws, as
``[[lat, lon], ...]``, each a Leaflet marker (its default Font Awesome marker cannot load
offline), on a folium map fitted to them, saved. Build + save is the best of three runs (wall
and CPU seconds).

"Painted" is the same for both pages: a script at the very end of the page (after every layer's
script ran) waits two animation frames, so that the frame drawn after the last layer was added
has been painted, and records ``performance.now()`` (milliseconds since the page was asked
for). For assetmap the runtime's own check is then asserted: its canvas has drawn every marker
and every line (``assetmap.painted()``, ``assetmap.drawn()``); for FastMarkerCluster, that its
cluster layer is on the map and its cluster icons are in the page. Both pages open from disk
with no network (FastMarkerCluster's scripts inlined from installed packages, its unused
jQuery/Bootstrap/icon fonts left out) and no basemap. Best of three openings each.

``--everyone-partners`` marks every record ``partners`` first, so that the map draws all 10^5
records (residents still only at coarse points, as the policy says) and every link.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import folium
import numpy as np
from folium.plugins import FastMarkerCluster
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import Timed

import assetmap
from assetmap import build_map, datasets, publish, save_map

#: Waits two frames after every script above it ran, then records the time.
PAINTED = (
    "<script>requestAnimationFrame(function () { requestAnimationFrame(function () {"
    " window.__painted = performance.now(); }); });</script>"
)


#: FastMarkerCluster's marker, with Leaflet's own icon (its default needs Font Awesome online).
PLAIN_MARKER = "function (row) { return L.marker(new L.LatLng(row[0], row[1])); }"


def register(n: int, everyone_partners: bool) -> tuple[Any, Any]:
    """The geocoded synthetic register and its opportunity links."""
    assetmap.settings.set_option(max_pairs=None)
    raw = datasets.synthetic_register(n, seed=1)
    if everyone_partners:
        raw = raw.assign(privacy="partners")
    placed = assetmap.geocode(raw, study_area=None)
    links = assetmap.find_links(placed, between=("micro", "macro"), max_distance_m=1200)
    return placed, links


def _library(module: str, name: str) -> str:
    from importlib import resources

    return (resources.files(module) / "data" / name).read_text(encoding="utf-8")


def offline(page: str) -> str:
    """folium's page with Leaflet and the cluster plugin inlined and its unused CDN files out."""
    files = {
        "leaflet.js": ("xstatic.pkg.leaflet", "leaflet.js"),
        "leaflet.css": ("xstatic.pkg.leaflet", "leaflet.css"),
        "leaflet.markercluster.js": (
            "xstatic.pkg.leaflet_markercluster",
            "leaflet.markercluster.js",
        ),
        "MarkerCluster.css": ("xstatic.pkg.leaflet_markercluster", "MarkerCluster.css"),
        "MarkerCluster.Default.css": (
            "xstatic.pkg.leaflet_markercluster",
            "MarkerCluster.Default.css",
        ),
    }

    def script(match: re.Match[str]) -> str:
        name = match["url"].rsplit("/", 1)[-1]
        if name not in files:
            return ""
        return "<script>" + _library(*files[name]).replace("</script", "<\\/script") + "</script>"

    def style(match: re.Match[str]) -> str:
        name = match["url"].rsplit("/", 1)[-1]
        return "<style>" + _library(*files[name]) + "</style>" if name in files else ""

    page = re.sub(r'<script src="(?P<url>[^"]+)"></script>', script, page)
    return re.sub(r'<link rel="stylesheet" href="(?P<url>[^"]+)"\s*/>', style, page)


def browser() -> webdriver.Chrome:
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,860"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def painted_s(driver: webdriver.Chrome, path: Path, check: str) -> float:
    """Seconds from asking for the page until its layers were painted (see the docstring)."""
    driver.get("about:blank")
    driver.get(path.as_uri())
    deadline = time.monotonic() + 180
    while (at := driver.execute_script("return window.__painted || null")) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path.name} was not painted within 3 minutes")
        time.sleep(0.05)
    if not driver.execute_script(check):
        raise RuntimeError(f"{path.name}: painted, but not everything was drawn ({check})")
    return float(at) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--everyone-partners", action="store_true")
    args = parser.parse_args()
    placed, links = register(args.assets, args.everyone_partners)
    out = Path(tempfile.mkdtemp(prefix="map_size-"))
    ours = out / "assetmap.html"

    def assetmap_map() -> Path:
        m = build_map(placed, audience="partners", links=links, study_area=None, tiles=None)
        return save_map(m, ours, self_contained=True)

    published = publish(placed, audience="partners", links=links)
    drawn = published.assets[
        ~published.assets.geometry.isna() & ~published.assets.geometry.is_empty
    ]
    ends = published.links[["source", "target"]].astype(str)
    n_lines = int((ends["source"].isin(drawn.index) & ends["target"].isin(drawn.index)).sum())
    n_macro = int(((drawn["kind"] == "macro") & (drawn["shown"] == "exact")).sum())
    theirs = out / "fastmarkercluster.html"

    def fast_marker_cluster() -> Path:
        lat, lon = drawn.geometry.y.to_numpy(), drawn.geometry.x.to_numpy()
        m = folium.Map(location=[float(np.mean(lat)), float(np.mean(lon))], zoom_start=10,
                       tiles=None)  # fmt: skip
        m.options["maxZoom"] = 18  # the cluster plugin needs one; a tile layer would set it
        FastMarkerCluster(np.column_stack([lat, lon]).tolist(), callback=PLAIN_MARKER).add_to(m)
        m.fit_bounds([[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]])
        m.save(theirs)
        return theirs

    ours_build = Timed(assetmap_map)
    theirs_build = Timed(fast_marker_cluster)
    for path in (ours, theirs):
        page = path.read_text(encoding="utf-8")
        page = offline(page) if path == theirs else page
        path.write_text(page.replace("</html>", PAINTED + "</html>"), encoding="utf-8")

    n_points = len(drawn) - n_macro  # macro sites are DOM markers; the rest on the canvas
    ours_check = (
        f"var d = assetmap.drawn(); return assetmap.painted() && d.points === {n_points} "
        f"&& d.lines === {n_lines} && document.querySelectorAll('.assetmap-site').length "
        f"=== {n_macro}"
    )
    theirs_check = (
        "return document.querySelectorAll('.marker-cluster, .leaflet-marker-icon').length > 0"
    )
    driver = browser()
    try:
        ours_open, theirs_open = [], []
        for _ in range(3):  # side by side, in turn
            ours_open.append(painted_s(driver, ours, ours_check))
            theirs_open.append(painted_s(driver, theirs, theirs_check))
    finally:
        driver.quit()
    mb, fmb = ours.stat().st_size / 1e6, theirs.stat().st_size / 1e6
    print(f"{args.assets:,} assets{' (every record partners)' if args.everyone_partners else ''}:"
          f" the partner map draws {len(drawn):,} records and {n_lines:,} links")  # fmt: skip
    print(f"{'':24} {'HTML MB':>8} {'build+save s':>13} {'CPU s':>6} {'painted s':>10}")
    print(f"{'assetmap (links, list)':24} {mb:8.1f} {ours_build.wall:13.2f} {ours_build.cpu:6.2f} "
          f"{min(ours_open):10.2f}")  # fmt: skip
    print(f"{'FastMarkerCluster':24} {fmb:8.1f} {theirs_build.wall:13.2f} "
          f"{theirs_build.cpu:6.2f} {min(theirs_open):10.2f}")  # fmt: skip
    ratio = ours_build.wall / theirs_build.wall
    print(f"targets: HTML {mb:.1f} MB (<= 20); build + save {ratio:.2f}x"
          f" FastMarkerCluster's (<= 3x; CPU {ours_build.cpu / theirs_build.cpu:.2f}x); painted "
          f"{min(ours_open) / min(theirs_open):.2f}x FastMarkerCluster's time (<= 1x)")  # fmt: skip
    print(
        f"all openings, s: assetmap {[round(t, 2) for t in ours_open]}, "
        f"FastMarkerCluster {[round(t, 2) for t in theirs_open]}"
    )


if __name__ == "__main__":
    main()
