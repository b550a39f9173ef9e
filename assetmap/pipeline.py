"""Thin end-to-end runs that only call the public functions."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Literal

from . import datasets
from .areas import assign_areas, read_boundaries, read_imd
from .build import drawn_areas
from .geocode import geocode, study_polygon
from .links import find_links
from .maps import build_map, save_map
from .network import catchments, read_street_graph
from .privacy import Audience

__all__ = ["demo"]

log = logging.getLogger(__name__)


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
    assets = geocode(datasets.sample_register())
    levels = [read_boundaries(p) for p in boundaries]
    deprivation = read_imd(list(imd)) if imd else None
    drawn = None
    if levels:
        assets = assign_areas(assets, levels)
        drawn = drawn_areas(levels, deprivation, study_polygon("greater-icknield"))
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
            areas=drawn,
            catchments=walking,
            links=links,
        )
        written.append(save_map(m, where, self_contained=self_contained))
        log.info("wrote the Greater Icknield demo map for %s to %s", who, where)
    return written
