"""Postcode files users download themselves, read unchanged as published.

Owns :func:`read_postcode_file` for ONSPD/NSPD and NSPL (with their published headers, old and
new), OS Code-Point Open (headerless, one file per area, with its column-headers file) and the
common ``Postcode,lat,long`` layout, and the positional-quality scales (:data:`ONSPD_QUALITY`)
that turn a file's quality indicator into a precision in metres.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ..crs import BRITISH_NATIONAL_GRID
from ..errors import Problem, SchemaError
from . import postcodes
from ._tables import (
    POSTCODE_UNIT_PRECISION_M,
    UK_POSTCODE_LEVELS,
    TableGazetteer,
    blank_to_na,
    build_table,
    lonlat,
    postcode_codes,
    uk_reader,
)

__all__ = ["ONSPD_QUALITY", "read_postcode_file"]

log = logging.getLogger(__name__)

# Positional quality of a postcode's grid reference → precision in metres (None: no position).
# ONSPD/NSPL ``osgrdind``: 1 within the building of the matched address closest to the
# postcode's mean, 2 the same by visual inspection, 3 approximate to within 50 m, 4 the mean of
# the matched addresses, 5 imputed from surrounding postcodes, 6 the postcode sector's mean,
# 8 terminated before Gridlink (last known point), 9 no grid reference.
ONSPD_QUALITY: dict[int, float | None] = {
    1: POSTCODE_UNIT_PRECISION_M,
    2: POSTCODE_UNIT_PRECISION_M,
    3: POSTCODE_UNIT_PRECISION_M,
    4: POSTCODE_UNIT_PRECISION_M,
    5: 2 * POSTCODE_UNIT_PRECISION_M,
    6: 10 * POSTCODE_UNIT_PRECISION_M,
    8: 2 * POSTCODE_UNIT_PRECISION_M,
    9: None,
}
# OS Code-Point Open ``Positional_quality_indicator``: the same classes, numbered 10..90.
_CODEPOINT_QUALITY: dict[int, float | None] = {
    10: POSTCODE_UNIT_PRECISION_M,
    20: POSTCODE_UNIT_PRECISION_M,
    30: POSTCODE_UNIT_PRECISION_M,
    40: POSTCODE_UNIT_PRECISION_M,
    50: 2 * POSTCODE_UNIT_PRECISION_M,
    60: 10 * POSTCODE_UNIT_PRECISION_M,
    90: None,
}

Layout = Literal["onspd", "codepoint", "latlon"]

# Published column names, old and new (ONS renamed most columns in 2025: pcd7, east1m...).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "postcode": ("pcds", "pcd", "pcd7", "pcd8", "pcd2", "postcode", "post code"),
    "lat": ("lat", "latitude"),
    "lon": ("long", "lon", "lng", "longitude"),
    "east": ("oseast1m", "east1m", "eastings", "easting"),
    "north": ("osnrth1m", "north1m", "northings", "northing"),
    "grid_quality": ("osgrdind", "gridind"),
    "codepoint_quality": ("positional_quality_indicator",),
    "doterm": ("doterm",),
}
_CODE_COLUMNS: dict[str, str] = {
    "lsoa21_code": r"lsoa21(cd)?",
    "lsoa11_code": r"lsoa11(cd)?",
    "ward_code": r"osward|ward|wd\d\dcd|admin_ward_code",
    "la_code": r"oslaua|laua|lad\d\dcd|admin_district_code",
}
_CODEPOINT_HEADERS = [
    "Postcode",
    "Positional_quality_indicator",
    "Eastings",
    "Northings",
    "Country_code",
    "NHS_regional_HA_code",
    "NHS_HA_code",
    "Admin_county_code",
    "Admin_district_code",
    "Admin_ward_code",
]


def _encoding(path: Path) -> str:
    """UTF-8 for a file that starts with a byte-order mark; else Latin-1, as OS and ONS write."""
    with path.open("rb") as f:
        return "utf-8-sig" if f.read(3) == b"\xef\xbb\xbf" else "latin-1"


def _first_line(path: Path) -> str:
    with path.open("r", encoding=_encoding(path)) as f:
        return f.readline().strip()


def _codepoint_headers(path: Path, headers: str | PathLike[str] | None) -> list[str]:
    """The long names in Code-Point Open's column-headers file (beside the data, or in Doc/)."""
    candidates = (
        [Path(headers)]
        if headers is not None
        else [
            d / "Code-Point_Open_Column_Headers.csv"
            for d in (path.parent, path.parent.parent / "Doc", path.parent.parent.parent / "Doc")
        ]
    )
    for candidate in candidates:
        if candidate.is_file():
            rows = list(csv.reader(candidate.read_text(encoding="latin-1").splitlines()))
            return rows[-1]
    if headers is not None:
        raise FileNotFoundError(f"no Code-Point Open column-headers file at {headers}")
    log.info("no Code-Point_Open_Column_Headers.csv beside %s: using the published layout", path)
    return list(_CODEPOINT_HEADERS)


def _pick(columns: Sequence[str], names: Sequence[str]) -> str | None:
    lower = {c.strip().lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def _detect(path: Path) -> Layout:
    first = _first_line(path)
    cells = next(csv.reader([first]), [])
    if len(cells) >= 4 and postcodes.is_valid(pd.Series(cells[:1])).iloc[0]:
        return "codepoint"
    lower = [c.strip().lower() for c in cells]
    if _pick(lower, _COLUMNS["postcode"]) is None:
        raise SchemaError(
            str(path),
            [
                Problem.of_table(
                    "not a postcode file this reader knows: no postcode column in its header "
                    f"{cells[:8]} (give layout= or use gazetteer_from_frame)"
                )
            ],
        )
    if {"pcd", "pcds", "pcd7", "pcd8"} & set(lower):
        return "onspd"
    return "latlon"


#: A postcode as a directory lists it: any UK shape, legacy and non-geographic ones included
#: (``NPT 1AA``, ``W1M 1AA``), which the format rule for keyed text does not accept.
_LISTED = r"(?:GIR0AA|[A-Z][A-Z0-9]{1,3}[0-9][A-Z]{2})"


def _listed(values: pd.Series) -> pd.Series:
    """The canonical form ("B66 2QT") of each postcode a file lists; missing where none."""
    c = postcodes.compact(values)
    ok = c.str.fullmatch(_LISTED).fillna(False).astype(bool)
    return (c.str[:-3] + " " + c.str[-3:]).where(ok)


def read_postcode_file(
    path: str | PathLike[str] | Sequence[str | PathLike[str]],
    *,
    layout: Layout | None = None,
    headers: str | PathLike[str] | None = None,
) -> TableGazetteer:
    """Read a postcode file you downloaded as a gazetteer, unchanged as published.

    Parameters
    ----------
    path
        One CSV file, several, or a folder of them (for example Code-Point Open's ``Data/CSV``,
        one file per postcode area).
    layout
        ``"onspd"`` for the ONS Postcode Directory (ONSPD, now NSPD) or the National Statistics
        Postcode Lookup (NSPL), with their published headers, old (``oseast1m``,
        ``osgrdind``…) or new (``east1m``, ``gridind``…); ``"codepoint"`` for OS Code-Point
        Open's headerless files; ``"latlon"`` for a header such as ``Postcode,lat,long``.
        Detected from the first line when not given.
    headers
        Code-Point Open's ``Code-Point_Open_Column_Headers.csv``; looked for beside the data
        and in ``Doc/`` when not given.

    Returns
    -------
    TableGazetteer
        Named ``postcode``, with ``sector`` and ``district`` levels. Uses latitude/longitude
        where the file has them, else the grid reference (British National Grid converted
        with OSTN15, to about 0.1 m; Irish Grid for BT postcodes);
        precision from the positional quality indicator where the file has one (postcodes
        with no position are left unplaced, not put at 0, 0); termination dates and LSOA, ward
        and local-authority codes where present.

    Raises
    ------
    SchemaError
        When the file has no postcode column or no coordinates.
    """
    paths = _expand(path)
    frames = [_read_one(p, layout, headers) for p in paths]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    table = build_table(
        postcode_codes,
        frame["key"],
        frame["lon"].to_numpy(dtype="float64"),
        frame["lat"].to_numpy(dtype="float64"),
        frame["precision"].to_numpy(dtype="float64"),
        frame["terminated"].to_numpy(dtype=object) if "terminated" in frame else None,
        frame[[c for c in frame.columns if c.endswith("_code")]]
        if any(c.endswith("_code") for c in frame.columns)
        else None,
    )
    log.info("read %d postcodes from %s", len(table.keys), ", ".join(map(str, paths)))
    return TableGazetteer(
        name="postcode",
        reader=uk_reader,
        levels=UK_POSTCODE_LEVELS,
        load=lambda _: table,
        encode=postcode_codes,
    )


def _expand(path: str | PathLike[str] | Sequence[str | PathLike[str]]) -> list[Path]:
    items = [path] if isinstance(path, str | PathLike) else list(path)
    out: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            out.extend(
                p for p in sorted(item.glob("*.csv")) if "column_headers" not in p.name.lower()
            )
        elif item.is_file():
            out.append(item)
        else:
            raise FileNotFoundError(f"no postcode file at {item}")
    if not out:
        raise FileNotFoundError(f"no CSV files in {path}")
    return out


def _read_one(
    path: Path, layout: Layout | None, headers: str | PathLike[str] | None
) -> pd.DataFrame:
    layout = layout or _detect(path)
    codepoint = layout == "codepoint"
    header = (
        _codepoint_headers(path, headers)
        if codepoint
        else next(csv.reader([_first_line(path)]), [])
    )
    cols = {what: _pick(header, names) for what, names in _COLUMNS.items()}
    lower = {c.strip().lower(): c for c in header}
    code_cols = {
        name: next((lower[c] for c in lower if re.fullmatch(pattern, c)), None)
        for name, pattern in _CODE_COLUMNS.items()
    }
    problems = []
    if cols["postcode"] is None:
        problems.append(Problem.of_table(f"no postcode column among {header[:12]}"))
    has_ll = cols["lat"] is not None and cols["lon"] is not None
    has_en = cols["east"] is not None and cols["north"] is not None
    if not (has_ll or has_en):
        problems.append(Problem.of_table("no latitude/longitude or easting/northing columns"))
    if problems:
        raise SchemaError(str(path), problems)
    # only the columns used: a full ONSPD has 2.7 million rows of some fifty columns
    wanted = [c for c in (*cols.values(), *code_cols.values()) if c is not None]
    raw = pd.read_csv(
        path,
        header=None if codepoint else 0,
        names=header if codepoint else None,
        usecols=wanted,
        dtype="str",
        encoding=_encoding(path),
        keep_default_na=False,
    )
    key = _listed(raw[cols["postcode"]])

    def number(col: str | None) -> np.ndarray:
        if col is None:
            return np.full(len(raw), np.nan)
        return pd.to_numeric(raw[col].str.strip(), errors="coerce").to_numpy(dtype="float64")

    lat, lon = number(cols["lat"]), number(cols["lon"])
    # no position: empty, 99.999999 (ONSPD/NSPL) or 0, 0
    ok_ll = (np.abs(lat) <= 90) & (np.abs(lon) <= 180) & ~((lat == 0) & (lon == 0))
    east, north = number(cols["east"]), number(cols["north"])
    ok_en = np.isfinite(east) & np.isfinite(north) & ~((east == 0) & (north == 0))
    gx, gy = lonlat(
        np.where(ok_en, east, 0.0), np.where(ok_en, north, 0.0), BRITISH_NATIONAL_GRID, key
    )
    out_lon = np.where(ok_ll, lon, np.where(ok_en, gx, np.nan))
    out_lat = np.where(ok_ll, lat, np.where(ok_en, gy, np.nan))
    precision = np.full(len(raw), POSTCODE_UNIT_PRECISION_M)
    for which, scale in (
        ("grid_quality", ONSPD_QUALITY),
        ("codepoint_quality", _CODEPOINT_QUALITY),
    ):
        quality = number(cols[which])
        for code, metres in scale.items():
            hit = quality == code
            precision[hit] = np.nan if metres is None else metres
    placed = np.isfinite(precision)
    frame = pd.DataFrame(
        {
            "key": key,
            "lon": np.where(placed, out_lon, np.nan),
            "lat": np.where(placed, out_lat, np.nan),
            "precision": precision,
        }
    )
    if cols["doterm"] is not None:
        ended = raw[cols["doterm"]].str.strip()
        frame["terminated"] = (
            (ended.str[:4] + "-" + ended.str[4:6])
            .where(ended.str.fullmatch(r"\d{6}").fillna(False).astype(bool))
            .astype(object)
        )
    for name, found in code_cols.items():
        if found is not None:
            frame[name] = blank_to_na(raw[found])
    return frame
