"""The audit file written beside every shared output."""

from __future__ import annotations

import json
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from .._reproducible import write_file, written_at
from ..errors import ConfigurationError
from ._policy import Published


def write_audit(published: Published | Sequence[Published], export: str | PathLike[str]) -> Path:
    """Write the audit of an export beside it (``<export>.audit.json``).

    It says which records were published, how and with which fields, under which policy, and
    when (left out in a build, whose ``build.json`` says what went in); it names no record that
    was not published. An export made of several publications (layers of two registers on one
    map) lists each; they must be for one audience.
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
    body: dict[str, Any] = {"export": export.name, "written": written_at()}
    body.update(parts[0] if len(parts) == 1 else {"publications": parts})
    write_file(path, json.dumps(body, indent=1, ensure_ascii=False) + "\n")
    return path


def _audit_body(published: Published) -> dict[str, Any]:
    audit = published.audit
    records = audit.astype(object).where(audit.notna(), None).to_dict("records")
    return {
        "policy": audit.attrs.get("policy", {"audience": published.policy.audience}),
        "records": records,
        "counts": {
            str(r): {str(c): (None if pd.isna(v) else int(v)) for c, v in row.items()}
            for r, row in published.counts.iterrows()
        },
    }
