"""The online machinery every provider shares: requests, spacing, retries, batches.

Owns what a batch of answers is (:class:`Answers`), the :class:`Client` that sends one request
(spaced by a :class:`~assetmap.geocoding._cache.Gate` shared with other processes, retried on
timeouts, dropped connections, 429 and 5xx as ``Retry-After`` says, with a deadline on the whole
answer, redirects followed on the same host only, and no hidden retries below it), and
:func:`run`, the loop that asks the cache first and the service for the rest, in batches, each
batch inside the cache's lock, with a progress bar when interactive. The cache itself lives in
``_cache``.

A failure is one of :class:`Retry` (worth trying again), :class:`GiveUp` (not; the queries are
asked again next run) and :class:`Stop` (the service asked us to wait longer than
:attr:`assetmap.settings.Options.max_wait_s`: the provider is not asked again in this run).
"""

from __future__ import annotations

import email.utils
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from tqdm.auto import tqdm

from .. import settings
from ._cache import Answer, Cache, CacheBusy, Gate, MemoryGate

__all__ = ["Answer", "Answers", "Client", "GiveUp", "Reply", "Retry", "Service", "Stop", "run"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_REDIRECTS = 5


@dataclass
class Answers:
    """A provider's answers to a batch of queries.

    Attributes
    ----------
    found
        For each query answered: its :class:`Answer`, or None when the service said it does
        not know it (cached like the others, and forgotten after
        :attr:`assetmap.settings.Options.unknown_expire_days`).
    failed
        For each query that got no valid answer (the service failed after every retry, gave an
        answer that is not a place, or asked us to stop): why. Failures are not cached; the
        next run asks again.
    requests
        How many HTTP requests were sent (0 when everything came from the cache).
    """

    found: dict[str, Answer | None] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    requests: int = 0


class Retry(Exception):
    """A failure worth trying again (after ``after`` seconds, when the service said so)."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


class GiveUp(Exception):
    """A failure that trying again now will not mend (a bad request, say)."""


class Stop(GiveUp):
    """The service asked us to wait longer than we may: no more requests to it in this run."""


def retry_after(headers: Any) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay seconds or an HTTP date)."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000": HTTP dates are GMT
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - time.time()
    return max(seconds, 0.0) if seconds == seconds else None  # NaN: no usable value


@dataclass(frozen=True)
class Reply:
    """One HTTP answer, read whole."""

    status: int
    headers: Any
    body: bytes
    url: str
    data: Any = None  # the body as JSON, when asked for

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; Retry when it is not (a service glitch or a proxy's page)."""
        kind = str(self.headers.get("Content-Type", "")).lower()
        if "json" not in kind:
            raise Retry(
                f"the answer was {kind or 'of no stated type'}, not JSON "
                f"({self.text[:80]!r}: a proxy or login page?)"
            )
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise Retry(f"the answer was not valid JSON ({self.text[:80]!r})") from e


def _session(user_agent: str | None) -> requests.Session:
    session = requests.Session()
    # no retries below ours (urllib3 would resend at once, ignoring the spacing)
    no_retries = HTTPAdapter(max_retries=urllib3.Retry(0, read=False, redirect=False))
    session.mount("http://", no_retries)
    session.mount("https://", no_retries)
    if user_agent:
        session.headers["User-Agent"] = user_agent
    return session


@dataclass
class Client:
    """Sends requests to one host: spaced, retried, each answer read within a deadline.

    Parameters
    ----------
    host
        The host (and port) the spacing is kept for.
    min_delay_s
        Seconds from the end of one answer to the start of the next request to the host, by
        any process (so the service never sees two requests closer than this).
    retries, backoff_s
        Attempts after the first, and the first wait when the service names none (doubled
        each time).
    timeout_s
        Seconds to wait for the answer to start, and again for all of it to arrive.
    user_agent, proxies
        Sent with every request; proxies as ``requests`` takes them (else from the
        environment).
    """

    host: str
    min_delay_s: float
    retries: int
    backoff_s: float
    timeout_s: float
    user_agent: str | None = None
    proxies: dict[str, str] | None = None
    gate: Gate = field(default_factory=MemoryGate)
    sent: int = 0
    session: requests.Session = field(init=False)

    def __post_init__(self) -> None:
        self.session = _session(self.user_agent)
        if self.proxies:
            self.session.proxies.update(self.proxies)

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        body: object = None,
        headers: dict[str, str] | None = None,
        timeout_s: float | None = None,
        parse: bool = False,
    ) -> Reply:
        """Send one request until it is answered (any status but 429 and 5xx).

        With ``parse``, an answer below 400 must be JSON (else it is retried) and is in
        :attr:`Reply.data`; above, its body is there when it is JSON.

        Raises
        ------
        GiveUp
            After the last attempt, with the last reason.
        Stop
            When the service asks for a wait longer than the cap.
        """
        cap = settings.options.max_wait_s
        for attempt in range(self.retries + 1):
            try:
                reply = self._follow(method, url, body, headers, timeout_s or self.timeout_s)
                if reply.status == 429 or reply.status >= 500:
                    raise Retry(f"HTTP {reply.status}", retry_after(reply.headers))
                if not parse:
                    return reply
                if reply.status < 400:
                    return replace(reply, data=reply.json())
                try:
                    return replace(reply, data=reply.json())
                except Retry:
                    return reply
            except Retry as why:
                if why.after is not None and why.after > cap:
                    self.gate.pause(self.host, time.time() + why.after)
                    raise Stop(
                        f"{self.host} asked us to wait {why.after:,.0f} s ({why}), longer than "
                        f"max_wait_s={cap:g}"
                    ) from why
                wait = why.after if why.after is not None else self.backoff_s * 2**attempt
                self.gate.pause(self.host, time.time() + min(wait, cap))
                if attempt == self.retries:
                    raise GiveUp(f"{why} (after {self.retries + 1} attempts)") from why
                log.info("retrying %s in %.2f s: %s", self.host, min(wait, cap), why)
        raise AssertionError("unreachable")  # pragma: no cover

    def _turn(self) -> None:
        """Wait for this host's turn."""
        pause = self.gate.next_at(self.host, self.min_delay_s) - time.time()
        if pause > settings.options.max_wait_s:
            raise Stop(f"{self.host} asked us to wait another {pause:,.0f} s")
        if pause > 0:
            time.sleep(pause)
        self.sent += 1

    def _follow(
        self, method: str, url: str, body: object, headers: dict[str, str] | None, timeout: float
    ) -> Reply:
        """One request and its redirects (on the same host only, each hop spaced)."""
        for _ in range(MAX_REDIRECTS + 1):
            self._turn()
            try:
                reply = self._once(method, url, body, headers, timeout)
            finally:  # spaced from the end of the last answer: the server sees the gap whole
                self.gate.sent(self.host, time.time())
            if reply.status not in (301, 302, 303, 307, 308):
                return reply
            location = reply.headers.get("Location")
            if not location:
                raise GiveUp(f"HTTP {reply.status} without a Location to go to")
            target = urljoin(url, location)
            if urlsplit(target).netloc != urlsplit(url).netloc:
                raise GiveUp(
                    f"the service sent the request on to {urlsplit(target).netloc}; give that "
                    "server as the provider's address if you trust it"
                )
            if method == "POST" and reply.status in (301, 302, 303):
                raise GiveUp(
                    f"the service moved to {target} (HTTP {reply.status}); give that as the "
                    "provider's address"
                )
            url = target
        raise GiveUp(f"more than {MAX_REDIRECTS} redirects")

    def _once(
        self, method: str, url: str, body: object, headers: dict[str, str] | None, timeout: float
    ) -> Reply:
        start = time.monotonic()
        try:
            r = self.session.request(
                method, url, json=body, headers=headers, timeout=timeout, stream=True,
                allow_redirects=False,
            )  # fmt: skip
        except (requests.Timeout, requests.ConnectionError) as e:
            raise Retry(f"{type(e).__name__}: {e}") from e
        except requests.RequestException as e:
            raise GiveUp(f"{type(e).__name__}: {e}") from e
        try:
            chunks: list[bytes] = []
            size = 0
            while True:
                if time.monotonic() - start > timeout:
                    raise Retry(f"the answer took longer than {timeout:g} s to arrive")
                data = r.raw.read1(65536, decode_content=True)
                if not data:
                    break
                size += len(data)
                if size > MAX_BODY_BYTES:
                    raise GiveUp(f"the answer was larger than {MAX_BODY_BYTES:,} bytes")
                chunks.append(data)
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise Retry(f"the answer broke off: {type(e).__name__}: {e}") from e
        finally:
            r.close()
        return Reply(r.status_code, r.headers, b"".join(chunks), url)


# --- the loop every provider shares ------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    """One online service as the cache sees it.

    Attributes
    ----------
    name
        The provider's name (``geocode_method``, and how :func:`clear_cache` names it).
    base_url
        The service's address.
    params
        The parameters sent with every query (they change the answers).
    cache
        Whether answers are read from and kept in the cache.
    """

    name: str
    base_url: str
    params: dict[str, Any] = field(default_factory=dict)
    cache: bool = True

    @property
    def key(self) -> str:
        """What the cache keys answers by, with the query: name, base URL and parameters."""
        return json.dumps([self.name, self.base_url, self.params], sort_keys=True, default=str)


Ask = Callable[[list[str], Client, Answers], None]


def _show_progress() -> bool:
    chosen = settings.options.progress
    return sys.stderr.isatty() if chosen is None else chosen


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _batch(
    service: Service, chunk: list[str], ask: Ask, client: Client, store: Cache | None,
    out: Answers,
) -> str | None:  # fmt: skip
    """Ask one batch inside the cache's lock; the reason to stop the run, or None."""
    if store is not None:  # wait for the host's turn outside the lock: other processes get theirs
        pause = store.next_at(client.host, client.min_delay_s) - time.time()
        if 0 < pause <= settings.options.max_wait_s:
            time.sleep(pause)
    with store.locked() if store else nullcontext(None) as tx:
        client.gate = tx if tx is not None else MemoryGate()
        if tx is not None:  # another process may have answered some meanwhile
            again = tx.get(service.key, chunk)
            out.found.update(again)
            chunk = [q for q in chunk if q not in again]
        if not chunk:
            return None
        part = Answers()
        stop = None
        reason = "the service gave no answer for it"
        try:
            ask(chunk, client, part)
        except Stop as why:
            stop = reason = f"stopped asking {service.name} for this run: {why}"
        except GiveUp as why:
            reason = str(why)
        for q in chunk:
            if q not in part.found and q not in part.failed:
                part.failed[q] = reason
        if tx is not None and part.found:
            tx.put(service.key, service.name, part.found)
        out.found.update(part.found)
        out.failed.update(part.failed)
        return stop


def run(service: Service, queries: Sequence[str], batch: int, ask: Ask, client: Client) -> Answers:
    """Cache first, then the rest in batches; every valid answer is cached as it comes.

    ``ask(chunk, client, part)`` fills ``part.found`` and ``part.failed`` for the queries of
    ``chunk`` it could settle; raising :class:`GiveUp` fails the rest of the chunk, raising
    :class:`Stop` also every later chunk.
    """
    distinct = sorted({q for q in queries if q})
    store = Cache() if service.cache else None
    out = Answers(found=store.get(service.key, distinct) if store else {})
    todo = [q for q in distinct if q not in out.found]
    log.info(
        "%s: %d queries, %d from the cache", service.name, len(distinct), len(distinct) - len(todo)
    )
    sent_before = client.sent
    stopped: str | None = None
    try:
        with tqdm(
            total=len(todo), desc=service.name, unit="query", disable=not _show_progress()
        ) as bar:
            for chunk in _chunks(todo, batch):
                if stopped is None:
                    try:
                        stopped = _batch(service, chunk, ask, client, store, out)
                    except CacheBusy as why:
                        out.failed.update(dict.fromkeys(chunk, str(why)))
                else:
                    out.failed.update(dict.fromkeys(chunk, stopped))
                bar.update(len(chunk))
    finally:
        client.close()
    out.requests = client.sent - sent_before
    if stopped:
        log.warning("%s: %s", service.name, stopped)
    if out.failed:
        log.warning(
            "%s: %d queries failed; they are asked again next run", service.name, len(out.failed)
        )
    return out
