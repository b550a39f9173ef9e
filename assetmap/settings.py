"""Process-wide options: where to cache, who we are on the network, how long to wait.

Analysis parameters are never settings: they are arguments of the functions that use them.

Examples
--------
>>> from assetmap import settings
>>> settings.options.timeout_s
30.0
>>> with settings.option_context(timeout_s=5):
...     settings.options.timeout_s
5.0
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigurationError

__all__ = ["Options", "option_context", "options", "set_option"]


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "assetmap"


@dataclass(frozen=True)
class Options:
    """The options in force.

    Attributes
    ----------
    cache_folder
        Folder for on-disk caches (online geocoding answers).
    user_agent
        The User-Agent sent to online services; some (Nominatim) require a real one.
    timeout_s
        Seconds to wait for one network request.
    progress
        Show progress bars: ``None`` shows them only when run in a terminal.
    unknown_expire_days
        Days an online service's "not known" answer is kept in the cache before it is asked
        again (a postcode issued since is then found); found answers are kept for good.
    max_wait_s
        The longest wait between two attempts of one online request; a service that asks for
        longer (``Retry-After``) is not asked again in this run, and its rows say so.
    max_pairs
        The most candidate pairs :func:`assetmap.find_links` may make (estimated before it
        makes them), to protect the machine's memory; ``None``: no limit.
    """

    cache_folder: Path = field(default_factory=_default_cache)
    user_agent: str | None = None
    timeout_s: float = 30.0
    progress: bool | None = None
    unknown_expire_days: float = 30.0
    max_wait_s: float = 60.0
    max_pairs: int | None = 10_000_000

    def _validated(self) -> Options:
        problems = []
        if not isinstance(self.cache_folder, Path):
            problems.append(f"cache_folder must be a path, {self.cache_folder!r} was given")
        if self.user_agent is not None and (
            not isinstance(self.user_agent, str) or not self.user_agent.strip()
        ):
            problems.append(f"user_agent must be a non-empty string, {self.user_agent!r} given")
        if not isinstance(self.timeout_s, int | float) or self.timeout_s <= 0:
            problems.append(f"timeout_s must be a positive number, {self.timeout_s!r} was given")
        for name in ("unknown_expire_days", "max_wait_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                problems.append(f"{name} must be a number of 0 or more, {value!r} was given")
        if self.progress not in (None, True, False):
            problems.append(f"progress must be True, False or None, {self.progress!r} was given")
        if self.max_pairs is not None and (
            isinstance(self.max_pairs, bool) or not isinstance(self.max_pairs, int)
            or self.max_pairs < 1
        ):  # fmt: skip
            problems.append(
                f"max_pairs must be a positive whole number or None, {self.max_pairs!r} was given"
            )
        if problems:
            raise ConfigurationError("; ".join(problems))
        return self


options = Options()


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    known = {f.name for f in fields(Options)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigurationError(f"unknown option(s) {unknown}; the options are {sorted(known)}")
    out = dict(values)
    if "cache_folder" in out and isinstance(out["cache_folder"], str):
        out["cache_folder"] = Path(out["cache_folder"])
    for name in ("timeout_s", "unknown_expire_days", "max_wait_s"):
        if name in out and isinstance(out[name], int) and not isinstance(out[name], bool):
            out[name] = float(out[name])
    return out


def set_option(**values: Any) -> None:
    """Set one or more options for the rest of the process.

    Raises
    ------
    ConfigurationError
        For an unknown option or a value it cannot take.
    """
    global options
    options = replace(options, **_coerce(values))._validated()


@contextmanager
def option_context(**values: Any) -> Iterator[Options]:
    """Set options inside a ``with`` block only (for tests and one-off runs)."""
    global options
    saved = options
    set_option(**values)
    try:
        yield options
    finally:
        options = saved
