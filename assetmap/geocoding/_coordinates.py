"""Tier 1 of the geocoder: coordinates written in a register, read as written unless they are
plainly mistyped, and checked against the row's own postcode.

How a row's coordinates are judged
----------------------------------
A point *agrees* with its row when it lies within the radius of the row's postcode district
around the postcode's point (the gazetteer's coarsest level: the radius holding 90% of the
district's postcodes, and at least 2 km), or inside the study area. A row whose postcode is not
found and that has no study area has nothing to be judged by: it is read as written.

1. Latitude/longitude are read as written. When that reading does not agree with the row (or
   is not on Earth), the readings of the usual slips are tried, in this order: latitude and
   longitude swapped; the longitude's minus sign dropped; both. The first that agrees is used,
   with a note. None is used just because it is the only one on Earth: latitude 152 with a
   Birmingham postcode is not put in the Pacific.
2. Easting/northing within ±180/±90 are longitude/latitude in degrees (an ArcGIS ``X``/``Y``
   export; in any grid they would lie at its false origin, at sea), read as in rule 1, with a
   note, unless ``coordinate_crs`` is given.
3. Other easting/northing are read in ``coordinate_crs`` when given. Otherwise in British National
   Grid (OSTN15), except rows whose postcode is in Northern Ireland (``BT``), read in Irish
   Grid (EPSG:29903; Irish Transverse Mercator, EPSG:2157, for values beyond Irish Grid), and
   rows whose values lie beyond British National Grid and whose Irish Transverse Mercator
   reading lies in Ireland; each with a note. When the reading does not agree, easting and
   northing swapped is tried, and (without ``coordinate_crs``) the other two of these grids.
4. A row placed by its coordinates that still lies further from its postcode's point than the
   radius gets a note, and keeps its coordinates (``disagreement="coordinates"``) or is placed
   by its postcode instead (``disagreement="postcode"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import shapely

from ..crs import BRITISH_NATIONAL_GRID, accuracy_m, to_lonlat
from ._notes import RowNotes
from .gazetteer import Gazetteer, Keys, Lookup

__all__ = [
    "AGREE_MIN_M",
    "IRISH_GRID",
    "IRISH_TRANSVERSE_MERCATOR",
    "CoordinateCheck",
    "Coordinates",
    "Disagreement",
    "against_postcode",
    "coordinate_check",
    "decimal_precision_m",
    "read_coordinates",
]

#: Which place a row keeps when its coordinates and its postcode disagree.
Disagreement = Literal["coordinates", "postcode"]

IRISH_GRID = "EPSG:29903"


IRISH_TRANSVERSE_MERCATOR = "EPSG:2157"
_GRID_NAMES = {
    BRITISH_NATIONAL_GRID: "British National Grid",
    IRISH_GRID: "Irish Grid",
    IRISH_TRANSVERSE_MERCATOR: "Irish Transverse Mercator",
}
#: Coordinates agree with their row's postcode within its district's radius, and at least this.
AGREE_MIN_M = 2_000.0
#: British National Grid's extent, metres (OSTN15's grid: 0-700 km east, 0-1,250 km north).
_BNG_EXTENT = (0.0, 0.0, 700_000.0, 1_250_000.0)
#: The island of Ireland, lon/lat degrees.
_IRELAND = (-10.7, 51.3, -5.3, 55.5)

_Reading = tuple[np.ndarray, np.ndarray, np.ndarray]  # lon, lat, usable


def decimal_precision_m(values: pd.Series, metres_per_unit: float) -> np.ndarray:
    """Half the last written digit's step, in metres: 52.4913° → ±5.6 m, 406649 m → ±0.5 m."""
    decimals = np.zeros(len(values), dtype="float64")
    present = values.notna().to_numpy()
    if present.any():  # each distinct value read once
        unique, where = np.unique(values.to_numpy(dtype="float64")[present], return_inverse=True)
        digits = [len(repr(float(v)).split(".")[1].rstrip("0")) for v in unique.tolist()]
        decimals[present] = np.asarray(digits, dtype="float64")[where]
    return np.maximum(0.5 * metres_per_unit * 10.0 ** (-decimals), 0.5)


def _metres(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Great-circle distance in metres (haversine); NaN where any input is."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * 6_371_008.8 * np.arcsin(np.sqrt(np.clip(h, 0, 1))), dtype="float64")


@dataclass(frozen=True)
class CoordinateCheck:
    """What each row's coordinates are judged by (arrays aligned with the rows).

    Attributes
    ----------
    lon, lat
        The point of the row's postcode (NaN where not found).
    radius_m
        How far from it the coordinates may lie and still agree, in metres.
    found
        Which rows have a postcode point.
    polygon
        The study area (EPSG:4326), or None.
    """

    lon: np.ndarray
    lat: np.ndarray
    radius_m: np.ndarray
    found: np.ndarray
    polygon: shapely.Geometry | None

    @property
    def judged(self) -> np.ndarray:
        """Rows with something to judge their coordinates by."""
        return np.asarray(self.found | (self.polygon is not None), dtype=bool)

    def apart_m(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Metres from each point to its row's postcode (NaN where either is missing)."""
        out = np.full(len(lon), np.nan)
        rows = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat) & self.found)
        with np.errstate(invalid="ignore"):  # only rows with both points: most have neither
            out[rows] = _metres(lon[rows], lat[rows], self.lon[rows], self.lat[rows])
        return out

    def near(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return np.asarray(self.found & (self.apart_m(lon, lat) <= self.radius_m), dtype=bool)

    def inside(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        if self.polygon is None:
            return np.zeros(len(lon), dtype=bool)
        ok = np.isfinite(lon) & np.isfinite(lat)
        return np.asarray(
            ok & shapely.contains_xy(self.polygon, np.where(ok, lon, 0), np.where(ok, lat, 0)),
            dtype=bool,
        )

    def agrees(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return np.asarray(self.near(lon, lat) | self.inside(lon, lat), dtype=bool)

    def disagrees(self, i: int) -> str:
        """What a reading of row ``i`` that does not agree lies away from."""
        parts = (["far from its postcode"] if self.found[i] else []) + (
            ["outside the study area"] if self.polygon is not None else []
        )
        return " and ".join(parts) or "with nothing to confirm it"


def coordinate_check(
    table: Gazetteer,
    keys: Keys,
    exact: Lookup,
    assets: pd.DataFrame,
    polygon: shapely.Geometry | None,
) -> CoordinateCheck:
    """The postcode points and radii that judge each row's coordinates.

    Districts are looked up only for rows that have coordinates and a postcode found.
    """
    radius = np.full(len(exact.found), AGREE_MIN_M)
    found = exact.found & np.isfinite(exact.lon) & np.isfinite(exact.lat)
    lat, lon, east, north = (
        assets[c].notna().to_numpy() for c in ("latitude", "longitude", "easting", "northing")
    )
    need = found & ((lat & lon) | (east & north))
    if need.any() and len(keys.levels):
        coarsest = list(keys.levels)[-1]  # a UK postcode's district
        rows = np.flatnonzero(need)
        hit = table.lookup(keys.level_at(coarsest, rows), coarsest)
        radius[rows] = np.fmax(AGREE_MIN_M, hit.precision_m)
    return CoordinateCheck(exact.lon, exact.lat, radius, found, polygon)


def _choose(readings: list[_Reading], check: CoordinateCheck) -> np.ndarray:
    """Which reading of each row to use (-1: none): the first (as written) when it agrees or
    there is nothing to judge it by; else the first other reading that agrees; else the first
    when it is usable at all."""
    lon, lat, as_written = readings[0]
    choice = np.where(as_written & (~check.judged | check.agrees(lon, lat)), 0, -1)
    for k, (lon, lat, usable) in enumerate(readings[1:], start=1):
        choice[(choice < 0) & usable & check.agrees(lon, lat)] = k
    choice[(choice < 0) & as_written] = 0
    return choice


@dataclass(frozen=True)
class Coordinates:
    """Where each row's written coordinates place it (arrays aligned with the rows)."""

    lon: np.ndarray
    lat: np.ndarray
    precision_m: np.ndarray
    placed: np.ndarray
    notes: RowNotes


def _on_earth(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.asarray((np.abs(lat) <= 90) & (np.abs(lon) <= 180), dtype=bool)


def read_coordinates(
    assets: pd.DataFrame, check: CoordinateCheck, keys: Keys, coordinate_crs: str | None
) -> Coordinates:
    """Read each row's latitude/longitude, else its easting/northing (see the module's rules)."""
    notes = RowNotes(len(assets))
    ll = _latlon(assets, check, notes)
    ll = _degrees_as_grid(assets, check, coordinate_crs, notes, ll)
    en = _grid(assets, check, keys, coordinate_crs, notes, open_=~ll.placed)
    if not en.placed.any():
        return Coordinates(ll.lon, ll.lat, ll.precision_m, ll.placed, notes)
    use_en = ~ll.placed & en.placed
    return Coordinates(
        lon=np.where(use_en, en.lon, ll.lon),
        lat=np.where(use_en, en.lat, ll.lat),
        precision_m=np.where(use_en, en.precision_m, ll.precision_m),
        placed=ll.placed | en.placed,
        notes=notes,
    )


def _latlon(assets: pd.DataFrame, check: CoordinateCheck, notes: RowNotes) -> Coordinates:
    glat = assets["latitude"].to_numpy(dtype="float64")
    glon = assets["longitude"].to_numpy(dtype="float64")
    given = np.isfinite(glat) & np.isfinite(glon)
    if not given.any():  # nothing written: nothing to read, judge or say
        nothing = np.full(len(glat), np.nan)
        precision = np.full(len(glat), 0.5 * 111_320.0)  # decimal_precision_m of no digits
        return Coordinates(nothing, nothing.copy(), precision, np.zeros(len(glat), bool), notes)
    zero = given & (glat == 0) & (glon == 0)
    ok = given & ~zero
    readings = [
        (glon, glat, ok),
        (glat, glon, ok),  # swapped
        (-glon, glat, ok & (glon > 0)),  # the longitude lost its minus sign
        (-glat, glon, ok & (glat > 0)),  # both
    ]
    choice = _choose([(lon, lat, use & _on_earth(lon, lat)) for lon, lat, use in readings], check)
    lon, lat = np.full(len(glat), np.nan), np.full(len(glat), np.nan)
    for k, (rlon, rlat, _) in enumerate(readings):
        lon[choice == k], lat[choice == k] = rlon[choice == k], rlat[choice == k]
    said = {
        1: "latitude {0:g} and longitude {1:g} were swapped",
        2: "longitude {1:g} lost its minus sign",
        3: "latitude {0:g} and longitude {1:g} were swapped and the longitude lost its minus sign",
    }
    for i in np.flatnonzero(choice > 0):
        notes[i].append(
            said[int(choice[i])].format(glat[i], glon[i])
            + f"; read as latitude {lat[i]:g}, longitude {lon[i]:g}"
        )
    for i in np.flatnonzero(zero):
        notes[i].append("latitude/longitude 0, 0 is not a place; ignored")
    swap_on_earth = _on_earth(glat, glon)
    for i in np.flatnonzero(ok & (choice < 0)):
        notes[i].append(
            f"latitude {glat[i]:g}, longitude {glon[i]:g} is not on Earth "
            "(latitude -90..90, longitude -180..180); ignored"
            + (
                f" (swapped, it would lie {check.disagrees(int(i))}: not put right)"
                if swap_on_earth[i]
                else ""
            )
        )
    swapped = np.isin(choice, [1, 3])
    lat_text = assets["latitude"].where(~swapped, assets["longitude"])
    return Coordinates(
        lon, lat, decimal_precision_m(lat_text, 111_320.0), np.asarray(choice >= 0), notes
    )


def _degrees_as_grid(
    assets: pd.DataFrame,
    check: CoordinateCheck,
    coordinate_crs: str | None,
    notes: RowNotes,
    ll: Coordinates,
) -> Coordinates:
    """Easting/northing within ±180/±90 are longitude/latitude in degrees (an ArcGIS ``X``/``Y``
    export), never a point within 180 m of a grid's false origin, out at sea: read so, with a
    note, when no ``coordinate_crs`` is given."""
    east = assets["easting"].to_numpy(dtype="float64")
    north = assets["northing"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        degrees = ~ll.placed & (np.abs(east) <= 180) & (np.abs(north) <= 90)
    if coordinate_crs is not None or not degrees.any():
        return ll
    rows = np.flatnonzero(degrees)
    for i in rows:
        notes[i].append(
            f"easting {east[i]:g}, northing {north[i]:g} lie within ±180/±90: read as "
            "longitude and latitude in degrees"
        )
    as_degrees = pd.DataFrame(
        {
            "latitude": assets["northing"].where(degrees),
            "longitude": assets["easting"].where(degrees),
        },
        index=assets.index,
    )
    read = _latlon(as_degrees, check, notes)
    use = degrees & read.placed
    return Coordinates(
        lon=np.where(use, read.lon, ll.lon),
        lat=np.where(use, read.lat, ll.lat),
        precision_m=np.where(use, read.precision_m, ll.precision_m),
        placed=ll.placed | use,
        notes=notes,
    )


def _northern_irish(keys: Keys) -> np.ndarray:
    """Rows whose postcode (or its sector or district) is in the ``BT`` area."""
    text = keys.key
    for level in keys.levels:
        text = text.fillna(keys.levels[level])
    return np.asarray(text.str.match(r"BT\d").fillna(False).to_numpy(dtype=bool))


def _read(
    x: np.ndarray, y: np.ndarray, rows: np.ndarray, grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of ``rows`` of x, y, each in its row's grid (NaN elsewhere)."""
    lon, lat = np.full(len(x), np.nan), np.full(len(x), np.nan)
    for crs in sorted(set(grid[rows])):
        use = rows & (grid == crs)
        lon[use], lat[use] = to_lonlat(x[use], y[use], str(crs))
    return lon, lat


def _grids(
    east: np.ndarray, north: np.ndarray, has_en: np.ndarray, keys: Keys, coordinate_crs: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's grid, and why it is not British National Grid (None where it is)."""
    n = len(east)
    grid = np.full(n, coordinate_crs or BRITISH_NATIONAL_GRID, dtype=object)
    why = np.full(n, None, dtype=object)
    if coordinate_crs is not None:
        return grid, why
    ni = has_en & _northern_irish(keys)
    beyond_irish_grid = (east >= 400_000) & (north >= 500_000)
    grid[ni] = np.where(beyond_irish_grid[ni], IRISH_TRANSVERSE_MERCATOR, IRISH_GRID)
    why[ni] = "its postcode is in Northern Ireland"
    x0, y0, x1, y1 = _BNG_EXTENT
    beyond = has_en & ~ni & ((east < x0) | (east > x1) | (north < y0) | (north > y1))
    itm = np.full(n, IRISH_TRANSVERSE_MERCATOR, dtype=object)
    lon, lat = _read(east, north, beyond, itm)
    w, s, e, nn = _IRELAND
    ireland = beyond & (lon >= w) & (lon <= e) & (lat >= s) & (lat <= nn)
    grid[ireland], why[ireland] = IRISH_TRANSVERSE_MERCATOR, "it lies beyond British National Grid"
    return grid, why


def _grid(
    assets: pd.DataFrame,
    check: CoordinateCheck,
    keys: Keys,
    coordinate_crs: str | None,
    notes: RowNotes,
    open_: np.ndarray,
) -> Coordinates:
    n = len(assets)
    east = assets["easting"].to_numpy(dtype="float64")
    north = assets["northing"].to_numpy(dtype="float64")
    has_en = np.isfinite(east) & np.isfinite(north) & open_
    nothing = np.full(n, np.nan)
    if not has_en.any():
        return Coordinates(nothing, nothing, nothing, np.zeros(n, dtype=bool), notes)
    grid, why = _grids(east, north, has_en, keys, coordinate_crs)
    # each reading: in which grid (per row), and whether easting and northing are swapped
    plans: list[tuple[np.ndarray, bool]] = [(grid, False), (grid, True)]
    if coordinate_crs is None:
        for other in (IRISH_GRID, IRISH_TRANSVERSE_MERCATOR, BRITISH_NATIONAL_GRID):
            alternative = np.full(n, None, dtype=object)
            alternative[grid != other] = other
            plans.append((alternative, False))
    readings: list[_Reading] = []
    settled = np.zeros(n, dtype=bool)
    for in_grid, swap in plans:
        # other readings only for the rows whose first reading does not settle them
        rows = has_en & ~settled & pd.notna(in_grid)
        lon, lat = _read(north, east, rows, in_grid) if swap else _read(east, north, rows, in_grid)
        readings.append((lon, lat, rows & np.isfinite(lon) & _on_earth(lon, lat)))
        if len(readings) == 1:
            settled = readings[0][2] & (~check.judged | check.agrees(lon, lat))
    choice = _choose(readings, check)
    for i in np.flatnonzero(has_en & (choice < 0)):
        notes[i].append(f"easting {east[i]:g}, northing {north[i]:g} is outside {grid[i]}; ignored")
    lon, lat, prec = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    for k, ((in_grid, swap), (rlon, rlat, _)) in enumerate(zip(plans, readings, strict=True)):
        at = choice == k
        lon[at], lat[at] = rlon[at], rlat[at]
        digits = decimal_precision_m(assets["northing" if swap else "easting"], 1.0)
        for crs in sorted(set(in_grid[at])):
            use = at & (in_grid == crs)
            prec[use] = np.fmax(digits[use], accuracy_m(str(crs)))
        near = check.near(rlon, rlat)
        for i in np.flatnonzero(at):
            name = f"{_GRID_NAMES.get(in_grid[i], in_grid[i])} ({in_grid[i]})"
            if swap:
                notes[i].append(
                    f"easting {east[i]:g} and northing {north[i]:g} were swapped; read as "
                    f"easting {north[i]:g}, northing {east[i]:g}"
                    + (f" in {name}" if why[i] else "")
                )
            elif k > 1:
                where = "near its postcode" if near[i] else "in the study area"
                notes[i].append(
                    f"easting {east[i]:g}, northing {north[i]:g} read as {name}: "
                    f"only there does it lie {where}"
                )
            elif why[i]:
                notes[i].append(
                    f"easting {east[i]:g}, northing {north[i]:g} read as {name}: {why[i]}"
                )
    return Coordinates(lon, lat, prec, np.asarray(choice >= 0), notes)


def against_postcode(
    coords: Coordinates, check: CoordinateCheck, keys: Keys, disagreement: Disagreement
) -> Coordinates:
    """Note the rows whose coordinates lie beyond their postcode's radius; with
    ``disagreement="postcode"`` leave them for the postcode to place."""
    apart = check.apart_m(coords.lon, coords.lat)
    far = coords.placed & check.found & (apart > check.radius_m)
    notes = coords.notes.copy()
    rows = np.flatnonzero(far)
    keep = disagreement == "coordinates"
    for i, key in zip(rows.tolist(), keys.key.iloc[rows].tolist(), strict=True):
        notes[i].append(
            f"the coordinates lie {apart[i] / 1000:,.1f} km from postcode "
            f"{key!r}, further than its district's radius "
            f"({check.radius_m[i] / 1000:,.1f} km); "
            + ("the coordinates are kept" if keep else "placed by the postcode instead")
        )
    placed = coords.placed if keep else coords.placed & ~far
    return Coordinates(coords.lon, coords.lat, coords.precision_m, placed, notes)
