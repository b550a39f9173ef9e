"""OpenStreetMap files as they are distributed (Geofabrik, BBBike, the OSM website's export):
``.osm`` XML, compressed ``.osm.bz2`` / ``.osm.gz``, and ``.osm.pbf``, read into a walking
network.

XML is read here, streaming, with the standard library (no extra package); PBF, a binary
format, through pyosmium (``pip install "assetmap[osm]"``), the OpenStreetMap Foundation's own
bindings to libosmium: maintained by OSM's core developers, wheels for every platform, and it
reads a city's extract in seconds where pure-Python PBF readers take minutes.

The walking network keeps the ways osmnx's ``network_type="walk"`` keeps (a ``highway`` that is
not a motorway, cycleway, construction site, platform or proposed road, not an area, not
``foot=no``, ``access=private`` or ``service=private``), both ways round (walking ignores
one-way streets), split at every node so that the streets keep their shape; each segment's
``length`` is its geodesic length in metres.
"""

from __future__ import annotations

import bz2
import gzip
import logging
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast
from xml.etree.ElementTree import ParseError, iterparse

import networkx as nx
import numpy as np
import pyproj

from ..errors import ConfigurationError, Problem, SchemaError

__all__ = ["graph_from_osm", "osm_format"]

log = logging.getLogger(__name__)

#: ``highway`` values osmnx's walking network leaves out (its ``network_type="walk"`` filter).
_NOT_WALKED = frozenset(
    {
        "abandoned", "bus_guideway", "busway", "construction", "cycleway", "motor", "motorway",
        "motorway_link", "no", "planned", "platform", "proposed", "raceway", "razed",
    }
)  # fmt: skip

_GEOD = pyproj.Geod(ellps="WGS84")

#: How each OSM format starts: bzip2, gzip, XML (or a PBF header block).
_MAGIC = {b"BZh": "bz2", b"\x1f\x8b": "gz"}


def walked(tags: Mapping[str, str]) -> bool:
    """Whether a way with these tags is part of the walking network (as osmnx's walk filter)."""
    highway = tags.get("highway")
    if highway is None or highway in _NOT_WALKED:
        return False
    if tags.get("area") == "yes" or tags.get("foot") == "no":
        return False
    return tags.get("access") != "private" and tags.get("service") != "private"


def osm_format(path: Path) -> str | None:
    """``"xml"``, ``"bz2"``, ``"gz"`` or ``"pbf"`` for an OpenStreetMap file (by its first
    bytes, then its name), None for anything else (GraphML)."""
    with open(path, "rb") as f:
        head = f.read(64)
    name = path.name.lower()
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind if ".osm" in name or name.endswith((".xml.bz2", ".xml.gz")) else None
    if b"OSMHeader" in head[:32] or name.endswith(".pbf"):
        return "pbf"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<osm") or (text.startswith(b"<?xml") and b"<osm" in _peek(path)):
        return "xml"
    return None


def _peek(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(4096)


def _open_xml(path: Path, kind: str) -> IO[bytes]:
    if kind == "bz2":
        return bz2.open(path, "rb")
    if kind == "gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


def _xml_elements(
    path: Path, kind: str
) -> Iterator[tuple[str, dict[str, str], list[str], dict[str, str]]]:
    """(tag, attributes, node refs, tags) of each node and way, streamed."""
    refs: list[str] = []
    tags: dict[str, str] = {}
    with _open_xml(path, kind) as f:
        for _, elem in iterparse(f, events=("end",)):
            if elem.tag == "nd":
                refs.append(elem.get("ref", ""))
            elif elem.tag == "tag":
                tags[elem.get("k", "")] = elem.get("v", "")
            elif elem.tag in ("node", "way", "relation"):
                yield elem.tag, dict(elem.attrib), refs, tags
                refs, tags = [], {}
                elem.clear()


@dataclass(frozen=True)
class _Nodes:
    """Node positions by id, as sorted numpy arrays (a city's millions of nodes in 24 bytes
    each, where a dict of tuples takes ten times as much)."""

    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray

    @classmethod
    def of(cls, ids: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> _Nodes:
        order = np.argsort(ids, kind="stable")
        return cls(ids[order], lon[order], lat[order])

    def find(self, wanted: np.ndarray) -> np.ndarray:
        """Positions of ``wanted`` ids (-1 where absent)."""
        at = np.searchsorted(self.ids, wanted)
        at = np.minimum(at, max(len(self.ids) - 1, 0))
        found = (self.ids[at] == wanted) if len(self.ids) else np.zeros(len(wanted), dtype=bool)
        return np.where(found, at, -1)


_Ways = list[tuple[int, list[int], dict[str, str]]]


def _read_xml(path: Path, kind: str) -> tuple[_Nodes, _Ways]:
    ids, lon, lat = array("q"), array("d"), array("d")
    ways: _Ways = []
    try:
        for tag, attrs, refs, tags in _xml_elements(path, kind):
            if tag == "node":
                if "lon" in attrs and "lat" in attrs:  # a deleted node in a change file has none
                    ids.append(int(attrs["id"]))
                    lon.append(float(attrs["lon"]))
                    lat.append(float(attrs["lat"]))
            elif tag == "way" and walked(tags):
                ways.append((int(attrs["id"]), [int(r) for r in refs], tags))
    except (ParseError, OSError, EOFError, ValueError, KeyError) as exc:
        raise SchemaError(
            str(path), [Problem.of_table(f"cannot read it as OpenStreetMap XML ({kind}): {exc}")]
        ) from exc
    nodes = _Nodes.of(
        np.frombuffer(ids, dtype=np.int64).copy(),
        np.frombuffer(lon, dtype="float64").copy(),
        np.frombuffer(lat, dtype="float64").copy(),
    )
    return nodes, ways


def _read_pbf(path: Path) -> tuple[_Nodes, _Ways]:
    try:
        import osmium  # optional: pip install "assetmap[osm]"
    except ImportError as exc:
        raise ConfigurationError(
            f"reading {path.name} (OpenStreetMap PBF) needs pyosmium: pip install "
            '"assetmap[osm]" (or pip install osmium); .osm, .osm.bz2 and .osm.gz files need '
            "nothing more"
        ) from exc
    ids, lon, lat = array("q"), array("d"), array("d")
    ways: _Ways = []
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        )
        for way in processor:
            if not isinstance(way, osmium.osm.Way):  # the filter lets only ways through
                continue
            tags = {t.k: t.v for t in way.tags}
            if not walked(tags):
                continue
            refs = []
            for nd in way.nodes:
                if nd.location.valid():
                    ids.append(nd.ref)
                    lon.append(nd.location.lon)
                    lat.append(nd.location.lat)
                refs.append(nd.ref)
            ways.append((way.id, refs, tags))
    except RuntimeError as exc:  # libosmium's errors (a corrupt or truncated file)
        raise SchemaError(
            str(path), [Problem.of_table(f"cannot read it as OpenStreetMap PBF: {exc}")]
        ) from exc
    unique, first = np.unique(np.frombuffer(ids, dtype=np.int64), return_index=True)
    x, y = np.frombuffer(lon, dtype="float64"), np.frombuffer(lat, dtype="float64")
    return _Nodes(unique, x[first], y[first]), ways


def graph_from_osm(path: Path, kind: str) -> nx.MultiDiGraph:
    """The walking network of an OpenStreetMap file, as osmnx shapes a graph: nodes with ``x``
    (longitude) and ``y`` (latitude), edges both ways with ``length`` (metres), ``osmid``,
    ``highway`` and ``name`` where given; ``G.graph["crs"]`` is EPSG:4326."""
    nodes, ways = _read_pbf(path) if kind == "pbf" else _read_xml(path, kind)
    refs = [np.asarray(r, dtype=np.int64) for _, r, _ in ways]
    u = np.concatenate([r[:-1] for r in refs]) if refs else np.empty(0, dtype=np.int64)
    v = np.concatenate([r[1:] for r in refs]) if refs else np.empty(0, dtype=np.int64)
    way = np.repeat(np.arange(len(ways)), [max(len(r) - 1, 0) for r in refs])
    pu, pv = nodes.find(u), nodes.find(v)
    inside = (pu >= 0) & (pv >= 0)  # a way may run out of the extract
    keep = inside & (u != v)
    missing = int((~inside).sum())
    if not keep.any():
        raise SchemaError(
            str(path),
            [
                Problem.of_table(
                    f"no walkable street in it ({len(ways):,} walkable ways, {len(nodes.ids):,} "
                    "nodes with a position): an extract of the streets, with their nodes, is "
                    "needed"
                )
            ],
        )
    u, v, pu, pv, way = u[keep], v[keep], pu[keep], pv[keep], way[keep]
    lengths = _GEOD.inv(nodes.lon[pu], nodes.lat[pu], nodes.lon[pv], nodes.lat[pv])[2]
    G = nx.MultiDiGraph(crs="EPSG:4326", source=path.name)
    used = np.unique(np.r_[pu, pv])
    G.add_nodes_from(
        (int(n), {"x": float(x), "y": float(y)})
        for n, x, y in zip(nodes.ids[used], nodes.lon[used], nodes.lat[used], strict=True)
    )
    kept = []
    for way_id, _, tags in ways:
        attrs: dict[str, object] = {"osmid": way_id, "highway": tags["highway"]}
        if "name" in tags:
            attrs["name"] = tags["name"]
        kept.append(attrs)
    rounded = np.round(lengths, 3).tolist()
    G.add_edges_from(
        (a, b, {"length": d, **kept[w]})
        for a, b, d, w in zip(u.tolist(), v.tolist(), rounded, way.tolist(), strict=True)
    )
    G.add_edges_from(
        (b, a, {"length": d, **kept[w]})
        for a, b, d, w in zip(u.tolist(), v.tolist(), rounded, way.tolist(), strict=True)
    )
    if missing:
        log.info("%s: %d street segments run out of the extract and were left out", path, missing)
    return G
