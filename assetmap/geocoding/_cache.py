"""The on-disk cache of online answers, and the spacing every process shares.

The cache is one SQLite file, ``geocoding.sqlite`` in
:attr:`assetmap.settings.Options.cache_folder` (``~/.cache/assetmap`` unless set, or
``$XDG_CACHE_HOME/assetmap``). It holds, for each online service (the provider's name, its base
URL and the parameters sent with every query), each query sent (a postcode, or address text for
Nominatim) with the answer: a point and its precision, or "the service does not know it". Nothing
else of a register is stored. The folder is created 0700 and the file 0600: the addresses are
yours alone.

Answers are kept for good; "does not know" answers are forgotten after
:attr:`assetmap.settings.Options.unknown_expire_days` so that a postcode issued later is found.
Failures are never stored. :func:`cache_info` says what the cache holds and :func:`clear_cache`
empties it (``assetmap cache info`` / ``assetmap cache clear`` on the command line).

Several processes may share the cache: it is opened in WAL mode, and every batch of requests to a
service is sent inside one write transaction (:meth:`Cache.locked`) that first reads the cache
again, so a query another process has just answered is not asked twice, and that holds the time of
the last request to each host, so the spacing a service asks for holds across processes.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from .. import settings
from ..errors import ConfigurationError

__all__ = [
    "Answer",
    "Cache",
    "CacheBusy",
    "CacheInfo",
    "Gate",
    "MemoryGate",
    "cache_info",
    "clear_cache",
]

log = logging.getLogger(__name__)

FILE_NAME = "geocoding.sqlite"
_BUSY_S = 600.0  # how long to wait for another process's batch before giving up
_SCHEMA = 2


@dataclass(frozen=True)
class Answer:
    """Where a provider placed one query."""

    lon: float
    lat: float
    precision_m: float
    note: str | None = None


def _write_ahead(db: sqlite3.Connection) -> None:
    """Put the cache in WAL mode (once: it stays so). Switching needs the file to itself, and
    SQLite answers "database is locked" at once, without waiting, while another process is
    opening it too: so wait here, as the busy timeout would."""
    deadline = time.monotonic() + _BUSY_S
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class CacheBusy(Exception):
    """Another process held the cache for longer than the busy timeout."""


class Gate:
    """The spacing of requests to each host: when the next may start, and what was sent."""

    def next_at(self, host: str, min_delay_s: float) -> float:
        """The wall-clock time (seconds) at which the next request to ``host`` may start."""
        raise NotImplementedError

    def sent(self, host: str, at: float) -> None:
        """Record a request to ``host`` answered (or failed) at ``at``."""
        raise NotImplementedError

    def pause(self, host: str, until: float) -> None:
        """No request to ``host`` before ``until`` (the service asked us to wait)."""
        raise NotImplementedError


class MemoryGate(Gate):
    """Spacing within this process only (when the cache is not used)."""

    _hosts: ClassVar[dict[str, tuple[float, float]]] = {}  # host → last start, not before
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def next_at(self, host: str, min_delay_s: float) -> float:
        with self._lock:
            last, not_before = self._hosts.get(host, (0.0, 0.0))
        return max(last + min_delay_s, not_before)

    def sent(self, host: str, at: float) -> None:
        with self._lock:
            self._hosts[host] = (at, self._hosts.get(host, (0.0, 0.0))[1])

    def pause(self, host: str, until: float) -> None:
        with self._lock:
            last, not_before = self._hosts.get(host, (0.0, 0.0))
            self._hosts[host] = (last, max(not_before, until))


class _LockedGate(Gate):
    """Spacing and answers read and written inside one write transaction of the cache."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def _row(self, host: str) -> tuple[float, float]:
        row = self.db.execute(
            "SELECT last, not_before FROM pacing WHERE host = ?", (host,)
        ).fetchone()
        return (float(row[0]), float(row[1])) if row else (0.0, 0.0)

    def next_at(self, host: str, min_delay_s: float) -> float:
        last, not_before = self._row(host)
        return max(last + min_delay_s, not_before)

    def sent(self, host: str, at: float) -> None:
        _, not_before = self._row(host)
        self.db.execute("INSERT OR REPLACE INTO pacing VALUES (?, ?, ?)", (host, at, not_before))

    def pause(self, host: str, until: float) -> None:
        last, not_before = self._row(host)
        self.db.execute(
            "INSERT OR REPLACE INTO pacing VALUES (?, ?, ?)", (host, last, max(until, not_before))
        )

    def get(self, service: str, queries: Sequence[str]) -> dict[str, Answer | None]:
        return _read(self.db, service, queries)

    def put(self, service: str, provider: str, answers: dict[str, Answer | None]) -> None:
        _write(self.db, service, provider, answers)


def _private_folder(folder: Path) -> None:
    existed = folder.exists()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not existed:
        os.chmod(folder, 0o700)  # whatever the umask
        return
    mode = stat.S_IMODE(folder.stat().st_mode)
    ours = not hasattr(os, "getuid") or folder.stat().st_uid == os.getuid()
    if mode & 0o077 and folder.name == "assetmap" and ours:
        os.chmod(folder, 0o700)  # our own folder, made readable to others by an older version
    elif mode & 0o077:
        log.warning("the cache folder %s can be read by other users (mode %o)", folder, mode)


def _private_file(path: Path) -> None:
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, 0o600)


def _read(db: sqlite3.Connection, service: str, queries: Sequence[str]) -> dict[str, Answer | None]:
    keep_unknown = time.time() - settings.options.unknown_expire_days * 86400.0
    out: dict[str, Answer | None] = {}
    for start in range(0, len(queries), 500):
        chunk = list(queries[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = db.execute(
            f"SELECT query, answer, fetched FROM answers WHERE service = ? AND query IN ({marks})",
            [service, *chunk],
        )
        for query, answer, fetched in rows:
            if answer is not None:
                out[query] = Answer(**json.loads(answer))
            elif fetched >= keep_unknown:
                out[query] = None
    return out


def _write(
    db: sqlite3.Connection, service: str, provider: str, answers: dict[str, Answer | None]
) -> None:
    now = time.time()
    rows = [
        (service, q, provider, None if a is None else json.dumps(a.__dict__, sort_keys=True), now)
        for q, a in answers.items()
    ]
    db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)", rows)


class Cache:
    """Answers on disk (see the module's text); one per cache folder, shared by processes."""

    def __init__(self, folder: Path | None = None) -> None:
        folder = settings.options.cache_folder if folder is None else folder
        self.path = folder / FILE_NAME
        try:
            _private_folder(folder)
            _private_file(self.path)
        except OSError as e:
            raise ConfigurationError(
                f"the geocoding cache {self.path} cannot be made ({e.strerror or e}); set "
                "another folder with assetmap.set_option(cache_folder=...), or give the "
                "provider cache=False"
            ) from e
        with closing(self.connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                (version,) = db.execute("PRAGMA user_version").fetchone()
                if version < _SCHEMA:
                    # version 1 keyed answers by provider name only, so another server's
                    # answers were reused: they cannot be told apart, so they go
                    db.execute("DROP TABLE IF EXISTS answers")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS answers (service TEXT NOT NULL,"
                    " query TEXT NOT NULL, provider TEXT NOT NULL, answer TEXT,"
                    " fetched REAL NOT NULL, PRIMARY KEY (service, query))"
                )
                db.execute(
                    "CREATE TABLE IF NOT EXISTS pacing (host TEXT PRIMARY KEY,"
                    " last REAL NOT NULL, not_before REAL NOT NULL)"
                )
                db.execute(f"PRAGMA user_version = {_SCHEMA}")
            finally:
                db.execute("COMMIT")

    def connect(self) -> sqlite3.Connection:
        """A connection in autocommit mode (transactions are explicit), WAL, busy timeout."""
        try:
            db = sqlite3.connect(self.path, timeout=_BUSY_S, isolation_level=None)
            _write_ahead(db)
            db.execute("PRAGMA user_version").fetchone()
        except sqlite3.Error as e:
            raise ConfigurationError(
                f"the geocoding cache {self.path} cannot be opened ({e}); delete it, or set "
                "another folder with assetmap.set_option(cache_folder=...)"
            ) from e
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def get(self, service: str, queries: Sequence[str]) -> dict[str, Answer | None]:
        """The cached answers among ``queries`` (expired "unknown" answers left out)."""
        with closing(self.connect()) as db:
            return _read(db, service, queries)

    def next_at(self, host: str, min_delay_s: float) -> float:
        """When the next request to ``host`` may start, as last recorded (without the lock)."""
        with closing(self.connect()) as db:
            return _LockedGate(db).next_at(host, min_delay_s)

    @contextmanager
    def locked(self) -> Iterator[_LockedGate]:
        """One write transaction: no other process sends a request until it ends."""
        with closing(self.connect()) as db:
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                raise CacheBusy(
                    f"the geocoding cache {self.path} stayed locked for {_BUSY_S:.0f} s "
                    f"by another process ({e})"
                ) from e
            try:
                yield _LockedGate(db)
            finally:
                db.execute("COMMIT")  # what was answered before a failure is kept


# --- what the cache holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class CacheInfo:
    """What the geocoding cache holds.

    Attributes
    ----------
    path
        The cache file.
    entries
        Answers kept, by provider name (found and "does not know" alike).
    unknown
        Of those, "does not know" answers, by provider name.
    size_bytes
        The size of the file on disk (with its write-ahead log).
    oldest, newest
        When the oldest and newest answers were received (UTC); None when empty.
    """

    path: Path
    entries: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)
    size_bytes: int = 0
    oldest: datetime | None = None
    newest: datetime | None = None

    def __str__(self) -> str:
        lines = [f"geocoding cache: {self.path}", f"size: {self.size_bytes:,} bytes"]
        if not self.entries:
            lines.append("empty")
        for provider, n in sorted(self.entries.items()):
            lines.append(f"{provider}: {n:,} answers ({self.unknown.get(provider, 0):,} not known)")
        if self.oldest is not None and self.newest is not None:
            lines.append(
                f"answers from {self.oldest:%Y-%m-%d %H:%M} to {self.newest:%Y-%m-%d %H:%M} UTC"
            )
        return "\n".join(lines)


def _size(path: Path) -> int:
    return sum(
        p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )


def cache_info() -> CacheInfo:
    """Say where the geocoding cache is and what it holds.

    The cache (``geocoding.sqlite`` in :attr:`assetmap.settings.Options.cache_folder`) keeps
    every postcode and address sent to an online provider with its answer, so that nothing is
    asked twice; see :mod:`assetmap.geocoding.providers`.

    Returns
    -------
    CacheInfo
        Its path, answers by provider, size in bytes, and the dates of its oldest and newest
        answers; ``print`` it for a readable summary.
    """
    path = settings.options.cache_folder / FILE_NAME
    if not path.exists():
        return CacheInfo(path=path)
    with closing(Cache().connect()) as db:
        rows = db.execute(
            "SELECT provider, COUNT(*), SUM(answer IS NULL), MIN(fetched), MAX(fetched)"
            " FROM answers GROUP BY provider"
        ).fetchall()
    stamps = [t for row in rows for t in row[3:]]

    def when(t: float | None) -> datetime | None:
        return None if t is None else datetime.fromtimestamp(t, tz=UTC)

    return CacheInfo(
        path=path,
        entries={p: int(n) for p, n, *_ in rows},
        unknown={p: int(u) for p, _, u, *_ in rows},
        size_bytes=_size(path),
        oldest=when(min(stamps)) if stamps else None,
        newest=when(max(stamps)) if stamps else None,
    )


def clear_cache(provider: str | None = None) -> int:
    """Forget the answers of one online provider, or of all.

    Parameters
    ----------
    provider
        A provider's name (``"postcodes.io"``, ``"nominatim"``); None for every provider
        (the file is then also compacted, and any wait a service asked for is forgotten; when
        it was last asked is kept, so the spacing still holds).

    Returns
    -------
    int
        How many answers were forgotten.
    """
    path = settings.options.cache_folder / FILE_NAME
    if not path.exists():
        return 0
    cache = Cache()
    with closing(cache.connect()) as db:
        db.execute("BEGIN IMMEDIATE")
        try:
            if provider is None:
                gone = db.execute("DELETE FROM answers").rowcount
                # a service's request to wait is forgotten; when it was last asked is not,
                # so the spacing still holds for the next request
                db.execute("UPDATE pacing SET not_before = 0")
            else:
                gone = db.execute("DELETE FROM answers WHERE provider = ?", (provider,)).rowcount
        finally:
            db.execute("COMMIT")
        if provider is None:
            db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return int(gone)
