"""Packed columns: what a page of 10^5 records and their links carries, in few bytes and no
Python object per record or per link.

Owns the :class:`Texts` table (each text once per page, in :class:`PageTexts`, every column of
text a column of its numbers), the packing of integer columns (:func:`ints`: keys by
frequency, runs, differences; texts that differ in their numbers are packed by
:mod:`._templates`), the column-wise formatting of numbers as cards and lists say them, and
:class:`PackedLayer`: a layer whose columns are written into the page as one JSON
``<script type="application/json">`` element, as they are, never through a Jinja template
(branca renders each element's output again as a template: for megabytes of data, seconds).
Numbers stay decimal text and coordinates plain degrees, so what a page says can be read;
``tests/contracts.py`` reads the packing back (as the runtime does) to scan it for what its
audience may not see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import folium
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from branca.element import Element, Figure
from jinja2 import Template

from ._elements import RenderedOnce, Verbatim, map_child
from ._json import (
    Deferred,
    JSONArray,
    arrow_or_list,
    arrow_texts,
    json_for_script,
    texts_for_script,
)


def _factorisable(values: Any) -> Any:
    """``values`` as pandas factorises them fastest: text held by Arrow as it is (its
    dictionary encoding), anything else as Python objects."""
    if isinstance(values, pd.Series) and isinstance(values.array, pd.arrays.ArrowStringArray):
        return values
    return pd.Series(values, dtype="object")


class Texts:
    """Texts numbered in the order first met: each text once in the page, a column of text as
    a column of numbers into it (``-1`` where there is none). One table serves every packed
    layer of a map (:func:`page_texts`), so a name drawn as a point and as a link's end, or a
    word said on every layer, is written once.

    Numbering is in two steps, so that no text becomes a Python object on its way to the page:
    each call gives its texts *provisional* numbers (their places in one stream of the texts
    met, call after call, a text perhaps met again), which columns carry as plain integers;
    the page's numbers are given once, when it is written (:meth:`final`, :meth:`packed`,
    :meth:`number`), by one dictionary encoding of the whole stream in Arrow: the first place
    of each text in the stream is its order first met."""

    def __init__(self) -> None:
        self._said: list[pa.Array | list[str]] = []  # the stream, call by call
        self._size = 0
        self._arrow: dict[int, tuple[np.ndarray, pa.Array]] = {}  # uniques held as Arrow
        self._resolved: tuple[int, np.ndarray, pa.Array | list[str]] | None = None

    def _add(self, said: pa.Array | list[str]) -> int:
        """Put texts at the end of the stream; the provisional number of the first."""
        first = self._size
        if len(said):
            self._said.append(said)
            self._size += len(said)
        return first

    def codes(self, values: Any) -> np.ndarray:
        """The provisional numbers of ``values`` (anything pandas can factorise; missing →
        ``-1``)."""
        if isinstance(values, pa.Array):  # texts held by Arrow: numbered in Arrow
            encoded = pc.dictionary_encode(values)
            codes = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False))
            first = self._add(arrow_texts(encoded.dictionary))
            return np.where(codes >= 0, codes.astype(np.int64) + first, -1)
        factorisable = _factorisable(values)
        codes, uniques = pd.factorize(factorisable, use_na_sentinel=True)
        if isinstance(factorisable.array, pd.arrays.ArrowStringArray):
            said: pa.Array | list[str] = arrow_texts(uniques.array)
        else:
            said = arrow_or_list(list(map(str, np.asarray(uniques, dtype=object))))
        first = self._add(said)
        return np.where(codes >= 0, codes + first, -1)

    def numbered(self, codes: np.ndarray, uniques: Any, *, texts: bool = False) -> np.ndarray:
        """The provisional numbers of a column given as ``codes`` into ``uniques`` (``-1``:
        missing), as :meth:`codes` numbers the column itself: a column factorised once for a
        whole page, numbered slice by slice without hashing its texts again. ``texts``: the
        uniques are distinct texts (as factorising texts gives them), none missing."""
        codes = np.asarray(codes)
        if not isinstance(uniques, pa.Array):
            uniques = np.asarray(uniques, dtype=object)
        if not texts and len(uniques) and pd.isna(uniques).any():
            codes = np.where(pd.isna(uniques)[np.maximum(codes, 0)], -1, codes)  # missing: -1
        have = codes >= 0
        met = pd.unique(codes[have])  # the uniques met, in the order first met
        if texts:
            said = self._held(uniques)
            said = (
                said.take(pa.array(met))
                if isinstance(said, pa.Array)
                else [said[k] for k in met.tolist()]
            )
        else:
            said = arrow_or_list(list(map(str, uniques[met])))
        number = np.full(len(uniques), -1, dtype=np.int64)
        number[met] = self._add(said) + np.arange(len(met))
        return np.where(have, number[np.maximum(codes, 0)] if len(number) else -1, -1)

    def _held(self, uniques: np.ndarray | pa.Array) -> pa.Array | list[str]:
        """Distinct texts as Arrow (made once for a column numbered slice by slice)."""
        if isinstance(uniques, pa.Array):
            return uniques.cast(pa.string())
        found = self._arrow.get(id(uniques))
        if found is None or found[0] is not uniques:
            found = (uniques, arrow_or_list(uniques))  # (kept: its id stays its own)
            self._arrow[id(uniques)] = found
        return found[1]

    def code(self, text: str) -> int:
        """The provisional number of one text."""
        return self._add(arrow_or_list([text]))

    def _resolve(self) -> tuple[np.ndarray, pa.Array | list[str]]:
        """Each provisional number's number in the page, and the page's table."""
        if self._resolved is None or self._resolved[0] != self._size:
            if all(isinstance(s, pa.Array) for s in self._said):
                stream = pa.chunked_array(self._said, pa.string()).combine_chunks()
                # (its hash table grows by doubling: from the system's allocator, whose time
                # does not vary as Arrow's default one's does, 7 to 55 ms here)
                encoded = pc.dictionary_encode(stream, memory_pool=pa.system_memory_pool())
                final = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
                table: pa.Array | list[str] = encoded.dictionary
            else:  # (a text Arrow cannot hold: a lone surrogate)
                numbers: dict[str, int] = {}
                every = [
                    t for s in self._said for t in (s if isinstance(s, list) else s.to_pylist())
                ]
                final = np.array([numbers.setdefault(t, len(numbers)) for t in every], np.int64)
                table = list(numbers)
            self._resolved = (self._size, final, table)
        return self._resolved[1], self._resolved[2]

    def final(self, provisional: Any) -> np.ndarray:
        """The page's numbers of provisional ones (``-1`` stays ``-1``)."""
        p = np.asarray(provisional, dtype=np.int64)
        final, _ = self._resolve()
        return np.where(p >= 0, final[np.maximum(p, 0)] if len(final) else -1, -1)

    def packed(self, provisional: Any) -> Deferred:
        """Provisional numbers as the page writes them: their page numbers packed by
        :func:`ints` (keyed), when written."""
        return Deferred(lambda: ints(self.final(provisional), keyed=True))

    def number(self, provisional: int) -> Deferred:
        """A provisional number as the page writes it: its page number, when written."""
        return Deferred(lambda: int(self.final([provisional])[0]))

    @property
    def table(self) -> list[str]:
        """The page's texts, in their numbers' order."""
        table = self.arrow_table
        return table if isinstance(table, list) else table.to_pylist()

    @property
    def arrow_table(self) -> pa.Array | list[str]:
        """:attr:`table` as Arrow (as a list where Arrow cannot hold a text)."""
        return self._resolve()[1]


def factorise_numbers(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Numbers factorised as they are written: ``-0.0`` apart from ``0.0`` (pandas takes them
    as one), NaN missing (``-1``); the distinct numbers in the order first met."""
    x = np.asarray(values, dtype="float64")
    known = ~np.isnan(x)
    codes = np.full(len(x), -1, dtype=np.int64)
    found, bits = pd.factorize(x[known].view(np.int64))
    codes[known] = found
    return codes, np.asarray(bits, dtype=np.int64).view(np.float64)


class Factorised:
    """A column as codes (``-1``: missing) into its distinct values, or into texts said of
    them once each (:meth:`said`): hashed once for a page, numbered into its table of texts
    slice by slice (:meth:`numbers`)."""

    def __init__(
        self, codes: np.ndarray, uniques: np.ndarray | pa.Array, *, texts: bool = False
    ) -> None:
        self.codes = np.asarray(codes)
        # (distinct texts held by Arrow stay there: see Texts.numbered)
        self.uniques = (
            uniques
            if texts and isinstance(uniques, pa.Array)
            else np.asarray(uniques, dtype=object)
        )
        self.texts = texts  # the uniques are distinct texts (see Texts.numbered)

    @classmethod
    def of(cls, values: Any) -> Factorised:
        """``values`` factorised (texts held by Arrow as they are; anything else as objects),
        their distinct values in the order first met."""
        factorisable = _factorisable(values)
        codes, uniques = pd.factorize(factorisable, use_na_sentinel=True)
        texts = isinstance(factorisable.array, pd.arrays.ArrowStringArray)
        return cls(codes, np.asarray(uniques, dtype=object), texts=texts)

    @classmethod
    def said(cls, values: Any, say: Callable[[Any], str | None]) -> Factorised:
        """``say(v)`` for every value, computed once per distinct value (missing stays
        missing)."""
        codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
        return cls(codes, np.array([say(u) for u in uniques], dtype=object))

    @classmethod
    def said_at_once(cls, values: Any, say: Callable[[np.ndarray], pd.Series]) -> Factorised:
        """``say`` of every number, said for the distinct numbers only (all at once)."""
        codes, uniques = factorise_numbers(values)
        # the texts said, each once (many numbers may be said alike), in the order first met
        again, said = pd.factorize(say(uniques), use_na_sentinel=True)
        codes = np.where(codes >= 0, again[np.maximum(codes, 0)] if len(again) else -1, -1)
        texts = isinstance(said, pd.Index) and isinstance(said.array, pd.arrays.ArrowStringArray)
        return cls(codes, np.asarray(said, dtype=object), texts=texts)

    def numbers(self, texts: Texts, rows: np.ndarray | None = None) -> np.ndarray:
        """The numbers of the texts (of those at ``rows``) in ``texts``' table."""
        codes = self.codes if rows is None else self.codes[rows]
        return texts.numbered(codes, self.uniques, texts=self.texts)


class PageTexts(Element):
    """The one table of texts of a map's packed layers, written into the page as one JSON
    ``<script type="application/json">`` (an array of strings); each layer names it."""

    def __init__(self) -> None:
        super().__init__()
        self._name = "AssetmapTexts"
        self.texts = Texts()

    @property
    def data_id(self) -> str:
        return f"{self.get_name()}-data"

    def render(self, **kwargs: Any) -> str:
        figure = self.get_root()
        assert isinstance(figure, Figure), "render the texts inside a Figure"
        text = texts_for_script(self.texts.arrow_table)
        figure.html.add_child(
            Verbatim(f'<script type="application/json" id="{self.data_id}">{text}</script>'),
            name=self.get_name(),
        )
        return ""


def page_texts(m: folium.Map) -> PageTexts:
    """The map's table of texts (made on first use)."""
    return map_child(m, "assetmap_texts", PageTexts)


#: 10, 100, … 10^18.
_TENS = 10 ** np.arange(1, 19, dtype=np.int64)


def _json_chars(x: np.ndarray) -> int:
    """How many characters ``x`` takes as a JSON array of integers (with its commas)."""
    if not len(x):
        return 2
    x = x.astype("int64", copy=False)
    a = np.abs(x)
    top = int(a.max())
    # every number has one digit, and one more for each power of ten it reaches
    digits = len(x) + sum(int(np.count_nonzero(a >= t)) for t in _TENS[top >= _TENS].tolist())
    return digits + int(np.count_nonzero(x < 0)) + len(x) + 1


def _runs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x`` as runs: each run's value and length."""
    if not len(x):
        return x, x
    starts = np.flatnonzero(np.concatenate([[True], x[1:] != x[:-1]]))
    return x[starts], np.diff(np.append(starts, len(x)))


def _distinct(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(x, return_inverse=True, return_counts=True)`` of whole numbers from 0: by
    counting them (no sort) when they are not much larger than they are many."""
    top = int(x.max()) if len(x) else 0
    if top > 4 * len(x) + 100_000:
        uniq, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
        return uniq, inverse.ravel(), counts
    tally = np.bincount(x, minlength=top + 1)
    uniq = np.flatnonzero(tally)
    rank = np.zeros(top + 1, dtype=np.int64)
    rank[uniq] = np.arange(len(uniq))
    return uniq, rank[x], tally[uniq]


def ints(values: Any, *, keyed: bool = False) -> Any:
    """A column of integers in few characters: as a JSON array, or, where shorter, as
    ``{"ints": v}`` with ``"delta": 1`` (``v`` holds the first value, then each difference
    from the one before), ``"runs": n`` (``v[j]`` repeated ``n[j]`` times; decoded before
    the differences are summed) and ``"k": k`` (each value then an index into ``k``, the
    values by how often they come, most often first; ``-1`` stays ``-1``). ``keyed``: try
    ``k`` (for numbers into a table of texts, where few distinct values recur).

    The runtime's ``unpack`` (``static/assetmap.js``) decodes it; the tests' page reader
    (``tests/contracts.py``) too."""
    x = np.asarray(values, dtype=np.int64).ravel()
    out: dict[str, Any] = {}
    if keyed and len(x):
        have = x >= 0
        uniq, inverse, counts = _distinct(x[have])
        order = np.argsort(-counts, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        local = np.full(len(x), -1, dtype=np.int64)
        local[have] = rank[inverse]
        if _json_chars(uniq[order]) + _json_chars(local) < _json_chars(x):
            out["k"], x = JSONArray(uniq[order]), local
    best: dict[str, Any] = {"ints": x}
    best_size = _json_chars(x)
    delta = np.diff(x, prepend=0)
    for kind, v in (("runs", x), ("delta-runs", delta)):
        values, lengths = _runs(v)
        size = _json_chars(values) + _json_chars(lengths) + 20
        if size < best_size:
            best, best_size = {"ints": values, "runs": lengths}, size
            if kind == "delta-runs":
                best["delta"] = 1
    if _json_chars(delta) + 12 < best_size:
        best = {"ints": delta, "delta": 1}
    if not out and len(best) == 1:
        return JSONArray(x)
    out.update({k: JSONArray(v) if isinstance(v, np.ndarray) else v for k, v in best.items()})
    return out


def each_distinct(values: Any, say: Callable[[Any], str | None]) -> pd.Series:
    """``say(v)`` for every value, computed once per distinct value (``None`` stays missing)."""
    series = pd.Series(values)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    said = np.array([say(u) for u in uniques] + [None], dtype=object)
    return pd.Series(said[np.where(codes >= 0, codes, len(uniques))], index=series.index)


def tag_lists(values: pd.Series) -> pd.Series:
    """Lists of tags as text, ``"a, b"`` (empty or missing lists → missing)."""
    raw = values.to_numpy(dtype=object)
    joined = _joined(raw)
    if joined is None:
        joined = _joined_by_arrow(raw)
    if joined is not None:
        return pd.Series(joined, index=values.index)

    def key(v: Any) -> tuple[str, ...]:
        if v is None or isinstance(v, (float, str)):
            return (v,) if isinstance(v, str) and v else ()
        return tuple(str(x) for x in v)

    keys = pd.Series([key(v) for v in values], index=values.index, dtype="object")
    return each_distinct(keys, lambda k: ", ".join(k) or None)


def _joined(values: np.ndarray) -> pd.arrays.ArrowStringArray | None:
    """Lists (or tuples) of texts joined by ``", "``, empty or missing ones missing: each
    distinct tuple once (tuples can be hashed), lists one by one; None when some value is
    not such a list of texts (see :func:`_joined_by_arrow`)."""
    kinds = set(map(type, values))
    if not kinds <= {list, tuple, type(None)}:
        return None
    codes = None
    if list not in kinds:  # tuples (as links' "met" are): each distinct one joined once
        codes, values = pd.factorize(values, use_na_sentinel=True)
    elif type(None) in kinds:
        values = values.copy()
        values[pd.isna(values)] = _EMPTY
    try:
        said = pa.array(list(map(", ".join, values)), pa.string())
    except TypeError:  # an item that is not a text
        return None
    if codes is not None:
        said = said.take(pa.array(codes, mask=codes < 0))
    said = pc.if_else(pc.equal(said, ""), pa.scalar(None, pa.string()), said)
    return pd.arrays.ArrowStringArray(pa.chunked_array([said], pa.string()))


_EMPTY = np.empty(1, dtype=object)
_EMPTY[0] = ()


def _joined_by_arrow(values: np.ndarray) -> pd.arrays.ArrowStringArray | None:
    """Lists (or tuples) of texts joined by ``", "`` in Arrow, empty or missing lists
    missing; None when some value is not such a list (a bare text, a number, a list holding
    a missing value or a number), which :func:`tag_lists` then says one by one."""
    if not set(map(type, values)) <= {list, tuple, type(None)}:
        return None
    try:
        lists = pa.array(values, type=pa.list_(pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if lists.flatten().null_count:
        return None
    joined = pc.binary_join(lists, ", ")
    joined = pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)
    return pd.arrays.ArrowStringArray(pa.chunked_array([joined], pa.string()))


def fixed_factorised(values: Any, decimals: int) -> Factorised:
    """:func:`fixed` of a column, factorised: each text said once. Rows that ``"%.Nf"`` says
    alike are found by the whole number each rounds to (and its sign) before any is said;
    those Python says (near a half, huge) by their own value."""
    x = np.asarray(values, dtype="float64")
    finite = np.isfinite(x)
    a = np.abs(np.where(finite, x, 0.0) * 10.0**decimals)
    near_half = np.abs(a - np.floor(a) - 0.5) <= 1e-9 * np.maximum(a, 1.0)
    by_python = finite & (near_half | (a >= 1e15))
    key = np.rint(np.where(by_python, 0.0, a)).astype(np.int64) * 2 + np.signbit(x)
    key[~finite] = -1
    odd = np.flatnonzero(by_python)
    key[odd] = -2 - factorise_numbers(x[odd])[0]
    codes = pd.factorize(key)[0]
    _, first = np.unique(codes, return_index=True)  # a row of each key, in the keys' order
    again, said = pd.factorize(_texts(_fixed_text(x[first], decimals)), use_na_sentinel=True)
    return Factorised(again[codes], np.asarray(said, dtype=object), texts=True)


def _scaled(x: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """``|x|`` times ``10**decimals``, rounded (0 where not finite), and where that may not be
    what ``"%.{decimals}f"`` says (within a hair of a half, where the scaled float may round
    the other way, or huge): those are for Python to say."""
    finite = np.isfinite(x)
    a = np.abs(np.where(finite, x, 0.0) * 10.0**decimals)
    near_half = np.abs(a - np.floor(a) - 0.5) <= 1e-9 * np.maximum(a, 1.0)
    by_python = finite & (near_half | (a >= 1e15))
    return np.rint(np.where(by_python, 0.0, a)).astype(np.int64), by_python


def fixed_digits(values: Any, decimals: int) -> np.ndarray:
    """The digits ``"%.{decimals}f"`` writes of each finite number of at least 0 (below
    10^15), as one whole number: ``12.35`` with 1 decimal → ``124``; ``0`` where not finite."""
    x = np.asarray(values, dtype="float64")
    whole, by_python = _scaled(x, decimals)
    odd = np.flatnonzero(by_python)
    if len(odd):
        said = [f"%.{decimals}f" % v for v in x[odd].tolist()]
        whole[odd] = [int(t.replace(".", "")) for t in said]
    return whole


def _fixed_text(x: np.ndarray, decimals: int) -> pa.Array:
    """Floats as ``"%.{decimals}f"`` says them (non-finite → null), all at once: each scaled
    and rounded to a whole number, written by Arrow with its point put back; those within a
    hair of a half (where the scaled float may round the other way) said by Python."""
    finite = np.isfinite(x)
    whole, by_python = _scaled(x, decimals)
    unit = 10**decimals
    said = pc.cast(pa.array(whole // unit), pa.string())
    if decimals:
        frac = pc.utf8_lpad(pc.cast(pa.array(whole % unit), pa.string()), decimals, "0")
        said = pc.binary_join_element_wise(said, frac, ".")
    sign = pa.array(np.where(np.signbit(x), "-", ""))
    said = pc.binary_join_element_wise(sign, said, "")
    if by_python.any():
        fixes = [f"%.{decimals}f" % v for v in x[by_python].tolist()]
        said = pc.replace_with_mask(said, pa.array(by_python), pa.array(fixes, pa.string()))
    return pc.if_else(pa.array(finite), said, pa.scalar(None, pa.string()))


def _texts(said: pa.Array) -> pd.Series:
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([said], pa.string())))


def fixed(values: Any, decimals: int) -> pd.Series:
    """Numbers as text with ``decimals`` places, as f-strings say them (missing → missing)."""
    return _texts(_fixed_text(np.asarray(values, dtype="float64"), decimals))


def distance_text(metres: Any) -> pd.Series:
    """Distances as cards say them: ``"850 m"`` below a kilometre, else ``"1.2 km"``."""
    m = np.asarray(metres, dtype="float64")
    km = pc.binary_join_element_wise(_fixed_text(m / 1000, 1), " km", "")
    near = pc.binary_join_element_wise(_fixed_text(m, 0), " m", "")
    return _texts(pc.if_else(pa.array(m >= 1000), km, near))


def numbers(values: Any, decimals: int = 6) -> JSONArray:
    """A column as JSON numbers, rounded (whole numbers stay whole)."""
    x = np.asarray(values)
    if x.dtype.kind in "iub":
        return JSONArray(x.astype("int64"))
    return JSONArray(np.round(x.astype("float64"), decimals))


class PackedLayer(folium.map.Layer, RenderedOnce):
    """A switchable layer drawn by assetmap's runtime from packed columns (points, or lines
    between points): on one canvas for many (``opts["canvas"]``), else as GeoJSON layers.
    The columns reach the page verbatim as JSON (one ``<script type="application/json">``),
    their texts as numbers into the map's one table (``"strings"`` names it), their integers
    as :func:`ints` packs them. Lines may end at the rows of point layers (``"from"``: each
    layer's data and its group), numbered after the lines' own ends."""

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
        texts: PageTexts,
        joins: Sequence[tuple[PackedLayer, Deferred]] = (),
        show: bool = True,
        control: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "AssetLayer"
        self.columns = columns
        self.texts = texts  # the map's table, which the columns' texts are numbers into
        # lines: point layers whose rows follow the line ends' own, with their group's text
        self.joins = list(joins)
        self.opts = json_for_script(opts)

    @property
    def data_id(self) -> str:
        return f"{self.get_name()}-data"

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        figure = self.get_root()
        assert isinstance(figure, Figure), "render a packed layer inside a Figure"
        columns = {**self.columns, "strings": self.texts.data_id}
        if self.joins:
            columns["from"] = [[layer.data_id, group] for layer, group in self.joins]
        text = json_for_script(columns)
        figure.html.add_child(
            Verbatim(f'<script type="application/json" id="{self.data_id}">{text}</script>'),
            name=self.get_name(),
        )
        super().render(**kwargs)  # type: ignore[no-untyped-call]
