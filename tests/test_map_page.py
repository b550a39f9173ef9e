"""The map page as a partner reads it, in headless Chromium: at phone and laptop sizes no
control covers another or leaves the screen; the list view follows the map and reads on a
phone; plain words; keyboard use; axe-core finds no serious or critical WCAG 2.1 AA problem.
The screenshots the README shows (docs/map-laptop.png, docs/map-phone.png) are made here."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
import shapely

from assetmap import build_map, datasets, find_links, publish, save_map
from assetmap.maps import links_summary

DOCS = Path(__file__).resolve().parents[1] / "docs"
LAPTOP, PHONE = (1366, 768), (390, 844)

#: Every control a partner uses: none may cover another or leave the screen.
CONTROLS = (
    ".leaflet-control-zoom",
    ".assetmap-search",
    ".assetmap-fullscreen",
    ".leaflet-control-layers",
    ".assetmap-legend",
    ".leaflet-control-scale",
    ".leaflet-control-attribution",
)


def _streets() -> nx.MultiDiGraph:
    """A small street grid over the demo area (lon/lat), with a canal and a railway."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    lons = [-1.945 + 0.004 * i for i in range(8)]
    lats = [52.474 + 0.003 * j for j in range(8)]
    for i, lon in enumerate(lons):
        for j, lat in enumerate(lats):
            G.add_node((i, j), x=lon, y=lat)
    for i in range(8):
        for j in range(8):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < 8 and j + dj < 8:
                    attrs: dict[str, Any] = {"length": 270.0, "highway": "residential"}
                    if j == 3 and dj == 0:
                        attrs["highway"] = "primary"
                    if i == 5 and di == 0:
                        attrs = {"length": 270.0, "waterway": "canal"}
                    if j == 6 and dj == 0:
                        attrs = {"length": 270.0, "railway": "rail"}
                    G.add_edge((i, j), (i + di, j + dj), **attrs)
    G = nx.convert_node_labels_to_integers(G)
    return G


def _areas() -> gpd.GeoDataFrame:
    boxes = [shapely.box(-1.95 + 0.01 * i, 52.47, -1.94 + 0.01 * i, 52.50) for i in range(5)]
    return gpd.GeoDataFrame(
        {"area_name": [f"Area {i}" for i in range(5)], "imd_decile": [1, 2, 4, 7, 10]},
        index=pd.Index([f"E0100000{i}" for i in range(5)], name="area_code"),
        geometry=boxes,
        crs=4326,
    )


@pytest.fixture(scope="module")
def demo_links(sample_geocoded: gpd.GeoDataFrame) -> pd.DataFrame:
    return find_links(sample_geocoded, between=("micro", "macro"), max_distance_m=1200)


def _demo_page(geocoded: gpd.GeoDataFrame, links: pd.DataFrame, folder: Path,
               audience: str = "public") -> Path:  # fmt: skip
    m = build_map(geocoded, links=links, study_area=datasets.study_area(), audience=audience,
                  areas=_areas(), streets=_streets(), title="Greater Icknield assets")  # fmt: skip
    return save_map(m, folder / f"demo-{audience}.html", self_contained=True)


def _open(browser: Any, path: Path, size: tuple[int, int]) -> None:
    browser.set_window_size(*size)
    browser.get(path.resolve().as_uri())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if browser.execute_script(
            "return document.readyState === 'complete' && !!document.querySelector('.leaflet-pane')"
        ):
            time.sleep(0.2)
            return
        time.sleep(0.05)
    raise AssertionError("Leaflet did not start within 10 s")


def _boxes(browser: Any) -> dict[str, dict[str, float]]:
    return dict(
        browser.execute_script(
            "const out = {}; for (const s of arguments[0]) { const e = document.querySelector(s);"
            " if (e) { const r = e.getBoundingClientRect(); out[s] = {left: r.left, top: r.top,"
            " right: r.right, bottom: r.bottom}; } } return out;",
            list(CONTROLS),
        )
    )


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return min(a["right"], b["right"]) > max(a["left"], b["left"]) and min(
        a["bottom"], b["bottom"]
    ) > max(a["top"], b["top"])


def _assert_laid_out(browser: Any) -> None:
    boxes = _boxes(browser)
    assert set(boxes) == set(CONTROLS), set(CONTROLS) - set(boxes)
    width, height = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    for name, box in boxes.items():
        assert box["left"] >= 0 and box["top"] >= 0, (name, box)
        assert box["right"] <= width and box["bottom"] <= height, (name, box, width, height)
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not _overlap(boxes[a], boxes[b]), (a, boxes[a], b, boxes[b])


@pytest.mark.parametrize(("size", "shot"), [(LAPTOP, "map-laptop.png"), (PHONE, "map-phone.png")])
def test_no_control_covers_another(
    browser: Any,
    sample_geocoded: gpd.GeoDataFrame,
    demo_links: pd.DataFrame,
    tmp_path: Path,
    size: tuple[int, int],
    shot: str,
) -> None:
    path = _demo_page(sample_geocoded, demo_links, tmp_path)
    try:
        _open(browser, path, size)
        q = browser.execute_script
        expanded = q(
            "return Array.from(document.querySelectorAll('.assetmap-toggle'))"
            ".map(b => b.textContent + ':' + b.getAttribute('aria-expanded'))"
        )
        if size == PHONE:  # folded away on a phone, open on a laptop
            assert sorted(expanded) == ["Layers:false", "Legend:false"]
        else:
            assert sorted(expanded) == ["Layers:true", "Legend:true"]
        _assert_laid_out(browser)
        DOCS.mkdir(exist_ok=True)
        browser.save_screenshot(str(DOCS / shot))
        # opened, each panel stays clear of the others (on a phone, one at a time)
        for toggle in ("Legend", "Layers"):
            q("Array.from(document.querySelectorAll('.assetmap-toggle')).find("
              "b => b.textContent === arguments[0] && b.getAttribute('aria-expanded') === 'false')"
              "?.click()", toggle)  # fmt: skip
            time.sleep(0.1)
            _assert_laid_out(browser)
        # the list view reads on the screen without scrolling sideways
        assert q("return document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        browser.set_window_size(1280, 860)


def test_plain_words_and_the_list_following_the_map(
    browser: Any, sample_geocoded: gpd.GeoDataFrame, demo_links: pd.DataFrame, tmp_path: Path
) -> None:
    path = _demo_page(sample_geocoded, demo_links, tmp_path)
    _open(browser, path, (1280, 860))
    q = browser.execute_script
    macro = sample_geocoded[sample_geocoded["kind"] == "macro"]
    # every macro site named on the map, without a click
    labels = q("return Array.from(document.querySelectorAll('.assetmap-site-label'))"
               ".map(e => e.textContent)")  # fmt: skip
    assert sorted(labels) == sorted(macro["name"])
    legend = q("return document.querySelector('.assetmap-legend').textContent")
    assert "A link score runs from 0 to 1" in legend
    assert "1 = most deprived 10% of neighbourhoods in England" in legend
    for words in ("Street or path", "Main road", "Railway", "Canal or river"):
        assert words in legend
    assert q("return document.querySelectorAll('path.assetmap-street').length") == 4
    # deciles as squares
    assert q("return document.querySelectorAll('.assetmap-legend .assetmap-square').length") == 5
    # a link's card in plain words, two decimals
    q("Object.values(window).forEach(v => { if (v instanceof L.GeoJSON) v.eachLayer("
      "l => { if (l.feature && l.feature.id === 'link-0') l.openPopup(); }); });")  # fmt: skip
    time.sleep(0.2)
    card = q("return Array.from(document.querySelectorAll('.leaflet-popup-content dt, "
             ".leaflet-popup-content dd')).map(e => e.textContent)")  # fmt: skip
    for words in ("How well it matches", "How close", "Priority", "Link score", "Distance"):
        assert words in card
    score = card[card.index("Link score") + 1]
    assert len(score.split(".")[1]) == 2
    # the list: links to approximate places grouped per site and category, counts protected
    published = publish(sample_geocoded, audience="public", links=demo_links)
    rows = q("return Array.from(document.querySelectorAll('.assetmap-links-table tbody tr'))"
             ".map(r => Array.from(r.children).map(c => c.textContent))")  # fmt: skip
    assert len(rows) < len(published.links)
    grouped = [r for r in rows if "places approximate" in r[1]]
    assert grouped and all(r[0] in set(macro["name"]) for r in grouped)
    assert all("within 1.2 km" in r[1] for r in grouped)
    assert all(r[1].startswith("fewer than 5 ") or int(r[1].split()[0]) >= 5 for r in grouped)
    scores = [r[4] for r in rows if r[4]]
    assert scores and all(len(s.split(".")[1]) == 2 for s in scores)
    # the summary says what the map holds back, as the CLI prints it
    summary = q("return document.querySelector('.assetmap-links-summary').textContent")
    assert summary == links_summary(path)[0]
    n_lines = q("return document.querySelectorAll('path.assetmap-link').length")
    assert summary.startswith(f"{n_lines} links on the map")
    assert len(demo_links) > len(published.links)  # some are left out: said, never counted
    assert "Links to records not shown are left out, for privacy" in summary
    # search and the category filter filter the list too
    site = macro["name"].iloc[0]
    q("var i = document.querySelector('.assetmap-search-input'); i.value = arguments[0];"
      "i.dispatchEvent(new Event('input'));", site)  # fmt: skip
    listed = q("return Array.from(document.querySelectorAll('.assetmap-links-table tbody tr'))"
               ".map(r => r.textContent)")  # fmt: skip
    assert listed and all(site in row for row in listed)
    assert len(listed) < len(rows)
    q("var i = document.querySelector('.assetmap-search-input'); i.value = '';"
      "i.dispatchEvent(new Event('input'));"
      "var s = document.querySelector('.assetmap-filter'); s.value = 'Economic';"
      "s.dispatchEvent(new Event('change'));")  # fmt: skip
    economic = q("return document.querySelectorAll('.assetmap-links-table tbody tr').length")
    assert 0 < economic < len(rows)
    assert "in the list" in q("return document.querySelector('.assetmap-search-status')"
                              ".textContent")  # fmt: skip


def test_fewer_than_the_minimum_is_said_so(
    sample_geocoded: gpd.GeoDataFrame, demo_links: pd.DataFrame, tmp_path: Path
) -> None:
    from assetmap.privacy import Policy

    page = save_map(
        build_map(sample_geocoded, links=demo_links, policy=Policy("public", min_count=50)),
        tmp_path / "strict.html",
    )
    text = page.read_text(encoding="utf-8")
    assert "fewer than 50 people" in text


@pytest.mark.parametrize("audience", ["public", "partners"])
def test_axe_finds_no_serious_problem(
    browser: Any,
    axe: Any,
    sample_geocoded: gpd.GeoDataFrame,
    demo_links: pd.DataFrame,
    tmp_path: Path,
    audience: str,
) -> None:
    path = _demo_page(sample_geocoded, demo_links, tmp_path, audience)
    for size in (LAPTOP, PHONE):
        try:
            _open(browser, path, size)
            found = axe()
        finally:
            browser.set_window_size(1280, 860)
        serious = [
            (v["id"], v["help"], [n.get("target") for n in v["nodes"]][:3])
            for v in found
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], (size, serious)


def test_every_control_works_from_the_keyboard(
    browser: Any, sample_geocoded: gpd.GeoDataFrame, demo_links: pd.DataFrame, tmp_path: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    path = _demo_page(sample_geocoded, demo_links, tmp_path)
    _open(browser, path, (1280, 860))
    q = browser.execute_script
    q("document.activeElement.blur(); window.scrollTo(0, 0)")
    reached: list[str] = []
    for _ in range(300):  # past every marker (each is focusable) to the list's headings
        ActionChains(browser).send_keys(Keys.TAB).perform()
        name = q(
            "const e = document.activeElement; return (e.getAttribute('aria-label') || "
            "(e.labels && e.labels.length ? e.labels[0].textContent : '') || e.textContent "
            "|| e.tagName).trim().slice(0, 40)"
        )
        reached.append(name)
        if reached[-1].startswith("Link score"):
            break
    for control in ("Zoom in", "Search by name", "Show category", "Go to the list view",
                    "Full screen", "Legend", "Layers", "From"):  # fmt: skip
        assert any(r.startswith(control) for r in reached), (control, reached)
    macro = set(sample_geocoded.loc[sample_geocoded["kind"] == "macro", "name"])
    assert macro & set(reached)  # the sites are reached by name
    # Enter folds the legend away and opens it again
    legend = browser.find_element("css selector", ".assetmap-legend .assetmap-toggle")
    legend.send_keys(Keys.ENTER)
    assert legend.get_attribute("aria-expanded") == "false"
    assert q("return document.querySelector('.assetmap-legend .assetmap-panel-body').hidden")
    legend.send_keys(Keys.ENTER)
    assert legend.get_attribute("aria-expanded") == "true"
    # the category filter by keyboard filters the map and the list
    select = browser.find_element("css selector", ".assetmap-filter")
    select.send_keys(Keys.END)
    time.sleep(0.1)
    assert q("return document.querySelector('.assetmap-search-status').textContent")
    # Enter on a sort button sorts the list
    sort = browser.find_elements("css selector", ".assetmap-links-table thead button")[0]
    sort.send_keys(Keys.ENTER)
    assert q("return document.querySelector('.assetmap-links-table thead th')"
             ".getAttribute('aria-sort')") == "ascending"  # fmt: skip
    # the list view is announced as the map's text alternative, and reached from the map
    label = q("return document.querySelector('.assetmap-links-table').getAttribute('aria-label')")
    assert "alternative to the map" in label
    go = browser.find_element("css selector", ".assetmap-to-list")
    go.send_keys(Keys.ENTER)
    assert q("return document.activeElement.classList.contains('assetmap-links-table')")
