"""Same inputs, same bytes, and files replaced whole: how every output file is written.

Times
    Files carry a time in three places: XLSX workbooks (their properties and the ZIP entries'
    dates), GeoPackages (GDAL stamps each table's last change) and GEXF graphs (the date of the
    last change). Every writer stamps them with :func:`file_time`: ``SOURCE_DATE_EPOCH`` when
    it is set (seconds since 1970, UTC, as reproducible-builds.org defines it), otherwise a
    fixed date (1980-01-01, the earliest time a ZIP entry can hold), never the clock and never
    local time, so the same inputs write the same bytes in any time zone. The audit's
    ``written`` field is the one exception: it says when the file was written
    (:func:`written_at`), and is left out inside a build, whose ``build.json`` says it.
Replacing
    :func:`replacing` and :func:`write_file` write to a private folder beside the destination,
    flush the file to disk and rename it over the destination in one step (``os.replace``),
    so a reader sees the old file or the new one, never half of one, and a failed write leaves
    the old file as it was. A symbolic link planted at the destination is replaced by the new
    file: the file it points to is never written.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from os import PathLike
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ConfigurationError

__all__ = [
    "file_time",
    "fixed_time",
    "gdal_time",
    "json_escaped",
    "replacing",
    "stable_xlsx",
    "write_file",
    "written_at",
]

_NOW = "now"
_TIME: ContextVar[_dt.datetime | str | None] = ContextVar("assetmap_time", default=_NOW)
_EPOCH = _dt.datetime(1980, 1, 1, tzinfo=_dt.UTC)  # the earliest time a ZIP entry can hold


@contextmanager
def fixed_time(when: _dt.datetime | None) -> Iterator[None]:
    """Within this block, files are stamped with ``when`` (UTC), and audits record it as
    written; with None, files carry the fixed date and audits no time at all."""
    token = _TIME.set(when)
    try:
        yield
    finally:
        _TIME.reset(token)


def _source_date_epoch() -> _dt.datetime | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    try:
        return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise ConfigurationError(
            f"SOURCE_DATE_EPOCH must be whole seconds since 1970, not {epoch!r}"
        ) from None


def file_time() -> _dt.datetime:
    """The time (UTC) files are stamped with: the one :func:`fixed_time` gives, else
    ``SOURCE_DATE_EPOCH``, else 1980-01-01."""
    when = _TIME.get()
    if when != _NOW:
        assert not isinstance(when, str)
        return (when or _EPOCH).astimezone(_dt.UTC)
    return _source_date_epoch() or _EPOCH


def written_at() -> str | None:
    """The time to record as 'written': now, the fixed time, or None inside ``fixed_time(None)``."""
    when = _TIME.get()
    if when == _NOW:
        return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    assert not isinstance(when, str)
    return None if when is None else when.astimezone(_dt.UTC).replace(microsecond=0).isoformat()


@contextmanager
def gdal_time() -> Iterator[None]:
    """Within this block, GDAL stamps what it writes (GeoPackage tables) with :func:`file_time`."""
    from pyogrio import get_gdal_config_option, set_gdal_config_options

    before = get_gdal_config_option("OGR_CURRENT_DATE")
    stamp = file_time().strftime("%Y-%m-%dT%H:%M:%S.000Z")
    set_gdal_config_options({"OGR_CURRENT_DATE": stamp})
    try:
        yield
    finally:
        set_gdal_config_options({"OGR_CURRENT_DATE": before})


_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def stable_xlsx(data: bytes) -> bytes:
    """An XLSX (a ZIP) as bytes, with :func:`file_time` in place of the time it was made: in
    its properties (created, modified) and as every entry's date."""
    stamp = file_time().replace(tzinfo=None)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        entries = [(info, z.read(info)) for info in z.infolist()]
    text = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    date_time = max(stamp, _EPOCH.replace(tzinfo=None)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info, body in entries:
            if info.filename == "docProps/core.xml":
                body = _CORE_TIMES.sub(lambda m: m.group(1) + text + m.group(3), body)
            fixed = zipfile.ZipInfo(info.filename, date_time=date_time)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            z.writestr(fixed, body)
    return out.getvalue()


def _sync_folder(folder: Path) -> None:
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:  # a folder that cannot be opened (Windows): the rename is done anyway
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


@contextmanager
def replacing(path: str | PathLike[str]) -> Iterator[Path]:
    """Write a file whole or not at all: yields a new path (same name, in a private folder
    beside ``path``) to write to; when the block ends without error the file is flushed to
    disk and renamed over ``path``, replacing a symbolic link there rather than its target.

    Raises
    ------
    ConfigurationError
        When the folder of ``path`` does not exist, or ``path`` is a folder.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise ConfigurationError(
            f"cannot write {path}: the folder {folder} does not exist (create it first)"
        )
    if path.is_dir() and not path.is_symlink():
        raise ConfigurationError(f"cannot write {path}: it is a folder")
    scratch = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder))
    try:
        new = scratch / path.name
        yield new
        if not new.is_file() or new.is_symlink():
            raise ConfigurationError(f"cannot write {path}: nothing was written")
        with open(new, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(new, path)
        _sync_folder(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_file(path: str | PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` whole, as :func:`replacing` does."""
    body = data.encode("utf-8") if isinstance(data, str) else data
    with replacing(path) as new:
        new.write_bytes(body)
    return Path(path)


def json_escaped(texts: pa.Array) -> pa.Array:
    """Texts as ``json.dumps(text, ensure_ascii=False)`` writes them between their quotes,
    for a whole column at once (missing stay missing): only texts holding a quote, a
    backslash or a control character are escaped, by ``json.dumps`` itself, found in their
    UTF-8 bytes (no other character's bytes are below 0x80)."""
    said = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    said = said.cast(pa.string())
    _, offsets, data = said.buffers()
    n = len(said)
    off = np.frombuffer(offsets, dtype=np.int32)[said.offset : said.offset + n + 1]
    if data is None or not n or off[-1] == off[0]:
        return said
    c = np.frombuffer(data, dtype=np.uint8)[off[0] : off[-1]]
    at = np.flatnonzero((c < 32) | (c == 34) | (c == 92)) + off[0]
    odd = np.zeros(n, dtype=bool)
    odd[np.searchsorted(off, at, side="right") - 1] = True
    odd &= np.asarray(said.is_valid())
    if not odd.any():
        return said
    fixes = [json.dumps(t, ensure_ascii=False)[1:-1] for t in said.filter(odd).to_pylist()]
    return pc.replace_with_mask(said, pa.array(odd), pa.array(fixes, pa.string()))
