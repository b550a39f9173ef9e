"""The ``assetmap`` command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from . import __version__
from .errors import AssetmapError
from .pipeline import demo

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assetmap",
        description="Map a place's assets and find where they can help each other.",
    )
    parser.add_argument("--version", action="version", version=f"assetmap {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show full tracebacks and detailed logging"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    d = sub.add_parser(
        "demo",
        help="build the Greater Icknield demo map from bundled data",
        description="Geocode the bundled Greater Icknield sample register "
        "and save its map as one HTML file.",
    )
    d.add_argument(
        "--out",
        default="greater-icknield.html",
        help="where to write the map (default: %(default)s)",
    )
    d.add_argument(
        "--audience",
        choices=["public", "partners", "both"],
        default="both",
        help="who will see the map: 'public' names only public records; 'partners' also "
        "names records shared with partners; 'both' writes the public map to --out and the "
        "partners' map beside it as NAME.partners.html (default: both)",
    )
    d.add_argument(
        "--boundaries",
        action="append",
        default=[],
        metavar="FILE",
        help="an ONS boundary file (GeoJSON, GeoJSONL, GeoPackage, Shapefile), e.g. LSOA 2011 "
        "or wards from the ONS Open Geography Portal; give it more than once for several "
        "levels. Each asset gets the code and name of its area; the areas are drawn",
    )
    d.add_argument(
        "--imd",
        action="append",
        default=[],
        metavar="FILE",
        help="an English Indices of Deprivation 2019 CSV from gov.uk (File 1, or File 2 for "
        "the domains); LSOA 2011 areas are then filled by IMD decile",
    )
    d.add_argument(
        "--streets",
        metavar="FILE",
        help="a street graph for the area (GraphML as osmnx saves it, or an OpenStreetMap "
        ".osm file with osmnx installed); the hospital's and other sites' 5-, 10- and "
        "15-minute walks are drawn",
    )
    d.add_argument(
        "--cdn",
        action="store_true",
        help="load Leaflet from a CDN instead of inlining it (smaller file, "
        "needs internet to open)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 data or option error)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO, format="%(message)s")
    try:
        if args.command == "demo":
            paths = demo(
                args.out,
                audience=args.audience,
                self_contained=not args.cdn,
                boundaries=args.boundaries,
                imd=args.imd,
                streets=args.streets,
            )
            for path in paths:
                print(f"wrote {path}")
    except AssetmapError as exc:
        if args.debug:
            raise
        print(f"assetmap: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
