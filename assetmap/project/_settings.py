"""Project files: every setting, its default, and the one validation that lists every problem.

A project file (TOML) names the inputs, the column mapping, the parameters and the outputs;
paths in it are relative to the file::

    title = "Greater Icknield assets"

    [inputs]
    register = "register.xlsx"         # or: sample = true (the bundled Greater Icknield data)
    sheet = "Assets"                   # Excel only
    relationships = "relationships.csv"
    boundaries = ["lsoa11.geojson"]    # ONS boundary files, one per level
    imd = ["File_1_IoD2019.csv"]       # IoD2019 files (LSOA 2011)
    streets = "streets.graphml"        # osmnx GraphML

    [columns]                          # your heading = assetmap's field
    "Post Code" = "postcode"

    [geocode]
    online = false                     # ask postcodes.io for unknown postcodes
    fallback = true                    # place at the postcode sector/district centre
    study_area = "area.geojson"        # or "greater-icknield" (bundled); none by default

    [links]
    kind = "opportunity"
    between = ["micro", "macro"]
    max_distance_m = 1200
    decay = "linear"

    [privacy]
    audiences = ["public", "partners"]
    min_count = 5                      # counts below this are hidden (below 3: refused)

    [map]
    self_contained = true              # opens with no network
    links = true                       # draw the link opportunities and their list

    [outputs]
    folder = "build"                   # one folder per audience, and build.json
    map = true                         # or a file: "map.html" (others: map.<audience>.html)
    links = true                       # or a file: "links.csv" / "links.xlsx"
    graph = ["graphml", "gpkg"]
    report = true
    analyst = false                    # also the whole placed register (personal data)
    placed = false                     # or a file: the placed register (personal data)
    record = true                      # build.json
"""

from __future__ import annotations

import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError

__all__ = ["DEFAULTS", "Project", "project_from_settings", "read_project"]

#: Every setting a project file may hold, with its default (None: not given).
DEFAULTS: dict[str, dict[str, Any]] = {
    "inputs": {
        "register": None,
        "sample": False,
        "sheet": None,
        "relationships": None,
        "boundaries": [],
        "imd": [],
        "streets": None,
    },
    "columns": {},
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
        "map": True,
        "links": True,
        "graph": ["graphml", "gpkg"],
        "report": True,
        "analyst": False,
        "placed": False,
        "record": True,
    },
}

#: Settings renamed: old section and name → new name (the old one works for one release).
RENAMED = {("privacy", "k"): "min_count"}

#: Outputs that are either on/off (in the output folder) or a file of their own.
_FILE_OR_FLAG = {"map": (".html", ".htm"), "links": (".csv", ".xlsx"), "placed": None}

#: Where the bundled study area is named rather than given as a file.
BUNDLED_STUDY_AREA = "greater-icknield"


@dataclass(frozen=True, repr=False)
class Project:
    """A project: what to read, with which parameters, and what to write.

    Read one from a file with :func:`read_project`, or make one from settings with
    :func:`project_from_settings`; run it with :func:`assetmap.run_project`. ``project[section]``
    gives a section's settings (defaults filled in, paths absolute).
    """

    settings: dict[str, Any]
    path: Path | None = None
    base: Path = field(default_factory=Path.cwd)

    def __getitem__(self, section: str) -> Any:
        return self.settings[section]

    @property
    def title(self) -> str:
        return str(self.settings["title"])

    def __repr__(self) -> str:
        inputs = self.settings["inputs"]
        register = "the sample register" if inputs["sample"] else Path(inputs["register"]).name
        audiences = ", ".join(self.settings["privacy"]["audiences"])
        return f"<Project {self.title!r}: {register} for {audiences}>"


def _setting_problems(section: str, key: str, setting: Any) -> list[str]:
    default = DEFAULTS[section][key]
    if section == "outputs" and key in _FILE_OR_FLAG:
        suffixes = _FILE_OR_FLAG[key]
        if isinstance(setting, bool):
            return (
                []
                if (setting is False or key != "placed")
                else ["[outputs] placed must be false or a file"]
            )
        if not isinstance(setting, str) or not setting.strip():
            return [f"[outputs] {key} must be true, false or a file"]
        if suffixes and Path(setting).suffix.lower() not in suffixes:
            return [
                f"[outputs] {key}: a {key} is written as {' or '.join(suffixes)}, not {setting!r}"
            ]
        return []
    if isinstance(default, bool) and not isinstance(setting, bool):
        return [f"[{section}] {key} must be true or false"]
    if isinstance(default, list) and not (
        isinstance(setting, list) or (section == "outputs" and setting is False)
    ):
        return [f"[{section}] {key} must be a list, e.g. {default!r}"]
    number = isinstance(default, float | int) and not isinstance(default, bool)
    if number and (
        isinstance(setting, bool) or not isinstance(setting, int | float) or setting <= 0
    ):
        return [f"[{section}] {key} must be a positive number"]
    if key == "min_count" and (isinstance(setting, bool) or not isinstance(setting, int)):
        return ["[privacy] min_count must be a whole number, 1 or more"]
    return []


def _problems(raw: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for section, value in raw.items():
        if section == "title":
            if not isinstance(value, str):
                problems.append("title must be text")
            continue
        if section not in DEFAULTS:
            problems.append(f"unknown section [{section}] (known: title, {', '.join(DEFAULTS)})")
            continue
        if not isinstance(value, dict):
            problems.append(f"[{section}] must be a table of settings")
            continue
        if section == "columns":
            problems.extend(
                f"[columns] {heading!r} must name a field as text"
                for heading, field in value.items()
                if not isinstance(field, str)
            )
            continue
        for key, setting in value.items():
            key = RENAMED.get((section, key), key)
            if key not in DEFAULTS[section]:
                problems.append(
                    f"unknown setting {key!r} in [{section}] (known: "
                    f"{', '.join(DEFAULTS[section])})"
                )
                continue
            problems.extend(_setting_problems(section, key, setting))
    return problems


def _renamed(raw: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The settings with old names put right (one warning for each)."""
    out = {s: (dict(v) if isinstance(v, dict) else v) for s, v in raw.items()}
    for (section, old), new in RENAMED.items():
        if isinstance(out.get(section), dict) and old in out[section]:
            warnings.warn(
                f"{source}: [{section}] {old} is now {new}; the old name goes in the next release",
                DeprecationWarning,
                stacklevel=4,
            )
            value = out[section].pop(old)
            out[section].setdefault(new, value)
    return out


def _resolve_paths(settings: dict[str, Any], base: Path) -> list[str]:
    """Make the inputs' and outputs' paths absolute; the problems of inputs that are missing."""
    problems: list[str] = []
    inputs = settings["inputs"]
    for key in ("register", "relationships", "streets", "boundaries", "imd"):
        value = inputs[key]
        if value is None or isinstance(value, list) != isinstance(DEFAULTS["inputs"][key], list):
            continue  # not given, or of the wrong type (said above)
        paths = [base / v for v in value] if isinstance(value, list) else [base / value]
        problems.extend(f"[inputs] {key}: no file at {p}" for p in paths if not p.is_file())
        inputs[key] = [str(p) for p in paths] if isinstance(value, list) else str(paths[0])
    study = settings["geocode"]["study_area"]
    if study is not None and not isinstance(study, str):
        problems.append(f'[geocode] study_area must be a boundary file or "{BUNDLED_STUDY_AREA}"')
    elif study is not None and study != BUNDLED_STUDY_AREA:
        settings["geocode"]["study_area"] = str(base / study)
        if not (base / study).is_file():
            problems.append(f"[geocode] study_area: no file at {base / study}")
    outputs = settings["outputs"]
    outputs["folder"] = str(base / outputs["folder"])
    for key in _FILE_OR_FLAG:
        if isinstance(outputs[key], str):
            outputs[key] = str(base / outputs[key])
    return problems


def project_from_settings(
    raw: Mapping[str, Any], *, base: str | PathLike[str] | None = None, source: str = "settings"
) -> Project:
    """A :class:`Project` from settings as a project file holds them (a nested mapping).

    Paths are relative to ``base`` (the current folder by default). Every problem is reported
    at once, in one :class:`~assetmap.errors.ConfigurationError`.
    """
    folder = Path(base) if base is not None else Path.cwd()
    raw = _renamed(raw, source)
    problems = _problems(raw)
    settings: dict[str, Any] = {"title": raw.get("title", "Assets")}
    for section, defaults in DEFAULTS.items():
        given = raw.get(section, {}) if isinstance(raw.get(section), dict) else {}
        settings[section] = {**defaults, **given} if section != "columns" else dict(given)
    inputs = settings["inputs"]
    if not inputs["sample"] and not inputs["register"]:
        problems.append('[inputs] needs a register = "file" (or sample = true for the demo)')
    if inputs["sample"] and inputs["register"]:
        problems.append("[inputs] gives both a register and sample = true: choose one")
    problems += _resolve_paths(settings, folder.resolve())
    small = settings["privacy"]["min_count"]
    if (
        isinstance(small, int)
        and small < 3
        and settings["privacy"]["allow_small_counts"] is not True
    ):
        problems.append(
            f"[privacy] min_count = {small} would publish counts that point at a person; use 5 "
            "(or set allow_small_counts = true to insist)"
        )
    for who in settings["privacy"]["audiences"]:
        if who not in ("public", "partners"):
            problems.append(f"[privacy] audiences may be 'public' and 'partners', not {who!r}")
    graph = settings["outputs"]["graph"] or []
    problems.extend(
        f"[outputs] graph formats are graphml and gpkg, not {g!r}"
        for g in graph
        if g not in ("graphml", "gpkg")
    )
    if settings["links"]["kind"] not in ("opportunity", "proximity"):
        problems.append("[links] kind must be 'opportunity' or 'proximity'")
    if problems:
        raise ConfigurationError(
            f"{source} has {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems)
        )
    settings["outputs"]["graph"] = list(graph)
    return Project(settings=settings, base=folder.resolve())


def read_project(path: str | PathLike[str]) -> Project:
    """Read a project file: every setting, defaults filled in, paths made absolute.

    Raises
    ------
    ConfigurationError
        Listing every problem: unreadable TOML, unknown sections or settings, wrong types, no
        register, input files that do not exist.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "project.toml"
    >>> lines = ["[inputs]", "sample = true", "[links]", "max_distance_m = 800"]
    >>> _ = file.write_text(chr(10).join(lines))
    >>> project = read_project(file)
    >>> project["links"]["max_distance_m"], project["privacy"]["audiences"]
    (800, ['public', 'partners'])
    >>> project
    <Project 'Assets': the sample register for public, partners>
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"no project file at {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path} is not a readable TOML file: {exc}") from None
    project = project_from_settings(raw, base=path.resolve().parent, source=str(path))
    return Project(settings=project.settings, path=path.resolve(), base=project.base)
