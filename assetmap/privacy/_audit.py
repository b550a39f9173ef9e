"""The audit file written beside every shared output.

Its records are written as columns (one list per field, item *i* of every list is record *i*),
each list written at once (texts quoted and floats said once each, joined by Arrow, in the
characters ``json.dumps`` gives; other columns by the standard library's C encoder) and wrapped
:data:`PER_LINE` items a line: no Python object per record, a file about a sixth of one object
per record, and still JSON that ``json.load`` and ``pandas.DataFrame(audit["records"])`` read
back as a table.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._reproducible import json_escaped, write_file, written_at
from ..errors import ConfigurationError
from ._policy import Published

#: What the file says it is: records as columns (version 1 held one object per record).
AUDIT_FORMAT = "assetmap audit 2: records as columns, item i of each list is record i"

#: Items of a long list written on one line.
PER_LINE = 100


def write_audit(published: Published | Sequence[Published], export: str | PathLike[str]) -> Path:
    """Write the audit of an export beside it (``<export>.audit.json``).

    It says which records were published (``records``: ``published_id``, how each was
    ``shown``, its ``precision_m`` and where it was ``placed_at``, one list per field, in the
    same order), with which ``fields`` (for each way of being shown), under which ``policy``,
    and when (``written``; left out in a build, whose ``build.json`` says what went in); the
    records kept back are only counted (``counts``, small counts left empty). It names no
    record that was not published. An export made of several publications (layers of two
    registers on one map) lists each under ``publications``; they must be for one audience.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from assetmap import datasets, geocode, publish
    >>> export = Path(tempfile.mkdtemp()) / "assets.csv"
    >>> audit = json.loads(write_audit(publish(geocode(datasets.sample_register())), export)
    ...                    .read_text(encoding="utf-8"))
    >>> table = pd.DataFrame(audit["records"]).set_index("published_id")
    >>> table.loc["(not shown on their own)", "shown"]
    'counted'
    >>> audit["fields"]["coarse"]
    ['kind', 'category', 'privacy']
    """
    many = [published] if isinstance(published, Published) else list(published)
    audiences = sorted({p.policy.audience for p in many})
    if len(audiences) > 1:
        raise ConfigurationError(
            f"one file cannot be for several audiences ({', '.join(audiences)}): write one each"
        )
    export = Path(export)
    path = export.with_name(export.name + ".audit.json")
    parts = [_audit_body(p) for p in many]
    body: dict[str, Any] = {"format": AUDIT_FORMAT, "export": export.name, "written": written_at()}
    body.update(parts[0] if len(parts) == 1 else {"publications": parts})
    write_file(path, _json(body, "") + "\n")
    return path


def _audit_body(published: Published) -> dict[str, Any]:
    audit = published.audit
    body: dict[str, Any] = {
        "policy": audit.attrs.get("policy", {"audience": published.policy.audience})
    }
    fields = _fields_by_shown(audit)
    if fields is not None:  # the fields follow from how a record is shown: said once each
        body["fields"] = fields
    body["records"] = {
        str(c): _Column(audit[c])
        for c in audit.columns
        if not (fields is not None and str(c) == "fields")
    }
    counts = published.counts
    values = counts.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[arg-type]
    columns = [str(c) for c in counts.columns]
    body["counts"] = {
        str(area): dict(zip(columns, row, strict=True))
        for area, row in zip(counts.index, values, strict=True)
    }
    return body


class _Column:
    """A column of the records, which :func:`_json` writes as it writes the column's list."""

    __slots__ = ("values",)

    def __init__(self, values: pd.Series) -> None:
        self.values = values


def _listed(values: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values (missing as None), converted in bulk."""
    return values.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[call-overload,no-any-return]


def _item_texts(values: pd.Series) -> pa.Array | None:
    """Each item of a column of texts or floats as ``json.dumps`` writes it, in Arrow (texts
    quoted at once, those JSON escapes written by ``json.dumps``; each distinct float written
    once); None for another column, or texts Arrow cannot hold."""
    if values.dtype == np.float64:
        x = values.to_numpy()
        known = ~np.isnan(x)
        codes = np.full(len(x), -1, dtype=np.int64)
        # by their bits: -0.0 apart from 0.0 (as json.dumps writes them)
        found, bits = pd.factorize(x[known].view(np.int64))
        codes[known] = found
        floats = np.asarray(bits, dtype=np.int64).view(np.float64).tolist()
        said = pa.array([*map(_plain, floats), "null"], pa.string())
        return said.take(pa.array(np.where(codes >= 0, codes, len(floats))))
    arrow = isinstance(values.dtype, pd.StringDtype)
    if not arrow and pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return None
    try:
        texts = pa.array(values.array if arrow else values.to_numpy(dtype=object), pa.string())
    except (pa.ArrowException, UnicodeEncodeError):  # (a lone surrogate)
        return None
    quoted = pc.binary_join_element_wise('"', json_escaped(texts), '"', "")
    return quoted.fill_null("null")


def _column_json(column: _Column, pad: str) -> str:
    """A column as :func:`_json` writes its list, each line joined by Arrow."""
    said = _item_texts(column.values)
    if said is None:
        return _json(_listed(column.values), pad)
    if len(said) <= PER_LINE:
        return "[" + ", ".join(said.to_pylist()) + "]"
    starts = np.append(np.arange(0, len(said), PER_LINE), len(said)).astype(np.int32)
    lines = pc.binary_join(pa.ListArray.from_arrays(pa.array(starts), said), ", ")
    lines = pc.binary_join_element_wise(pad + " ", lines, "")
    whole = pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines)
    joined: str = pc.binary_join(whole, ",\n")[0].as_py()
    return "[\n" + joined + "\n" + pad + "]"


def _fields_by_shown(audit: pd.DataFrame) -> dict[str, list[str]] | None:
    """The fields shown for each way of being shown (as the policy recorded lists them), when
    that alone decides them; None when the records must say theirs one by one."""
    policy = audit.attrs.get("policy", {})
    named = {
        "exact": list(policy.get("fields_exact", [])),
        "coarse": list(policy.get("fields_coarse", [])),
    }
    if not {"shown", "fields"} <= set(audit.columns):
        return None
    # each distinct (shown, fields) pair once, in order of first appearance, by their codes
    shown_codes, shown_names = pd.factorize(audit["shown"].astype("str"), use_na_sentinel=False)
    fields_codes, fields_names = pd.factorize(audit["fields"].astype("str"), use_na_sentinel=False)
    pair = shown_codes.astype(np.int64) * (len(fields_names) + 1) + fields_codes
    _, first = np.unique(pair, return_index=True)
    first.sort()
    pairs = pd.DataFrame(
        {
            "shown": shown_names.take(shown_codes[first]),
            "fields": fields_names.take(fields_codes[first]),
        }
    )
    if pairs["shown"].duplicated().any():
        return None
    out = {}
    for shown, fields in zip(pairs["shown"], pairs["fields"], strict=True):
        out[shown] = named.get(shown, []) if fields else []
        if ", ".join(out[shown]) != fields:
            return None
    return out


def _json(value: Any, pad: str) -> str:
    """``value`` as JSON laid out for a person: one key a line, a mapping of plain values on
    one line, long lists :data:`PER_LINE` items a line (each part by the C encoder)."""
    inner = pad + " "
    if isinstance(value, _Column):
        return _column_json(value, pad)
    if isinstance(value, Mapping) and any(
        isinstance(v, Mapping | list | _Column) for v in value.values()
    ):
        items = [f"{inner}{_plain(str(k))}: {_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value and isinstance(value[0], Mapping | list):
        return "[\n" + ",\n".join(inner + _json(v, inner) for v in value) + "\n" + pad + "]"
    if isinstance(value, list) and len(value) > PER_LINE:
        # the whole list encoded at once, and cut between its items: where no item holds the
        # separator ", " (an item never starts with a space), the pieces are exactly the items
        items = _plain(value)[1:-1].split(", ")
        if len(items) == len(value):
            lines = [
                inner + ", ".join(items[i : i + PER_LINE]) for i in range(0, len(value), PER_LINE)
            ]
        else:
            lines = [
                inner + _plain(value[i : i + PER_LINE])[1:-1]
                for i in range(0, len(value), PER_LINE)
            ]
        return "[\n" + ",\n".join(lines) + "\n" + pad + "]"
    return _plain(value)


def _plain(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)
