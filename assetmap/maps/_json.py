"""JSON for pages: :func:`json_for_script`, safe inside a ``<script>`` element, and
:class:`JSONArray`, a column of numbers it writes in one pass.

A page of 10^5 records carries about a million numbers. ``json.dumps`` writes each through a
Python object (a float's ``repr``, an int's ``str``); a :class:`JSONArray` is written by Arrow
from the whole column at once, in the very characters ``json.dumps`` would give its list (the
shortest text that reads back as the same float, ``2.0`` for a whole float; the few numbers
Arrow would say otherwise, such as ``1e-05`` or ``1e+16``, are written by ``json.dumps``), so
the bytes of a page do not depend on which way it was written.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._reproducible import json_escaped


class JSONArray:
    """A 1-D column of numbers that :func:`json_for_script` writes as ``json.dumps`` would
    write its list (integers as integers, floats as floats), without a Python object each."""

    __slots__ = ("values",)

    def __init__(self, values: Any) -> None:
        x = np.asarray(values)
        if x.dtype.kind == "b":
            x = x.astype(np.int64)
        if x.dtype.kind not in "iuf":
            raise TypeError(f"a JSONArray holds numbers, not {x.dtype}")
        self.values = x.ravel()

    def __len__(self) -> int:
        return len(self.values)

    def tolist(self) -> list[Any]:
        """The numbers as a list (as they read back from the page)."""
        return list(self.values.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JSONArray):
            other = other.tolist()
        return self.tolist() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"JSONArray({self.tolist()!r})"

    @property
    def text(self) -> str:
        """The column as a JSON array, in ``json.dumps``'s characters."""
        x = self.values
        if not len(x):
            return "[]"
        if x.dtype.kind in "iu":
            said = pc.cast(pa.array(x), pa.string())
        else:
            said = _floats(x.astype(np.float64))
        joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(said)], pa.int32()),
                                                         said), ",")  # fmt: skip
        return f"[{joined[0].as_py()}]"


class Deferred:
    """A value worked out only when :func:`json_for_script` writes it (a column of text
    numbers, once every text of the page has been met)."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make

    def __repr__(self) -> str:
        return f"Deferred({self.make()!r})"


def arrow_texts(values: Any) -> pa.Array:
    """Texts Arrow holds (an ArrowStringArray, or an Arrow array) as one Arrow string array."""
    data = pa.array(values)
    if isinstance(data, pa.ChunkedArray):
        data = data.combine_chunks() if data.num_chunks != 1 else data.chunk(0)
    return data.cast(pa.string()) if data.type != pa.string() else data


def arrow_or_list(texts: Any) -> pa.Array | list[str]:
    """Texts (a list or an object array of str) as an Arrow string array; as a list where
    Arrow cannot hold one (a lone surrogate)."""
    try:
        return pa.array(texts, pa.string())
    except (pa.ArrowException, UnicodeEncodeError):
        return [str(t) for t in texts]


def _floats(x: np.ndarray) -> pa.Array:
    """Floats as ``repr`` says them: Arrow's shortest round-trip text, except where its form
    differs from Python's (whole numbers, exponents, not finite), which Python writes."""
    said = pc.cast(pa.array(x), pa.string())
    a = np.abs(x)
    with np.errstate(invalid="ignore"):
        odd = ~np.isfinite(x) | (x == np.trunc(x)) | (a < 1e-4) | (a >= 1e16)
    odd |= np.asarray(pc.match_substring(said, "e").to_numpy(zero_copy_only=False), dtype=bool)
    if not odd.any():
        return said
    fixes = [json.dumps(v) for v in x[odd].tolist()]
    return pc.replace_with_mask(said, pa.array(odd), pa.array(fixes, pa.string()))


_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def json_for_script(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element, whatever text it carries.

    :class:`JSONArray` columns are written as the lists they hold would be, but at once."""
    arrays: list[JSONArray] = []

    def hole(found: Any) -> Any:
        if isinstance(found, Deferred):
            return found.make()
        if not isinstance(found, JSONArray):
            raise TypeError(f"Object of type {type(found).__name__} is not JSON serializable")
        arrays.append(found)
        return f"{token}{len(arrays) - 1}"

    while True:
        arrays.clear()
        token = f"@assetmap-{secrets.token_hex(8)}-"  # never in the output: replaced below
        text = json.dumps(
            value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=hole
        )
        if text.count(token) == len(arrays):  # no text of the value's own holds it
            break
    for raw, esc in _ESCAPES:
        text = text.replace(raw, esc)
    # branca renders each element's output again as a Jinja template: "{{", "{%" and "{#"
    # (which in compact JSON can only stand inside strings) must not reach it as such
    text = re.sub(r"\{(?=[{%#])", r"\\u007b", text)
    if not arrays:
        return text
    return re.sub(f'"{re.escape(token)}(\\d+)"', lambda mt: arrays[int(mt[1])].text, text)


def texts_for_script(texts: list[str] | pa.Array) -> str:
    """``json_for_script(texts)`` for a list of texts, written by Arrow at once: each text
    quoted as it is, those holding a quote, a backslash or a control character (which JSON
    escapes) written by ``json.dumps`` (texts Arrow cannot hold: all by ``json_for_script``)."""
    if isinstance(texts, pa.Array):
        said = texts
        if not len(said):
            return "[]"
    else:
        if not texts:
            return json_for_script(texts)
        try:
            said = pa.array(texts, pa.string())
        except (pa.ArrowException, UnicodeEncodeError):  # (a lone surrogate)
            return json_for_script(texts)
    said = json_escaped(said)  # what json.dumps writes between the quotes
    whole = pa.ListArray.from_arrays(pa.array([0, len(said)], pa.int32()), said)
    text = '["' + pc.binary_join(whole, '","')[0].as_py() + '"]'
    for raw, esc in _ESCAPES:
        text = text.replace(raw, esc)
    return re.sub(r"\{(?=[{%#])", r"\\u007b", text)
