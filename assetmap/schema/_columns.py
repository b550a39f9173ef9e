"""The canonical asset schema: column names, vocabularies and tags.

This module owns the canonical columns (:data:`ASSET_COLUMNS`, :data:`GEOCODE_COLUMNS`), the
vocabularies (:data:`KINDS`, :data:`CATEGORIES`, :data:`PRIVACY_LEVELS`,
:data:`RELATIONSHIP_TYPES`), the heading :data:`ALIASES`, and how tags are parsed and normalised.

Checking a register against it is :func:`assetmap.schema.validate_assets` (and
:func:`assetmap.schema.validate_relationships`), in ``assetmap.schema._validate``, which builds on
this module.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, TypeAlias, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ConfigurationError

__all__ = [
    "ALIASES",
    "ASSET_COLUMNS",
    "CATEGORIES",
    "GEOCODE_COLUMNS",
    "GUESSED_ALIASES",
    "KINDS",
    "PRIVACY_LEVELS",
    "RELATIONSHIP_TYPES",
    "SCORE_DECIMALS",
    "id_positions",
    "normalise_tags",
    "parse_tags",
    "select_assets",
    "synonym_map",
]


KINDS: Final = ("micro", "macro")
CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "micro": (
        "individual",
        "association",
        "institution",
        "physical",
        "natural",
        "economic",
        "cultural",
    ),
    "macro": ("anchor_institution", "capital_development", "infrastructure", "event"),
}
PRIVACY_LEVELS: Final = ("public", "partners", "area", "private")
RELATIONSHIP_TYPES: Final = (
    "employs",
    "supplies",
    "refers",
    "trains",
    "hosts",
    "funds",
    "partners",
    "member_of",
)

TEXT_COLUMNS: Final = (
    "name",
    "kind",
    "category",
    "subcategory",
    "description",
    "postcode",
    "address",
    "privacy",
    "source",
    "recorded",
)
TAG_COLUMNS: Final = ("offers", "needs")
#: Canonical register columns, in the order assetmap writes them (the index is ``asset_id``).
ASSET_COLUMNS: Final = (
    "name",
    "kind",
    "category",
    "subcategory",
    "description",
    "offers",
    "needs",
    "capacity",
    "postcode",
    "address",
    "latitude",
    "longitude",
    "easting",
    "northing",
    "footprint",
    "privacy",
    "source",
    "recorded",
)
#: How many decimals a link score (and each of its factors) is shown with to people: on maps, in
#: their list views and in reports (ranks follow the rounded score shown).
SCORE_DECIMALS = 2

#: Columns that geocoding adds (besides ``geometry``).
GEOCODE_COLUMNS: Final = (
    "geocode_method",
    "geocode_precision_m",
    "geocode_note",
    "in_study_area",
)
#: Headings recognised without a ``columns=`` mapping (compared lower-case, non-letters as "_").
ALIASES: Final[dict[str, str]] = {
    "id": "asset_id",
    "asset": "asset_id",
    "ref": "asset_id",
    "reference": "asset_id",
    "post_code": "postcode",
    "postal_code": "postcode",
    "lat": "latitude",
    "lon": "longitude",
    "lng": "longitude",
    "long": "longitude",
    "x": "easting",
    "y": "northing",
    "geox": "easting",
    "geoy": "northing",
    "geo_x": "easting",
    "geo_y": "northing",
    "x_coordinate": "easting",
    "y_coordinate": "northing",
    "eastings": "easting",
    "northings": "northing",
    "objectid": "asset_id",
    "type": "category",
    "offer": "offers",
    "need": "needs",
    "wkt": "footprint",
    "footprint_wkt": "footprint",
}

#: Aliases that are a guess at what a heading means, not a spelling of the field: reading one
#: is said in a warning ("read heading 'Type' as category").
GUESSED_ALIASES: Final = frozenset(
    {"type", "x", "y", "geox", "geoy", "geo_x", "geo_y", "x_coordinate", "y_coordinate", "objectid"}
)

_TAG_SPLIT = re.compile(r"[;,\n|]+")
_SPACES = re.compile(r"\s+")


def normalise_tags(tags: Iterable[Any]) -> list[str]:
    """Normalise tags: Unicode NFKC, lower case, single spaces, no edge punctuation, no repeats.

    Codes such as ``soc:2231`` or ``esco:…`` stay codes.

    Examples
    --------
    >>> normalise_tags(["  Nursing ", "ESOL  teaching.", "nursing", "SOC:2231"])
    ['nursing', 'esol teaching', 'soc:2231']
    """
    out: list[str] = []
    for tag in tags:
        if tag is None or (isinstance(tag, float) and np.isnan(tag)):
            continue
        t = unicodedata.normalize("NFKC", str(tag)).casefold()
        t = _SPACES.sub(" ", t).strip(" .;:,-_'\"")
        if t and t not in out:
            out.append(t)
    return out


def synonym_map(vocabulary: pd.DataFrame | Mapping[str, str] | None) -> dict[str, str]:
    """Synonym → canonical tag, both normalised (a two-column table or a mapping)."""
    if vocabulary is None:
        return {}
    if isinstance(vocabulary, pd.DataFrame):
        cols = list(vocabulary.columns)
        if len(cols) < 2:
            raise ConfigurationError(
                f"a vocabulary table needs two columns (tag, canonical tag); it has {cols}"
            )
        pairs = list(zip(vocabulary[cols[0]], vocabulary[cols[1]], strict=True))
    else:
        pairs = list(vocabulary.items())
    out: dict[str, str] = {}
    for synonym, canonical in pairs:
        s, c = normalise_tags([synonym]), normalise_tags([canonical])
        if s and c:
            out[s[0]] = c[0]
    return out


def parse_tags(value: Any) -> list[str]:
    """Parse one cell of ``offers``/``needs`` into a normalised tag list.

    Accepts a list (GeoParquet), a JSON list as assetmap writes it to text formats, or free text
    separated by ``;``, ``,``, ``|`` or new lines.

    Examples
    --------
    >>> parse_tags("Nursing; catering, ESOL teaching")
    ['nursing', 'catering', 'esol teaching']
    >>> parse_tags('["meeting space", "childcare"]')
    ['meeting space', 'childcare']
    """
    if value is None:
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return normalise_tags(value)
    if isinstance(value, float) and np.isnan(value):
        return []
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            loaded = json.loads(text)
        except ValueError:
            loaded = None
        if isinstance(loaded, list):
            return normalise_tags(loaded)
    return normalise_tags(_TAG_SPLIT.split(text))


#: Which assets: a kind or category, several of them, or None for all.
Selector: TypeAlias = str | Sequence[str] | None


def select_assets(assets: pd.DataFrame, selector: Selector) -> np.ndarray:
    """Rows whose kind or category is named by ``selector`` (all rows for None), as a mask.

    A name that is neither a kind, a category, nor a value the register holds is an error that
    lists the names allowed (a typo never selects nothing silently).

    Examples
    --------
    >>> frame = pd.DataFrame({"kind": ["micro", "macro"], "category": ["individual", "housing"]})
    >>> select_assets(frame, "macro").tolist(), select_assets(frame, ["individual"]).tolist()
    ([False, True], [True, False])
    """
    if selector is None:
        return np.ones(len(assets), dtype=bool)
    names = [selector] if isinstance(selector, str) else list(selector)
    # over the columns' arrays: a Series' boolean indexing builds a hash table of the index (a
    # Python string per asset id, kept with the register)
    known = {v for c in ("kind", "category") for v in assets[c].array.dropna().unique()}
    allowed = set(KINDS) | {c for cats in CATEGORIES.values() for c in cats} | known
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ConfigurationError(
            f"{unknown} are neither kinds nor categories; use one of {sorted(allowed)}"
        )
    return np.asarray(
        assets["kind"].isin(names).to_numpy() | assets["category"].isin(names).to_numpy(),
        dtype=bool,
    )


def id_categories(ids: pd.Index) -> pd.CategoricalDtype:
    """The ids, as text in their order, as the categories of a categorical (a link's ends).

    Checked complete and unique by Arrow, not by pandas' hash index of the ids (a Python
    string per id, kept with the categories: 100 MB at a million assets); where they are not,
    pandas says why, as it would have.
    """
    text = ids.astype("str")
    arr = pa.chunked_array(pa.array(text.array))
    fast = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    if fast is None or arr.null_count or pc.count_distinct(arr).as_py() != len(arr):
        return pd.CategoricalDtype(text)
    return cast(pd.CategoricalDtype, fast(text, False))


def id_positions(ids: pd.Index, ends: pd.Series) -> np.ndarray:
    """Where each of ``ends`` (a link's ``source`` or ``target``) stands in ``ids``, compared
    as text (``-1``: not there, or missing).

    A categorical column is looked up by its categories, each once, and not at all when they
    are ``ids`` themselves (as :func:`assetmap.find_links` gives them); never once per link.
    Text held by Arrow (as published links' ends are) is looked up by Arrow's hash of the ids.
    """
    if isinstance(ends.array, pd.arrays.ArrowStringArray) and ids.is_unique:
        value_set = pa.array(ids.astype("str").array, pa.string())
        at = pc.index_in(pa.array(ends.array), value_set=value_set)
        return np.asarray(at.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    if not isinstance(ends.dtype, pd.CategoricalDtype):
        return np.asarray(ids.get_indexer(pd.Index(ends.astype("str"))), dtype=np.int64)
    categories = ends.cat.categories
    at = (
        np.arange(len(categories))
        if categories.equals(ids)
        else ids.get_indexer(categories.astype("str"))
    )
    at = np.append(np.asarray(at, dtype=np.int64), -1)  # code -1 (missing): -1
    return at[ends.cat.codes.to_numpy()]
