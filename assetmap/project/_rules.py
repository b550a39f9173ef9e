"""The rules of a project's settings: every setting, its default and the check of its value.

Each check returns None when a value is fine, else what is wrong with it, without the setting's
name: :class:`Names` names it (``[links] k`` in a project file, ``--max-distance-m`` on the
command line).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..areas import BUNDLED_STUDY_AREAS

__all__ = [
    "DEFAULTS",
    "FILE_OR_FLAG",
    "MAX_DISTANCE_M",
    "RENAMED",
    "RULES",
    "TABLES",
    "Names",
    "given",
    "setting_problems",
]

#: Every setting a project file may hold, with its default (None: not given).
DEFAULTS: dict[str, dict[str, Any]] = {
    "inputs": {
        "register": None,
        "sample": False,
        "sheet": None,
        "layer": None,
        "make_ids_unique": False,
        "relationships": None,
        "boundaries": [],
        "imd": [],
        "streets": None,
    },
    "columns": {},
    "defaults": {},
    "values": {},
    "geocode": {"online": False, "fallback": True, "study_area": None},
    "links": {
        "kind": "opportunity",
        "between": ["micro", "macro"],
        "max_distance_m": 1200.0,
        "k": None,
        "decay": "linear",
        "decay_m": None,
        "weights": None,
    },
    "privacy": {"audiences": ["public", "partners"], "min_count": 5, "allow_small_counts": False},
    "map": {"self_contained": True, "links": True},
    "outputs": {
        "folder": "build",
        "allow_outside": False,
        "map": True,
        "links": True,
        "graph": ["graphml", "gpkg"],
        "report": True,
        "analyst": False,
        "placed": False,
        "record": True,
    },
}

#: The longest distance a project may ask for (metres): links are for walking, cycling or a
#: short ride, and every pair within it is a candidate.
MAX_DISTANCE_M = 100_000.0
_MAX_K = 1_000
_MAX_MIN_COUNT = 1_000

#: Settings renamed: old section and name → new name (the old one works for one release).
RENAMED = {("privacy", "k"): "min_count"}

#: Sections whose keys are the user's own (headings, fields), not assetmap's settings.
TABLES = ("columns", "defaults", "values")

#: Outputs that are either on/off (in the output folder) or a file of their own.
FILE_OR_FLAG = {"map": (".html", ".htm"), "links": (".csv", ".xlsx"), "placed": None}


# --- one check per setting: None when fine, else what is wrong (without the setting's name) --

Check = Callable[[Any], str | None]


def given(value: Any) -> str:
    """A value as the user wrote it: text in quotes, TOML's true/false."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, not {given(value)}"


def _text(*, optional: bool = True) -> Check:
    def check(value: Any) -> str | None:
        if (value is None and optional) or (isinstance(value, str) and value.strip()):
            return None
        return f"must be text (a file name or a name), not {given(value)}"

    return check


def _number(*, optional: bool = False, maximum: float = MAX_DISTANCE_M) -> Check:
    def check(value: Any) -> str | None:
        if value is None and optional:
            return None
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and 0 < value <= maximum
        ):
            return None
        return f"must be a number of metres above 0 and at most {maximum:,.0f}, not {given(value)}"

    return check


def _whole(low: int, high: int, *, optional: bool = False) -> Check:
    def check(value: Any) -> str | None:
        if value is None and optional:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return None
        return f"must be a whole number from {low} to {high:,}, not {given(value)}"

    return check


def _choice(*options: str) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, str) and value in options:
            return None
        return f"must be one of {', '.join(map(repr, options))}, not {given(value)}"

    return check


def _texts(
    options: Sequence[str] | None = None,
    *,
    sizes: Sequence[int] | None = None,
    may_be_false: bool = False,
) -> Check:
    def check(value: Any) -> str | None:
        if value is False and may_be_false:
            value = []
        example = f"e.g. {list(options or ['file.csv'])!r}"
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return f"must be a list of text, {example}; not {given(value)}"
        if sizes is not None and len(value) not in sizes:
            return f"must list {' or '.join(map(str, sizes))} items, not {len(value)}"
        if options is not None and (wrong := [v for v in value if v not in options]):
            return f"may hold {', '.join(map(repr, options))}, not {', '.join(map(repr, wrong))}"
        if len(set(value)) != len(value):
            return "lists an item twice"
        return None

    return check


def _sheet(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return None
    return f"must be a sheet's name, or its number counting from 0, not {given(value)}"


def _study_area(value: Any) -> str | None:
    if value is None or value is False or (isinstance(value, str) and value.strip()):
        return None
    return (
        f"must be a boundary file, the name of a bundled area ({', '.join(BUNDLED_STUDY_AREAS)}) "
        f"or false, not {given(value)}"
    )


def _file_or_flag(key: str) -> Check:
    suffixes = FILE_OR_FLAG[key]

    def check(value: Any) -> str | None:
        if value is False or (value is True and key != "placed"):
            return None
        if not isinstance(value, str) or not value.strip():
            return f"must be {'false' if key == 'placed' else 'true, false'} or a file"
        if suffixes and Path(value).suffix.lower() not in suffixes:
            return f"a {key} is written as {' or '.join(suffixes)}, not {value!r}"
        return None

    return check


RULES: dict[str, dict[str, Check]] = {
    "inputs": {
        "register": _text(),
        "sample": _flag,
        "sheet": _sheet,
        "layer": _text(),
        "make_ids_unique": _flag,
        "relationships": _text(),
        "boundaries": _texts(),
        "imd": _texts(),
        "streets": _text(),
    },
    "geocode": {"online": _flag, "fallback": _flag, "study_area": _study_area},
    "links": {
        "kind": _choice("opportunity", "proximity"),
        "between": _texts(sizes=(0, 2), may_be_false=True),
        "max_distance_m": _number(),
        "k": _whole(1, _MAX_K, optional=True),
        "decay": _choice("threshold", "linear", "exponential"),
        "decay_m": _number(optional=True),
        "weights": _text(),
    },
    "privacy": {
        "audiences": _texts(("public", "partners")),
        "min_count": _whole(1, _MAX_MIN_COUNT),
        "allow_small_counts": _flag,
    },
    "map": {"self_contained": _flag, "links": _flag},
    "outputs": {
        "folder": _text(optional=False),
        "allow_outside": _flag,
        "map": _file_or_flag("map"),
        "links": _file_or_flag("links"),
        "graph": _texts(("graphml", "gpkg"), may_be_false=True),
        "report": _flag,
        "analyst": _flag,
        "placed": _file_or_flag("placed"),
        "record": _flag,
    },
}


class Names:
    """How a setting is named in messages: ``[links] k`` in a project file, or the command
    line's own option (``--max-distance-m``) when the settings came from one."""

    def __init__(self, labels: Mapping[str, str] | None) -> None:
        self.labels = dict(labels or {})

    def __call__(self, section: str, key: str | None = None) -> str:
        if key is None:
            return self.labels.get(section, section if section == "title" else f"[{section}]")
        if f"{section}.{key}" in self.labels:
            return self.labels[f"{section}.{key}"]
        if section in TABLES and section in self.labels:
            return f"{self.labels[section]} {key!r}"
        return f"[{section}] {key!r}" if section in TABLES else f"[{section}] {key}"


def _tablesetting_problems(section: str, table: Mapping[str, Any], name: Names) -> list[str]:
    """Problems of ``[columns]``, ``[defaults]`` and ``[values.<field>]``."""
    problems = []
    for key, value in table.items():
        where = name(section, key)
        if not str(key).strip():
            problems.append(f"{name(section)}: a blank heading or field name")
        elif section == "columns":
            fields = [v.strip() for v in value.split(",")] if isinstance(value, str) else value
            if not isinstance(fields, list) or not all(isinstance(f, str) and f for f in fields):
                problems.append(
                    f'{where} must name a field ("postcode") or fields (["name", '
                    f'"address"]), not {given(value)}'
                )
        elif section == "defaults":
            if isinstance(value, dict | list) or value is None:
                problems.append(f"{where} must be one value for every row, not {given(value)}")
        elif not isinstance(value, dict):
            problems.append(
                f"{where} must be a table of your words and assetmap's, e.g. "
                f'[values.{key}] "Static Library" = "institution"; not {given(value)}'
            )
        else:
            problems.extend(
                f"{where}: {word!r} must become text, not {given(to)}"
                for word, to in value.items()
                if not isinstance(to, str)
            )
    return problems


def setting_problems(raw: Mapping[str, Any], name: Names) -> list[str]:
    problems: list[str] = []
    for section, value in raw.items():
        if section == "title":
            if not isinstance(value, str):
                problems.append(f"{name('title')} must be text, not {given(value)}")
            continue
        if section not in DEFAULTS:
            known = f"title, {', '.join(DEFAULTS)}"
            problems.append(
                f"unknown section [{section}] (known: {known})"
                if isinstance(value, dict)
                else f"unknown setting {section!r} at the top of the file: settings belong in "
                f"a section (known: {known})"
            )
            continue
        if not isinstance(value, dict):
            problems.append(f"{name(section)} must be a table of settings, not {given(value)}")
            continue
        if section in TABLES:
            problems.extend(_tablesetting_problems(section, value, name))
            continue
        for key, setting in value.items():
            key = RENAMED.get((section, key), key)
            if key not in RULES[section]:
                problems.append(
                    f"unknown setting {key!r} in [{section}] (known: "
                    f"{', '.join(DEFAULTS[section])})"
                )
            elif (problem := RULES[section][key](setting)) is not None:
                problems.append(f"{name(section, key)} {problem}")
    return problems
