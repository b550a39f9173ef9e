"""A map as one HTML file: the libraries it loads, its element ids, and :func:`save_map`.

Owns the one list of scripts and stylesheets a map may load (Leaflet, from a CDN, and the same
files inside an installed package), the numbering of folium's element ids in tree order (same
map, same bytes), and writing the page: either self-contained, with every script and stylesheet
inlined so it opens with no network, or loading them from the CDN checked with subresource
integrity. The map's privacy audit is written beside it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import weakref
from collections.abc import Iterator
from importlib import resources
from os import PathLike
from pathlib import Path

import folium
from branca.element import Element

from .._reproducible import write_file
from ..errors import ConfigurationError
from ..privacy import write_audit
from ._elements import Publications

LEAFLET_VERSION = "1.9.3"
#: Where Leaflet's files are loaded from when a map is not self-contained.
CDN = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist"
#: Every script and stylesheet a map may load: URL → (package holding the same file, path).
_LIBRARIES: dict[str, tuple[str, str]] = {
    f"{CDN}/leaflet.js": ("xstatic.pkg.leaflet", "data/leaflet.js"),
    f"{CDN}/leaflet.css": ("xstatic.pkg.leaflet", "data/leaflet.css"),
}


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


#: Elements numbered already (they keep their number).
_NUMBERED: weakref.WeakSet[Element] = weakref.WeakSet()


def number_elements(root: Element) -> None:
    """Replace folium's random element ids with numbers in tree order (same map, same ids).

    An element keeps its number once given: what a page rendered before holds is replaced,
    not repeated, when the map is drawn on again and rendered anew. Elements added since are
    numbered after the others, in tree order.
    """
    elements = list(_walk(root))
    n = 1 + max((int(e._id) for e in elements if e in _NUMBERED), default=-1)
    for element in elements:
        if element not in _NUMBERED:
            element._id = f"{n:04d}"
            _NUMBERED.add(element)
            n += 1


def unrender(m: folium.Map, element: Element) -> None:
    """Take what ``element`` put into the page when the map was last rendered out of it (so
    that, rendered again, it comes where the element now stands, or not at all)."""
    root = m.get_root()
    for part in ("header", "html", "script"):
        rendered = getattr(root, part, None)
        if rendered is not None:
            rendered._children.pop(element.get_name(), None)


def _file_bytes(url: str) -> bytes:
    package, path = _LIBRARIES[url]
    return (resources.files(package) / path).read_bytes()


def _inline_css(url: str) -> str:
    css = _file_bytes(url).decode("utf-8")
    package, path = _LIBRARIES[url]
    folder = resources.files(package) / str(Path(path).parent)

    def data_uri(match: re.Match[str]) -> str:
        target = folder / match.group(1)
        if not target.is_file():
            return match.group(0)
        encoded = base64.b64encode(target.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    return re.sub(r"url\(([^)\"':]+\.png)\)", data_uri, css)


_SCRIPT = re.compile(r'<script src="(?P<url>[^"]+)"></script>')
_STYLE = re.compile(r'<link rel="stylesheet" href="(?P<url>[^"]+)"/>')


def _inlined(page: str) -> str:
    """The page with every script and stylesheet it loads written into it."""
    unknown = sorted(
        {u for pat in (_SCRIPT, _STYLE) for u in pat.findall(page) if u not in _LIBRARIES}
    )
    if unknown:
        raise ConfigurationError(
            "cannot save a self-contained map: these files are not available offline: "
            f"{unknown}; remove the plugins that load them or save with "
            "self_contained=False"
        )
    page = _SCRIPT.sub(
        lambda mt: (
            "<script>"
            + _file_bytes(mt["url"]).decode("utf-8").replace("</script", "<\\/script")
            + "</script>"
        ),
        page,
    )
    return _STYLE.sub(lambda mt: "<style>" + _inline_css(mt["url"]) + "</style>", page)


def _integrity(url: str) -> str:
    if url not in _LIBRARIES:
        return ""
    digest = base64.b64encode(hashlib.sha384(_file_bytes(url)).digest()).decode()
    return f' integrity="sha384-{digest}" crossorigin="anonymous"'


def _checked(page: str) -> str:
    """The page loading its scripts and stylesheets with subresource integrity, where known."""
    page = _SCRIPT.sub(
        lambda mt: f'<script src="{mt["url"]}"{_integrity(mt["url"])}></script>', page
    )
    return _STYLE.sub(
        lambda mt: f'<link rel="stylesheet" href="{mt["url"]}"{_integrity(mt["url"])}/>', page
    )


_VIEWPORT = re.compile(r'<meta name="viewport" content="[^"]*"\s*/>')


def _accessible(page: str) -> str:
    """The page in its language, and zoomable by its reader (folium forbids pinch-zoom)."""
    page = page.replace("<html>", '<html lang="en">', 1)
    return _VIEWPORT.sub(
        '<meta name="viewport" content="width=device-width, initial-scale=1.0" />', page, count=1
    )


def save_map(m: folium.Map, path: str | PathLike[str], *, self_contained: bool = False) -> Path:
    """Write a map as one HTML file.

    Parameters
    ----------
    m
        A map from :func:`assetmap.maps.build_map`.
    path
        Where to write it.
    self_contained
        Inline every script and stylesheet (from installed packages), so the file opens with
        no network at all (only the basemap tiles then stay blank). Otherwise the page loads
        the same files from a CDN, checked with subresource integrity.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ConfigurationError
        When ``self_contained`` is asked for but the map loads a file assetmap cannot inline
        (from a plugin added by hand); the message lists them.
    """
    root = m.get_root()
    number_elements(root)
    page = _accessible(root.render())
    page = _inlined(page) if self_contained else _checked(page)
    out = Path(path)
    write_file(out, page)
    found = m._children.get("assetmap_publications")
    if isinstance(found, Publications) and found.published:
        write_audit(found.published, out)
    return out
