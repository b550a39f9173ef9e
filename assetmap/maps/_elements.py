"""The folium elements assetmap's pages are made of, and the text helpers that feed them.

Owns assetmap's own small runtime (``static/assetmap.js`` and ``assetmap.css``, once per page),
the switchable :class:`DataLayer` the runtime draws from GeoJSON (the many, points and links,
are packed instead: see ``_packed``), the legend, the search and full-screen controls and the
table of link opportunities. Every text from a register reaches them through
:func:`json_for_script` or :func:`escape_html`, which are safe inside a ``<script>`` or HTML and
survive branca's second Jinja pass.
"""

from __future__ import annotations

import html
import re
from importlib import resources
from typing import Any, TypeVar

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from ..errors import ConfigurationError
from ..privacy import Published
from ._json import json_for_script


def escape_html(text: str) -> str:
    """HTML-escaped text that branca's second Jinja pass leaves as it is."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


def label(value: str) -> str:
    """A column or category name as people read it: ``"walk_m"`` → ``"Walk m"``."""
    return value.replace("_", " ").capitalize()


#: What starts Jinja syntax: a text without any is given back by Jinja as it is (but for its
#: line breaks, all made ``\n``, and one line break at its end left off).
_JINJA = ("{{", "{%", "{#")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Verbatim(Element):
    """Text put into the page as it is: never compiled as a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


def rendered(text: str) -> Element:
    """A part of the page as branca gives it (an element whose text Jinja compiles and renders
    again), without compiling it when it holds no Jinja syntax: then the same text."""
    if any(mark in text for mark in _JINJA):
        return Element(text)
    lines = _LINE_BREAK.split(text)
    if lines[-1] == "":
        del lines[-1]
    return Verbatim("\n".join(lines))


class RenderedOnce(MacroElement):
    """A macro element whose parts (header, html, script) reach the page through
    :func:`rendered`: a page of megabytes is not compiled as a Jinja template a second time.
    (Put after folium's classes among the bases: what they do before rendering is kept.)"""

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        element: Any = self
        figure = element.get_root()
        assert isinstance(figure, Figure), "render this element inside a Figure"
        macros = element._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = macros.get(part)
            if macro is not None:
                getattr(figure, part).add_child(
                    rendered(macro(element, kwargs)), name=element.get_name()
                )
        for child in element._children.values():
            child.render(**kwargs)


def _static(name: str) -> str:
    return (resources.files("assetmap.maps") / "static" / name).read_text(encoding="utf-8")


class Runtime(RenderedOnce):
    """assetmap's own script and styles, once per page."""

    _template = Template(
        "{% macro header(this, kwargs) %}<style>{{ this.css }}</style>"
        "<script>{{ this.js }}</script>{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "AssetmapRuntime"
        self.css = _static("assetmap.css")
        self.js = _static("assetmap.js")


class DataLayer(folium.map.Layer, RenderedOnce):
    """A switchable layer drawn from GeoJSON by assetmap's runtime."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = assetmap.layer({{ this.data }}, {{ this.opts }});"
        "{% endmacro %}"
    )

    def __init__(
        self,
        features: list[dict[str, Any]],
        *,
        name: str,
        opts: dict[str, Any],
        show: bool = True,
        control: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "AssetLayer"
        self.data = json_for_script({"type": "FeatureCollection", "features": features})
        self.opts = json_for_script(opts)


class Publications(MacroElement):
    """What was published onto this map (one entry per :func:`assetmap.build_map` on it), so
    that :func:`assetmap.save_map` writes their audit; renders nothing. Every publication on
    one page is for one audience."""

    _template = Template("")

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "publications"
        self.published: list[Published] = []

    def add(self, published: Published) -> None:
        audiences = {p.policy.audience for p in self.published} | {published.policy.audience}
        if len(audiences) > 1:
            raise ConfigurationError(
                "this map already shows what another audience may see "
                f"({', '.join(sorted(audiences))}): one page is for one audience; draw a map each"
            )
        self.published.append(published)


_Child = TypeVar("_Child", bound=Element)


def map_child(m: folium.Map, name: str, kind: type[_Child]) -> _Child:
    """The map's one element of ``kind`` under ``name`` (made and added on first use)."""
    found = m._children.get(name)
    if not isinstance(found, kind):
        found = kind()
        m.add_child(found, name=name)
    return found


def publications(m: folium.Map) -> Publications:
    """The map's record of what was published onto it (made on first use)."""
    return map_child(m, "assetmap_publications", Publications)


class Legend(RenderedOnce):
    """A legend whose (escaped) HTML is in the page and which a Leaflet control shows.

    One per map: each :func:`assetmap.build_map` onto the map adds its lines with :meth:`add`
    (under its own heading when its title differs from the first).
    """

    _template = Template(
        "{% macro html(this, kwargs) %}"
        '<div id="{{ this.get_name() }}" class="assetmap-legend assetmap-panel" hidden>'
        '<button type="button" class="assetmap-toggle" aria-expanded="true" '
        'aria-controls="{{ this.get_name() }}-body">Legend</button>'
        '<div id="{{ this.get_name() }}-body" class="assetmap-panel-body" tabindex="0" '
        'role="region" aria-label="Legend">{{ this.body }}</div>'
        "</div>"
        "{% endmacro %}"
        "{% macro script(this, kwargs) %}"
        'assetmap.legend({{ this._parent.get_name() }}, "{{ this.get_name() }}", '
        '"bottomleft");'
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "legend"
        self.sections: list[tuple[str, list[str]]] = []
        self.coarse = 0
        self.hidden = False

    def add(self, title: str, lines: list[str], coarse: int, hidden: bool) -> None:
        """Add one drawing's legend lines (already HTML), and what it showed coarsely or hid."""
        self.sections.append((title, lines))
        self.coarse += coarse
        self.hidden = self.hidden or hidden

    @property
    def body(self) -> str:
        """The legend's HTML: the title, a line per layer, notes on what is not shown exactly."""
        titles = list(dict.fromkeys(title for title, _ in self.sections))
        parts = []
        for k, title in enumerate(titles):
            lines = dict.fromkeys(li for t, some in self.sections if t == title for li in some)
            tag = "h2" if k == 0 else "h3"
            parts.append(f"<{tag}>{escape_html(title)}</{tag}><ul>{''.join(lines)}</ul>")
        notes = []
        if self.coarse:
            notes.append(
                f"{self.coarse} records are shown only approximately, unnamed (dashed outline)."
            )
        if self.hidden:
            # how many is not said: with what the map shows, it would count the hidden ones
            notes.append("Private records are not shown: they are only counted, per area.")
        return "".join(parts) + "".join(f"<p>{escape_html(n)}</p>" for n in notes)


class Controls(RenderedOnce):
    """Search by name, a category filter and a full-screen button (assetmap's runtime).

    One per map: a later :func:`assetmap.build_map` onto the map adds its groups to the filter.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "assetmap.search({{ this._parent.get_name() }}, {{ this.groups }}, {{ this.list }});"
        "assetmap.fullscreen({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "controls"
        self.names: list[str] = []
        self.with_list = False

    def add(self, groups: list[str], with_list: bool) -> None:
        """Offer these groups in the category filter too (each once, in order); with a list
        view, offer a link to it."""
        self.names = list(dict.fromkeys([*self.names, *groups]))
        self.with_list = self.with_list or with_list

    @property
    def list(self) -> str:
        return "true" if self.with_list else "false"

    @property
    def groups(self) -> str:
        return json_for_script(self.names)


class LinksTable(RenderedOnce):
    """The list view: link opportunities as an accessible table, filled by the runtime from
    the links layer's packed columns (only the rows on screen when there are many), with a
    line saying how many links the map shows and how many involve records it does not show.
    It is announced as the text alternative to the map."""

    _template = Template(
        "{% macro html(this, kwargs) %}"
        '<section id="{{ this.get_name() }}-list" class="assetmap-links-table" '
        'aria-label="List view: the map\'s link opportunities as text, an alternative to the map">'
        "<h2>Link opportunities as a list</h2><p>This list gives the same links as the map, as "
        "text. Search and the category filter on the map filter it too.</p>"
        '<p class="assetmap-links-summary">{{ this.summary }}</p>'
        '<p class="assetmap-list-status" aria-live="polite"></p>'
        '<table id="{{ this.get_name() }}"><caption>Link opportunities ({{ this.count }} rows), '
        "best first. Select a heading to sort.</caption><thead><tr>"
        '{% for h in this.headings %}<th scope="col"><button type="button">{{ h }}'
        "</button></th>{% endfor %}</tr></thead><tbody></tbody></table></section>"
        "{% endmacro %}"
        "{% macro script(this, kwargs) %}"
        'assetmap.table("{{ this.get_name() }}", assetmap.data("{{ this.layer.data_id }}"), '
        "{{ this.columns }}, {{ this.words }});"
        "{% endmacro %}"
    )

    def __init__(self, layer: Any, count: int, headings: dict[str, str], summary: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "links_table"
        self.layer = layer  # the packed links layer: its columns hold the rows (runtime)
        self.count = count
        self.summary = escape_html(summary)
        self.headings = [escape_html(h) for h in headings.values()]
        self.columns = json_for_script(list(headings))
        self.words = json_for_script(list(headings.values()))


class Layout(RenderedOnce):
    """The layout of the map's controls (assetmap's runtime): the layer list collapsible like
    the legend, both collapsed on small screens, and each kept within the map's height so
    that no control covers another. Comes after the layer switcher."""

    _template = Template(
        "{% macro script(this, kwargs) %}assetmap.layout({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "layout"
