"""The bundled Greater Icknield data: a study-area polygon and a sample register.

All of it is written by the project (see ``data/README.md`` in the source tree): the macro
sites are real, with their published postcodes; every micro asset is invented, and every
resident is a pseudonym.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from ._data import data_folder
from .crs import BRITISH_NATIONAL_GRID, from_lonlat
from .geocoding.gazetteer import ons_postcode_directory
from .io import read_assets, read_relationships

__all__ = [
    "data_folder",
    "sample_register",
    "sample_register_path",
    "sample_relationships",
    "sample_relationships_path",
    "study_area",
    "study_area_path",
    "synthetic_register",
]


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

    return read_assets(sample_register_path())


def sample_relationships() -> pd.DataFrame:
    """The sample register's declared relationships, checked against the register."""

    return read_relationships(sample_relationships_path(), assets=sample_register())


#: Tags the synthetic registers draw from: what anchors need and what residents and groups offer.
SYNTHETIC_TAGS = (
    "nursing", "healthcare assistant", "catering", "cleaning", "portering", "interpreting",
    "security", "construction", "landscaping", "childcare", "community events", "driving",
    "meeting space", "training", "volunteers", "esol teaching", "careers advice", "pharmacy",
    "midwifery", "physiotherapy", "radiography", "food hygiene training", "bike repair",
    "business advice",
)  # fmt: skip

_MICRO = {"individual": 0.55, "association": 0.2, "economic": 0.1, "physical": 0.08,
          "cultural": 0.07}  # fmt: skip


def synthetic_register(
    n: int, *, seed: int = 0, towns: int | None = None, macro_share: float = 0.01
) -> pd.DataFrame:
    """An invented register of ``n`` assets over real geography, for trying assetmap at scale.

    Postcodes are real, live ones from the ONS directory, clustered as towns are: a town per
    thousand assets, centred on a random postcode, sized by a Zipf law; each asset takes a
    postcode drawn from those within its town's radius (which grows with the square root of
    its size, so towns have about the same density), and crowd where postcodes do. Offers and
    needs come from :data:`SYNTHETIC_TAGS`; about ``macro_share`` of the assets are anchors
    with vacancies. Individuals are private; the rest public, partners-only or area-only.
    Same ``n`` and ``seed``, same register.

    Returns
    -------
    pandas.DataFrame
        A register as a CSV would hold it (tags joined by "; "): give it to
        :func:`assetmap.geocode`, or save it and read it with :func:`assetmap.read_assets`.

    Examples
    --------
    >>> register = synthetic_register(1000, seed=1)
    >>> len(register), register["postcode"].notna().all()
    (1000, np.True_)
    """
    import numpy as np
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    g = ons_postcode_directory()
    letters = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    g.preload(letters)
    keys, lon, lat = [], [], []
    for letter in letters:
        t = g.part(letter)
        live = np.isfinite(t.lon) & (t.lat < 56)  # England and Wales and the south of Scotland
        if t.terminated is not None:
            live &= pd.isna(pd.Series(t.terminated)).to_numpy()
        keys.append(t.keys.to_numpy(dtype=object)[live])
        lon.append(t.lon[live])
        lat.append(t.lat[live])
    key = np.concatenate(keys)
    x, y = from_lonlat(np.concatenate(lon), np.concatenate(lat), BRITISH_NATIONAL_GRID)
    n_towns = towns or max(3, n // 1000)  # a town per thousand assets: 1,000 at a million
    centres = rng.choice(len(key), n_towns, replace=False)
    weight = 1 / np.arange(1, n_towns + 1)
    weight /= weight.sum()
    town = rng.choice(n_towns, n, p=weight)
    # metres: a bigger town covers more ground, at about the same density (a town of 100
    # assets spans ~1.4 km, one of 100,000 ~35 km)
    spread = 300 + 110 * np.sqrt(n * weight)
    tree = cKDTree(np.column_stack([x, y]))
    nearest = np.empty(n, dtype=np.int64)
    for town_no in range(n_towns):  # each asset takes a postcode of its town, at random
        mine = np.flatnonzero(town == town_no)
        if not len(mine):
            continue
        centre = [x[centres[town_no]], y[centres[town_no]]]
        inside = np.asarray(tree.query_ball_point(centre, spread[town_no]), dtype=np.int64)
        nearest[mine] = rng.choice(inside, len(mine))
    macro = rng.random(n) < macro_share
    names, shares = list(_MICRO), list(_MICRO.values())
    category = np.where(
        macro,
        rng.choice(["anchor_institution", "capital_development"], n, p=[0.7, 0.3]),
        rng.choice(names, n, p=shares),
    )
    tags = np.array(SYNTHETIC_TAGS, dtype=object)

    def draw(counts: np.ndarray) -> list[str]:
        return ["; ".join(rng.choice(tags, c, replace=False)) if c else "" for c in counts]

    individual = category == "individual"
    privacy = np.where(
        individual,
        "private",
        rng.choice(["public", "partners", "area"], n, p=[0.7, 0.2, 0.1]),
    )
    privacy = np.where(macro, "public", privacy)
    capacity = np.where(
        macro, rng.integers(5, 200, n), np.where(individual, 1, rng.integers(1, 30, n))
    )
    return pd.DataFrame(
        {
            "asset_id": [f"syn-{i}" for i in range(n)],
            "name": [f"Synthetic {c} {i}" for i, c in enumerate(category)],
            "kind": np.where(macro, "macro", "micro"),
            "category": category,
            "offers": draw(np.where(macro, 2, rng.integers(1, 4, n))),
            "needs": draw(np.where(macro, rng.integers(3, 7, n), rng.integers(0, 2, n))),
            "capacity": capacity,
            "postcode": key[nearest],
            "privacy": privacy,
        }
    )
