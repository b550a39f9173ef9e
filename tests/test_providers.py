"""Online providers against real HTTP servers on 127.0.0.1 that misbehave on cue.

The servers speak the postcodes.io and Nominatim JSON APIs. No test reaches the internet.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from assetmap import datasets, geocode, settings
from assetmap.errors import ConfigurationError, GeocodingWarning
from assetmap.geocoding.providers import Nominatim, PostcodesIO
from tests.loopback import LoopbackService
from tests.registers import register


class FakeService(LoopbackService):
    """postcodes.io and Nominatim in one server, with faults served in order."""

    def __init__(self) -> None:
        super().__init__(_Handler)
        self.known: dict[str, tuple[float, float]] = {}
        self.terminated: dict[str, tuple[float, float, int, int]] = {}
        self.places: dict[str, tuple[float, float, float]] = {}  # address → lon, lat, half box


class _Handler(BaseHTTPRequestHandler):
    server: FakeService

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _record(self, body: bytes) -> str:
        fault = self.server.next_fault()
        with self.server.lock:
            self.server.log.append(
                {
                    "t": time.monotonic(),
                    "method": self.command,
                    "path": self.path,
                    "body": body.decode(),
                    "agent": self.headers.get("User-Agent"),
                    "fault": fault,
                }
            )
        return fault

    def _send(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _faulty(self, fault: str) -> bool:
        """Serve a fault; False when the request should be answered normally."""
        if fault == "slow":
            time.sleep(1.0)
            return False  # answers, but after the client gave up
        if fault == "429":
            self._send(429, {"error": "too many"}, {"Retry-After": "0.2"})
        elif fault in ("500", "die"):
            self._send(500, {"error": "boom"})
        elif fault == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif fault == "empty":
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            return False
        return True

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self._faulty(self._record(body)):
            return
        queries = json.loads(body)["postcodes"]
        result = []
        for q in queries:
            hit = self.server.known.get(q)
            found = None
            if hit:
                found = {"postcode": q, "longitude": hit[0], "latitude": hit[1], "quality": 1}
            result.append({"query": q, "result": found})
        self._send(200, {"status": 200, "result": result})

    def do_GET(self) -> None:
        if self._faulty(self._record(b"")):
            return
        url = urlparse(self.path)
        if url.path.startswith("/terminated_postcodes/"):
            pc = url.path.rsplit("/", 1)[1].replace("%20", " ")
            if pc not in self.server.terminated:
                self._send(404, {"status": 404, "error": "Terminated postcode not found"})
                return
            lon, lat, year, month = self.server.terminated[pc]
            result = {"postcode": pc, "year_terminated": year, "month_terminated": month,
                      "longitude": lon, "latitude": lat}  # fmt: skip
            self._send(200, {"status": 200, "result": result})
        elif url.path == "/search":
            q = parse_qs(url.query)["q"][0]
            place = self.server.places.get(q)
            if place is None:
                self._send(200, [])
                return
            lon, lat, half = place
            box = [str(lat - half), str(lat + half), str(lon - half), str(lon + half)]
            self._send(200, [{"lat": str(lat), "lon": str(lon), "boundingbox": box,
                              "display_name": q}])  # fmt: skip
        else:
            self._send(404, {"error": "no such end point"})


@pytest.fixture
def service() -> Iterator[FakeService]:
    server = FakeService()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path) -> Iterator[Path]:
    with settings.option_context(cache_folder=tmp_path / "cache", progress=False):
        yield tmp_path / "cache"


def _fast(service: FakeService, **kw: Any) -> PostcodesIO:
    args: dict[str, Any] = dict(base_url=service.url, min_delay_s=0, backoff_s=0.01,
                                timeout_s=0.4, retries=5)  # fmt: skip
    args.update(kw)
    return PostcodesIO(**args)


def _posts(service: FakeService) -> list[list[str]]:
    return [json.loads(r["body"])["postcodes"] for r in service.log if r["method"] == "POST"
            and r["fault"] == "ok"]  # fmt: skip


def test_bulk_lookup_100_a_request_then_all_from_the_cache(service: FakeService) -> None:
    queries = [f"B{1 + i // 100} {i // 10 % 10}A{'BDEFGHJLNP'[i % 10]}" for i in range(250)]
    service.known = {q: (-1.9 - i * 1e-4, 52.48) for i, q in enumerate(queries[:240])}
    service.terminated = {queries[240]: (-1.95, 52.49, 2019, 6)}
    provider = _fast(service)
    first = provider.geocode(queries + queries[:5])  # repeats are asked once
    assert sorted(len(p) for p in _posts(service)) == [50, 100, 100]
    assert all(len(set(p)) == len(p) for p in _posts(service))
    assert first.found[queries[0]] is not None and first.found[queries[0]].lat == 52.48
    assert first.found[queries[240]].note == "terminated in 2019-06"  # type: ignore[union-attr]
    assert first.found[queries[241]] is None
    assert not first.failed
    asked = len(service.log)
    second = provider.geocode(queries)
    assert second.requests == 0 and len(service.log) == asked
    assert second.found == {q: first.found[q] for q in queries}


@pytest.mark.parametrize(
    "faults", [["slow"], ["429"], ["500", "500"], ["drop"], ["slow", "429", "drop", "500"]]
)
def test_retries_through_slowness_429_500_and_dropped_connections(
    service: FakeService, faults: list[str]
) -> None:
    service.known = {"B1 1AA": (-1.9, 52.48)}
    service.faults = list(faults)
    out = _fast(service).geocode(["B1 1AA"])
    assert out.found["B1 1AA"] is not None and not out.failed
    assert [r["fault"] for r in service.log] == [*faults, "ok"]


def test_429_waits_as_long_as_retry_after_says(service: FakeService) -> None:
    service.known = {"B1 1AA": (-1.9, 52.48)}
    service.faults = ["429"]
    _fast(service, backoff_s=0.0).geocode(["B1 1AA"])
    assert service.log[1]["t"] - service.log[0]["t"] >= 0.2


def test_exhausted_retries_and_empty_answers_fail_and_are_not_cached(
    service: FakeService,
) -> None:
    service.always = "die"
    out = _fast(service, retries=2).geocode(["B1 1AA"])
    assert "HTTP 500 (after 3 attempts)" in out.failed["B1 1AA"] and not out.found
    assert len(service.log) == 3
    service.always = "empty"
    out = _fast(service, retries=0).geocode(["B1 1AA"])
    assert "not JSON" in out.failed["B1 1AA"]
    service.always = None
    service.known = {"B1 1AA": (-1.9, 52.48)}
    out = _fast(service).geocode(["B1 1AA"])
    assert out.found["B1 1AA"] is not None and out.requests == 1


def test_a_killed_run_resumes_from_the_cache(service: FakeService) -> None:
    queries = [f"B{1 + i // 10} {i % 10}AB" for i in range(300)]
    service.known = {q: (-1.9, 52.48) for q in queries}
    service.faults = ["ok"] + ["die"] * 100  # the service falls over after one batch
    first = _fast(service, retries=1).geocode(queries)
    assert len(first.found) == 100 and len(first.failed) == 200
    service.faults = []
    service.log.clear()
    second = _fast(service).geocode(queries)
    assert len(second.found) == 300
    sent = [q for p in _posts(service) for q in p]
    assert sorted(sent) == sorted(set(queries) - set(first.found))


def test_geocode_asks_online_only_what_it_lacks_and_only_addresses_and_postcodes(
    service: FakeService,
) -> None:
    service.known = {"B15 9ZZ": (-1.93, 52.47)}
    service.places = {
        "7 Ladywood Middleway, Birmingham": (-1.925, 52.478, 0.0003),  # a building
        "Birmingham": (-1.89, 52.48, 0.15),  # a whole city: vaguer than the postcode sector
    }
    assets = register(
        name=[f"Secret Name {i}" for i in range(6)],
        category="individual",
        description=[f"private circumstances {i}" for i in range(6)],
        offers="nursing",
        privacy="private",
        postcode=["B66 2QT", "B15 9ZZ", None, "B16 0ZZ", None, None],
        address=[None, None, "7 Ladywood Middleway, Birmingham", "Birmingham", "Nowhere Lane",
                 None],
    )  # fmt: skip
    online = [
        _fast(service),
        Nominatim(user_agent="assetmap-tests (tests@example.org)", domain=service.domain,
                  scheme="http", min_delay_s=0.3, backoff_s=0.01, timeout_s=0.5),
    ]  # fmt: skip
    with pytest.warns(GeocodingWarning, match="2 of 6"):
        out = geocode(assets, online=online, study_area=datasets.study_area())
    assert out["geocode_method"].tolist() == [
        "postcode", "postcodes.io", "nominatim", "sector", "none", "none",
    ]  # fmt: skip
    assert out.loc["a2", "geocode_precision_m"] < 50
    assert "nominatim placed 'Birmingham' only to within" in out.loc["a3", "geocode_note"]
    assert "nominatim does not know 'Nowhere Lane'" in out.loc["a4", "geocode_note"]
    # only the postcode the offline directory lacks went to postcodes.io
    assert _posts(service) == [["B15 9ZZ", "B16 0ZZ"]] or _posts(service) == [
        ["B16 0ZZ", "B15 9ZZ"]
    ]
    searches = [r for r in service.log if r["path"].startswith("/search")]
    assert len(searches) == 3
    params = parse_qs(urlparse(searches[0]["path"]).query)
    assert params["countrycodes"] == ["gb"] and "viewbox" in params
    assert all(r["agent"].startswith("assetmap-tests") for r in searches)
    # one request a (set) interval, never faster
    gaps = [b["t"] - a["t"] for a, b in itertools.pairwise(searches)]
    assert min(gaps) >= 0.29
    # nothing personal left the machine
    sent = " ".join(r["path"] + r["body"] for r in service.log)
    assert "Secret" not in sent and "private" not in sent and "nursing" not in sent


def test_nominatim_needs_a_user_agent_and_one_second_on_the_public_service() -> None:
    with (
        settings.option_context(user_agent=None),
        pytest.raises(ConfigurationError, match="user agent"),
    ):
        Nominatim()
    with pytest.raises(ConfigurationError, match="one request a second"):
        Nominatim(user_agent="x (x@example.org)", min_delay_s=0.1)
    Nominatim(user_agent="x (x@example.org)", domain="nominatim.example.org", min_delay_s=0.1)


def test_nominatim_retries_a_rate_limit_and_caches(service: FakeService) -> None:
    service.places = {"1 Grove Lane, Smethwick": (-1.95, 52.49, 0.0005)}
    service.faults = ["429", "500"]
    provider = Nominatim(user_agent="t (t@example.org)", domain=service.domain, scheme="http",
                         min_delay_s=0.0, backoff_s=0.01, timeout_s=0.5)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = provider.geocode(["1 Grove Lane, Smethwick"])
    assert out.found["1 Grove Lane, Smethwick"] is not None
    assert [r["fault"] for r in service.log] == ["429", "500", "ok"]
    again = provider.geocode(["1 Grove Lane, Smethwick"])
    assert again.requests == 0


def test_progress_bar_only_when_asked_or_in_a_terminal(
    service: FakeService, capsys: pytest.CaptureFixture[str]
) -> None:
    service.known = {"B1 1AA": (-1.9, 52.48), "B1 1AB": (-1.9, 52.48)}
    with settings.option_context(progress=True):
        _fast(service, cache=False).geocode(["B1 1AA", "B1 1AB"])
    assert "postcodes.io" in capsys.readouterr().err
    with settings.option_context(progress=None):  # pytest's stderr is not a terminal
        _fast(service, cache=False).geocode(["B1 1AA"])
    assert capsys.readouterr().err == ""
