"""Shared fixtures: the real open data in ../shared/data, and a headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
CHROMIUM = os.environ.get("ASSETMAP_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ASSETMAP_CHROMEDRIVER", "/usr/bin/chromedriver")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by what they need, so a fast loop is one ``-m`` away
    (``pytest -m "not browser and not shared_data and not dask"``)."""
    for item in items:
        needs = set(getattr(item, "fixturenames", ()))
        if "browser" in needs:
            item.add_marker(pytest.mark.browser)
        if "shared_data" in needs:
            item.add_marker(pytest.mark.shared_data)
        if item.path.name == "test_scale.py":
            item.add_marker(pytest.mark.dask)


def _skip_or_fail(flag: str, reason: str) -> None:
    if os.environ.get(flag) == "1":
        pytest.fail(f"{reason}, and {flag}=1 says it must be there")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real ONS/IMD files beside the project (skip, or fail under CI, when absent)."""
    if not SHARED_DATA.is_dir():
        _skip_or_fail("ASSETMAP_REQUIRE_SHARED_DATA", f"no shared data at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, with no network (skip, or fail under CI, when absent)."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        _skip_or_fail(
            "ASSETMAP_REQUIRE_BROWSER",
            f"no Chromium at {CHROMIUM} or no chromedriver at {CHROMEDRIVER}",
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _skip_or_fail("ASSETMAP_REQUIRE_BROWSER", "selenium is not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,860",
        "--disable-dev-shm-usage",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        # no network at all: the page must run from the file alone
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
        )
        yield driver
    finally:
        driver.quit()


AXE_CORE = "4.10.3"  # axe-core's version, from the npm registry (MPL-2.0), for WCAG checks
AXE_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "assetmap-tests"


def _axe_script() -> Path:
    """axe-core's ``axe.min.js``, fetched once with ``npm pack`` into a cache folder."""
    target = AXE_CACHE / f"axe-core-{AXE_CORE}" / "axe.min.js"
    if target.exists():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed (apt-get install npm) to fetch axe-core")
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "pack", f"axe-core@{AXE_CORE}", "--json", "--pack-destination", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"npm pack axe-core@{AXE_CORE} failed: {done.stderr.strip()[-300:]}")
    tarball = folder / json.loads(done.stdout)[0]["filename"]
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/axe.min.js")
        if member is None:
            raise RuntimeError(f"{tarball} has no package/axe.min.js")
        partial = target.with_suffix(".part")
        partial.write_bytes(member.read())
        partial.replace(target)
    return target


@pytest.fixture(scope="session")
def axe(browser: Any) -> Callable[[str], list[dict[str, Any]]]:
    """Run axe-core's WCAG 2.1 A and AA rules on the page open in ``browser``; returns the
    violations (each with ``id``, ``impact``, ``help`` and ``nodes``). ``axe(context)``: a CSS
    selector to check part of the page, or "document". Skips (fails under CI) without npm."""
    try:
        script = _axe_script().read_text(encoding="utf-8")
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        _skip_or_fail("ASSETMAP_REQUIRE_BROWSER", f"no axe-core: {exc}")

    def run(context: str = "document") -> list[dict[str, Any]]:
        browser.execute_script(script)
        found = browser.execute_async_script(
            """const [context, done] = arguments;
            axe.run(context === "document" ? document : context,
                    {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
               .then(r => done(r.violations), e => done([{id: "axe-error", impact: "critical",
                     help: String(e), nodes: []}]));""",
            context,
        )
        return list(found)

    return run


@pytest.fixture(scope="session")
def sample_geocoded() -> Any:
    import assetmap

    datasets = assetmap.datasets
    return assetmap.geocode(datasets.sample_register(), study_area=datasets.study_area())
