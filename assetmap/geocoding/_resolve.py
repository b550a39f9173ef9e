"""The tiered geocoder: coordinates given → site footprint → offline gazetteer.

Every row that comes in goes out, in the same order with the same index. Each row says how it
was placed (``geocode_method``), how well (``geocode_precision_m``, metres), and why it could not
be placed or what was read differently from what was written (``geocode_note``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from geopandas.array import GeometryArray
from pyproj import CRS

from .._dispatch import dask_aware
from .._memory import gc_paused
from ..areas import StudyArea, study_polygon
from ..crs import WGS84, from_lonlat, geographic, metric_crs
from ..errors import ConfigurationError, GeocodingWarning
from ..io import read_assets
from ..schema import GEOCODE_COLUMNS
from ._coordinates import (
    Disagreement,
    against_postcode,
    coordinate_check,
    read_coordinates,
)
from ._notes import RowNotes, concat, quoted
from .gazetteer import Gazetteer, Keys, Lookup, ons_postcode_directory
from .providers import GeopyProvider, Provider

__all__ = ["geocode", "geocode_summary"]

log = logging.getLogger(__name__)

_WGS84 = CRS.from_user_input(WGS84)  # parsed once, not per call

#: The coarser levels' answers for the rows not placed otherwise, by level, finest first: the
#: :class:`Lookup` of those rows, their keys at the level, and the rows (positions).
_Fallbacks = dict[str, tuple[Lookup, pd.Series, np.ndarray]]


@dask_aware
def geocode(
    assets: pd.DataFrame,
    *,
    gazetteer: Gazetteer | None = None,
    online: Sequence[Provider] = (),
    fallback: bool = True,
    coordinate_crs: str | None = None,
    study_area: StudyArea | None = None,
    disagreement: Disagreement = "coordinates",
) -> gpd.GeoDataFrame:
    """Place every asset as well as its data allows, and say how well.

    Tiers, best first; each row is placed by the first that can:

    1. ``coordinates`` written in the register (latitude/longitude, easting/northing, or a
       WKT point), checked against the row's postcode and the study area. A point agrees
       with its row when it lies within its postcode district's radius (90% of the
       district's postcodes, at least 2 km) of the postcode's point, or in the study area.
       Swapped latitude and longitude, a longitude that lost its minus sign and swapped
       easting and northing are put right, with a note, only when the corrected point agrees
       and the written one does not; 0, 0 and values off the Earth are not used (noted).
       Coordinates that still lie beyond the postcode's radius are noted, and placed as
       ``disagreement`` says. The full rules are in :mod:`assetmap.geocoding._coordinates`.
    2. ``footprint``: a site's polygon (its representative point).
    3. the gazetteer's name (``postcode``): the postcode as keyed, read as carefully as the
       format allows (see :func:`assetmap.postcodes.parse`), or a postcode found in the
       address. Terminated postcodes are placed at their last point, with a note.
    4. each ``online`` provider for postcodes (``postcodes.io``) for postcodes the gazetteer
       lacks; then each one for addresses (``nominatim``) for rows not yet placed that have
       an address.
    5. with ``fallback``, the gazetteer's coarser levels: ``sector``, then ``district``, at
       the centre of their postcodes. An address answer less precise than the postcode
       sector gives way to it.

    Parameters
    ----------
    assets
        A register as :func:`assetmap.read_assets` returns it (a DataFrame in canonical form is
        validated first).
    gazetteer
        Where postcodes (or other place keys) are looked up; the ONS postcode directory by
        default. See :func:`assetmap.gazetteer.read_postcode_file` for ONSPD, NSPL and
        Code-Point Open files, and :func:`assetmap.gazetteer.gazetteer_from_frame` for your
        own table.
    online
        Online providers (:mod:`assetmap.providers`), asked only for rows the offline tiers
        could not place to a postcode. Only postcode and address text is sent.
    fallback
        Place rows whose postcode is unknown, partial or unreadable at its sector or district.
    coordinate_crs
        The CRS of every row's ``easting``/``northing``. None (the default): British National
        Grid (converted with OSTN15), except rows with a Northern Irish (``BT``) postcode,
        read in Irish Grid (EPSG:29903; Irish Transverse Mercator, EPSG:2157, for values
        beyond it), and values beyond British National Grid that lie in Ireland read as
        Irish Transverse Mercator; each such row says so in ``geocode_note``.
    study_area
        The area the register is about (see :func:`assetmap.areas.study_polygon`): a polygon
        (EPSG:4326), a GeoDataFrame or a boundary file; rows outside it get ``in_study_area``
        False. None (the default) leaves ``in_study_area`` missing.
    disagreement
        When a row's coordinates lie further from its postcode's point than the postcode
        district's radius: ``"coordinates"`` (the default) keeps them, ``"postcode"`` places
        the row by its postcode instead. Either way ``geocode_note`` says so.

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows and index, with point ``geometry`` (EPSG:4326; empty where a row could not
        be placed), ``geocode_method`` (``coordinates``, ``footprint``, the gazetteer's name
        such as ``postcode``, a provider's name, ``sector``, ``district`` or ``none``),
        ``geocode_precision_m``, ``geocode_note`` and ``in_study_area``; plus the area codes
        the gazetteer holds for postcodes (``la_code`` with the default directory; LSOA and
        ward codes from ONSPD/NSPL), filled where a row was placed by its postcode.

    Warns
    -----
    GeocodingWarning
        Once, counting the rows that could not be placed.

    Examples
    --------
    >>> from assetmap import datasets, read_assets
    >>> placed = geocode(read_assets(datasets.sample_register_path()))
    >>> placed.loc["macro-city-hospital", "geocode_method"]
    'postcode'
    """
    assets = geographic(assets, "the assets given to geocode")
    if disagreement not in ("coordinates", "postcode"):
        raise ConfigurationError(
            f"disagreement must be 'coordinates' or 'postcode'; {disagreement!r} was given"
        )
    if not isinstance(assets, gpd.GeoDataFrame) or "footprint" not in assets.columns:
        assets = read_assets(assets)  # a frame as a user has it: its headings, its geometry
    table: Gazetteer = gazetteer if gazetteer is not None else ons_postcode_directory()
    polygon = study_polygon(study_area)
    with gc_paused():
        placed = _place(assets, table, online, fallback, coordinate_crs, polygon, disagreement)
    return placed


def _place(
    assets: gpd.GeoDataFrame,
    table: Gazetteer,
    online: Sequence[Provider],
    fallback: bool,
    coordinate_crs: str | None,
    polygon: shapely.Geometry | None,
    disagreement: Disagreement,
) -> gpd.GeoDataFrame:
    """The tiers, in order (see :func:`geocode`)."""
    work = _Placing(len(assets))

    # the gazetteer first: its answers also judge coordinates that may be swapped
    keys, written, from_address = _keys(table, assets)
    exact = table.lookup(keys.key)

    # 1. coordinates written in the register, judged by the row's postcode and the study area
    check = coordinate_check(table, keys, exact, assets, polygon)
    coords = read_coordinates(assets, check, keys, coordinate_crs)
    coords = against_postcode(coords, check, keys, disagreement)
    work.notes = coords.notes.copy()  # nothing was said before
    work.place(coords.placed, coords.lon, coords.lat, coords.precision_m, "coordinates")

    # 2. a site's footprint: its representative point, precise to its farthest corner
    _footprints(assets["footprint"].to_numpy(), work)

    # 3. the postcode (or other key) in the gazetteer
    open_ = work.open()
    # each worked out once: a million rows' text looked at once, not at every use
    has_read = keys.notes.notna().to_numpy()
    has_key = keys.key.notna().to_numpy()
    rows = np.flatnonzero(open_ & has_read)
    work.notes.add_arrow(rows, _arrow(keys.notes, rows))
    rows = np.flatnonzero(open_ & from_address & has_key & ~has_read)
    work.notes.add_arrow(
        rows, concat("postcode ", quoted(_arrow(keys.key, rows)), " taken from the address")
    )
    placed_by_key = work.place(open_, exact.lon, exact.lat, exact.precision_m, table.name)
    rows, said = exact.noted(placed_by_key)
    work.notes.add_arrow(rows, concat("postcode ", quoted(_arrow(keys.key, rows)), " ", said))

    # 4. online providers: postcodes first, then addresses
    for provider in online:
        if provider.field != "postcode":
            continue
        todo = work.open() & has_key
        _ask(provider, keys.key, todo, work)
    fallbacks = _fallbacks(table, keys, work) if fallback else None
    address = assets["address"].astype("str").str.strip()
    for provider in online:
        if provider.field != "address":
            continue
        if polygon is not None and isinstance(provider, GeopyProvider):
            provider = provider.biased(tuple(shapely.bounds(polygon)))
        todo = work.open() & address.notna().to_numpy() & (address != "").to_numpy()
        _ask(provider, address, todo, work, better_than=fallbacks)

    # 5. coarser levels of the gazetteer
    if fallbacks is not None:
        _coarser(fallbacks, work)

    _why_not(work, keys, exact, written, address, table.name, has_key, has_read)
    return _result(assets, work, polygon, exact, placed_by_key)


def _footprints(fp: np.ndarray, work: _Placing) -> None:
    """Place rows with a site footprint at its representative point."""
    has_fp = ~shapely.is_missing(fp) & ~shapely.is_empty(fp)
    if has_fp.any():
        n = len(fp)
        pts = shapely.point_on_surface(fp[has_fp])
        fx, fy, fprec = (np.full(n, np.nan) for _ in range(3))
        fx[has_fp], fy[has_fp] = shapely.get_x(pts), shapely.get_y(pts)
        fprec[has_fp] = _farthest_m(fp[has_fp], pts)
        work.place(has_fp, fx, fy, fprec, "footprint")


def _coarser(fallbacks: _Fallbacks, work: _Placing) -> None:
    """Place the rows still open at the centre of their key's coarser levels, finest first."""
    for level, (hit, level_keys, asked) in fallbacks.items():
        at = np.flatnonzero(work.open()[asked] & hit.found)  # positions among ``asked``
        rows = asked[at]
        # a few thousand radii: each written once
        radii, which = np.unique(hit.precision_m[at], return_inverse=True)
        radius = pa.array([f"{r:,.0f}" for r in radii.tolist()], type=pa.large_string())
        texts = concat(
            f"placed at the centre of {level} ", quoted(_arrow(level_keys, at)),
            " (90% of its postcodes within ", radius.take(pa.array(which)), " m)",
        )  # fmt: skip
        work.notes.add_arrow(rows, texts)
        work.place_rows(rows, hit.lon[at], hit.lat[at], hit.precision_m[at], level)


class _Placing:
    """Where each row has been placed so far, and what has been said about it."""

    def __init__(self, n: int) -> None:
        self.lon = np.full(n, np.nan)
        self.lat = np.full(n, np.nan)
        self.precision = np.full(n, np.nan)
        self.how = np.zeros(n, dtype=np.int8)  # a code into ``names``: 0 not placed
        self.names = ["none"]
        self.notes = RowNotes(n)  # by row position

    def place(
        self, mask: np.ndarray, x: np.ndarray, y: np.ndarray, prec: np.ndarray, how: str
    ) -> np.ndarray:
        """Place the rows of ``mask`` not yet placed that have a point (``x``, ``y``,
        ``prec`` as long as the register); returns which."""
        rows = np.flatnonzero(mask)
        placed = np.zeros(len(self.how), dtype=bool)
        placed[self.place_rows(rows, x[rows], y[rows], prec[rows], how)] = True
        return placed

    def place_rows(
        self, rows: np.ndarray, x: np.ndarray, y: np.ndarray, prec: np.ndarray, how: str
    ) -> np.ndarray:
        """:meth:`place` for ``rows`` (distinct positions) with their points (arrays aligned
        with them): no array as long as the register. Returns the rows placed."""
        ok = (self.how[rows] == 0) & np.isfinite(x) & np.isfinite(y)
        rows = rows[ok]
        self.lon[rows], self.lat[rows], self.precision[rows] = x[ok], y[ok], prec[ok]
        if how not in self.names:
            self.names.append(how)
        self.how[rows] = self.names.index(how)
        return rows

    def open(self) -> np.ndarray:
        """Which rows are not placed yet."""
        return np.asarray(self.how == 0)

    def by(self, *methods: str) -> np.ndarray:
        """Which rows were placed by any of ``methods``."""
        which = np.zeros(max(len(self.names), 256), dtype=bool)  # by code
        which[[self.names.index(m) for m in methods if m in self.names]] = True
        return which[self.how.view(np.uint8)]


def _keys(table: Gazetteer, assets: pd.DataFrame) -> tuple[Keys, pd.Series, np.ndarray]:
    """The gazetteer's keys for each row: from the postcode, else from the address.

    Returns the keys, the text each came from, and which rows took theirs from the address.
    """
    postcode = assets["postcode"].astype("str")
    keys = table.parse(postcode)
    address = assets["address"].astype("str")
    use = address.notna().to_numpy() & keys.key.isna().to_numpy()
    rows = np.flatnonzero(use)  # as keys.missing(), looked at only where there is an address
    for level in keys.levels:
        use[rows] &= keys.level_at(level, rows).isna().to_numpy()
    if not use.any():
        return keys, postcode, np.zeros(len(assets), dtype=bool)
    found = table.parse(address[use])
    has = found.key.notna().to_numpy()
    took = np.zeros(len(assets), dtype=bool)
    took[np.flatnonzero(use)[has]] = True
    taken = Keys(
        key=found.key[has],
        levels={name: lv[has] for name, lv in found.levels.items()},
        notes=found.notes[has],
    )
    keys = keys.taking(np.flatnonzero(took), taken)
    written = postcode.where(~took, address)
    return keys, written, took


def _fallbacks(table: Gazetteer, keys: Keys, work: _Placing) -> _Fallbacks:
    """The coarser levels' answers for the rows not yet placed (only those), finest first."""
    rows = np.flatnonzero(work.open())
    out: _Fallbacks = {}
    for level in keys.levels:
        level_keys = keys.level_at(level, rows)
        out[level] = (table.lookup(level_keys, level), level_keys, rows)
    return out


def _ask(
    provider: Provider,
    queries: pd.Series,
    todo: np.ndarray,
    work: _Placing,
    better_than: _Fallbacks | None = None,
) -> None:
    """Place rows by an online provider; an answer vaguer than a fallback is not taken."""
    if not todo.any():
        return
    asked = queries.to_numpy(dtype=object)
    answers = provider.geocode([str(q) for q in asked[todo]])
    n = len(todo)
    x, y, prec = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    notes: dict[int, str] = {}  # by row position
    for i in np.flatnonzero(todo):
        q = str(asked[i])
        if q in answers.failed:
            work.notes[i].append(f"{provider.name} failed for {q!r}: {answers.failed[q]}")
            continue
        answer = answers.found.get(q)
        if answer is None:
            work.notes[i].append(f"{provider.name} does not know {q!r}")
            continue
        x[i], y[i], prec[i] = answer.lon, answer.lat, answer.precision_m
        if answer.note:
            notes[int(i)] = f"{q!r} {answer.note}"
    if better_than:
        # the precision of the finest level that will place the row otherwise
        fallback = np.full(n, np.nan)
        for hit, _, rows in reversed(better_than.values()):  # the finest last: it is taken
            fallback[rows[hit.found]] = hit.precision_m[hit.found]
        vaguer = np.isfinite(fallback) & (prec > fallback)
        for i in np.flatnonzero(vaguer):
            work.notes[i].append(
                f"{provider.name} placed {str(asked[i])!r} only to within "
                f"{prec[i]:,.0f} m; the postcode does better"
            )
        x[vaguer] = np.nan
    placed = work.place(todo, x, y, prec, provider.name)
    for row, note in notes.items():
        if placed[row]:
            work.notes[row].append(note)


def _why_not(
    work: _Placing,
    keys: Keys,
    exact: Lookup,
    written: pd.Series,
    address: pd.Series,
    name: str,
    has_key: np.ndarray,
    read: np.ndarray,
) -> None:
    """Say why each row not placed by its key was not (beyond what was already said).

    ``has_key``: which rows have a full key; ``read``: which the reader already said what it
    made of the text of.
    """
    has_address = address.notna().to_numpy() & (address != "").fillna(False).to_numpy()
    tried = ~work.by("coordinates", "footprint", name)
    rows = np.flatnonzero(tried & has_key & ~exact.found)
    said = concat(
        "postcode ", quoted(_arrow(keys.key, rows)), f" was not found in the {name} gazetteer"
    )
    work.notes.add_arrow(rows, said, first=True)
    rows = np.flatnonzero(tried & ~has_key & ~read & written.notna().to_numpy())
    text = _arrow(written, rows)
    blank = pc.equal(pc.utf8_trim_whitespace(text), "").to_numpy(zero_copy_only=False)
    rows, text = rows[~blank], text.filter(pa.array(~blank))
    work.notes.add_arrow(rows, concat(quoted(text), " is not a full postcode"), first=True)
    silent = tried & work.open() & ~work.notes.said
    work.notes.add_arrow(
        np.flatnonzero(silent & has_address),
        "no coordinates, footprint or postcode to place it by (an address alone needs "
        "an online provider: see assetmap.providers)",
    )
    work.notes.add_arrow(
        np.flatnonzero(silent & ~has_address),
        "no coordinates, footprint, postcode or address to place it by",
    )


def _arrow(values: pd.Series, rows: np.ndarray) -> pa.Array:
    """The text ``values`` at ``rows`` (positions) as an Arrow array, no Python string made."""
    taken = pa.array(values.astype("str").array).take(pa.array(rows, type=pa.int64()))
    return taken.combine_chunks() if isinstance(taken, pa.ChunkedArray) else taken


def _text(codes: np.ndarray, names: np.ndarray) -> pa.Array:
    """A text column from codes into ``names`` (-1: missing), without a Python string a row."""
    indices = pa.array(codes.astype(np.int64), mask=codes < 0)
    return pa.array(names, type=pa.large_string()).take(indices)  # missing where masked


def _texts(work: _Placing, exact: Lookup, placed_by_key: np.ndarray) -> dict[str, pa.Array]:
    """The result's text columns, by name: the area codes of the rows placed by their key,
    how each row was placed and what was said about it."""
    out = {}
    for name, values in exact.codes().items():
        if name in _CODE_COLUMNS:
            names = np.asarray(values.categories.astype("str"), dtype=object)
            out[name] = _text(np.where(placed_by_key, values.codes, -1), names)
    out["geocode_method"] = _text(work.how, np.asarray(work.names, dtype=str))
    out["geocode_note"] = work.notes.to_arrow()
    return out


def _points(work: _Placing, placed: np.ndarray, index: pd.Index) -> gpd.GeoSeries:
    """The placed rows' points (EPSG:4326; None where not placed)."""
    # 7 decimals (about 1 cm): far finer than any tier, and clean numbers in every format;
    # one (rows, 2) array of the placed rows: the fastest way GEOS makes a million points
    xy = np.empty((int(placed.sum()), 2))
    xy[:, 0], xy[:, 1] = work.lon[placed], work.lat[placed]
    np.round(xy, 7, out=xy)
    points = np.full(len(placed), None, dtype=object)
    points[placed] = shapely.points(xy)
    # shapely's own points, valid by construction: no check of each one
    return gpd.GeoSeries(GeometryArray(points, crs=_WGS84), index=index, copy=False)


def _result(
    assets: gpd.GeoDataFrame,
    work: _Placing,
    polygon: shapely.Geometry | None,
    exact: Lookup,
    placed_by_key: np.ndarray,
) -> gpd.GeoDataFrame:
    n = len(assets)
    placed = ~work.open()
    # the text columns are Arrow's work, which runs without Python's lock: in a second
    # thread, while this one makes the points (which holds it)
    with ThreadPoolExecutor(1, thread_name_prefix="assetmap-geocode") as pool:
        later = pool.submit(_texts, work, exact, placed_by_key)
        geometry = _points(work, placed, assets.index)
        texts = later.result()
    drop = [assets.geometry.name, *GEOCODE_COLUMNS, *_CODE_COLUMNS]
    out = pd.DataFrame(assets.drop(columns=[c for c in drop if c in assets.columns]))
    for name in (*_CODE_COLUMNS, "geocode_method", "geocode_precision_m", "geocode_note"):
        if name in texts:
            out[name] = pd.Series(pd.array(texts[name], dtype="str"), index=assets.index)
        elif name == "geocode_precision_m":
            out[name] = work.precision
    if polygon is None:
        inside = pd.Series(pd.NA, index=assets.index, dtype="boolean")
    else:
        lon, lat = np.round(work.lon, 7), np.round(work.lat, 7)
        contained = shapely.contains_xy(polygon, lon, lat)
        inside = pd.Series(contained, index=assets.index, dtype="boolean").where(placed, pd.NA)
    out["in_study_area"] = inside
    out = gpd.GeoDataFrame(out, geometry=geometry, crs=_WGS84, copy=False)  # ours alone
    unplaced = int(n - placed.sum())
    if log.isEnabledFor(logging.INFO):  # the summary is worked out only to be logged
        log.info(
            "geocoded %d of %d assets; %d not placed (see geocode_note)\n%s",
            n - unplaced,
            n,
            unplaced,
            geocode_summary(out).to_string(),
        )
    if unplaced:
        warnings.warn(
            f"{unplaced} of {n} assets could not be placed; their geometry is empty "
            "and geocode_note says why",
            GeocodingWarning,
            stacklevel=3,
        )
    return out


#: Area codes a gazetteer may hold for a postcode, added as columns in this order.
_CODE_COLUMNS = ("lsoa21_code", "lsoa11_code", "ward_code", "la_code")


def _farthest_m(footprints: np.ndarray, points: np.ndarray) -> np.ndarray:
    """For each footprint, the distance in metres from its point to its farthest corner."""
    x0, y0, x1, y1 = shapely.total_bounds(footprints)
    crs = metric_crs((x0, y0, x1, y1))
    out = np.empty(len(footprints))
    for i, (poly, pt) in enumerate(zip(footprints, points, strict=True)):
        coords = shapely.get_coordinates(poly)
        px, py = from_lonlat(coords[:, 0], coords[:, 1], crs)
        qx, qy = from_lonlat(np.array([shapely.get_x(pt)]), np.array([shapely.get_y(pt)]), crs)
        out[i] = float(np.hypot(px - qx[0], py - qy[0]).max())
    return out


def geocode_summary(assets: pd.DataFrame) -> pd.DataFrame:
    """Count geocoded rows per method: how many, how precise, and how many have a note.

    Rows with a note were read differently from what was written, placed by a fallback, or
    not placed: the ones to look at.

    Examples
    --------
    >>> from assetmap import datasets, read_assets
    >>> s = geocode_summary(geocode(read_assets(datasets.sample_register_path())))
    >>> int(s["assets"].sum()) == len(read_assets(datasets.sample_register_path()))
    True
    >>> list(s.columns)
    ['assets', 'median_precision_m', 'with_note']
    """
    grouped = assets.groupby("geocode_method", sort=True)
    return pd.DataFrame(
        {
            "assets": grouped.size(),
            "median_precision_m": grouped["geocode_precision_m"].median(),
            "with_note": grouped["geocode_note"].count(),
        }
    ).rename_axis("geocode_method")
