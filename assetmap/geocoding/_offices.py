"""UK postcodes on delivery offices, and the coarser levels of UK postcodes.

A point that many postcodes share is a delivery office or PO box, not a place: a postcode (or a
sector or district mostly) on one is placed there with a wider precision, and a postcode says
so. Worked out once per table, kept with it (:class:`~assetmap.geocoding._keytables.SharedPoints`)
and, for the ONS directory, in its cache. :mod:`assetmap.geocoding._tables` asks
:func:`on_offices` for the keys a look-up found.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from ..crs import ground_m
from ._keytables import HAIR_M, Encoder, SharedPoints, Table
from .postcodes import postcode_codes

__all__ = [
    "SHARED_POINT_MIN",
    "UK_COARSER",
    "UK_WORKED_LEVELS",
    "level_share",
    "on_offices",
    "shared_points",
    "uk_area",
    "work_out_uk_levels",
]

#: A point that this many UK postcodes or more share is a delivery office, not a place: Royal
#: Mail's PO boxes and large users (``W1A``, ``B99``, ``BS99``…) and many terminated postcodes
#: sit on their delivery office, while no more than a few live postcodes share an address.
#: A postcode placed on such a point says so, and its precision is the distance from the point
#: to the centre of its district plus the district's radius (a circle around the point holding
#: 90% of the district's postcodes); of its postcode area instead when half or more of the
#: district's postcodes are on such points (a non-geographic district such as ``W1A``).
SHARED_POINT_MIN = 20


def uk_area(keys: pd.Series) -> pd.Series:
    """The postcode area of canonical UK postcodes: the letters before the first digit."""
    return keys.str.replace(r"[0-9].*$", "", regex=True)


UK_COARSER: Mapping[str, Callable[[pd.Series], pd.Series]] = {
    "sector": lambda keys: keys.str[:-2],
    "district": lambda keys: keys.str[:-4],
    "area": uk_area,
}


def shared_points(table: Table) -> SharedPoints:
    """How many keys share each key's point, worked out on first use and kept with the table."""
    if table.shared is None:
        count = np.zeros(len(table.keys), dtype=np.int32)
        placed = np.flatnonzero(np.isfinite(table.lon) & np.isfinite(table.lat))
        point = pd.DataFrame({"x": table.lon[placed], "y": table.lat[placed]})
        point_of = point.groupby(["x", "y"], sort=False).ngroup().to_numpy(dtype=np.int64)
        count[placed] = np.bincount(point_of)[point_of]
        table.shared = SharedPoints(count)
    return table.shared


def level_share(table: Table, level: str, encode: Encoder) -> np.ndarray:
    """The share of the postcodes of each key of a UK level on delivery offices."""
    coarse = table.level(level, UK_COARSER[level], encode)
    shared = shared_points(table)
    if level not in shared.shares:
        placed = np.isfinite(table.lon) & np.isfinite(table.lat)
        at = coarse.index.get_indexer(encode(UK_COARSER[level](table.keys[placed])))
        on, k = (shared.count[placed] >= SHARED_POINT_MIN)[at >= 0], len(coarse.keys)
        total = np.maximum(np.bincount(at[at >= 0], minlength=k), 1)
        shared.shares[level] = np.bincount(at[at >= 0], weights=on, minlength=k) / total
    return shared.shares[level]


#: The levels of a UK postcode the geocoder works out (``area`` for delivery offices), and
#: those whose share of postcodes on delivery offices it asks for.
UK_WORKED_LEVELS = ("sector", "district", "area")
_SHARED_LEVELS = ("sector", "district")


def work_out_uk_levels(table: Table) -> Table:
    """Work out now what a table of UK postcodes otherwise works out on first use: its
    sectors', districts' and areas' centres and radii, how many postcodes share each point,
    and the share of each sector's and district's postcodes on delivery offices.

    They are a pure function of the table: the ONS directory keeps them in its cache.
    """
    for level in UK_WORKED_LEVELS:
        table.level(level, UK_COARSER[level], postcode_codes)
    for level in _SHARED_LEVELS:
        level_share(table, level, postcode_codes)
    return table


def _reach(
    part: Table, lon: np.ndarray, lat: np.ndarray, district: pd.Series, encode: Encoder
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For points on delivery offices in the districts given: the radius around each that
    holds 90% of its district's postcodes, or of its area's where half of the district's
    postcodes or more are on delivery offices; and whether by area, and the code."""
    share = level_share(part, "district", encode)
    d_table = part.level("district", UK_COARSER["district"], encode)
    by_area = share[d_table.index.get_indexer(encode(district))] >= 0.5
    code = np.where(by_area, uk_area(district), district)
    r_lon, r_lat, radius = (np.empty(len(lon)) for _ in range(3))
    for level, mask in (("district", ~by_area), ("area", by_area)):
        centres = part.level(level, UK_COARSER[level], encode)
        i = centres.index.get_indexer(encode(pd.Series(code[mask], dtype="str")))
        r_lon[mask], r_lat[mask] = centres.lon[i], centres.lat[i]
        radius[mask] = centres.precision[i]
    gap = ground_m(lon, lat, r_lon, r_lat) + HAIR_M
    return np.ceil(gap + radius), by_area, code


def _postcodes_on_offices(part: Table, encode: Encoder) -> SharedPoints:
    """The precision and note of each postcode of ``part`` on a delivery office (once)."""
    shared = shared_points(part)
    if shared.precision is None:
        rows = np.flatnonzero(shared.count >= SHARED_POINT_MIN)
        district = part.keys.iloc[rows].reset_index(drop=True).str[:-4]
        reach, by_area, code = _reach(part, part.lon[rows], part.lat[rows], district, encode)
        shared.rows = rows
        shared.precision = np.maximum(part.precision[rows], reach)
        # one note per point and reference, formatted once
        said = pd.DataFrame({"n": shared.count[rows] - 1, "area": by_area, "code": code})
        which = said.groupby(["n", "area", "code"], sort=False).ngroup().to_numpy()
        first = said.iloc[np.unique(which, return_index=True)[1]]
        shared.notes = np.array(
            [
                f"shares its point with {n:,} other postcodes: a delivery office or PO box, not "
                f"the place (precision from postcode {'area' if a else 'district'} {c!r})"
                for n, a, c in first.itertuples(index=False)
            ],
            dtype=object,
        )
        shared.texts = pa.array(shared.notes, type=pa.large_string())
        shared.note = which
    return shared


def on_offices(
    part: Table, table: Table, at: np.ndarray, level: str | None, encode: Encoder
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Which of the keys found at ``at`` in ``table`` (``part`` at ``level``; None: the
    postcodes themselves) are on delivery offices, as :data:`SHARED_POINT_MIN` says: for
    each, whether, and for those that are, their widened precision and (postcodes only) their
    note, a code into ``shared_points(part).notes``."""
    if level is None:
        on = shared_points(part).count[at] >= SHARED_POINT_MIN
    else:
        on = level_share(part, level, encode)[at] >= 0.5
    if not on.any():
        return on, np.empty(0), None
    at = at[on]
    if level is not None:  # a sector or district mostly on delivery offices
        keys = table.keys.iloc[at].reset_index(drop=True)
        district = keys if level == "district" else keys.str[:-2]
        reach = _reach(part, table.lon[at], table.lat[at], district, encode)[0]
        return on, np.maximum(table.precision[at], reach), None
    shared = _postcodes_on_offices(part, encode)
    assert shared.rows is not None and shared.precision is not None and shared.note is not None
    i = np.searchsorted(shared.rows, at)  # each of ``at`` is among ``rows``: the same test
    return on, shared.precision[i], shared.note[i]
