"""What a map draws of a publication, as columns made once per page.

Owns :class:`Drawn`: the published records that have a place, their ids as text, their
coordinates and how each is shown, and their columns factorised once (each distinct value
hashed once for the whole page). The layers take their rows from it by integer position (the
micro categories, the link ends, the macro sites), never by boolean masks over the
GeoDataFrame nor by looking their ids up again.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from ._json import arrow_texts


class Drawn:
    """The records of ``assets`` (published) that a map draws: those with a place.

    ``at`` holds their positions in ``assets``, in order; every column here is aligned with
    it (row ``i`` is the ``i``-th record drawn)."""

    def __init__(self, assets: gpd.GeoDataFrame) -> None:
        self.assets = assets
        geom = assets.geometry.to_numpy()
        placed = ~shapely.is_missing(geom) & ~shapely.is_empty(geom)
        self.every = bool(placed.all())
        self.at = np.arange(len(assets)) if self.every else np.flatnonzero(placed)
        self.points = geom if self.every else geom[self.at]
        shown = self.values("shown")
        self.exact = np.asarray(shown == "exact", dtype=bool)
        self.coarse = np.asarray(shown == "coarse", dtype=bool)

    def __len__(self) -> int:
        return len(self.at)

    @cached_property
    def lon(self) -> np.ndarray:
        return np.asarray(shapely.get_x(self.points), dtype="float64")

    @cached_property
    def lat(self) -> np.ndarray:
        return np.asarray(shapely.get_y(self.points), dtype="float64")

    @cached_property
    def ids(self) -> pd.Index:
        """The published ids as text."""
        index = self.assets.index if self.every else self.assets.index[self.at]
        ids: pd.Index = pd.Index(index.astype("str"))
        return ids

    @cached_property
    def id_codes(self) -> tuple[np.ndarray, np.ndarray | pa.Array]:
        """The ids factorised: each its own code when they are unique (as published ids are);
        the distinct ids as Arrow holds them where it does (else as an object array)."""
        if self.ids.is_unique:
            held = _arrow(self.ids.array)
            uniques = held if held is not None else self.ids.to_numpy(dtype=object)
            return np.arange(len(self.ids)), uniques
        codes, found = pd.factorize(self.ids)
        return codes, np.asarray(found, dtype=object)

    def series(self, column: str) -> pd.Series:
        """A column of the records drawn, its index reset (missing column: all missing)."""
        if column not in self.assets.columns:
            return pd.Series(pd.NA, index=range(len(self)), dtype=object)
        values = self.assets[column]
        values = values if self.every else values.iloc[self.at]
        out: pd.Series = values.reset_index(drop=True)
        return out

    def values(self, column: str) -> np.ndarray:
        """A column of the records drawn as a NumPy array of Python objects or numbers."""
        series = self.series(column)
        if series.dtype.kind in "fiub":
            return series.to_numpy()
        return series.to_numpy(dtype=object)

    def factorised(self, column: str, *, text: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """A column's codes (``-1``: missing) and its distinct values (as text: ``text``), once
        per page."""
        key = (column, text)
        if key not in self._objects:
            codes, uniques, _ = self._factor(column, text)
            self._objects[key] = (codes, np.asarray(uniques, dtype=object))
        return self._objects[key]

    def texts(self, column: str, *, text: bool = False) -> tuple[np.ndarray, Any, bool]:
        """:meth:`factorised`, its distinct values as Arrow holds them where it does (no
        Python object each), and whether they are so held (distinct texts, none missing)."""
        codes, _, held = self._factor(column, text)
        if held is not None:
            return codes, held, True
        return (*self.factorised(column, text=text), False)

    def _factor(self, column: str, text: bool) -> tuple[np.ndarray, Any, pa.Array | None]:
        key = (column, text)
        if key not in self._factorised:
            series = self.series(column)
            if text:
                series = series.astype("str")
            if not isinstance(series.array, pd.arrays.ArrowStringArray):
                series = series.astype(object)
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            self._factorised[key] = (codes, uniques, _arrow(uniques.array))
        return self._factorised[key]

    @cached_property
    def _factorised(self) -> dict[tuple[str, bool], tuple[np.ndarray, Any, pa.Array | None]]:
        return {}

    @cached_property
    def _objects(self) -> dict[tuple[str, bool], tuple[np.ndarray, np.ndarray]]:
        return {}

    def where(self, column: str, value: Any) -> np.ndarray:
        """Whether each record's ``column`` is ``value`` (compared on distinct values)."""
        codes, uniques = self.factorised(column)
        hits = np.flatnonzero(uniques == value) if len(uniques) else np.zeros(0, np.int64)
        return np.isin(codes, hits) if len(hits) != 1 else codes == hits[0]

    def frame(self, rows: np.ndarray) -> gpd.GeoDataFrame:
        """The published records at positions ``rows`` (of those drawn), as a GeoDataFrame."""
        return self.assets.iloc[self.at[rows]]


def _arrow(values: Any) -> pa.Array | None:
    """Texts held by Arrow (an ArrowStringArray) as one Arrow string array; None otherwise."""
    return arrow_texts(values) if isinstance(values, pd.arrays.ArrowStringArray) else None
