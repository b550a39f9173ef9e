from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from assetmap import build_map, datasets, geocode, save_map
from assetmap.maps._elements import Verbatim, rendered
from assetmap.maps._json import JSONArray, json_for_script
from assetmap.maps._packed import (
    Factorised,
    Texts,
    distance_text,
    factorise_numbers,
    fixed,
    fixed_factorised,
    ints,
    tag_lists,
)
from assetmap.maps._templates import _shapes, _template, templated
from assetmap.schema import validate_assets
from tests.contracts import packed_columns, scan_for

PAYLOADS = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "`${window.__pwned=1}`",
    "</script><script>window.__pwned=1</script>",
    "\"'><svg onload=window.__pwned=1>",
    "javascript:window.__pwned=1",
    "{{constructor.constructor('window.__pwned=1')()}}",
    "\u202eevil\u202c ✊🏽 emoji",
    '<iframe src="javascript:parent.__pwned=1"></iframe>',
    '<a href="javascript:window.__pwned=1">click</a>',
    "<body onload=window.__pwned=1>",
    "<details open ontoggle=window.__pwned=1>",
    "'; window.__pwned=1; '",
    '"); window.__pwned=1; ("',
    "${window.__pwned=1}",
    "{% raw %}{{ 7*7 }}{% endraw %}",
    "<style>*{display:none}</style>",
    "<!-- --><script>window.__pwned=1</script>",
    "&lt;script&gt;window.__pwned=1&lt;/script&gt;",
    "\u2028\u2029 line separators",
    "<math><mtext><img src=x onerror=window.__pwned=1></mtext></math>",
    "x\u0000y null byte",
    "مرحبا ‏RTL‏ עברית",
]


def _hostile_register() -> gpd.GeoDataFrame:
    n = len(PAYLOADS)
    frame = pd.DataFrame(
        {
            "asset_id": [f"h{i}" for i in range(n)],
            "name": PAYLOADS,
            "kind": "micro",
            "category": "association",
            "privacy": "public",
            "description": PAYLOADS[::-1],
            "offers": PAYLOADS,
            "subcategory": PAYLOADS,
            "latitude": [52.48 + i * 0.001 for i in range(n)],
            "longitude": -1.93,
        }
    )
    return geocode(validate_assets(frame))


def _page(m: Any, tmp_path: Path, name: str = "map.html", **kw: Any) -> str:
    return save_map(m, tmp_path / name, **kw).read_text(encoding="utf-8")


def test_layers_legend_and_privacy(sample_geocoded: gpd.GeoDataFrame, tmp_path: Path) -> None:
    page = _page(build_map(sample_geocoded, study_area=datasets.study_area()), tmp_path)
    for layer in ("Study area", "Macro sites (3)", "Association (", "Economic ("):
        assert layer in page
    assert "Private records are not shown: they are only counted" in page
    # names of residents never reach the page, whatever their privacy
    residents = sample_geocoded[sample_geocoded["category"] == "individual"]
    for name in residents["name"]:
        assert name not in page
    # a public map does not name partners' records either
    partners = sample_geocoded[sample_geocoded["privacy"] == "partners"]
    assert len(partners)
    for name in partners["name"]:
        assert name.replace("'", "\\u0027") not in page and name not in page
    partners_page = _page(build_map(sample_geocoded, audience="partners"), tmp_path, "p.html")
    assert all(name in partners_page for name in partners["name"])


def test_same_inputs_same_bytes(sample_geocoded: gpd.GeoDataFrame, tmp_path: Path) -> None:
    from assetmap import find_links

    links = find_links(sample_geocoded, between=("micro", "macro"))
    one = _page(build_map(sample_geocoded, links=links), tmp_path, "a.html", self_contained=True)
    two = _page(build_map(sample_geocoded, links=links), tmp_path, "b.html", self_contained=True)
    assert one == two


def test_layers_added_to_your_own_map(sample_geocoded: gpd.GeoDataFrame, tmp_path: Path) -> None:
    import folium

    mine = folium.Map(location=[52.49, -1.94], zoom_start=13, tiles=None)
    folium.Marker([52.49, -1.94], tooltip="my own marker").add_to(mine)
    out = build_map(sample_geocoded, m=mine)
    assert out is mine
    page = _page(out, tmp_path)
    assert "my own marker" in page and "Macro sites (3)" in page and "assetmap.layer(" in page


def test_self_contained_loads_nothing(sample_geocoded: gpd.GeoDataFrame, tmp_path: Path) -> None:
    page = _page(build_map(sample_geocoded), tmp_path, self_contained=True)
    assert "<script src=" not in page and '<link rel="stylesheet"' not in page
    assert "Leaflet 1.9.3" in page or "leaflet" in page.lower()
    cdn = _page(build_map(sample_geocoded), tmp_path, "cdn.html")
    assert 'integrity="sha384-' in cdn and "cdn.jsdelivr.net/npm/leaflet@1.9.3" in cdn


def test_register_text_never_lands_as_markup(tmp_path: Path) -> None:
    page = _page(build_map(_hostile_register(), study_area=None, tiles=None), tmp_path)
    for payload in PAYLOADS:
        if "<" in payload:
            assert payload not in page  # only ever as \u003c... inside JSON strings
    assert "{{constructor" not in page  # nor as a template for a second Jinja pass
    assert "window.__pwned" in page  # it is there, as inert JSON text


def _open(browser: Any, path: Path) -> None:
    browser.get(path.resolve().as_uri())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if browser.execute_script(
            "return document.readyState"
        ) == "complete" and browser.execute_script(
            "return !!document.querySelector('.leaflet-pane')"
        ):
            return
        time.sleep(0.05)
    raise AssertionError("Leaflet did not start within 10 s")


def _console_errors(browser: Any) -> list[str]:
    logs = browser.get_log("browser")
    return [
        e["message"]
        for e in logs
        if e["level"] == "SEVERE" and "arcgisonline.com" not in e["message"]
    ]  # basemap tiles, offline by design


def test_demo_map_runs_offline_in_chromium(
    browser: Any, sample_geocoded: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    from assetmap import find_links

    links = find_links(sample_geocoded, between=("micro", "macro"), max_distance_m=1200)
    path = save_map(
        build_map(sample_geocoded, links=links, study_area=datasets.study_area()),
        tmp_path / "demo.html",
        self_contained=True,
    )
    browser.get_log("browser")
    _open(browser, path)
    q = browser.execute_script
    assert q("return typeof L") == "object" and q("return L.version") == "1.9.3"
    assert q("return document.querySelectorAll('.leaflet-map-pane').length") == 1
    public = sample_geocoded[sample_geocoded["privacy"] != "private"]
    n_micro = int((public["kind"] == "micro").sum())
    assert q("return document.querySelectorAll('path.assetmap-micro').length") == n_micro
    assert q("return document.querySelectorAll('.assetmap-site').length") == 3
    assert q("return document.querySelectorAll('path.assetmap-footprint').length") == 2
    legend = q(
        "return Array.from(document.querySelectorAll('.assetmap-legend li'))"
        ".map(e => e.textContent)"
    )
    assert legend[:6] == ["Study area", "Link score 0.75 and above", "Link score 0.50 to 0.75",
                          "Link score 0.25 to 0.50", "Link score under 0.25",
                          "Link to a place shown approximately"]  # fmt: skip
    assert legend[6].startswith("A link score runs from 0 to 1") and legend[7] == "Macro sites (3)"
    assert {item.split(" (")[0] for item in legend[8:]} == {
        "Individual",
        "Association",
        "Institution",
        "Physical",
        "Natural",
        "Economic",
        "Cultural",
    }
    # clicking a site opens its explanation
    q("document.querySelector('.assetmap-site').click()")
    time.sleep(0.2)
    title = q("return document.querySelector('.leaflet-popup-content .assetmap-title').textContent")
    assert title in set(sample_geocoded.loc[sample_geocoded["kind"] == "macro", "name"])
    # one line per link the audience may see; the list view has each between records shown
    # exactly, and a row per site and category for those to records shown approximately
    shown = len(links[links["source"].isin(public.index) & links["target"].isin(public.index)])
    n_lines = q("return document.querySelectorAll('path.assetmap-link').length")
    assert n_lines == shown
    rows = q("return document.querySelectorAll('.assetmap-links-table tbody tr').length")
    exact = public[public["privacy"] == "public"].index
    n_exact = len(links[links["source"].isin(exact) & links["target"].isin(exact)])
    assert n_exact < rows < n_lines
    # clicking a link opens its explanation
    q("Object.values(window).forEach(v => { if (v instanceof L.GeoJSON) v.eachLayer("
      "l => { if (l.feature && l.feature.id === 'link-0') l.openPopup(); }); });")  # fmt: skip
    time.sleep(0.2)
    card = q("return document.querySelector('.leaflet-popup-content').textContent")
    assert "Why" in card and "Link score" in card and "offers" in card
    # sorting the list view by score, lowest first
    q("document.querySelectorAll('.assetmap-links-table thead button')[4].click()")
    scores = q("return Array.from(document.querySelectorAll('.assetmap-links-table tbody tr'))"
               ".map(r => parseFloat(r.lastChild.textContent))")  # fmt: skip
    scored = [s for s in scores if s is not None]
    assert scores[-1] is None  # rows with no score (grouped, approximate) come last
    assert scored and scored == sorted(scored)
    # search by name and the category filter
    q("var s = document.querySelector('.assetmap-filter'); s.value = 'Physical';"
      "s.dispatchEvent(new Event('change'));")  # fmt: skip
    physical = int((sample_geocoded.loc[public.index, "category"] == "physical").sum())
    assert q("return document.querySelector('.assetmap-search-status').textContent").startswith(
        f"{physical} shown; "
    )
    assert q("return document.querySelectorAll('.assetmap-fullscreen').length") == 1
    assert _console_errors(browser) == []


def test_payloads_do_not_run_in_chromium(browser: Any, tmp_path: Path) -> None:
    from assetmap import find_links

    hostile = _hostile_register()
    # every record offers what the next needs: links, their popups and the list view carry them
    hostile["needs"] = [hostile["offers"].iloc[(i + 1) % len(hostile)] for i in range(len(hostile))]
    links = find_links(hostile, max_distance_m=5000)
    assert len(links) >= len(PAYLOADS)
    path = save_map(
        build_map(hostile, study_area=None, tiles=None, links=links, title=PAYLOADS[0]),
        tmp_path / "hostile.html",
        self_contained=True,
    )
    _open(browser, path)
    q = browser.execute_script
    shown = []
    for i in range(len(PAYLOADS)):
        q(
            "Object.values(window).forEach(v => { if (v instanceof L.GeoJSON) v.eachLayer("
            f"l => {{ if (l.feature.id === 'h{i}') l.openPopup(); }}"
            "); });"
        )
        time.sleep(0.05)
        shown.append(
            q(
                "var all = document.querySelectorAll('.leaflet-popup-content "
                ".assetmap-title'); return all[all.length - 1].textContent"
            )
        )
    # as the register holds them (validation trims white space at the edges)
    assert shown == list(hostile["name"])
    # the list view shows them as text too, and searching for one finds it literally
    cells = q("return Array.from(document.querySelectorAll('.assetmap-links-table tbody tr'))"
              ".map(r => r.textContent).join('\\n')")  # fmt: skip
    for payload in PAYLOADS[:8]:
        assert payload in cells
    q("var i = document.querySelector('.assetmap-search-input'); i.value = '<img';"
      "i.dispatchEvent(new Event('input'));")  # fmt: skip
    status = q("return document.querySelector('.assetmap-search-status').textContent")
    assert status.startswith("2 shown; ")
    assert q("return window.__pwned") is None
    assert (
        q(
            "return document.querySelectorAll('.leaflet-popup-content img, .leaflet-popup-content "
            "svg, .leaflet-popup-content script, .leaflet-popup-content iframe, "
            ".assetmap-links-table img, .assetmap-links-table script').length"
        )
        == 0
    )
    assert _console_errors(browser) == []


@pytest.mark.parametrize("audience", ["everyone"])
def test_unknown_audience_is_refused(sample_geocoded: gpd.GeoDataFrame, audience: str) -> None:
    from assetmap.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="audience"):
        build_map(sample_geocoded, audience=audience)  # type: ignore[arg-type]


def test_areas_drawn_by_decile_with_names_escaped(
    sample_geocoded: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    import shapely

    from assetmap.maps import DECILE_COLOURS

    areas = gpd.GeoDataFrame(
        {"area_name": ["<b>Ladywood</b>", "Soho"], "imd_decile": [1, None]},
        index=pd.Index(["E01000001", "E01000002"], name="area_code"),
        geometry=[shapely.box(-1.95, 52.47, -1.93, 52.49), shapely.box(-1.93, 52.47, -1.91, 52.49)],
        crs=4326,
    )
    areas.attrs["level"] = "lsoa11"
    page = _page(build_map(sample_geocoded, areas=areas), tmp_path)
    assert "IMD 2019 decile (2)" in page  # the layer, both areas
    assert "IMD 2019 decile 1 (most deprived) (1)" in page  # the legend counts
    assert DECILE_COLOURS[0] in page
    assert "<b>Ladywood</b>" not in page  # register-like text travels as escaped JSON


def test_areas_layer_in_chromium(
    browser: Any, sample_geocoded: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    import shapely

    areas = gpd.GeoDataFrame(
        {"area_name": ["A", "B"], "imd_decile": [1, 10]},
        index=pd.Index(["E1", "E2"], name="area_code"),
        geometry=[shapely.box(-1.95, 52.47, -1.93, 52.49), shapely.box(-1.93, 52.47, -1.91, 52.49)],
        crs=4326,
    )
    path = save_map(
        build_map(sample_geocoded, areas=areas), tmp_path / "areas.html", self_contained=True
    )
    _open(browser, path)
    assert (
        browser.execute_script("return document.querySelectorAll('path.assetmap-area').length") == 2
    )
    assert _console_errors(browser) == []


_MAP = "Object.values(window).find(v => v instanceof L.Map)"


def _click_at(browser: Any, lon: float, lat: float, zoom: int | None = None) -> None:
    """A real mouse click on the map at (lon, lat), zoomed in first if asked."""
    from selenium.webdriver.common.action_chains import ActionChains

    q = browser.execute_script
    if zoom is not None:
        q(f"{_MAP}.setView([arguments[1], arguments[0]], arguments[2], {{animate: false}})",
          lon, lat, zoom)  # fmt: skip
        _painted(browser)
    x, y, w, h = q(
        f"var m = {_MAP}, p = m.latLngToContainerPoint([arguments[1], arguments[0]]),"
        " s = m.getSize(); return [p.x, p.y, s.x, s.y]",
        lon,
        lat,
    )
    box = browser.find_element("css selector", ".leaflet-container")
    ActionChains(browser).move_to_element_with_offset(box, x - w / 2, y - h / 2).click().perform()
    time.sleep(0.2)


def _painted(browser: Any) -> None:
    deadline = time.monotonic() + 20
    while not browser.execute_script("return assetmap.painted()"):
        assert time.monotonic() < deadline, "the canvas did not draw within 20 s"
        time.sleep(0.05)


def _popup(browser: Any) -> str:
    return str(
        browser.execute_script(
            "var e = document.querySelector('.leaflet-popup-content .assetmap-title');"
            " return e ? e.textContent : null"
        )
    )


def _groups(ids: list[str], names: list[str], seed: int) -> gpd.GeoDataFrame:
    """Public associations at random points in Greater Icknield, placed by their coordinates."""
    rng = np.random.default_rng(seed)
    n = len(ids)
    frame = pd.DataFrame(
        {
            "asset_id": ids,
            "name": names,
            "kind": "micro",
            "category": "association",
            "privacy": "public",
            "latitude": rng.uniform(52.47, 52.50, n).round(6),
            "longitude": rng.uniform(-1.96, -1.92, n).round(6),
        }
    )
    return geocode(validate_assets(frame), study_area=None)


def test_large_registers_are_packed_and_drawn_on_canvas(browser: Any, tmp_path: Path) -> None:
    from assetmap.maps import CANVAS_ABOVE

    n = CANVAS_ABOVE + 500
    assets = _groups(
        [f"g{i}" for i in range(n)], [PAYLOADS[i % len(PAYLOADS)] + f" {i}" for i in range(n)], 2
    )
    page = _page(build_map(assets, study_area=None, tiles=None), tmp_path)
    assert '"lonlat":[' in page and page.count('"type":"Feature"') < 10  # packed, not GeoJSON
    assert '"g7"' in page and '"Location"' in page  # texts as JSON, each once
    path = save_map(build_map(assets, study_area=None, tiles=None), tmp_path / "big.html",
                    self_contained=True)  # fmt: skip
    _open(browser, path)
    _painted(browser)
    q = browser.execute_script
    assert q("return assetmap.drawn()") == {"points": n, "lines": 0}
    assert q("return document.querySelectorAll('canvas.assetmap-canvas').length") == 1
    assert q("return document.querySelectorAll('path.assetmap-micro').length") == 0
    # a click on a marker opens its card, built from the packed columns
    g7 = assets.loc["g7"]
    _click_at(browser, g7.geometry.x, g7.geometry.y, zoom=19)
    assert _popup(browser) == g7["name"]
    card = q("return document.querySelector('.leaflet-popup-content').textContent")
    assert "Location" in card and "from coordinates" in card
    # a click where there is nothing (20 m away, 100 px at this zoom) opens nothing
    q(f"{_MAP}.closePopup()")
    empty = [
        (g7.geometry.x + dx, g7.geometry.y + dy)
        for dx, dy in ((3e-4, 0), (-3e-4, 0), (0, 2e-4), (0, -2e-4))
        if np.hypot(
            assets.geometry.x - g7.geometry.x - dx, assets.geometry.y - g7.geometry.y - dy
        ).min()
        > 1e-4
    ]
    _click_at(browser, *empty[0])
    assert _popup(browser) == "None"
    # search filters the canvas: what is drawn, and the count said
    q("var i = document.querySelector('.assetmap-search-input'); i.value = arguments[0];"
      "i.dispatchEvent(new Event('input'));", "<img")  # fmt: skip
    matching = int(assets["name"].str.lower().str.contains("<img", regex=False).sum())
    assert 0 < matching < n
    status = q("return document.querySelector('.assetmap-search-status').textContent")
    assert status == f"{matching} shown"
    _painted(browser)
    q(f"{_MAP}.setView([52.485, -1.94], 13, {{animate: false}})")
    _painted(browser)
    assert q("return assetmap.drawn().points") == matching
    assert q("return assetmap.find('g7')") is True
    assert q("return window.__pwned") is None
    assert _console_errors(browser) == []


def _many_links() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """2,500 groups that need a meeting space and 20 halls that offer one, over 3 km by 4 km."""
    from assetmap import find_links

    rng = np.random.default_rng(3)
    n, halls = 2500, 20
    frame = pd.DataFrame(
        {
            "asset_id": [f"g{i}" for i in range(n)] + [f"hall{i}" for i in range(halls)],
            "name": [f"Group {i}" for i in range(n)] + [f"Hall <{i}>" for i in range(halls)],
            "kind": ["micro"] * n + ["macro"] * halls,
            "category": ["association"] * n + ["anchor_institution"] * halls,
            "privacy": "public",
            "needs": ["meeting space"] * n + [None] * halls,
            "offers": [None] * n + ["meeting space"] * halls,
            "latitude": rng.uniform(52.47, 52.50, n + halls).round(6),
            "longitude": rng.uniform(-1.96, -1.92, n + halls).round(6),
        }
    )
    assets = geocode(validate_assets(frame), study_area=None)
    return assets, find_links(assets, between=("micro", "macro"), max_distance_m=600)


def test_many_links_on_canvas_with_a_windowed_list(browser: Any, tmp_path: Path) -> None:
    from assetmap.maps import CANVAS_ABOVE

    assets, links = _many_links()
    assert len(links) > CANVAS_ABOVE
    m = build_map(assets, links=links, study_area=None, tiles=None)
    path = save_map(m, tmp_path / "links.html", self_contained=True)
    page = path.read_text(encoding="utf-8")
    assert '"ends":[' in page and "link-0" not in page  # packed: no card rows per link
    # one table of texts for the page; reasons as templates ("offers x; # m") and numbers
    blobs = packed_columns(page)
    (table,) = [b for b in blobs.values() if isinstance(b, list)]
    (packed,) = [b for b in blobs.values() if isinstance(b, dict) and "why" in b]
    assert packed["strings"] is table and len(table) == len(set(table))
    assert packed["why"] == links["reason"].tolist()
    assert "offers meeting space; # m" in table and str(links["reason"].iloc[0]) not in page
    assert len(page.encode()) < 120 * len(links)  # bytes per link, names and cards included
    # the privacy scan reads what the page says through its packing: a reason, spelled out
    leaks = scan_for([path], [str(links["reason"].iloc[0])])
    assert leaks and all("why" in leak.where for leak in leaks)
    _open(browser, path)
    _painted(browser)
    q = browser.execute_script
    assert q("return assetmap.drawn()") == {"points": 2500, "lines": len(links)}
    # the runtime reads the packed columns back as they were: reasons, distances, scores
    (key,) = [k for k, b in blobs.items() if isinstance(b, dict) and "why" in b]
    said = q("var d = assetmap.data(arguments[0]), s = d.strings;"
             "return [Array.from(d.why, c => s[c]), Array.from(d.apart, c => s[c]),"
             " Array.from(d.factors[d.scored][1], c => s[c])]", key)  # fmt: skip
    assert said[0] == links["reason"].tolist()
    assert said[1] == packed["apart"] and said[2] == [f"{v:.2f}" for v in links["score"]]
    # every line from its source's point to its target's (points joined from their layers)
    xy = np.array(q("var d = assetmap.data(arguments[0]);"
                    "return Array.from(d.s, (s, i) => [d.ends[2 * s], d.ends[2 * s + 1],"
                    " d.ends[2 * d.t[i]], d.ends[2 * d.t[i] + 1]])", key))  # fmt: skip
    at = assets.geometry
    expected = np.column_stack([at.x[links["source"]], at.y[links["source"]],
                                at.x[links["target"]], at.y[links["target"]]])  # fmt: skip
    assert np.abs(xy - expected).max() < 1e-6
    # a click on a line between two markers opens its card, built on click
    best = links.iloc[0]
    a, b = assets.loc[best["source"]].geometry, assets.loc[best["target"]].geometry
    q(f"{_MAP}.fitBounds([[arguments[1], arguments[0]], [arguments[3], arguments[2]]],"
      " {animate: false, maxZoom: 19})", a.x, a.y, b.x, b.y)  # fmt: skip
    _painted(browser)
    # a point on the line, off both markers: 40% of the way along
    _click_at(browser, a.x + 0.4 * (b.x - a.x), a.y + 0.4 * (b.y - a.y))
    card = q("return Array.from(document.querySelectorAll('.leaflet-popup-content dt, "
             ".leaflet-popup-content dd')).map(e => e.textContent)")  # fmt: skip
    title = _popup(browser)
    assert " → " in title and "Link score" in card and "Why" in card
    names = assets["name"]  # the ends' titles: one from the group's point layer, one a hall's
    ends = zip(links["source"], links["target"], strict=True)
    pairs = {f"{names[a]} → {names[b]}" for a, b in ends}
    assert title in pairs
    assert card[card.index("Why") + 1] in set(links["reason"])
    # the list view: every row counted, only those on screen in the page
    rows = q("return document.querySelectorAll('.assetmap-links-table tbody tr:not("
             ".assetmap-spacer)').length")  # fmt: skip
    assert 0 < rows < 400
    assert q("return document.querySelector('.assetmap-links-table table')"
             ".getAttribute('aria-rowcount')") == str(len(links) + 1)  # fmt: skip
    # scrolled to its end, the last rows are there, numbered
    q("window.scrollTo(0, document.body.scrollHeight)")
    time.sleep(0.3)
    indices = q("return Array.from(document.querySelectorAll('.assetmap-links-table tbody "
                "tr[aria-rowindex]')).map(r => +r.getAttribute('aria-rowindex'))")  # fmt: skip
    assert indices[-1] == len(links) + 1 and indices == list(range(indices[0], indices[-1] + 1))
    # sorting by score sorts every row, not those on screen
    q("document.querySelectorAll('.assetmap-links-table thead button')[4].click()")
    q("window.scrollTo(0, document.querySelector('.assetmap-links-table').offsetTop)")
    time.sleep(0.3)
    first = q("return document.querySelector('.assetmap-links-table tbody "
              "tr[aria-rowindex=\"2\"]').lastChild.textContent")  # fmt: skip
    assert float(first) == round(float(links["score"].min()), 2)
    # search filters the rows, by name
    q("var i = document.querySelector('.assetmap-search-input'); i.value = 'hall <3>';"
      "i.dispatchEvent(new Event('input'));")  # fmt: skip
    n_hall = int(((links["source"] == "hall3") | (links["target"] == "hall3")).sum())
    status = q("return document.querySelector('.assetmap-list-status').textContent")
    assert status == f"{n_hall} of {len(links)} rows shown"
    assert _console_errors(browser) == []


def _what_the_page_says(browser: Any, a: Any, b: Any) -> list[Any]:
    """The card of the line from point a to b, a point's card, a search's counts and the
    list's rows, in that order."""
    q = browser.execute_script
    cards = (
        "return Array.from(document.querySelectorAll('.leaflet-popup-content strong, "
        ".leaflet-popup-content dt, .leaflet-popup-content dd')).map(e => e.textContent)"
    )
    said: list[Any] = []
    q(f"{_MAP}.fitBounds([[arguments[1], arguments[0]], [arguments[3], arguments[2]]],"
      " {animate: false, maxZoom: 19})", a.x, a.y, b.x, b.y)  # fmt: skip
    _painted(browser)
    _click_at(browser, a.x + 0.4 * (b.x - a.x), a.y + 0.4 * (b.y - a.y))  # off both markers
    said.append(q(cards))
    assert q("return assetmap.find('g7')")
    time.sleep(0.3)  # the line's card fades out
    said.append(q(cards))
    q("var i = document.querySelector('.assetmap-search-input'); i.value = 'group 123';"
      "i.dispatchEvent(new Event('input'));")  # fmt: skip
    said.append(
        q(
            "return [document.querySelector('.assetmap-search-status').textContent,"
            " document.querySelector('.assetmap-list-status').textContent]"
        )
    )
    q("window.scrollTo(0, document.querySelector('.assetmap-links-table').offsetTop)")
    time.sleep(0.3)
    said.append(q("return Array.from(document.querySelectorAll('.assetmap-links-table tbody "
                  "tr:not(.assetmap-spacer)')).map(r => r.textContent)"))  # fmt: skip
    return said


def test_cards_search_and_list_are_the_same_before_and_after_the_texts_are_decoded(
    browser: Any, tmp_path: Path
) -> None:
    """The first frame decodes only where to draw; names, cards, reasons and the long list are
    decoded on first use, or once the map is painted: what they say is the same either way."""
    assets, links = _many_links()
    path = save_map(build_map(assets, links=links, study_area=None, tiles=None),
                    tmp_path / "links.html", self_contained=True)  # fmt: skip
    ends = (assets.geometry[links.iloc[0]["source"]], assets.geometry[links.iloc[0]["target"]])
    (key,) = [k for k, b in packed_columns(path.read_text(encoding="utf-8")).items()
              if isinstance(b, dict) and "why" in b]  # fmt: skip
    q = browser.execute_script
    browser.set_window_size(1280, 860)
    lazy = "return !!Object.getOwnPropertyDescriptor(assetmap.data(arguments[0]), 'why').get"
    rows = "return document.querySelectorAll('.assetmap-links-table tbody tr').length"
    # cold: nothing but the drawing is decoded until a click, a search or the list needs it
    idle = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                   {"source": "window.requestIdleCallback = () => 0;"})  # fmt: skip
    try:
        _open(browser, path)
        _painted(browser)
        assert q("return assetmap.drawn()") == {"points": 2500, "lines": len(links)}
        assert q(lazy, key) and q(rows) == 0  # the list is below the fold: not filled yet
        # named sites placed in 2D (translate3d: a compositing layer each, slow to paint)
        assert q("return Array.from(document.querySelectorAll('.assetmap-site'), e =>"
                 " e.style.transform.split('(')[0])") == ["translate"] * 20  # fmt: skip
        cold = _what_the_page_says(browser, *ends)
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                                {"identifier": idle["identifier"]})  # fmt: skip
    # warm: decoded once the map was painted, the list filled before anyone scrolled to it
    _open(browser, path)
    _painted(browser)
    deadline = time.monotonic() + 10
    while q(lazy, key) or q(rows) == 0:
        assert time.monotonic() < deadline, "the texts were not decoded after painting"
        time.sleep(0.05)
    warm = _what_the_page_says(browser, *ends)
    assert cold == warm
    line, point, counts, listed = cold
    assert line[0] in {f"{assets['name'][s]} → {assets['name'][t]}"
                       for s, t in zip(links["source"], links["target"], strict=True)}  # fmt: skip
    assert line[line.index("Why") + 1] in set(links["reason"])
    assert point[0] == "Group 7"
    n = len(listed)  # fewer than a window's worth: every row is in the page
    assert counts == [f"11 shown; {n} in the list", f"{n} of {len(links)} rows shown"]
    assert n and all("Group 123" in row for row in listed)
    assert _console_errors(browser) == []


# --- maps that compose: a second build_map, a map from explore() -----------------------------


def _two_drawings(sample_geocoded: gpd.GeoDataFrame) -> Any:
    """Macro sites and associations drawn first; every other category, with links, after."""
    from assetmap import find_links

    first_part = sample_geocoded["kind"].eq("macro") | sample_geocoded["category"].eq("association")
    first, second = sample_geocoded[first_part], sample_geocoded[~first_part]
    m = build_map(first, title="Assets", tiles=None)
    out = build_map(second, m=m, title="Assets", links=find_links(second), tiles=None)
    assert out is m
    return m


def test_a_second_build_map_joins_the_same_controls(
    sample_geocoded: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    page = _page(_two_drawings(sample_geocoded), tmp_path)
    for once in ("assetmap.search(", "assetmap.fullscreen(", "assetmap.legend(",
                 "L.control.layers(", ".fitBounds(", 'class="assetmap-legend',
                 "assetmap.layout("):  # fmt: skip
        assert page.count(once) == 1, once
    legend = page.split('class="assetmap-legend')[1].split("</div></div>")[0]
    # both drawings' lines, in one list under one heading, each line once
    assert legend.count("<h2>") == 1 and legend.count("<ul>") == 1
    assert "Macro sites (3)" in legend and "Association (" in legend  # the first drawing
    assert "Economic (" in legend and "Link score 0.75 and above" in legend  # the second
    assert legend.count("Link score 0.75 and above") == 1
    # the layer switcher comes after every layer, so it lists them all
    assert page.index("L.control.layers(") > page.rindex("assetmap.layer(")
    # the view holds what both drawings showed
    import re

    lons = sample_geocoded.geometry.x[sample_geocoded["privacy"] == "public"]
    box = re.search(r"\.fitBounds\(\s*\[\[([-\d.]+), ([-\d.]+)\], \[([-\d.]+), ([-\d.]+)\]\]", page)
    assert box is not None
    west, east = float(box[2]), float(box[4])
    assert west <= lons.min() + 1e-6 and east >= lons.max() - 1e-6


def test_a_second_drawing_with_another_title_gets_its_heading(
    sample_geocoded: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    m = build_map(sample_geocoded, title="<b>Ours</b>", tiles=None)
    build_map(sample_geocoded[sample_geocoded["kind"] == "macro"], m=m, title="Theirs & co")
    legend = _page(m, tmp_path).split('class="assetmap-legend')[1].split("</div></div>")[0]
    assert "<h2>&lt;b&gt;Ours&lt;/b&gt;</h2>" in legend and "<h3>Theirs &amp; co</h3>" in legend


def test_two_drawings_in_chromium(
    browser: Any, sample_geocoded: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    path = save_map(_two_drawings(sample_geocoded), tmp_path / "two.html", self_contained=True)
    browser.get_log("browser")
    _open(browser, path)
    q = browser.execute_script
    for selector in (".assetmap-search", ".assetmap-fullscreen", ".assetmap-legend",
                     ".leaflet-control-layers", ".assetmap-filter"):  # fmt: skip
        assert q(f"return document.querySelectorAll('{selector}').length") == 1, selector
    overlays = q(
        "return Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".map(e => e.textContent.trim())"
    )
    assert "Macro sites (3)" in overlays and any(o.startswith("Economic (") for o in overlays)
    assert any(o.startswith("Association (") for o in overlays)
    # one search finds records of either drawing
    public = sample_geocoded[sample_geocoded["privacy"] == "public"]
    for category in ("association", "economic"):
        name = public.loc[public["category"] == category, "name"].iloc[0]
        q("var s = document.querySelector('.assetmap-search-input'); s.value = arguments[0];"
          "s.dispatchEvent(new Event('input'));", name)  # fmt: skip
        assert q("return document.querySelector('.assetmap-search-status').textContent").startswith(
            f"{int(public['name'].str.contains(name, case=False, regex=False).sum())} shown"
        )
    # the category filter offers each group once
    options = q("return Array.from(document.querySelectorAll('.assetmap-filter option'))"
                ".map(o => o.value)")  # fmt: skip
    assert len(options) == len(set(options))
    assert _console_errors(browser) == []


def test_build_map_on_a_map_from_explore(sample_geocoded: gpd.GeoDataFrame, tmp_path: Path) -> None:
    pytest.importorskip("mapclassify", reason="GeoDataFrame.explore() needs mapclassify")
    theirs = datasets.study_area().explore(name="Study area (theirs)")
    out = build_map(sample_geocoded, m=theirs, tiles=None)
    assert out is theirs
    page = _page(out, tmp_path)
    assert "Study area (theirs)" in page and "Macro sites (3)" in page
    for once in ("assetmap.search(", "L.control.layers(", ".fitBounds(", "assetmap.legend("):
        assert page.count(once) == 1, once
    # their layer is in the one switcher, listed after it was drawn
    assert page.index("L.control.layers(") > page.index("Study area (theirs)")
    # a second drawing on it still gives one of each
    build_map(sample_geocoded[sample_geocoded["kind"] == "macro"], m=out)
    again = _page(out, tmp_path, "again.html")
    assert again.count("assetmap.search(") == again.count("L.control.layers(") == 1


@pytest.mark.parametrize(
    "values",
    [
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        list(range(1000)),
        [5, -1, 7, 7, 7, 7, -1, 3, 100000, 2**31 - 1],
        [],
        [3],
        (np.random.default_rng(1).integers(-1, 40, 500)).tolist(),
    ],
)
def test_integer_columns_unpack_to_what_was_packed(values: list[int]) -> None:
    for keyed in (False, True):
        packed = ints(values, keyed=keyed)
        unpacked = packed_columns(_blob({"c": packed}))["x"]["c"]
        assert unpacked == values


@pytest.mark.parametrize(
    "odd",
    [[], ["x\u001fy 7"], ["\u0663 4 1\u0663 .5 5.25"]],
    ids=["all at once", "a text holding the separator", "digits of another script"],
)
def test_templated_texts_spell_back_exactly(odd: list[str]) -> None:
    texts = Texts()
    said = [
        "offers esol teaching; 140 m", "offers esol teaching; 7 m", None, "1.25 km walk",
        "# 12 \\ #3 \\#4 ##", "007 and 0 and 1234567890123", "x\u0000y 5", "", "12", "a#",
        ".5 5. 1.2.3 -4 999999999 1000000000 0.0 00", *odd, *PAYLOADS,
    ]  # fmt: skip
    column = templated(said, texts)
    blob = {"strings": "t", "templated": ["why"], "why": column}
    page = _blob(blob, "x") + _blob(texts.table, "t")
    assert packed_columns(page)["x"]["why"] == [None if s is None else s for s in said]
    assert "offers esol teaching; # m" in texts.table  # the two reasons share one template


def test_number_columns_are_written_as_json_writes_their_lists() -> None:
    rng = np.random.default_rng(5)
    floats = np.concatenate(
        [
            np.round(rng.uniform(-180, 180, 2000), 6),
            rng.standard_normal(2000) * 10.0 ** rng.integers(-12, 22, 2000),
            [0.0, -0.0, 2.0, -3.0, 1e-4, 9.5e-5, 1e16, 1e21, 0.1, 1 / 3, 5e-324, np.nan, np.inf],
        ]
    )
    ints_ = np.array([0, -1, 7, 2**62, -(2**63)], dtype=np.int64)
    value = {"f": JSONArray(floats), "i": JSONArray(ints_), "b": JSONArray([True, False]),
             "e": JSONArray(np.zeros(0)), "t": ["@assetmap-0", "</script>"]}  # fmt: skip
    plain = {"f": floats.tolist(), "i": ints_.tolist(), "b": [1, 0], "e": [],
             "t": ["@assetmap-0", "</script>"]}  # fmt: skip
    assert json_for_script(value) == json_for_script(plain)
    assert "</script>" not in json_for_script(value)
    with pytest.raises(TypeError, match="not JSON serializable"):
        json_for_script({"x": object()})


def test_numbers_as_text_are_python_formatting_at_once() -> None:
    rng = np.random.default_rng(6)
    halves = np.arange(-4000, 4000) / 2000  # every 0.0005: ties at three decimals
    x = np.concatenate(
        [rng.uniform(-3, 3, 3000), rng.uniform(0, 3000, 3000), halves,
         [0.0, -0.0, -0.0004, 999.95, 1e20, np.nan, np.inf, -np.inf]]
    )  # fmt: skip
    for decimals in (0, 1, 3):
        said = [None if pd.isna(t) else t for t in fixed(x, decimals)]
        assert said == [f"{v:.{decimals}f}" if np.isfinite(v) else None for v in x.tolist()]
    said = [None if pd.isna(t) else t for t in distance_text(x)]
    assert said == [
        None if not np.isfinite(v) else f"{v / 1000:.1f} km" if v >= 1000 else f"{v:.0f} m"
        for v in x.tolist()
    ]


def test_tag_lists_join_lists_and_say_odd_values_one_by_one() -> None:
    lists = pd.Series([["a", "b"], [], None, ("c",), ["d"], np.array(["e", "f"], dtype=object)])
    said = [None if pd.isna(t) else t for t in tag_lists(lists)]
    assert said == ["a, b", None, None, "c", "d", "e, f"]
    odd = pd.Series(
        [["a", None], [1, 2], "bare", float("nan"), [""], ["x", "y"]], index=list("uvwxyz")
    )
    said_odd = tag_lists(odd)
    assert list(said_odd.index) == list("uvwxyz")
    assert [None if pd.isna(t) else t for t in said_odd] == [
        "a, None",
        "1, 2",
        "bare",
        None,
        None,
        "x, y",
    ]


def test_tuples_of_tags_are_joined_once_each_and_missing_ones_stay_missing() -> None:
    met = pd.Series([("a", "b"), (), None, ("c",), ("a", "b")], index=list("vwxyz"))
    said = tag_lists(met)
    assert list(said.index) == list("vwxyz")
    assert [None if pd.isna(t) else t for t in said] == ["a, b", None, None, "c", "a, b"]
    mixed = pd.Series([["a"], None, ["b", "c"], []])
    assert [None if pd.isna(t) else t for t in tag_lists(mixed)] == ["a", None, "b, c", None]


def test_templates_found_at_once_are_the_templates_found_one_by_one() -> None:
    rng = np.random.default_rng(8)
    pieces = np.array([*"0123456789.#\\ ab;", "km", "\u0663", "\U0001f600", ", "])
    said = ["".join(rng.choice(pieces, rng.integers(0, 25))) for _ in range(400)]

    def found(t: str) -> list[int]:
        return [int(n) for n in re.findall(r"(?<![0-9.])(0|[1-9][0-9]{0,8})(?![0-9])",
                                           t.replace("\\", "\\\\"))]  # fmt: skip

    # texts held by Arrow (their bytes at once, a slice too), and a list (a text Arrow
    # cannot hold: a lone surrogate)
    for given in (pa.array(said, pa.string()), pa.array(said).slice(3), [*said, "\ud800 7"]):
        texts = given if isinstance(given, list) else given.to_pylist()
        shapes, numbers, per = _shapes(given)
        assert isinstance(shapes, list) == isinstance(given, list)
        got = shapes if isinstance(shapes, list) else shapes.to_pylist()
        assert got == [_template(t) for t in texts]
        assert numbers.tolist() == [n for t in texts for n in found(t)]
        assert per.tolist() == [len(found(t)) for t in texts] + [0]


def test_numbers_are_factorised_as_they_are_written() -> None:
    codes, values = factorise_numbers([0.0, -0.0, np.nan, 1.5, 0.0])
    assert codes.tolist() == [0, 1, -1, 2, 0]
    assert [str(v) for v in values] == ["0.0", "-0.0", "1.5"]
    said = Factorised.said_at_once([0.0, -0.0, np.inf], lambda x: fixed(x, 1))
    texts = Texts()
    assert texts.final(said.numbers(texts)).tolist() == [0, 1, -1]  # infinite: no text
    assert texts.table == ["0.0", "-0.0"]


def test_numbers_as_text_factorised_are_numbered_as_said_one_by_one() -> None:
    rng = np.random.default_rng(6)
    halves = np.arange(-4000, 4000) / 2000  # ties at three decimals
    x = np.concatenate([rng.uniform(-3, 3, 3000), rng.uniform(0, 3000, 3000), halves,
                        [0.0, -0.0, -0.0004, 999.95, 1e20, np.nan, np.inf, -np.inf]])  # fmt: skip
    rng.shuffle(x)
    for decimals in (0, 2, 3):
        one, two = Texts(), Texts()
        got = one.final(fixed_factorised(x, decimals).numbers(one)).tolist()
        assert got == two.final(two.codes(fixed(x, decimals))).tolist()
        assert one.table == two.table


def test_a_factorised_column_is_numbered_as_the_column_itself() -> None:
    values = pd.Series(["b", "a", None, "b", "c", "a"], dtype="str")
    one, two = Texts(), Texts()
    one.code("c")
    two.code("c")
    column = Factorised.of(values)
    rows = np.array([4, 3, 2, 1])
    got = two.final(column.numbers(two, rows))
    assert got.tolist() == one.final(one.codes(values.iloc[rows])).tolist()
    assert two.table == one.table == ["c", "b", "a"]
    assert two.final(column.numbers(two)).tolist() == [1, 2, -1, 1, 0, 2]


@pytest.mark.parametrize(
    "text",
    ["", "a", "a\n", "a\r\nb\rc\n\n", "\n", "{ x } #", "é\u2028\x85", "{{ x }}", "{% raw %}"],
)
def test_rendered_parts_are_what_jinja_gives_back(text: str) -> None:
    from jinja2 import Template

    part = rendered(text)
    assert part.render() == Template(text).render()
    assert isinstance(part, Verbatim) == ("{{" not in text and "{%" not in text)


def test_texts_are_numbered_in_the_order_first_met() -> None:
    texts = Texts()
    given = [
        texts.codes(["b", "a", None, "b"]),
        texts.codes(pd.Series(["c", "a", None], dtype="str")),
        texts.codes(np.array([1, "1", "d"], dtype=object)),
        [texts.code("a"), texts.code("e")],
    ]
    # numbers are provisional until the page is written: then each text has one
    got = [texts.final(g).tolist() for g in given]
    assert got == [[0, 1, -1, 0], [2, 1, -1], [3, 3, 4], [1, 5]]
    assert texts.table == ["b", "a", "c", "1", "d", "e"]
    assert _blob([texts.number(texts.code("d")), texts.packed(given[0])]) == _blob(
        [4, ints([0, 1, -1, 0], keyed=True)]
    )


def test_distinct_texts_partly_known_are_numbered_in_turn_without_gaps() -> None:
    texts = Texts()
    texts.codes(pd.Series(["k1", "k2"], dtype="str"))
    got = texts.codes(pd.Series(["n1", "k2", "n2", None, "k1", "n3", "n1"], dtype="str"))
    assert texts.final(got).tolist() == [2, 1, 3, -1, 0, 4, 2]
    assert texts.table == ["k1", "k2", "n1", "n2", "n3"]
    assert texts.final([texts.code(t) for t in ("n1", "n2", "n3")]).tolist() == [2, 3, 4]
    # a column factorised once, numbered slice by slice
    column = Factorised.of(pd.Series(["n3", "x", "k1", "y"], dtype="str"))
    assert texts.final(column.numbers(texts, np.array([3, 1, 2]))).tolist() == [5, 6, 0]
    assert texts.table == ["k1", "k2", "n1", "n2", "n3", "y", "x"]
    assert texts.final(column.numbers(texts)).tolist() == [4, 6, 0, 5]
    # a text Arrow cannot hold (a lone surrogate) is numbered all the same
    odd = texts.codes(np.array(["\ud800", "x"], dtype=object))
    assert texts.final(odd).tolist() == [7, 6]
    assert texts.table == ["k1", "k2", "n1", "n2", "n3", "y", "x", "\ud800"]


def _blob(value: Any, key: str = "x") -> str:
    from assetmap.maps._elements import json_for_script

    return f'<script type="application/json" id="{key}">{json_for_script(value)}</script>'


def test_a_record_whose_method_is_not_recorded_says_so_on_small_and_packed_maps(
    tmp_path: Path,
) -> None:
    from assetmap.maps import CANVAS_ABOVE

    n = CANVAS_ABOVE + 1
    assets = _groups([f"m{i}" for i in range(n)], [f"Group {i}" for i in range(n)], 5)
    assets["geocode_method"] = assets["geocode_method"].mask(assets.index == "m3")
    for rows, name in ((assets.iloc[:10], "small.html"), (assets, "packed.html")):
        page = _page(build_map(rows, study_area=None, tiles=None), tmp_path, name)
        assert "placed (method not recorded)" in page, name
        assert "placed by nan" not in page and "placed by None" not in page, name
        assert "placed from coordinates" in page, name  # the others keep theirs


def test_distances_apart_are_templated_from_their_numbers_as_from_their_text() -> None:
    from assetmap.maps._links import _apart, _apart_templated

    rng = np.random.default_rng(7)
    near = np.arange(0, 3000, 0.05)  # every tenth of a kilometre and its halves
    straight = np.concatenate(
        [rng.uniform(0, 5000, 3000), near, [999.5, 999.4999, 1049.99, 0.0, 5e10, np.nan, np.inf]]
    )
    walk = np.where(rng.random(len(straight)) < 0.4, straight * 1.3, np.nan)
    walk[:5] = [np.inf, 999.5, 1000.0, 1950.0, 0.49]
    for frame in (
        pd.DataFrame({"distance_m": straight, "walk_m": walk}),
        pd.DataFrame({"distance_m": straight}),
        pd.DataFrame({"distance_m": [-0.0, 3.0]}),  # (a distance no register gives)
        pd.DataFrame({"distance_m": np.array([], dtype=float)}),
    ):
        one, two = Texts(), Texts()
        one.code("# m walk")
        two.code("# m walk")
        fast, slow = _apart_templated(frame, one), templated(_apart(frame), two)
        assert _blob(fast) == _blob(slow)
        assert one.table == two.table


def test_a_table_of_texts_is_written_as_json_for_script_writes_its_list() -> None:
    from assetmap.maps._json import texts_for_script

    odd = [*PAYLOADS, 'say "hi"', "back\\", "tab\t", "nul\x00", "é\u2028x", "{{ y }}", "{%", ""]
    said = [f"{t} {k}" for k in range(300) for t in ("plain", "Zoë ✓")] + odd + ["plain"]
    expected = json_for_script(said)
    assert texts_for_script(said) == expected
    assert texts_for_script(pa.array(["cut", *said], pa.string()).slice(1)) == expected
    assert texts_for_script(pa.array(said, pa.large_string())) == expected
    assert texts_for_script(["\ud800"]) == json_for_script(["\ud800"])  # Arrow cannot hold it
    assert texts_for_script(pa.array([], pa.string())) == "[]" == texts_for_script([])


def test_grouped_list_rows_say_how_many_as_people_read_it() -> None:
    from types import SimpleNamespace

    from assetmap.maps._links import _grouped_rows

    ends = SimpleNamespace(
        title=np.array(["Port Loop", "Zoë's hall", "x"], dtype=object),
        category=np.array(["individual", "individual", "physical"], dtype=object),
        group=np.array(["Macro sites", "Association", "Physical"], dtype=object),
    )
    # links from Port Loop (0) to 6 people, from Zoë's hall to 1 person (its target) and to 2
    # physical sites (its source is the approximate end)
    known = np.array([0] * 6 + [1] + [1] * 2)
    hidden = np.array([1] * 6 + [0] + [2] * 2)
    side_target = np.array([True] * 7 + [False] * 2)
    for min_count, said_of in (
        (5, ["fewer than 5 physical records", "6 people", "fewer than 5 people"]),
        (1, ["2 physical records", "6 people", "1 person"]),
    ):
        texts = Texts()
        rows = _grouped_rows(side_target, known, hidden, ends, "within 1.2 km", min_count, texts)  # type: ignore[arg-type]
        said = [texts.table[k] for k in texts.final(rows["from"] + rows["to"])]
        half = len(rows["from"])
        counted = [f"{w} within 1.2 km, places approximate" for w in said_of]
        assert list(zip(said[:half], said[half:], strict=True)) == [
            (counted[0], "Zoë's hall"),
            ("Port Loop", counted[1]),
            ("Zoë's hall", counted[2]),
        ]
        groups = [texts.table[k] for k in texts.final(rows["groups"])]
        assert groups == [
            "Association", "Physical", "Individual", "Macro sites", "Association", "Individual"
        ]  # fmt: skip
