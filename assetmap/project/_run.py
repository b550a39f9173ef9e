"""Running the main line from a project: read → geocode → areas → links → graph → publish →
write, once, with one set of defaults. The command line and :func:`demo` only build a
:class:`~assetmap.project.Project` and call :func:`run_project`.
"""

from __future__ import annotations

import json
import logging
import sys
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from os import PathLike
from pathlib import Path
from typing import Any, Literal, overload

import geopandas as gpd
import networkx as nx
import pandas as pd
import shapely
from tqdm.auto import tqdm

from .. import datasets
from .._reproducible import fixed_time, write_file
from ..areas import (
    BUNDLED_STUDY_AREAS,
    assign_areas,
    bundled_study_area_path,
    read_boundaries,
    read_imd,
    study_polygon,
)
from ..errors import AssetmapError, ConfigurationError
from ..export import save_assets, save_graph, save_links
from ..geocoding import geocode, geocode_summary
from ..geocoding.gazetteer import ons_postcode_directory
from ..geocoding.providers import PostcodesIO
from ..graph import graph_from_assets
from ..io import read_assets, read_relationships
from ..links import find_links
from ..maps import build_map, drawn_areas, save_map
from ..network import StreetGraph, catchments, read_street_graph
from ..privacy import Audience, Policy, Published, publish
from ..report import build_report, save_report
from ._record import record, source_time
from ._settings import Project, project_from_settings, read_project

__all__ = ["Build", "demo", "run_project"]

log = logging.getLogger("assetmap.project")


class Build(Sequence[Path]):
    """What a run wrote (a sequence of paths, ``build.json`` last when recorded), with the
    placed register and its links for a look in memory (personal data: not for sharing)."""

    def __init__(
        self, files: list[Path], assets: gpd.GeoDataFrame, links: pd.DataFrame | None
    ) -> None:
        self.files, self.assets, self.links = files, assets, links

    @overload
    def __getitem__(self, i: int) -> Path: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Path]: ...
    def __getitem__(self, i: int | slice) -> Path | Sequence[Path]:
        return self.files[i]

    def __len__(self) -> int:
        return len(self.files)

    def __repr__(self) -> str:
        links = "" if self.links is None else f", {len(self.links)} links"
        return f"<Build: {len(self.files)} files, {len(self.assets)} assets{links}>"


@dataclass
class _Inputs:
    register: Path
    relationships_path: Path | None
    assets: gpd.GeoDataFrame
    relationships: pd.DataFrame | None
    levels: list[gpd.GeoDataFrame]
    imd: pd.DataFrame | None
    streets: StreetGraph | None
    study: shapely.Geometry | None
    sources: list[str] = field(default_factory=lambda: ["postcodes"])


def _register_options(project: Project) -> dict[str, Any]:
    """How to read the register: the options given (the rest left to read_assets)."""
    inputs = project["inputs"]
    options: dict[str, Any] = {
        "columns": project["columns"] or None,
        "defaults": project["defaults"] or None,
        "values": project["values"] or None,
        "sheet": inputs["sheet"],
        "layer": inputs["layer"],
        "make_ids_unique": inputs["make_ids_unique"] or None,
    }
    return {k: v for k, v in options.items() if v is not None}


def _unreadable(what: str, path: Path, exc: Exception) -> str:
    """One line for an input that could not be read (a library's own error, put plainly;
    workbooks are checked, and their sheets named, by :func:`assetmap.read_assets`)."""
    said = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"{what}: cannot read {path.name}: {said}"


def _read_inputs(project: Project) -> _Inputs:
    """Every input read, and every problem of every input reported at once."""
    inputs = project["inputs"]
    if inputs["sample"]:
        register: Path = datasets.sample_register_path()
        relationships: Path | None = datasets.sample_relationships_path()
    else:
        register = Path(inputs["register"])
        relationships = Path(inputs["relationships"]) if inputs["relationships"] else None
    errors: list[AssetmapError] = []
    causes: list[Exception] = []  # kept for --debug's traceback
    problems: list[str] = []

    def attempt(what: str, path: str | Path | None, read: Callable[[], Any]) -> Any:
        try:
            return read()
        except AssetmapError as exc:
            errors.append(exc)
            problems.append(f"{what}: {_said(exc)}")
        except Exception as exc:  # the file libraries' own (pandas, openpyxl, pyogrio, lxml)
            causes.append(exc)
            problems.append(_unreadable(what, Path(path or ""), exc))
        return None

    options = _register_options(project)
    assets = attempt("the register", register, lambda: read_assets(register, **options))
    out = _Inputs(
        register=register,
        relationships_path=relationships,
        assets=assets,
        relationships=attempt(
            "the relationships",
            relationships,
            lambda: read_relationships(relationships) if relationships else None,
        ),
        levels=[
            attempt("the boundaries", p, partial(read_boundaries, p)) for p in inputs["boundaries"]
        ],
        imd=attempt(
            "the IMD files",
            (inputs["imd"] or [None])[0],
            lambda: read_imd(inputs["imd"]) if inputs["imd"] else None,
        ),
        streets=attempt(
            "the street graph",
            inputs["streets"],
            lambda: read_street_graph(inputs["streets"]) if inputs["streets"] else None,
        ),
        study=attempt(
            "the study area",
            project["geocode"]["study_area"],
            lambda: study_polygon(project["geocode"]["study_area"]),
        ),
    )
    if len(problems) == 1 and errors:
        raise errors[0]  # one error of ours: as it was raised (a SchemaError keeps its table)
    if problems:
        raise ConfigurationError(
            f"{len(problems)} input(s) could not be read:\n"
            + "\n".join(f"  - {p}" for p in problems)
        ) from (causes or errors or [None])[0]
    out.sources += ["boundaries"] * bool(out.levels) + ["imd"] * (out.imd is not None)
    return out


def _said(exc: AssetmapError) -> str:
    """An error's message as a project file's user needs it (the project file's words)."""
    message = getattr(exc, "message", None)
    return message(style="project") if callable(message) else str(exc)


def _place(project: Project, got: _Inputs) -> gpd.GeoDataFrame:
    """The register placed (as it was, when it was placed already), with its areas."""
    settings = project["geocode"]
    placed = got.assets
    if "geocode_method" not in placed.columns:
        online = [PostcodesIO()] if settings["online"] else []
        placed = geocode(placed, online=online, fallback=settings["fallback"], study_area=got.study)
        got.sources += ["postcodes.io"] * bool(online)
        log.info("geocoded:\n%s", geocode_summary(placed).to_string())
    if got.levels:
        placed = assign_areas(placed, got.levels)
    return placed


def _links(project: Project, placed: gpd.GeoDataFrame, got: _Inputs) -> pd.DataFrame:
    settings = project["links"]
    if got.streets is not None:
        got.sources.append("streets")
    return find_links(
        placed,
        kind=settings["kind"],
        max_distance_m=float(settings["max_distance_m"]),
        k=settings["k"],
        between=tuple(settings["between"]) if settings["between"] else None,
        decay=settings["decay"],
        decay_m=settings["decay_m"],
        weights=settings["weights"],
        streets=got.streets,
    )


def _where(project: Project, key: str, who: str, first: bool, name: str) -> Path | None:
    """Where an output goes for an audience: its own file (the first audience's at the file
    given, the others' beside it as ``<stem>.<audience><suffix>``), or the audience's folder."""
    setting = project["outputs"][key]
    if setting is False:
        return None
    if isinstance(setting, str):
        path = Path(setting)
        path.parent.mkdir(parents=True, exist_ok=True)  # inside the project, or allowed
        return path if first else path.with_name(f"{path.stem}.{who}{path.suffix}")
    folder = Path(project["outputs"]["folder"]) / who
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


@dataclass
class _Shared:
    """What every audience's outputs are made from."""

    placed: gpd.GeoDataFrame
    links: pd.DataFrame | None
    graph: nx.MultiGraph | None
    drawn: gpd.GeoDataFrame | None
    walking: gpd.GeoDataFrame | None
    got: _Inputs


def _for_audience(project: Project, who: Audience, first: bool, shared: _Shared) -> list[Path]:
    """Publish once for an audience, and write each of its outputs from that."""
    outputs, got = project["outputs"], shared.got
    policy = Policy(
        who,
        min_count=project["privacy"]["min_count"],
        gazetteer=ons_postcode_directory(),
        allow_small_counts=project["privacy"]["allow_small_counts"],
    )
    published = publish(
        shared.placed,
        policy=policy,
        areas=shared.drawn,
        links=shared.links,
        relationships=got.relationships,
    )
    written = []
    if path := _where(project, "map", who, first, "map.html"):
        written.append(_map(project, published, shared, path))
        got.sources.append("basemap")
    if (path := _where(project, "links", who, first, "links.csv")) and shared.links is not None:
        written.append(save_links(published, path))
    folder = Path(outputs["folder"]) / who
    for fmt in outputs["graph"]:
        folder.mkdir(parents=True, exist_ok=True)
        written.append(save_graph(published, folder / f"graph.{fmt}"))
    if outputs["report"] and shared.links is not None:
        folder.mkdir(parents=True, exist_ok=True)
        report_areas = got.levels[0] if got.levels else None
        imd = got.imd
        if imd is not None and (
            report_areas is None or not imd.index.isin(report_areas.index).any()
        ):
            imd = None  # IMD only for the level it fills
        report = build_report(
            shared.placed,
            shared.links,
            published=published,
            title=project.title,
            areas=report_areas,
            imd=imd,
            streets=got.streets,
            graph=shared.graph,
        )
        written.extend(save_report(report, folder))
    return written


def _map(project: Project, published: Published, shared: _Shared, path: Path) -> Path:
    if not project["map"]["links"]:
        published = replace(published, links=None)
    m = build_map(
        published,
        title=project.title,
        study_area=shared.got.study,
        areas=shared.drawn,
        catchments=shared.walking,
        streets=shared.got.streets,
    )
    return save_map(m, path, self_contained=project["map"]["self_contained"])


def _needs_links(project: Project) -> bool:
    outputs = project["outputs"]
    return bool(
        (outputs["map"] is not False and project["map"]["links"])
        or outputs["links"] is not False
        or outputs["graph"]
        or outputs["report"]
        or outputs["analyst"]
    )


@contextmanager
def _stage(bar: Any, what: str) -> Iterator[None]:
    bar.set_description(what)
    log.debug("run: %s", what)
    yield
    bar.update(1)


def run_project(project: Project | str | PathLike[str], *, progress: bool | None = None) -> Build:
    """Run a project: read, geocode, find links, and write every output it asks for.

    Parameters
    ----------
    project
        A :class:`~assetmap.project.Project`, or a project file (see
        :mod:`assetmap.project`).
    progress
        Show a progress bar over the stages; by default only in a terminal.

    Returns
    -------
    Build
        Every file written (``build.json`` last when recorded), with the placed register and
        its links.
    """
    if not isinstance(project, Project):
        project = read_project(project)
    outputs, audiences = project["outputs"], project["privacy"]["audiences"]
    show = sys.stderr.isatty() if progress is None else progress
    written: list[Path] = []
    with fixed_time(source_time()), tqdm(total=4, disable=not show, unit="step") as bar:
        with _stage(bar, "reading the inputs"):
            got = _read_inputs(project)
        with _stage(bar, "geocoding"):
            placed = _place(project, got)
        with _stage(bar, "finding links"):
            links = _links(project, placed, got) if _needs_links(project) else None
            graph = (
                graph_from_assets(placed, links=links, relationships=got.relationships)
                if outputs["report"] and links is not None
                else None
            )
            shared = _Shared(
                placed=placed,
                links=links,
                graph=graph,
                drawn=drawn_areas(got.levels, got.imd, got.study),
                walking=catchments(placed, got.streets) if got.streets is not None else None,
                got=got,
            )
        with _stage(bar, "writing"):
            for i, who in enumerate(audiences):
                written += _for_audience(project, who, i == 0, shared)
            written += _analyst(project, placed, links)
            if outputs["record"]:
                written.append(_write_record(project, got, written))
    log.info("wrote %d files", len(written))
    return Build(written, placed, links)


def _analyst(project: Project, placed: gpd.GeoDataFrame, links: pd.DataFrame | None) -> list[Path]:
    """The analyst's own copies (personal data), only when asked for."""
    outputs, written = project["outputs"], []
    if outputs["analyst"]:
        folder = Path(outputs["folder"]) / "analyst"
        folder.mkdir(parents=True, exist_ok=True)
        written.append(save_assets(placed, folder / "register.gpkg"))
        if links is not None:
            written.append(save_links(links, folder / "links.csv", analyst=True))
    if outputs["placed"]:
        Path(outputs["placed"]).parent.mkdir(parents=True, exist_ok=True)
        written.append(save_assets(placed, outputs["placed"]))
    if (
        isinstance(outputs["links"], str)
        and not project["privacy"]["audiences"]
        and links is not None
    ):
        written.append(save_links(links, outputs["links"], analyst=True))
    return written


def _write_record(project: Project, got: _Inputs, written: list[Path]) -> Path:
    out = Path(project["outputs"]["folder"])
    out.mkdir(parents=True, exist_ok=True)
    inputs = project["inputs"]
    used: dict[str, Any] = {
        "register": got.register,
        "relationships": got.relationships_path,
        "streets": inputs["streets"],
        "boundaries": inputs["boundaries"],
        "imd": inputs["imd"],
        "study_area": project["geocode"]["study_area"]
        if project["geocode"]["study_area"] not in BUNDLED_STUDY_AREAS
        else bundled_study_area_path(project["geocode"]["study_area"]),
    }
    body = record(project.path, project.settings, project.base, used, got.sources, written, out)
    path = out / "build.json"
    write_file(path, json.dumps(body, indent=1, ensure_ascii=False) + "\n")
    return path


def demo(
    out: str | PathLike[str] = "greater-icknield.html",
    *,
    audience: Audience | Literal["both"] = "both",
    self_contained: bool = True,
    boundaries: Sequence[str | PathLike[str]] = (),
    imd: Sequence[str | PathLike[str]] = (),
    streets: str | PathLike[str] | None = None,
) -> list[Path]:
    """Run the bundled Greater Icknield project: its maps, from the sample register.

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
    settings = _bundled_demo()
    for section in ("inputs", "privacy", "map", "outputs"):
        settings.setdefault(section, {})
    settings["inputs"].update(
        boundaries=[str(Path(p).resolve()) for p in boundaries],
        imd=[str(Path(p).resolve()) for p in imd],
        streets=str(Path(streets).resolve()) if streets is not None else None,
    )
    settings["privacy"]["audiences"] = ["public", "partners"] if audience == "both" else [audience]
    settings["map"]["self_contained"] = self_contained
    settings["outputs"]["map"] = str(Path(out).resolve())
    settings["outputs"]["allow_outside"] = True  # the map goes where the caller asked
    project = project_from_settings(settings, source="the demo project")
    written = [p for p in run_project(project, progress=False) if p.suffix == ".html"]
    for path in written:
        log.info("wrote the Greater Icknield demo map to %s", path)
    return written


def _bundled_demo() -> dict[str, Any]:
    """The bundled demo project's settings (data/sample/greater_icknield.toml)."""
    text = (datasets.data_folder() / "sample" / "greater_icknield.toml").read_text("utf-8")
    return tomllib.loads(text)
