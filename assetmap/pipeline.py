"""Thin end-to-end runs that only call the public functions."""

from __future__ import annotations

import logging
from os import PathLike
from pathlib import Path

from . import datasets
from .geocode import geocode
from .maps import Audience, build_map, save_map

__all__ = ["demo"]

log = logging.getLogger(__name__)


def demo(
    out: str | PathLike[str] = "greater-icknield.html",
    *,
    audience: Audience = "public",
    self_contained: bool = True,
) -> Path:
    """Geocode the bundled Greater Icknield register and save its map.

    Parameters
    ----------
    out
        Where to write the HTML map.
    audience
        ``"public"`` or ``"partners"``; see :func:`assetmap.build_map`.
    self_contained
        Inline every script and stylesheet so the file opens with no network.

    Returns
    -------
    pathlib.Path
        The map written.
    """
    assets = geocode(datasets.sample_register())
    m = build_map(assets, audience=audience, title="Greater Icknield assets (sample data)")
    path = save_map(m, out, self_contained=self_contained)
    log.info("wrote the Greater Icknield demo map to %s", path)
    return path
