"""The ``assetmap`` command."""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeAlias

from .errors import AssetmapError, ConfigurationError
from .geocoding import cache_info, clear_cache, geocode_summary
from .maps import links_summary
from .project import Build, demo, project_from_settings, read_project, run_project

__all__ = ["main"]


#: The subcommands' parsers (argparse's own type for them).
_Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _register_options(parser: argparse.ArgumentParser, out: str) -> None:
    """The arguments of every command that reads a register: what to read, and how."""
    parser.add_argument("register", help="the register to read (placed or not)")
    parser.add_argument("out", help=out + "; its folder must exist")
    how = parser.add_argument_group("reading the register")
    how.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="HEADING=FIELD",
        help="a heading of your file and the field it holds, e.g. 'Post Code=postcode', or "
        "two fields: 'Site Address=name,address'; once per heading (recognised headings "
        "need none)",
    )
    how.add_argument(
        "--default",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a value for every row that has none, e.g. 'category=institution'; once per field",
    )
    how.add_argument(
        "--value",
        action="append",
        default=[],
        metavar="FIELD:FROM=TO",
        help="read your register's word as assetmap's, e.g. 'category:Static Library="
        "institution'; once per word",
    )
    how.add_argument("--sheet", help="the Excel sheet to read, by name (the first by default)")
    how.add_argument("--layer", help="the GeoPackage layer to read (the first by default)")
    how.add_argument(
        "--make-ids-unique",
        action="store_true",
        help="give repeated ids a suffix instead of stopping with an error",
    )
    how.add_argument(
        "--study-area",
        metavar="FILE",
        help="the area the register is about: a boundary file (GeoJSON, GeoPackage, "
        "Shapefile; any CRS) or a bundled area's name (greater-icknield); rows outside it are "
        "marked, and the map draws it. None by default",
    )


def _register_and_distance(parser: argparse.ArgumentParser, out: str) -> None:
    """The arguments every command on a register and its links shares."""
    _register_options(parser, out)
    parser.add_argument(
        "--max-distance-m",
        "--max-distance",  # its first name, kept for one release
        dest="max_distance",
        type=float,
        default=1200.0,
        metavar="METRES",
        help="how far apart an offer and a need may be, in metres (default: 1200, about a "
        "15-minute walk)",
    )


def _version() -> str:
    try:
        return version("assetmap")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assetmap",
        description="Map a place's assets and find where they can help each other.",
    )
    parser.add_argument("--version", action="version", version=f"assetmap {_version()}")
    parser.add_argument(
        "--debug", action="store_true", help="show full tracebacks and detailed logging"
    )
    parser.epilog = (
        "Exit codes: 0 done; 1 the data or an option could not be used (one message says "
        "why); 2 the command line itself was wrong."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _geocode_command(sub)
    _links_command(sub)
    drawing = _map_command(sub)
    _build_command(sub)
    _cache_command(sub)
    for command in (_demo_command(sub), drawing):
        _drawing_options(command)
    return parser


def _geocode_command(sub: _Commands) -> None:
    """``assetmap geocode IN OUT``."""
    g = sub.add_parser(
        "geocode",
        help="place every row of a register and write it with how each was placed",
        description="Read a register (CSV, XLSX, GeoJSON, GeoPackage, GeoParquet), place every "
        "row as well as its data allows (coordinates, site footprint, postcode, postcode "
        "sector or district), and write it with geocode_method, geocode_precision_m, "
        "geocode_note and in_study_area. The file written keeps every field: it is the "
        "analyst's copy, not one to share.",
    )
    _register_options(g, "where to write the placed register (format from the suffix)")
    g.add_argument(
        "--online",
        action="store_true",
        help="ask postcodes.io for postcodes missing from the offline directory (sends "
        "postcodes only; answers are cached)",
    )
    g.add_argument(
        "--no-fallback",
        action="store_true",
        help="do not place rows at the centre of their postcode sector or district",
    )


def _links_command(sub: _Commands) -> None:
    """``assetmap links IN OUT``."""
    lk = sub.add_parser(
        "links",
        help="find where offers meet needs close enough to matter, and write the links",
        description="Read a register (placed or not: it is placed first), find the link "
        "opportunities (or close pairs) and write them as CSV or XLSX, best first, each with "
        "its reason and score factors.",
    )
    _register_and_distance(lk, "where to write the links (.csv or .xlsx)")
    lk.add_argument(
        "--kind",
        choices=["opportunity", "proximity"],
        default="opportunity",
        help="offers meeting needs, or plain close pairs (default: opportunity)",
    )
    lk.add_argument(
        "--between",
        nargs=2,
        metavar=("SIDE", "SIDE"),
        help="only pairs with one asset of each side: kinds or categories, e.g. micro macro",
    )
    lk.add_argument(
        "--streets",
        metavar="FILE",
        help="a street graph (GraphML as osmnx saves it): links to macro-assets on foot",
    )
    lk.add_argument(
        "--audience",
        choices=["public", "partners", "analyst"],
        default="public",
        help="who will read the file: 'public' and 'partners' get only what their map would "
        "show (records that may not be named appear as their category, with an audit file "
        "beside); 'analyst' gets every id (default: public)",
    )


def _map_command(sub: _Commands) -> argparse.ArgumentParser:
    """``assetmap map IN OUT``."""
    mp = sub.add_parser(
        "map",
        help="draw a register as one HTML map a partner can open from an e-mail",
        description="Read a register (placed or not: it is placed first) and write its map: "
        "macro sites, micro assets by category, link opportunities with the list view, and "
        "optionally areas by IMD decile and walking catchments. Only what the audience may "
        "see reaches the page; an audit file is written beside it.",
    )
    _register_and_distance(mp, "the HTML file to write")
    mp.add_argument(
        "--audience",
        choices=["public", "partners"],
        default="public",
        help="who will see the map (default: public)",
    )
    mp.add_argument(
        "--no-links", action="store_true", help="draw no link opportunities (and no list view)"
    )
    mp.add_argument("--title", default="Assets", help="the legend's heading")
    return mp


def _build_command(sub: _Commands) -> None:
    """``assetmap build project.toml``."""
    b = sub.add_parser(
        "build",
        help="run a project file: maps, tables, graph files and reports, reproducibly",
        description="Read a project file (TOML) that names the inputs, the column mapping, the "
        "parameters and the outputs, and write, per audience, the map, the links, the graph "
        "files and the report (HTML to print, XLSX, CSV), plus build.json recording the "
        "inputs' checksums, the parameters, the versions and the data sources' licences. The "
        "same project file and inputs give the same bytes. See examples/greater-icknield.toml.",
    )
    b.add_argument("project", help="the project file (.toml)")
    b.add_argument("--no-progress", action="store_true", help="no progress bar, even in a terminal")
    b.add_argument(
        "--allow-outside",
        action="store_true",
        help="let the project write outside its own folder (as allow_outside = true in [outputs])",
    )


def _cache_command(sub: _Commands) -> None:
    """``assetmap cache info|clear``."""
    c = sub.add_parser(
        "cache",
        help="see or empty the cache of online geocoding answers",
        description="Online look-ups (postcodes.io, Nominatim) are cached in one file only you "
        "can read, so nothing is asked twice: every postcode and address sent, with its "
        "answer. 'info' says where it is and what it holds; 'clear' forgets the answers.",
    )
    c.add_argument("action", choices=["info", "clear"], help="what to do")
    c.add_argument(
        "--provider",
        metavar="NAME",
        help="clear only this provider's answers (e.g. postcodes.io, nominatim)",
    )


def _cache(args: argparse.Namespace) -> None:
    if args.action == "info":
        print(cache_info())
        return
    gone = clear_cache(args.provider)
    print(f"forgot {gone:,} answer(s)" + (f" of {args.provider}" if args.provider else ""))


def _demo_command(sub: _Commands) -> argparse.ArgumentParser:
    """``assetmap demo``."""
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
    return d


def _drawing_options(parser: argparse.ArgumentParser) -> None:
    """The options of the commands that draw a map: areas, IMD, streets, CDN."""
    parser.add_argument(
        "--boundaries",
        action="append",
        default=[],
        metavar="FILE",
        help="an ONS boundary file (GeoJSON, GeoJSONL, GeoPackage, Shapefile), e.g. LSOA 2011 "
        "or wards from the ONS Open Geography Portal; give it more than once for several "
        "levels. Each asset gets the code and name of its area; the areas are drawn",
    )
    parser.add_argument(
        "--imd",
        action="append",
        default=[],
        metavar="FILE",
        help="an English Indices of Deprivation 2019 CSV from gov.uk (File 1, or File 2 for "
        "the domains); LSOA 2011 areas are then filled by IMD decile",
    )
    parser.add_argument(
        "--streets",
        metavar="FILE",
        help="a street graph for the area (GraphML as osmnx saves it, or an OpenStreetMap "
        ".osm file with osmnx installed); the macro sites' 5-, 10- and 15-minute walks "
        "are drawn, and links to them are measured on foot",
    )
    parser.add_argument(
        "--cdn",
        action="store_true",
        help="load Leaflet from a CDN instead of inlining it (smaller file, "
        "needs internet to open)",
    )


#: How the settings a command line gives are named in its messages.
_LABELS = {
    "inputs.register": "REGISTER",
    "inputs.sheet": "--sheet",
    "inputs.layer": "--layer",
    "inputs.streets": "--streets",
    "inputs.boundaries": "--boundaries",
    "inputs.imd": "--imd",
    "columns": "--column",
    "defaults": "--default",
    "values": "--value",
    "geocode.study_area": "--study-area",
    "links.max_distance_m": "--max-distance-m",
    "links.between": "--between",
    "links.kind": "--kind",
    "outputs.placed": "OUT",
    "outputs.links": "OUT",
    "outputs.map": "OUT",
    "title": "--title",
}


class _Options:
    """The register options of a command line, read into settings; every malformed one kept
    as a problem, to be reported with the settings' own."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.problems: list[str] = []
        self.columns: dict[str, str] = {}
        self.defaults: dict[str, str] = {}
        self.values: dict[str, dict[str, str]] = {}
        for given in args.column:
            heading, sep, fields = given.rpartition("=")
            if self._fine("--column", given, sep and heading.strip() and fields.strip(),
                          "HEADING=FIELD, e.g. 'Post Code=postcode'"):  # fmt: skip
                self._put(self.columns, "--column", heading.strip(), fields.strip())
        for given in args.default:
            name, sep, value = given.partition("=")
            if self._fine("--default", given, sep and name.strip() and value.strip(),
                          "FIELD=VALUE, e.g. 'category=institution'"):  # fmt: skip
                self._put(self.defaults, "--default", name.strip(), value.strip())
        for given in args.value:
            name, colon, rest = given.partition(":")
            word, sep, to = rest.rpartition("=")
            if self._fine("--value", given, colon and sep and name.strip() and word.strip()
                          and to.strip(), "FIELD:FROM=TO, e.g. 'category:Static Library="
                          "institution'"):  # fmt: skip
                words = self.values.setdefault(name.strip(), {})
                self._put(words, f"--value {name.strip()}:", word.strip(), to.strip())
        out = Path(args.out)
        if not out.parent.is_dir():
            self.problems.append(
                f"OUT: there is no folder {str(out.parent)!r} to write {out.name} in; create it "
                "first (assetmap makes only a project's own output folders)"
            )

    def _fine(self, option: str, given: str, ok: object, form: str) -> bool:
        if not ok:
            self.problems.append(f"{option} wants {form}; {given!r} was given")
        return bool(ok)

    def _put(self, table: dict[str, str], option: str, key: str, value: str) -> None:
        if key in table and table[key] != value:
            self.problems.append(
                f"{option} {key!r} is given twice ({table[key]!r} and {value!r}): give it once"
            )
        table[key] = value

    def settings(self, args: argparse.Namespace) -> dict[str, Any]:
        """The settings of reading the register (and of writing a file the user named)."""
        return {
            "inputs": {
                "register": args.register,
                "sheet": args.sheet,
                "layer": args.layer,
                "make_ids_unique": args.make_ids_unique,
            },
            "columns": self.columns,
            "defaults": self.defaults,
            "values": self.values,
            "geocode": {"study_area": args.study_area},
            # OUT was named on the command line: it goes where it was asked to
            "outputs": {"allow_outside": True},
        }


#: What a command writes when it writes only its own file.
_NOTHING_ELSE = {"map": False, "links": False, "graph": [], "report": False, "record": False}


def _run(args: argparse.Namespace, settings: dict[str, Any]) -> Build:
    """Build the command's project and run it (the one pipeline, as ``assetmap build`` runs)."""
    options = _Options(args)
    merged = options.settings(args)
    for section, values in settings.items():
        merged[section] = {**merged.get(section, {}), **values} if section != "title" else values
    merged["outputs"] = {**_NOTHING_ELSE, **merged["outputs"]}
    project = project_from_settings(
        merged, source=f"assetmap {args.command}", labels=_LABELS, problems=options.problems
    )
    return run_project(project, progress=False)


def _geocode(args: argparse.Namespace) -> None:
    build = _run(
        args,
        {
            "geocode": {"online": args.online, "fallback": not args.no_fallback},
            "privacy": {"audiences": []},
            "outputs": {"placed": args.out},
        },
    )
    print(geocode_summary(build.assets).to_string())
    print(f"wrote {build[-1]}")


def _links(args: argparse.Namespace) -> None:
    build = _run(
        args,
        {
            "inputs": {"streets": args.streets},
            "links": {
                "kind": args.kind,
                "max_distance_m": args.max_distance,
                "between": list(args.between or []),
            },
            "privacy": {"audiences": [] if args.audience == "analyst" else [args.audience]},
            "outputs": {"links": args.out},
        },
    )
    n = 0 if build.links is None else len(build.links)
    print(f"{n} {args.kind} links; wrote {build[-1]}")


def _map(args: argparse.Namespace) -> None:
    build = _run(
        args,
        {
            "title": args.title,
            "inputs": {
                "boundaries": list(args.boundaries),
                "imd": list(args.imd),
                "streets": args.streets,
            },
            "links": {"max_distance_m": args.max_distance, "between": []},
            "privacy": {"audiences": [args.audience]},
            "map": {"self_contained": not args.cdn, "links": not args.no_links},
            "outputs": {"map": args.out},
        },
    )
    print(f"wrote {build[-1]}")
    _print_link_counts(build)


def _build(args: argparse.Namespace) -> None:
    overrides = {"outputs": {"allow_outside": True}} if args.allow_outside else None
    project = read_project(args.project, overrides=overrides)
    written = run_project(project, progress=False if args.no_progress else None)
    print(f"wrote {len(written)} files; the record is {written[-1]}")
    _print_link_counts(written)


def _demo(args: argparse.Namespace) -> None:
    folder = Path(args.out).parent
    if not folder.is_dir():
        raise ConfigurationError(
            f"--out: there is no folder {str(folder)!r} to write {Path(args.out).name} in; "
            "create it first"
        )
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
    _print_link_counts(paths)


def _print_link_counts(written: Sequence[Path]) -> None:
    """Each map's own summary of its links: the numbers the map shows, as it shows them."""
    for path in written:
        if path.suffix in (".html", ".htm"):
            for line in links_summary(path):
                print(f"{path.name}: {line}")


_COMMANDS = {
    "geocode": _geocode,
    "links": _links,
    "map": _map,
    "build": _build,
    "cache": _cache,
    "demo": _demo,
}


def _message(exc: BaseException, style: str) -> str:
    """One message for any failure: ours as written, the libraries' and the system's put
    plainly, anything else named as the bug it is."""
    if isinstance(exc, AssetmapError):
        message = getattr(exc, "message", None)
        return str(message(style=style)) if callable(message) else str(exc)
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or exc}: {exc.filename}"
    if isinstance(exc, OSError | MemoryError):
        return f"{type(exc).__name__}: {exc}"
    return (
        f"{type(exc).__name__}: {exc}\nThis was not expected: run again with --debug to see "
        "where, and please report it"
    )


def _warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """A warning as one line on stderr (no source line beneath it)."""
    print(f"assetmap: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 data or option error).

    Any failure ends in one message on stderr and exit code 1; ``--debug`` shows its
    traceback instead. A command line that argparse cannot read exits with 2.
    """
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO, format="%(message)s")
    logging.getLogger("pyogrio").setLevel(logging.DEBUG if args.debug else logging.WARNING)
    style = "project" if args.command == "build" else "cli"
    try:
        with warnings.catch_warnings():
            if not args.debug:  # each warning once, as one line (-W error is for --debug)
                warnings.simplefilter("default")
                warnings.showwarning = _warning
            _COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("assetmap: stopped", file=sys.stderr)
        return 130
    except Exception as exc:  # the one boundary: every failure is one message
        if args.debug:
            raise
        print(f"assetmap: error: {_message(exc, style)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
