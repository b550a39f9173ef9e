"""Same inputs, same bytes: fixed times for the files a build writes.

Files carry the time they were written in three places: the audit files' ``written`` field,
GeoPackages (GDAL stamps each table's last change) and XLSX workbooks (their properties and the
ZIP entries' dates). Inside :func:`fixed_time` all three use one given time, or none at all, so
the same build writes the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

__all__ = ["fixed_time", "stable_xlsx", "written_at"]

_NOW = "now"
_TIME: ContextVar[_dt.datetime | str | None] = ContextVar("assetmap_time", default=_NOW)
_EPOCH = _dt.datetime(1980, 1, 1, tzinfo=_dt.UTC)  # the earliest time a ZIP entry can hold


@contextmanager
def fixed_time(when: _dt.datetime | None) -> Iterator[None]:
    """Within this block, files are stamped with ``when`` (UTC), or not stamped when None."""
    from pyogrio import get_gdal_config_option, set_gdal_config_options

    stamp = (when or _EPOCH).astimezone(_dt.UTC)
    before = get_gdal_config_option("OGR_CURRENT_DATE")
    token = _TIME.set(when)
    set_gdal_config_options({"OGR_CURRENT_DATE": stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")})
    try:
        yield
    finally:
        _TIME.reset(token)
        set_gdal_config_options({"OGR_CURRENT_DATE": before})


def written_at() -> str | None:
    """The time to record as 'written': now, the fixed time, or None inside ``fixed_time(None)``."""
    when = _TIME.get()
    if when == _NOW:
        return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    assert not isinstance(when, str)
    return None if when is None else when.astimezone(_dt.UTC).replace(microsecond=0).isoformat()


_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def stable_xlsx(path: str | Path) -> None:
    """Inside :func:`fixed_time`, rewrite an XLSX (a ZIP) with the fixed time in place of now."""
    when = _TIME.get()
    if when == _NOW:
        return
    assert not isinstance(when, str)
    stamp = (when or _EPOCH).astimezone(_dt.UTC).replace(tzinfo=None)
    path = Path(path)
    with zipfile.ZipFile(path) as z:
        entries = [(info, z.read(info)) for info in z.infolist()]
    text = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    date_time = max(stamp, _EPOCH.replace(tzinfo=None)).timetuple()[:6]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = _CORE_TIMES.sub(lambda m: m.group(1) + text + m.group(3), data)
            fixed = zipfile.ZipInfo(info.filename, date_time=date_time)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            z.writestr(fixed, data)
