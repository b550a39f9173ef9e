"""Project files: every setting, its default, and the one validation that lists every problem.

A project file (TOML) names the inputs, the column mapping, the parameters and the outputs;
paths in it are relative to the file::

    title = "Greater Icknield assets"

    [inputs]
    register = "register.xlsx"         # or: sample = true (the bundled Greater Icknield data)
    sheet = "Assets"                   # Excel only
    layer = "assets"                   # GeoPackage only
    make_ids_unique = false            # true: repeated ids get a suffix instead of an error
    relationships = "relationships.csv"
    boundaries = ["lsoa11.geojson"]    # ONS boundary files, one per level
    imd = ["File_1_IoD2019.csv"]       # IoD2019 files (LSOA 2011)
    streets = "streets.graphml"        # osmnx GraphML

    [columns]                          # your heading = assetmap's field (or fields)
    "Post Code" = "postcode"
    "Site Address" = ["name", "address"]

    [defaults]                         # a field's value where a row has none
    category = "institution"

    [values.category]                  # your register's words = assetmap's
    "Static Library" = "institution"

    [geocode]
    online = false                     # ask postcodes.io for unknown postcodes
    fallback = true                    # place at the postcode sector/district centre
    study_area = "area.geojson"        # any CRS; or "greater-icknield" (bundled); none by default

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
    allow_outside = false              # true: outputs may be written outside the project's folder
    map = true                         # or a file: "map.html" (others: map.<audience>.html)
    links = true                       # or a file: "links.csv" / "links.xlsx"
    graph = ["graphml", "gpkg"]
    report = true
    analyst = false                    # also the whole placed register (personal data)
    placed = false                     # or a file: the placed register (personal data)
    record = true                      # build.json
"""

from __future__ import annotations

import html
import os
import tomllib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from ..areas import BUNDLED_STUDY_AREAS
from ..errors import ConfigurationError
from ._rules import (
    DEFAULTS,
    FILE_OR_FLAG,
    MAX_DISTANCE_M,
    RENAMED,
    RULES,
    TABLES,
    Names,
    setting_problems,
)

#: The suffixes of the workbooks a sheet is chosen in.
EXCEL = (".xlsx", ".xlsm", ".xls")

__all__ = ["DEFAULTS", "MAX_DISTANCE_M", "Project", "project_from_settings", "read_project"]


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

    def _register(self) -> str:
        inputs = self.settings["inputs"]
        return "the sample register" if inputs["sample"] else Path(inputs["register"]).name

    def __repr__(self) -> str:
        audiences = ", ".join(self.settings["privacy"]["audiences"]) or "the analyst"
        return f"<Project {self.title!r}: {self._register()} for {audiences}>"

    def _repr_html_(self) -> str:
        """A small table for notebooks: the title, the register and what differs from the
        defaults."""
        rows = [("register", self._register())]
        if self.path is not None:
            rows.insert(0, ("project file", str(self.path)))
        for section, settings in self.settings.items():
            if section == "title" or not isinstance(settings, dict):
                continue
            for key, value in settings.items():
                if section in TABLES or value != DEFAULTS[section].get(key):
                    rows.append((f"[{section}] {key}", repr(value)))
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<p><b>{html.escape(self.title)}</b> (assetmap project)</p><table>{body}</table>"


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


def _resolve_paths(settings: dict[str, Any], base: Path, name: Names) -> list[str]:
    """Make the inputs' and outputs' paths absolute; the problems of inputs that are missing
    and of outputs outside the project's folder (unless allowed)."""
    problems: list[str] = []
    inputs = settings["inputs"]
    read: set[Path] = set()
    for key in ("register", "relationships", "streets", "boundaries", "imd"):
        value = inputs[key]
        if RULES["inputs"][key](value) is not None or value is None:
            continue  # not given, or of the wrong type (said above)
        paths = [base / v for v in value] if isinstance(value, list) else [base / value]
        for p in paths:
            if p.is_dir():
                problems.append(f"{name('inputs', key)}: {p} is a folder, not a file")
            elif not p.is_file():
                problems.append(f"{name('inputs', key)}: no file at {p}")
            read.add(p.resolve())
        inputs[key] = [str(p) for p in paths] if isinstance(value, list) else str(paths[0])
    sheet, register = inputs["sheet"], inputs["register"]
    if sheet is not None and isinstance(register, str) and not register.lower().endswith(EXCEL):
        problems.append(
            f"{name('inputs', 'sheet')}: {Path(register).name} is not an Excel workbook; a sheet "
            f"is chosen only in {', '.join(EXCEL)} files"
        )
    study = settings["geocode"]["study_area"]
    if isinstance(study, str) and study.strip() and study not in BUNDLED_STUDY_AREAS:
        settings["geocode"]["study_area"] = str(base / study)
        if not (base / study).is_file():
            problems.append(
                f"{name('geocode', 'study_area')}: no file at {base / study} (and "
                f"{study!r} is not a bundled area: {', '.join(BUNDLED_STUDY_AREAS)})"
            )
    outputs = settings["outputs"]
    allowed = outputs["allow_outside"] is True
    for key in ("folder", *FILE_OR_FLAG):
        value = outputs[key]
        if not isinstance(value, str) or RULES["outputs"][key](value) is not None:
            continue
        path = Path(os.path.normpath(base / value))
        outputs[key] = str(path)
        if path.resolve() in read:
            problems.append(
                f"{name('outputs', key)}: {value!r} is an input; it would be overwritten"
            )
        if not allowed and not path.resolve().is_relative_to(base):
            problems.append(
                f"{name('outputs', key)}: {value!r} is outside the project's folder ({base}); "
                "set allow_outside = true in [outputs] (or --allow-outside) to write there"
            )
    return problems


def _crosssetting_problems(settings: dict[str, Any], name: Names) -> list[str]:
    """Problems of settings that are fine alone but not together."""
    problems = []
    inputs, privacy = settings["inputs"], settings["privacy"]
    if inputs["sample"] is not True and not inputs["register"]:
        problems.append(
            f'{name("inputs", "register")} is needed: register = "file" (or sample = true for '
            "the demo)"
        )
    if inputs["sample"] is True and inputs["register"]:
        problems.append("[inputs] gives both a register and sample = true: choose one")
    small = privacy["min_count"]
    if (
        isinstance(small, int)
        and not isinstance(small, bool)
        and 1 <= small < 3
        and privacy["allow_small_counts"] is not True
    ):
        problems.append(
            f"{name('privacy', 'min_count')} = {small} would publish counts that point at a "
            "person; use 5 (or set allow_small_counts = true to insist)"
        )
    return problems


def _normalised(settings: dict[str, Any]) -> None:
    """Settings put in the one form the run uses (after they were checked)."""
    settings["columns"] = {
        heading: ([f.strip() for f in fields.split(",")] if "," in fields else fields.strip())
        if isinstance(fields, str)
        else list(fields)
        for heading, fields in settings["columns"].items()
    }
    settings["outputs"]["graph"] = list(settings["outputs"]["graph"] or [])
    if settings["geocode"]["study_area"] is False:
        settings["geocode"]["study_area"] = None
    if settings["links"]["between"] is False:
        settings["links"]["between"] = []


def project_from_settings(
    raw: Mapping[str, Any],
    *,
    base: str | PathLike[str] | None = None,
    source: str = "settings",
    labels: Mapping[str, str] | None = None,
    problems: Sequence[str] = (),
) -> Project:
    """A :class:`Project` from settings as a project file holds them (a nested mapping).

    Parameters
    ----------
    raw
        The settings: ``{"inputs": {"register": "register.csv"}, "links": {...}, ...}``.
    base
        The folder paths are relative to (the current folder by default). Outputs must stay in
        it unless ``[outputs] allow_outside`` is true.
    source
        What the settings came from, to begin the message with.
    labels
        How to name settings in messages, e.g. ``{"links.max_distance_m": "--max-distance-m"}``
        (a command line's options); ``[section] key`` otherwise.
    problems
        Problems already found where the settings came from (a command line's malformed
        options), reported with the settings' own.

    Raises
    ------
    ConfigurationError
        Listing every problem at once, each with its setting: unknown sections or settings,
        wrong types or ranges, no register, inputs that do not exist, outputs outside the
        project's folder.
    """
    folder = (Path(base) if base is not None else Path.cwd()).resolve()
    name = Names(labels)
    raw = _renamed(raw, source)
    found = list(problems) + setting_problems(raw, name)
    settings: dict[str, Any] = {"title": raw.get("title", "Assets")}
    for section, defaults in DEFAULTS.items():
        given = raw.get(section, {}) if isinstance(raw.get(section), dict) else {}
        if section in TABLES:
            settings[section] = {k: v for k, v in given.items() if str(k).strip()}
        else:
            settings[section] = {**defaults, **{k: v for k, v in given.items() if k in defaults}}
    found += _crosssetting_problems(settings, name)
    found += _resolve_paths(settings, folder, name)
    if found:
        raise ConfigurationError(
            f"{source} has {len(found)} problem(s):\n" + "\n".join(f"  - {p}" for p in found)
        )
    _normalised(settings)
    return Project(settings=settings, base=folder)


def read_project(
    path: str | PathLike[str], *, overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> Project:
    """Read a project file: every setting, defaults filled in, paths made absolute.

    Parameters
    ----------
    path
        The project file (TOML); paths in it are relative to its folder.
    overrides
        Settings that replace the file's, by section (a command line's options), e.g.
        ``{"outputs": {"allow_outside": True}}``.

    Raises
    ------
    ConfigurationError
        Listing every problem: unreadable TOML, unknown sections or settings, wrong types or
        ranges, no register, input files that do not exist, outputs outside the project's
        folder.

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
    if path.is_dir():
        raise ConfigurationError(f"{path} is a folder: give the project file (.toml) in it")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"no project file at {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path} is not a readable TOML file: {exc}") from None
    except OSError as exc:
        raise ConfigurationError(f"cannot read the project file {path}: {exc}") from None
    for section, settings in (overrides or {}).items():
        current = raw.get(section, {})
        raw[section] = {**(current if isinstance(current, dict) else {}), **settings}
    project = project_from_settings(raw, base=path.resolve().parent, source=str(path))
    return Project(settings=project.settings, path=path.resolve(), base=project.base)
