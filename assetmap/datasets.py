"""The bundled Greater Icknield data: a study-area polygon and a sample register.

All of it is written by the project (see ``data/README.md`` in the source tree): the macro
sites are real, with their published postcodes; every micro asset is invented, and every
resident is a pseudonym.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

__all__ = [
    "data_folder",
    "sample_register",
    "sample_register_path",
    "sample_relationships",
    "sample_relationships_path",
    "study_area",
    "study_area_path",
]


def data_folder() -> Path:
    """The folder of the bundled data: inside the installed package, or the source tree's."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "data", here.parent / "data"):
        if (candidate / "sample").is_dir():
            return candidate
    raise FileNotFoundError(
        f"assetmap's bundled data is missing (looked in {here / 'data'} and "
        f"{here.parent / 'data'}); reinstall assetmap with `pip install .`"
    )


def study_area_path() -> Path:
    """Path of the Greater Icknield study-area polygon (GeoJSON, EPSG:4326)."""
    return data_folder() / "boundaries" / "greater_icknield.geojson"


def study_area() -> gpd.GeoDataFrame:
    """The Greater Icknield and Smethwick study area, drawn by the project (approximate).

    Examples
    --------
    >>> area = study_area()
    >>> area.crs.to_string(), len(area)
    ('EPSG:4326', 1)
    """
    return gpd.read_file(study_area_path())


def sample_register_path() -> Path:
    """Path of the sample register (CSV)."""
    return data_folder() / "sample" / "greater_icknield_register.csv"


def sample_relationships_path() -> Path:
    """Path of the sample register's declared relationships (CSV)."""
    return data_folder() / "sample" / "greater_icknield_relationships.csv"


def sample_register() -> gpd.GeoDataFrame:
    """The sample register, read (not yet geocoded).

    Examples
    --------
    >>> assets = sample_register()
    >>> bool((assets["kind"] == "micro").sum() >= 60)
    True
    """
    from .io import read_assets

    return read_assets(sample_register_path())


def sample_relationships() -> pd.DataFrame:
    """The sample register's declared relationships, checked against the register."""
    from .io import read_relationships

    return read_relationships(sample_relationships_path(), assets=sample_register())
