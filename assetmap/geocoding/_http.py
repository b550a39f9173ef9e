"""The online machinery every provider shares: answers, their cache, spacing, retries, batches.

Owns what an answer is (:class:`Answer`, :class:`Answers`), the on-disk cache of answers
(SQLite in :attr:`assetmap.settings.Options.cache_folder`, keyed by provider and query),
the spacing and retrying of requests (:class:`Policy`; :class:`Retry` for a failure worth
trying again, :class:`GiveUp` for one that is not), and :func:`run`, the loop that asks the
cache first and the service for the rest, in batches, with a progress bar when interactive.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from tqdm.auto import tqdm

from .. import settings

__all__ = ["Answer", "Answers", "Cache", "GiveUp", "Policy", "Retry", "run"]

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Answer:
    """Where a provider placed one query."""

    lon: float
    lat: float
    precision_m: float
    note: str | None = None


@dataclass
class Answers:
    """A provider's answers to a batch of queries.

    Attributes
    ----------
    found
        For each query answered: its :class:`Answer`, or None when the provider does not know
        it (a real answer, cached like the others).
    failed
        For each query that could not be asked (the service failed after every retry): why.
        Failures are not cached; the next run asks again.
    requests
        How many HTTP requests were sent (0 when everything came from the cache).
    """

    found: dict[str, Answer | None] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    requests: int = 0


# --- the cache --------------------------------------------------------------------------


class Cache:
    """Answers on disk (SQLite, in the cache folder): provider, query → JSON answer."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "geocoding.sqlite"
        with closing(self._connect()) as db, db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS answers (provider TEXT NOT NULL, query TEXT NOT NULL,"
                " answer TEXT, fetched TEXT NOT NULL, PRIMARY KEY (provider, query))"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def get(self, provider: str, queries: Sequence[str]) -> dict[str, Answer | None]:
        out: dict[str, Answer | None] = {}
        with closing(self._connect()) as db:
            for start in range(0, len(queries), 500):
                chunk = list(queries[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT query, answer FROM answers WHERE provider = ? AND query IN ({marks})",
                    [provider, *chunk],
                )
                for query, answer in rows:
                    out[query] = None if answer is None else Answer(**json.loads(answer))
        return out

    def put(self, provider: str, answers: dict[str, Answer | None]) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        rows = [
            (provider, q, None if a is None else json.dumps(a.__dict__, sort_keys=True), stamp)
            for q, a in answers.items()
        ]
        with closing(self._connect()) as db, db:
            db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)", rows)


# --- politeness: spacing and retries ------------------------------------------------------


class _Throttle:
    """At least ``min_delay_s`` between the starts of two requests."""

    def __init__(self, min_delay_s: float) -> None:
        self.min_delay_s = min_delay_s
        self._last = -math.inf

    def wait(self) -> None:
        pause = self._last + self.min_delay_s - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self._last = time.monotonic()


class Retry(Exception):
    """A failure worth trying again (after ``after`` seconds, when the service said so)."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


class GiveUp(Exception):
    """A failure that trying again will not mend (a bad request, say)."""


@dataclass
class Policy:
    min_delay_s: float
    retries: int
    backoff_s: float
    max_wait_s: float = 60.0
    throttle: _Throttle = field(init=False)
    sent: int = 0

    def __post_init__(self) -> None:
        self.throttle = _Throttle(self.min_delay_s)

    def call(self, request: Callable[[], T]) -> T:
        """Send one request, spaced and retried; raises GiveUp with the last reason."""
        for attempt in range(self.retries + 1):
            self.throttle.wait()
            self.sent += 1
            try:
                return request()
            except Retry as why:
                if attempt == self.retries:
                    raise GiveUp(f"{why} (after {self.retries + 1} attempts)") from why
                wait = why.after if why.after is not None else self.backoff_s * 2**attempt
                log.info("retrying in %.2f s: %s", wait, why)
                time.sleep(min(wait, self.max_wait_s))
        raise AssertionError("unreachable")  # pragma: no cover


def _show_progress() -> bool:
    chosen = settings.options.progress
    return sys.stderr.isatty() if chosen is None else chosen


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def run(
    name: str,
    queries: Sequence[str],
    batch: int,
    ask: Callable[[list[str]], dict[str, Answer | None]],
    policy: Policy,
    cache: bool,
) -> Answers:
    """The loop every provider shares: cache first, then the rest in batches, cached as answered."""
    distinct = sorted({q for q in queries if q})
    store = Cache(settings.options.cache_folder) if cache else None
    out = Answers(found=store.get(name, distinct) if store else {})
    todo = [q for q in distinct if q not in out.found]
    log.info("%s: %d queries, %d from the cache", name, len(distinct), len(distinct) - len(todo))
    sent_before = policy.sent
    with tqdm(total=len(todo), desc=name, unit="query", disable=not _show_progress()) as bar:
        for chunk in _chunks(todo, batch):
            try:
                answers = ask(chunk)
            except GiveUp as why:
                out.failed.update(dict.fromkeys(chunk, str(why)))
            else:
                out.found.update(answers)
                if store:
                    store.put(name, answers)
            bar.update(len(chunk))
    out.requests = policy.sent - sent_before
    if out.failed:
        log.warning("%s: %d queries failed; they are asked again next run", name, len(out.failed))
    return out
