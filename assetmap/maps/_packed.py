"""Packed columns: what a page of 10^5 records and their links carries, in few bytes and no
Python object per record or per link.

Owns the :class:`Texts` table (each text once, every column of text a column of its numbers),
the column-wise formatting of numbers as cards and lists say them, and :class:`PackedLayer`:
a layer whose columns are written into the page as one JSON
``<script type="application/json">`` element, as they are, never through a Jinja template
(branca renders each element's output again as a template: for megabytes of data, seconds).
Numbers stay decimal text, so what a page says can be read (and scanned for what its audience
may not see) like any other text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import folium
import numpy as np
import pandas as pd
from branca.element import Element, Figure
from jinja2 import Template

from ._elements import json_for_script


class Texts:
    """Texts numbered in the order first met: each text once in the page, a column of text as
    a column of numbers into it (``-1`` where there is none)."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def codes(self, values: Any) -> np.ndarray:
        """The numbers of ``values`` (anything pandas can factorise; missing → ``-1``)."""
        codes, uniques = pd.factorize(pd.Series(values, dtype="object"), use_na_sentinel=True)
        known = np.fromiter(
            (self.numbers.setdefault(str(u), len(self.numbers)) for u in uniques),
            dtype=np.int64,
            count=len(uniques),
        )
        return np.where(codes >= 0, known[np.maximum(codes, 0)] if len(known) else -1, -1)

    def code(self, text: str) -> int:
        """The number of one text."""
        return self.numbers.setdefault(text, len(self.numbers))

    @property
    def table(self) -> list[str]:
        return list(self.numbers)


def each_distinct(values: Any, say: Callable[[Any], str | None]) -> pd.Series:
    """``say(v)`` for every value, computed once per distinct value (``None`` stays missing)."""
    series = pd.Series(values)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    said = np.array([say(u) for u in uniques] + [None], dtype=object)
    return pd.Series(said[np.where(codes >= 0, codes, len(uniques))], index=series.index)


def tag_lists(values: pd.Series) -> pd.Series:
    """Lists of tags as text, ``"a, b"`` (empty or missing lists → missing)."""

    def key(v: Any) -> tuple[str, ...]:
        if v is None or isinstance(v, (float, str)):
            return (v,) if isinstance(v, str) and v else ()
        return tuple(str(x) for x in v)

    keys = pd.Series([key(v) for v in values], index=values.index, dtype="object")
    return each_distinct(keys, lambda k: ", ".join(k) or None)


def fixed(values: Any, decimals: int) -> pd.Series:
    """Numbers as text with ``decimals`` places, as f-strings say them (missing → missing)."""
    x = np.asarray(values, dtype="float64")
    ok = np.isfinite(x)
    out = np.full(len(x), None, dtype=object)
    if ok.any():
        out[ok] = np.char.mod(f"%.{decimals}f", x[ok])
    return pd.Series(out)


def distance_text(metres: Any) -> pd.Series:
    """Distances as cards say them: ``"850 m"`` below a kilometre, else ``"1.2 km"``."""
    m = np.asarray(metres, dtype="float64")
    ok = np.isfinite(m)
    out = np.full(len(m), None, dtype=object)
    km = ok & (m >= 1000)
    near = ok & ~km
    if km.any():
        out[km] = np.char.add(np.char.mod("%.1f", m[km] / 1000), " km")
    if near.any():
        out[near] = np.char.add(np.char.mod("%.0f", m[near]), " m")
    return pd.Series(out)


def numbers(values: Any, decimals: int = 6) -> list[Any]:
    """A column as JSON numbers, rounded (whole numbers stay whole)."""
    x = np.asarray(values)
    if x.dtype.kind in "iub":
        return x.astype("int64").tolist()  # type: ignore[no-any-return]
    return np.round(x.astype("float64"), decimals).tolist()  # type: ignore[no-any-return]


class _Verbatim(Element):
    """Text put into the page as it is: never compiled as a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class PackedLayer(folium.map.Layer):
    """A switchable layer drawn by assetmap's runtime from packed columns (points, or lines
    between points): on one canvas for many (``opts["canvas"]``), else as GeoJSON layers.
    The columns reach the page verbatim as JSON (one ``<script type="application/json">``)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        'var {{ this.get_name() }} = assetmap.layer(assetmap.data("{{ this.data_id }}"), '
        "{{ this.opts }});"
        "{% endmacro %}"
    )

    def __init__(
        self,
        columns: dict[str, Any],
        *,
        name: str,
        opts: dict[str, Any],
        show: bool = True,
        control: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "AssetLayer"
        self.columns = columns
        self.opts = json_for_script(opts)

    @property
    def data_id(self) -> str:
        return f"{self.get_name()}-data"

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        figure = self.get_root()
        assert isinstance(figure, Figure), "render a packed layer inside a Figure"
        text = json_for_script(self.columns)
        figure.html.add_child(
            _Verbatim(f'<script type="application/json" id="{self.data_id}">{text}</script>'),
            name=self.get_name(),
        )
        super().render(**kwargs)  # type: ignore[no-untyped-call]
