"""Online geocoding against loopback servers that fail in every way a real service can.

Each scenario runs against a real HTTP server on 127.0.0.1 speaking the postcodes.io and
Nominatim JSON APIs, serves its faults in order, and asserts three things: what the provider
answered (and what it said about the rest), what the SQLite cache holds afterwards (read
directly), and that no query the server had already answered properly was asked again.
"""

from __future__ import annotations

import email.utils
import itertools
import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from assetmap import geocode, settings
from assetmap.errors import ConfigurationError, GeocodingWarning
from assetmap.geocoding import CacheInfo, cache_info, clear_cache
from assetmap.geocoding.providers import Nominatim, PostcodesIO
from tests.loopback import LoopbackService
from tests.registers import register

DELAY = 0.1  # seconds between requests in most scenarios: the spacing measured server-side
SLACK = 0.04  # the server reads a request a little after it was sent (more on a busy machine)


def _postcode(i: int) -> str:
    return f"B{1 + i // 100} {i // 10 % 10}A{'BDEFGHJLNP'[i % 10]}"


class Service(LoopbackService):
    """postcodes.io and Nominatim in one server; faults served in order, one a request."""

    def __init__(self) -> None:
        super().__init__(_Handler)
        self.known: dict[str, tuple[float, float]] = {}
        self.terminated: dict[str, tuple[float, float]] = {}
        self.places: dict[str, tuple[float, float]] = {}
        self.bad: dict[str, str] = {}  # query → how its answer is corrupted
        self.partial = 0  # this many bulk answers hold only 60 % of their items
        self.lag = 0.0  # seconds before every bulk answer
        self.elsewhere = ""  # where the "away" redirect points
        self.settled: set[tuple[str, str]] = set()  # (end point, query) answered properly
        self.duplicates: list[tuple[str, str]] = []

    def times(self) -> list[float]:
        return [r["t"] for r in self.log]

    def asked(self, kind: str) -> list[str]:
        return [q for r in self.log if r["kind"] == kind for q in r["queries"]]


_JSON = "application/json"
_CANNED: dict[str, tuple[int, bytes, str]] = {  # fault → status, body, content type
    "500": (500, b'{"status": 500, "error": "no"}', _JSON),
    "400": (400, b'{"status": 400, "error": "no"}', _JSON),
    "badjson": (200, b'{"status": 200, "result": [', _JSON),
    "html": (200, b"<html><body>Please log in to the guest Wi-Fi</body></html>", "text/html"),
    "empty": (200, b"", _JSON),
    "notalist": (200, b'{"status": 200, "result": "oops"}', _JSON),
    "notfound404": (404, b"<html>Not Found</html>", "text/html"),  # a proxy's, not postcodes.io's
}


class _Handler(BaseHTTPRequestHandler):
    server: Service
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def parse_request(self) -> bool:
        self.arrived = time.monotonic()  # as soon as the request line is read
        return super().parse_request()

    def _send(
        self, status: int, payload: object, kind: str = "application/json", **headers: str
    ) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        self.wfile.write(data)

    def _begin(self, kind: str, queries: list[str]) -> str:
        t = self.arrived
        fault = self.server.next_fault()
        with self.server.lock:
            self.server.log.append({"t": t, "kind": kind, "queries": queries, "fault": fault,
                                    "path": self.path, "method": self.command})  # fmt: skip
            for q in queries:
                if (kind, q) in self.server.settled:
                    self.server.duplicates.append((kind, q))
        return fault

    def _settle(self, kind: str, queries: list[str]) -> None:
        with self.server.lock:
            self.server.settled.update((kind, q) for q in queries if q not in self.server.bad)

    def _fault(self, fault: str, body: bytes) -> bool:
        """Serve a fault; False when the request is to be answered."""
        name, _, value = fault.partition(":")
        if name in ("ok", "partial"):
            return False
        if name == "reset":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif name == "cut":  # headers, part of the body, then the connection goes
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"status": 200, "res')
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif name == "stall":  # nothing until after the client gave up
            time.sleep(0.6)
            self.close_connection = True
        elif name == "trickle":  # a byte every 20 ms: never a read timeout, but no end
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "400")
            self.end_headers()
            self.close_connection = True
            try:
                for _ in range(400):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.02)
            except OSError:
                pass
        elif name in ("429", "503"):
            extra = {"Retry-After": value} if value else {}
            self._send(int(name), {"status": int(name), "error": "slow down"}, **extra)
        elif name in _CANNED:
            status, payload, kind = _CANNED[name]
            self._send(status, payload, kind)
        elif name in ("301", "307", "loop", "away"):
            self._redirect(name)
        else:
            raise AssertionError(f"unknown fault {fault}")
        return True

    def _redirect(self, name: str) -> None:
        target = {
            "301": self.path + "?moved",
            "307": self.path + "?moved",
            "loop": self.path,
            "away": self.server.elsewhere + self.path,
        }[name]
        self.send_response(301 if name == "301" else 307)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _item(self, q: str) -> dict[str, Any] | None:
        hit = self.server.known.get(q)
        if hit is None:
            return None
        lon, lat = hit
        bad = self.server.bad.get(q)
        if bad == "lat204":
            lat = 204.0
        elif bad == "abroad":
            lon, lat = -74.0, 40.7
        postcode = "ZZ9 9ZZ" if bad == "other" else q
        return {"postcode": postcode, "longitude": lon, "latitude": lat, "quality": 1}

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        queries = json.loads(body)["postcodes"] if body else []
        fault = self._begin("bulk", queries)
        if self._fault(fault, body):
            return
        time.sleep(self.server.lag)
        answered = list(queries)
        if fault == "partial" or self.server.partial > 0:
            with self.server.lock:
                self.server.partial -= 1
            answered = queries[: len(queries) * 6 // 10]
        result = [{"query": q, "result": self._item(q)} for q in answered]
        self._send(200, {"status": 200, "result": result})
        self._settle("bulk", [q for q in answered if q in self.server.known])

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path.startswith("/terminated_postcodes/"):
            q = unquote(url.path.rsplit("/", 1)[1])
            if self._fault(self._begin("terminated", [q]), b""):
                return
            if q not in self.server.terminated:
                self._send(404, {"status": 404, "error": "Terminated postcode not found"})
            else:
                lon, lat = self.server.terminated[q]
                self._send(200, {"status": 200, "result": {
                    "postcode": q, "year_terminated": 2019, "month_terminated": 6,
                    "longitude": lon, "latitude": lat}})  # fmt: skip
            self._settle("terminated", [q])
        elif url.path == "/search":
            q = parse_qs(url.query)["q"][0]
            if self._fault(self._begin("search", [q]), b""):
                return
            place = self.server.places.get(q)
            bad = self.server.bad.get(q)
            if bad == "error":
                self._send(400, {"error": "Nominatim cannot read the query"})
            elif place is None:
                self._send(200, [])
            else:
                lon, lat = place
                lat = 204.0 if bad == "lat204" else lat
                lon, lat = (2.35, 48.86) if bad == "abroad" else (lon, lat)
                box = [str(lat - 1e-4), str(lat + 1e-4), str(lon - 1e-4), str(lon + 1e-4)]
                self._send(200, [{"lat": str(lat), "lon": str(lon), "boundingbox": box,
                                  "display_name": q}])  # fmt: skip
            self._settle("search", [q])
        else:
            self._send(404, {"error": "no such end point"})


def _start() -> Service:
    server = Service()
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


@pytest.fixture
def service() -> Iterator[Service]:
    server = _start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def other() -> Iterator[Service]:
    server = _start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def cache_folder(tmp_path: Path) -> Iterator[Path]:
    with settings.option_context(cache_folder=tmp_path / "cache", progress=False):
        yield tmp_path / "cache"


def _pio(service: Service, **kw: Any) -> PostcodesIO:
    args: dict[str, Any] = dict(base_url=service.url, min_delay_s=DELAY, backoff_s=0.01,
                                timeout_s=0.3, retries=4)  # fmt: skip
    return PostcodesIO(**{**args, **kw})


def _nominatim(service: Service, **kw: Any) -> Any:
    args: dict[str, Any] = dict(user_agent="assetmap-tests (tests@example.org)",
                                domain=service.domain, scheme="http", min_delay_s=DELAY,
                                backoff_s=0.01, timeout_s=0.3, retries=3)  # fmt: skip
    return Nominatim(**{**args, **kw})


def _cached(folder: Path) -> dict[str, tuple[float, float] | None]:
    """What the cache file holds: query → (lon, lat), or None for "not known"."""
    with sqlite3.connect(folder / "geocoding.sqlite") as db:
        rows = db.execute("SELECT query, answer FROM answers").fetchall()
    out: dict[str, tuple[float, float] | None] = {}
    for query, answer in rows:
        a = json.loads(answer) if answer else None
        out[query] = (a["lon"], a["lat"]) if a else None
    return out


def _spaced(service: Service, at_least: float = DELAY) -> None:
    gaps = [b - a for a, b in itertools.pairwise(service.times())]
    assert not gaps or min(gaps) >= at_least - SLACK, gaps


def _settled(service: Service, queries: list[str]) -> None:
    """Every scenario ends here: spacing held and nothing answered was asked again."""
    assert service.duplicates == []
    _spaced(service)


# --- postcodes.io: faults retried to a full answer --------------------------------------


@pytest.mark.parametrize(
    "faults",
    [
        ["reset"],
        ["cut"],
        ["stall"],
        ["trickle"],
        ["429:0"],
        ["429:0.3"],
        ["429"],  # no Retry-After: our backoff
        ["503:0.2"],
        ["500", "500"],
        ["badjson"],
        ["html"],
        ["empty"],
        ["307"],
        ["reset", "429:0", "stall", "500"],
    ],
)
def test_faults_retried_until_answered_and_all_cached(
    service: Service, cache_folder: Path, faults: list[str]
) -> None:
    queries = [_postcode(i) for i in range(5)]
    service.known = {q: (-1.9, 52.48 + i / 1000) for i, q in enumerate(queries)}
    service.faults = list(faults)
    out = _pio(service).geocode(queries)
    assert not out.failed and set(out.found) == set(queries)
    assert out.found[queries[3]] is not None and out.found[queries[3]].lat == 52.483
    assert [r["fault"] for r in service.log] == [*faults, "ok"]
    assert _cached(cache_folder) == {q: service.known[q] for q in queries}
    _settled(service, queries)
    if faults[0].startswith(("429:", "503:")):
        wait = float(faults[0].split(":")[1])
        assert service.log[1]["t"] - service.log[0]["t"] >= max(wait, DELAY) - SLACK
    assert _pio(service).geocode(queries).requests == 0


def test_retry_after_as_an_http_date_is_honoured(service: Service, cache_folder: Path) -> None:
    service.known = {"B1 1AA": (-1.9, 52.48)}
    service.faults = [f"429:{email.utils.formatdate(time.time() + 2, usegmt=True)}"]
    out = _pio(service).geocode(["B1 1AA"])
    assert out.found["B1 1AA"] is not None
    assert service.log[1]["t"] - service.log[0]["t"] >= 1.0 - SLACK  # the date has whole seconds
    assert _cached(cache_folder) == {"B1 1AA": (-1.9, 52.48)}
    _settled(service, ["B1 1AA"])


def test_a_wait_longer_than_the_cap_stops_the_provider_for_the_run(
    service: Service, cache_folder: Path
) -> None:
    queries = [_postcode(i) for i in range(250)]
    service.known = {q: (-1.9, 52.48) for q in queries}
    service.faults = ["ok", "429:3600"]
    out = _pio(service).geocode(queries)
    assert len(service.log) == 2  # not retried, the third batch not asked
    assert set(out.found) == set(queries[:100])
    assert set(out.failed) == set(queries[100:])
    assert all("asked us to wait 3,600 s" in why for why in out.failed.values())
    assert all("stopped asking postcodes.io for this run" in why for why in out.failed.values())
    assert set(_cached(cache_folder)) == set(queries[:100])
    # another run (or process) within the hour does not ask either
    again = _pio(service).geocode(queries)
    assert again.requests == 0 and len(service.log) == 2 and len(again.failed) == 150
    # the rows say why
    assets = register(postcode=["ZE9 9ZZ"], category="institution")
    with pytest.warns(GeocodingWarning):
        placed = geocode(assets, online=[_pio(service)])
    assert "asked us to wait" in placed["geocode_note"].iloc[0]
    clear_cache()  # forgets the pause, not when it last asked: the spacing holds (_settled)
    assert not _pio(service).geocode(queries[100:]).failed
    _settled(service, queries)


def test_a_service_down_all_run_is_asked_again_once_mended(
    service: Service, cache_folder: Path
) -> None:
    queries = [_postcode(i) for i in range(150)]
    service.known = {q: (-1.9, 52.48) for q in queries[:140]}
    service.always = "500"
    down = _pio(service, retries=2).geocode(queries)
    assert not down.found and len(down.failed) == 150
    assert "HTTP 500 (after 3 attempts)" in down.failed[queries[0]]
    assert len(service.log) == 6 and _cached(cache_folder) == {}
    service.always = None
    mended = _pio(service).geocode(queries)
    assert not mended.failed and len(mended.found) == 150
    assert sum(v is None for v in mended.found.values()) == 10
    assert _cached(cache_folder) == {q: service.known.get(q) for q in queries}
    assert _pio(service).geocode(queries).requests == 0
    _settled(service, queries)


def test_a_bad_request_is_not_retried(service: Service, cache_folder: Path) -> None:
    service.faults = ["400"]
    out = _pio(service).geocode(["B1 1AA"])
    assert "HTTP 400" in out.failed["B1 1AA"] and len(service.log) == 1
    assert _cached(cache_folder) == {}


@pytest.mark.parametrize("fault", ["html", "badjson", "notalist", "empty"])
def test_answers_that_are_never_json_fail_and_are_not_cached(
    service: Service, cache_folder: Path, fault: str
) -> None:
    service.always = fault
    out = _pio(service, retries=1).geocode(["B1 1AA", "B1 1AB"])
    assert set(out.failed) == {"B1 1AA", "B1 1AB"} and not out.found
    assert _cached(cache_folder) == {}
    service.always = None
    service.known = {"B1 1AA": (-1.9, 52.48)}
    assert not _pio(service).geocode(["B1 1AA", "B1 1AB"]).failed
    assert _cached(cache_folder) == {"B1 1AA": (-1.9, 52.48), "B1 1AB": None}
    _settled(service, [])


# --- partial answers ------------------------------------------------------------------------


def test_a_partial_bulk_answer_asks_the_rest_again_not_as_terminated(
    service: Service, cache_folder: Path
) -> None:
    queries = [_postcode(i) for i in range(100)]
    service.known = {q: (-1.9, 52.48) for q in queries}
    service.partial = 1  # 60 of 100 answered, then the 40 in a second request
    out = _pio(service).geocode(queries)
    assert not out.failed and all(out.found[q] is not None for q in queries)
    assert [len(r["queries"]) for r in service.log] == [100, 40]
    assert service.asked("terminated") == []
    assert _cached(cache_folder) == {q: (-1.9, 52.48) for q in queries}
    _settled(service, queries)


def test_a_service_that_always_answers_part_leaves_the_rest_for_next_run(
    service: Service, cache_folder: Path
) -> None:
    queries = [_postcode(i) for i in range(100)]
    service.known = {q: (-1.9, 52.48) for q in queries}
    service.partial = 2  # 60, then 24 of the 40: 16 never answered
    out = _pio(service).geocode(queries)
    assert len(out.found) == 84 and len(out.failed) == 16
    assert all("left it out" in why for why in out.failed.values())
    assert service.asked("terminated") == []  # never "unknown for good"
    assert set(_cached(cache_folder)) == set(out.found)
    again = _pio(service).geocode(queries)  # mended
    assert not again.failed and [len(r["queries"]) for r in service.log][-1] == 16
    assert len(_cached(cache_folder)) == 100
    _settled(service, queries)


def test_one_failed_follow_up_keeps_the_rest_of_the_batch(
    service: Service, cache_folder: Path
) -> None:
    queries = [_postcode(i) for i in range(100)]
    service.known = {q: (-1.9, 52.48) for q in queries[:98]}
    service.terminated = {queries[99]: (-1.95, 52.49)}
    # bulk ok, the first terminated look-up fails five times, the second answers
    service.faults = ["ok", "500", "500", "500", "500", "500"]
    out = _pio(service).geocode(queries)
    assert set(out.failed) == {queries[98]} and "HTTP 500" in out.failed[queries[98]]
    assert out.found[queries[99]] is not None
    assert out.found[queries[99]].note == "terminated in 2019-06"  # type: ignore[union-attr]
    assert set(_cached(cache_folder)) == set(queries) - {queries[98]}
    service.log.clear()
    again = _pio(service).geocode(queries)
    assert again.found[queries[98]] is None and service.asked("bulk") == [queries[98]]
    assert _cached(cache_folder)[queries[98]] is None
    _settled(service, queries)


def test_a_proxy_404_is_not_taken_for_not_known(service: Service, cache_folder: Path) -> None:
    service.faults = ["ok", "notfound404"]
    out = _pio(service).geocode(["B1 1AA"])
    assert "HTTP 404" in out.failed["B1 1AA"] and _cached(cache_folder) == {}
    out = _pio(service).geocode(["B1 1AA"])  # postcodes.io's own 404: not known
    assert out.found == {"B1 1AA": None} and _cached(cache_folder) == {"B1 1AA": None}
    _settled(service, ["B1 1AA"])


def test_not_known_answers_expire(service: Service, cache_folder: Path) -> None:
    _pio(service).geocode(["B1 1AA"])
    assert _cached(cache_folder) == {"B1 1AA": None}
    assert _pio(service).geocode(["B1 1AA"]).requests == 0  # within 30 days
    service.known = {"B1 1AA": (-1.9, 52.48)}  # issued since
    service.settled.clear()
    with settings.option_context(unknown_expire_days=0):
        out = _pio(service).geocode(["B1 1AA"])
    assert out.requests == 1 and out.found["B1 1AA"] is not None
    assert _cached(cache_folder) == {"B1 1AA": (-1.9, 52.48)}


# --- answers that are not places ------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        ("lat204", "latitude 204 is not a place on Earth"),
        ("abroad", "outside the country the service covers"),
        ("other", "an answer for another postcode"),
    ],
)
def test_answers_that_are_not_places_are_not_cached(
    service: Service, cache_folder: Path, bad: str, said: str
) -> None:
    queries = [_postcode(i) for i in range(10)]
    service.known = {q: (-1.9, 52.48) for q in queries}
    service.bad = {queries[4]: bad}
    out = _pio(service).geocode(queries)
    assert set(out.failed) == {queries[4]} and said in out.failed[queries[4]]
    assert set(_cached(cache_folder)) == set(queries) - {queries[4]}
    service.bad = {}
    service.log.clear()
    assert not _pio(service).geocode(queries).failed
    assert service.asked("bulk") == [queries[4]]
    _settled(service, queries)


def test_crown_dependencies_are_inside_postcodes_io_country(
    service: Service, cache_folder: Path
) -> None:
    service.known = {"JE2 3AB": (-2.1, 49.19), "GY1 1AA": (-2.53, 49.45), "IM1 1AA": (-4.48, 54.15),
                     "ZE2 9AA": (-0.85, 60.8), "BT93 1AA": (-8.1, 54.5)}  # fmt: skip
    out = _pio(service).geocode(list(service.known))
    assert not out.failed and len(_cached(cache_folder)) == 5


# --- redirects ------------------------------------------------------------------------------


def test_redirects_followed_on_the_same_host_only(
    service: Service, other: Service, cache_folder: Path
) -> None:
    service.known = {"B1 1AA": (-1.9, 52.48)}
    other.known = {"B1 1AA": (0.0, 51.5)}
    service.elsewhere = other.url
    service.faults = ["away"]
    out = _pio(service).geocode(["B1 1AA"])
    assert "sent the request on to 127.0.0.1" in out.failed["B1 1AA"]
    assert other.log == [] and _cached(cache_folder) == {}
    service.faults = ["301"]  # a POST moved for good: the base URL should change
    out = _pio(service).geocode(["B1 1AA"])
    assert "give that as the provider's address" in out.failed["B1 1AA"]
    service.always = "loop"
    out = _pio(service).geocode(["B1 1AA"])
    assert "more than 5 redirects" in out.failed["B1 1AA"]
    assert len(service.log) == 2 + 6
    assert _cached(cache_folder) == {}
    _settled(service, ["B1 1AA"])


# --- the cache key: which service, with which parameters ----------------------------------


def test_another_base_url_is_another_cache(
    service: Service, other: Service, cache_folder: Path
) -> None:
    service.known = {"B1 1AA": (-1.9, 52.48)}
    other.known = {"B1 1AA": (-1.0, 52.6)}  # 65 km away
    first = _pio(service).geocode(["B1 1AA"])
    second = _pio(other).geocode(["B1 1AA"])
    assert first.found["B1 1AA"].lon == -1.9  # type: ignore[union-attr]
    assert second.found["B1 1AA"].lon == -1.0 and second.requests == 1  # type: ignore[union-attr]
    assert _pio(service).geocode(["B1 1AA"]).found["B1 1AA"].lon == -1.9  # type: ignore[union-attr]
    assert service.duplicates == [] and other.duplicates == []
    assert _pio(service, bounds=None).geocode(["B1 1AA"]).requests == 1  # other parameters


def test_nominatim_parameters_key_the_cache(service: Service) -> None:
    service.places = {"1 Grove Lane": (-1.95, 52.49)}
    assert _nominatim(service).geocode(["1 Grove Lane"]).requests == 1
    assert _nominatim(service).geocode(["1 Grove Lane"]).requests == 0
    assert _nominatim(service, country=None).geocode(["1 Grove Lane"]).requests == 1
    assert _nominatim(service, viewbox=(-2, 52, -1, 53)).geocode(["1 Grove Lane"]).requests == 1


# --- Nominatim through geopy ----------------------------------------------------------------


@pytest.mark.parametrize(
    "faults", [["reset"], ["stall"], ["trickle"], ["429:0"], ["503:0.2"], ["html"], ["307"]]
)
def test_nominatim_spacing_holds_through_faults(
    service: Service, cache_folder: Path, faults: list[str]
) -> None:
    service.places = {"1 Grove Lane": (-1.95, 52.49), "2 Grove Lane": (-1.951, 52.49)}
    service.faults = list(faults)
    nominatim = _nominatim(service, min_delay_s=0.2)
    out = nominatim.geocode(["1 Grove Lane", "2 Grove Lane", "Nowhere"])
    assert not out.failed and out.found["Nowhere"] is None
    assert [r["fault"] for r in service.log] == [*faults, "ok", "ok", "ok"]  # no hidden retries
    _spaced(service, 0.2)
    assert _cached(cache_folder) == {"1 Grove Lane": (-1.95, 52.49),
                                     "2 Grove Lane": (-1.951, 52.49), "Nowhere": None}  # fmt: skip
    assert service.duplicates == []


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        ("lat204", "not a place"),
        ("abroad", "outside the country"),
        ("error", "HTTP 400"),
    ],
)
def test_nominatim_answers_that_are_not_places_fail_alone(
    service: Service, cache_folder: Path, bad: str, said: str
) -> None:
    service.places = {"1 Grove Lane": (-1.95, 52.49), "2 Grove Lane": (-1.951, 52.49)}
    service.bad = {"1 Grove Lane": bad}
    out = _nominatim(service).geocode(["1 Grove Lane", "2 Grove Lane"])
    assert said in out.failed["1 Grove Lane"] and out.found["2 Grove Lane"] is not None
    assert _cached(cache_folder) == {"2 Grove Lane": (-1.951, 52.49)}
    _settled(service, [])


def test_nominatim_stops_for_a_long_wait(service: Service, cache_folder: Path) -> None:
    service.places = {"1 Grove Lane": (-1.95, 52.49)}
    service.faults = ["ok", "429:3600"]
    out = _nominatim(service).geocode(["1 Grove Lane", "2 Grove Lane", "3 Grove Lane"])
    assert len(service.log) == 2 and set(out.failed) == {"2 Grove Lane", "3 Grove Lane"}
    assert _cached(cache_folder) == {"1 Grove Lane": (-1.95, 52.49)}


# --- the cache file and what it holds -------------------------------------------------------


def test_the_cache_is_private_and_can_be_seen_and_cleared(
    service: Service, cache_folder: Path
) -> None:
    service.known = {"B1 1AA": (-1.9, 52.48)}
    service.places = {"1 Grove Lane": (-1.95, 52.49)}
    assert cache_info() == CacheInfo(path=cache_folder / "geocoding.sqlite")
    _pio(service).geocode(["B1 1AA", "B1 1AB"])
    _nominatim(service).geocode(["1 Grove Lane"])
    assert stat.S_IMODE(cache_folder.stat().st_mode) == 0o700
    for path in cache_folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    info = cache_info()
    assert info.entries == {"nominatim": 1, "postcodes.io": 2}
    assert info.unknown == {"nominatim": 0, "postcodes.io": 1}
    assert info.size_bytes > 0 and info.oldest is not None and info.newest is not None
    assert info.oldest <= info.newest
    text = str(info)
    assert str(cache_folder) in text and "postcodes.io: 2 answers (1 not known)" in text
    assert clear_cache("postcodes.io") == 2
    assert cache_info().entries == {"nominatim": 1}
    assert clear_cache() == 1 and cache_info().entries == {}
    assert "empty" in str(cache_info())


def test_the_command_line_sees_and_clears_the_cache(
    service: Service, cache_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assetmap.cli import main

    service.known = {"B1 1AA": (-1.9, 52.48)}
    service.places = {"1 Grove Lane": (-1.95, 52.49)}
    _pio(service).geocode(["B1 1AA"])
    _nominatim(service).geocode(["1 Grove Lane"])
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert str(cache_folder / "geocoding.sqlite") in out and "postcodes.io: 1 answer" in out
    assert main(["cache", "clear", "--provider", "nominatim"]) == 0
    assert capsys.readouterr().out.strip() == "forgot 1 answer(s) of nominatim"
    assert cache_info().entries == {"postcodes.io": 1}
    assert main(["cache", "clear"]) == 0
    assert cache_info().entries == {}


def test_an_old_cache_folder_is_made_private(tmp_path: Path, service: Service) -> None:
    folder = tmp_path / "old" / "assetmap"
    folder.mkdir(parents=True, mode=0o755)
    os.chmod(folder, 0o755)
    (folder / "geocoding.sqlite").touch(mode=0o644)
    os.chmod(folder / "geocoding.sqlite", 0o644)
    with settings.option_context(cache_folder=folder):
        _pio(service).geocode(["B1 1AA"])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "geocoding.sqlite").stat().st_mode) == 0o600


def test_a_version_1_cache_is_discarded(service: Service, cache_folder: Path) -> None:
    cache_folder.mkdir()
    with sqlite3.connect(cache_folder / "geocoding.sqlite") as db:
        db.execute("CREATE TABLE answers (provider TEXT, query TEXT, answer TEXT, fetched TEXT)")
        db.execute("INSERT INTO answers VALUES ('postcodes.io', 'B1 1AA', NULL, 'x')")
    service.known = {"B1 1AA": (-1.9, 52.48)}
    assert _pio(service).geocode(["B1 1AA"]).found["B1 1AA"] is not None
    assert _cached(cache_folder) == {"B1 1AA": (-1.9, 52.48)}


def test_a_cache_that_cannot_be_used_is_one_clear_message(service: Service, tmp_path: Path) -> None:
    (tmp_path / "a file").write_text("not a folder")
    with (
        settings.option_context(cache_folder=tmp_path / "a file" / "cache"),
        pytest.raises(ConfigurationError, match=r"cannot be made .*cache_folder=.*cache=False"),
    ):
        _pio(service).geocode(["B1 1AA"])
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "geocoding.sqlite").write_bytes(b"this is not a database" * 100)
    with (
        settings.option_context(cache_folder=tmp_path / "broken"),
        pytest.raises(ConfigurationError, match=r"cannot be opened .*delete it"),
    ):
        _pio(service).geocode(["B1 1AA"])
    assert service.log == []
    service.known = {"B1 1AA": (-1.9, 52.48)}
    with settings.option_context(cache_folder=tmp_path / "a file" / "cache"):
        assert _pio(service, cache=False).geocode(["B1 1AA"]).found["B1 1AA"] is not None


def test_new_settings_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="unknown_expire_days"):
        settings.set_option(unknown_expire_days=-1)
    with pytest.raises(ConfigurationError, match="max_wait_s"):
        settings.set_option(max_wait_s="soon")
    with settings.option_context(max_wait_s=5, unknown_expire_days=0):
        assert settings.options.max_wait_s == 5.0


# --- two processes, one cache, one server ---------------------------------------------------

_WORKER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from assetmap import settings
    from assetmap.geocoding.providers import PostcodesIO
    folder, url, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    start, stop = map(int, sys.argv[4].split(":"))
    settings.set_option(cache_folder=folder, progress=False)
    queries = [f"B{1 + i // 100} {i // 10 % 10}A{'BDEFGHJLNP'[i % 10]}" for i in range(start, stop)]
    Path(str(go) + sys.argv[5]).touch()
    while not go.exists():
        time.sleep(0.01)
    out = PostcodesIO(url, min_delay_s=0.1, timeout_s=5, retries=2).geocode(queries)
    print(json.dumps({"found": sum(a is not None for a in out.found.values()),
                      "failed": len(out.failed), "requests": out.requests}))
    """
)


def test_processes_opening_a_new_cache_at_once_all_open_it(tmp_path: Path) -> None:
    # putting the file in WAL mode needs it to itself; SQLite says "database is locked" at
    # once (CI saw it), so opening waits as the busy timeout would
    folder, go = tmp_path / "cache", tmp_path / "go"
    code = (
        "import sys, time; from pathlib import Path; "
        "from assetmap.geocoding._cache import Cache\n"
        "while not Path(sys.argv[2]).exists(): time.sleep(0.001)\n"
        "Cache(Path(sys.argv[1]))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    workers = [
        subprocess.Popen([sys.executable, "-c", code, str(folder), str(go)], env=env,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(6)
    ]  # fmt: skip
    time.sleep(2)  # all started and waiting
    go.touch()
    errors = [w.communicate(timeout=60)[1] for w in workers]
    assert [w.returncode for w in workers] == [0] * 6, errors


def test_two_processes_share_one_cache_and_one_spacing(
    service: Service, cache_folder: Path, tmp_path: Path
) -> None:
    # each process has postcodes of its own (so both must ask) and 400 it shares with the
    # other: those are asked once, by whichever comes first, and the spacing holds across both
    n = 1000
    queries = [_postcode(i) for i in range(n)]
    service.known = {q: (-1.9, 52.48) for q in queries}
    service.lag = 0.3
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    shares = {"a": (0, 700), "b": (300, 1000)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(cache_folder), service.url, str(go),
             f"{start}:{stop}", tag],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        for tag, (start, stop) in shares.items()
    ]  # fmt: skip
    deadline = time.monotonic() + 60
    while not all(Path(f"{go}{t}").exists() for t in "ab") and time.monotonic() < deadline:
        time.sleep(0.02)
    go.touch()
    outputs = [w.communicate(timeout=120) for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    results = [json.loads(out) for out, _ in outputs]
    assert [r["found"] for r in results] == [700, 700] and not any(r["failed"] for r in results)
    assert all(r["requests"] >= 1 for r in results), results
    assert sum(r["requests"] for r in results) == len(service.log)
    assert sorted(service.asked("bulk")) == sorted(queries)  # each postcode asked once
    assert service.duplicates == []
    _spaced(service)
    assert len(_cached(cache_folder)) == n
