"""Link opportunities on a map: their lines, their cards, the list view and its summary.

Owns the words a partner reads about a link (:data:`FACTOR_WORDS`, :data:`SCORE_MEANING`), the
score classes and their colours, and the list view's rows: one per link between records shown
exactly, and one per site and category for links to records shown only approximately
("Port Loop → 12 people within 1.2 km, places approximate"), their counts protected as the
privacy layer protects counts (below the policy's minimum, "fewer than N"). The summary line
(:func:`links_summary`) says how many links the map shows and how many involve records it
does not show; the command line prints the same sentence.
"""

from __future__ import annotations

import html
import re
from os import PathLike
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from ..schema import SCORE_DECIMALS
from ._elements import DataLayer, LinksTable, escape_html, label

#: Link scores by class: (lowest score, colour, line width, legend words). ColorBrewer Purples.
LINK_CLASSES = (
    (0.75, "#3f007d", 5.0, "0.75 and above"),
    (0.5, "#6a51a3", 3.5, "0.50 to 0.75"),
    (0.25, "#9e9ac8", 2.5, "0.25 to 0.50"),
    (0.0, "#cbc9e2", 1.5, "under 0.25"),
)
#: A link to a record shown only approximately: no score, a dashed grey line.
APPROXIMATE_LINE = ("#7a7a7a", 1.5, "5 4")

#: What a link score means, in one sentence (the legend's).
SCORE_MEANING = (
    "A link score runs from 0 to 1: how well an offer meets a need, times how close the two "
    "are, times the link's priority; 1 is a perfect match next door."
)
#: The score factors as people read them.
FACTOR_WORDS = {
    "match": "How well it matches",
    "proximity": "How close",
    "weight": "Priority",
    "score": "Link score",
}
#: How many records of a category, said in words ("12 people").
_PLURAL = {"individual": ("person", "people")}
#: The list view's columns and headings.
HEADINGS = {
    "from": "From",
    "to": "To",
    "why": "Why",
    "apart": "Distance",
    "score": "Link score",
}


def _score_text(value: Any) -> str:
    """A factor or score as every card and the list show it (:data:`SCORE_DECIMALS`)."""
    return f"{float(value):.{SCORE_DECIMALS}f}"


def _distance_text(metres: float) -> str:
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:,.0f} m"


def _apart(link: Any) -> str:
    """How far apart a link's ends are, as the card and the table say it."""
    walk = float(getattr(link, "walk_m", float("nan")))
    straight = float(getattr(link, "distance_m"))  # noqa: B009 - itertuples rows are untyped
    if np.isfinite(walk):
        return f"{_distance_text(walk)} walk"
    return _distance_text(straight) if np.isfinite(straight) else "not shown (place approximate)"


def _card_rows(link: Any, apart: str) -> list[list[str]]:
    """A link's popup: why, which needs it meets, how far, and each factor of its score."""
    met = ", ".join(getattr(link, "met", ()) or ())
    rows = [["Why", str(link.reason)]]
    if met:
        rows.append(["Meets", met])
    rows.append(["Distance", apart])
    for factor, words in FACTOR_WORDS.items():
        value = getattr(link, factor, float("nan"))
        if pd.notna(value):
            rows.append([words, _score_text(value)])
    return rows


def _how_many(n: int, category: str, min_count: int) -> str:
    """``"12 people"``, or ``"fewer than 5 people"`` below the policy's minimum count."""
    one, many = _PLURAL.get(category, (f"{label(category).lower()} record", None))
    many = many or f"{one}s"
    if n < min_count:
        return f"fewer than {min_count} {many}"
    return f"{n} {one if n == 1 else many}"


def _within(links: pd.DataFrame) -> str:
    """``"within 1.2 km"`` when the links were found within a known distance, else ``""``."""
    limit = links.attrs.get("max_distance_m")
    if limit is None:
        return ""
    try:
        metres = float(limit)
    except (TypeError, ValueError):
        return ""
    return f"within {_distance_text(metres)}" if np.isfinite(metres) else ""


class _Ends:
    """What the map shows of each published record a link may end at."""

    def __init__(self, drawn: gpd.GeoDataFrame) -> None:
        ids = drawn.index.astype("str")
        lon, lat = drawn.geometry.x.round(6), drawn.geometry.y.round(6)
        self.where = dict(zip(ids, zip(lon, lat, strict=True), strict=True))
        names = drawn["name"] if "name" in drawn.columns else pd.Series(pd.NA, index=drawn.index)
        exact = (drawn["shown"] == "exact").to_numpy()
        named = exact & names.notna().to_numpy()
        category = drawn["category"].astype("str")
        titles = np.where(named, names.astype("str"), category.map(label))
        self.title = dict(zip(ids, titles, strict=True))
        self.category = dict(zip(ids, category, strict=True))
        kind = drawn["kind"].astype("str") if "kind" in drawn else pd.Series("micro", drawn.index)
        groups = np.where(exact & (kind == "macro").to_numpy(), "Macro sites", category.map(label))
        self.group = dict(zip(ids, groups, strict=True))
        self.coarse = {i for i, e in zip(ids, exact, strict=True) if not e}


def _grouped_rows(
    approximate: list[tuple[str, str]], ends: _Ends, within: str, min_count: int
) -> list[dict[str, Any]]:
    """One list row per site and category for links to records shown only approximately."""
    groups: dict[tuple[str, str, str, str], int] = {}
    for s, t in approximate:
        side = "target" if t in ends.coarse else "source"
        known, hidden = (s, t) if side == "target" else (t, s)
        key = (side, ends.title[known], ends.category[hidden], ends.group[known])
        groups[key] = groups.get(key, 0) + 1
    rows = []
    for (side, known, category, group), n in sorted(groups.items()):
        many = _how_many(n, category, min_count)
        shown = f"{many}{' ' + within if within else ''}, places approximate"
        ends_text = (known, shown) if side == "target" else (shown, known)
        rows.append(
            {
                "from": ends_text[0],
                "to": ends_text[1],
                "why": "links to records shown only approximately, to protect privacy",
                "apart": within or "not shown",
                "score": None,
                "names": [known, label(category)],
                "groups": sorted({label(category), group}),
            }
        )
    return rows


def _summary(n_lines: int, n_exact: int, n_grouped: int, n_rows: int, unplaced: int,
             hidden: bool) -> str:  # fmt: skip
    """The list view's summary line (and the command line's)."""
    parts = [f"{n_lines} link{'' if n_lines == 1 else 's'} on the map"]
    if n_grouped:
        parts[0] += (
            f": {n_exact} listed one by one, and {n_grouped} to records shown only "
            f"approximately, grouped into {n_rows} row{'' if n_rows == 1 else 's'}"
        )
    text = parts[0] + "."
    if hidden:
        # how many is never said: it would count the records kept back (see assetmap.privacy)
        text += " Links to records not shown are left out, for privacy; how many is not said."
    if unplaced:
        text += f" {unplaced} link{'s' if unplaced != 1 else ''} to records with no place "
        text += "are not drawn."
    return text


def add_links(
    links: pd.DataFrame, drawn: gpd.GeoDataFrame, m: folium.Map, *, min_count: int, hidden: bool
) -> list[str]:
    """Links as lines (width and colour by score) with explaining popups, and the list view.

    ``min_count`` is the policy's: grouped counts below it read "fewer than". ``hidden`` says
    whether any record was kept back (then the summary says how many links involve them).
    """
    ends = _Ends(drawn)
    feats, rows, approximate = [], [], []
    unplaced = 0
    for k, link in enumerate(links.itertuples(index=False)):
        s, t = str(link.source), str(link.target)
        if s not in ends.where or t not in ends.where:
            unplaced += 1
            continue
        score = float(getattr(link, "score"))  # noqa: B009 - itertuples rows are untyped
        coarse = s in ends.coarse or t in ends.coarse
        style: dict[str, Any]
        if coarse or not np.isfinite(score):
            colour, width, dash = APPROXIMATE_LINE
            style = {"color": colour, "weight": width, "dashArray": dash}
        else:
            colour, width = next(((c, w) for low, c, w, _ in LINK_CLASSES if score >= low),
                                 LINK_CLASSES[-1][1:3])  # fmt: skip
            style = {"color": colour, "weight": width}
        apart = _apart(link)
        feats.append(
            {
                "type": "Feature",
                "id": f"link-{k}",
                "geometry": {"type": "LineString", "coordinates": [ends.where[s], ends.where[t]]},
                "properties": {
                    "title": f"{ends.title[s]} → {ends.title[t]}",
                    "subtitle": f"{label(str(link.kind))} link",
                    "rows": _card_rows(link, apart),
                    "style": style,
                },
            }
        )
        if coarse:
            approximate.append((s, t))
            continue
        rows.append(
            {
                "from": ends.title[s],
                "to": ends.title[t],
                "why": str(link.reason),
                "apart": apart,
                "score": round(score, SCORE_DECIMALS) if np.isfinite(score) else None,
                "names": [ends.title[s], ends.title[t]],
                "groups": sorted({ends.group[s], ends.group[t]}),
            }
        )
    grouped = _grouped_rows(approximate, ends, _within(links), min_count)
    summary = _summary(len(feats), len(rows), len(approximate), len(grouped), unplaced,
                       hidden)  # fmt: skip
    DataLayer(
        feats,
        name=f"Link opportunities ({len(feats)})",
        opts={"style": {"opacity": 0.85, "className": "assetmap-link"}, "searchable": False},
    ).add_to(m)
    m.get_root().add_child(LinksTable(rows + grouped, HEADINGS, summary))
    legend = [
        f'<li><span class="assetmap-swatch assetmap-line" style="border-top: {w}px solid {c};'
        f'width: 16px"></span>Link score {words}</li>'
        for _, c, w, words in LINK_CLASSES
    ]
    if approximate:
        colour, width, _ = APPROXIMATE_LINE
        legend.append(
            f'<li><span class="assetmap-swatch assetmap-line" style="border-top: {width}px '
            f'dashed {colour}; width: 16px"></span>Link to a place shown approximately</li>'
        )
    legend.append(f'<li class="assetmap-note">{escape_html(SCORE_MEANING)}</li>')
    return legend


_SUMMARY = re.compile(r'<p class="assetmap-links-summary"[^>]*>(.*?)</p>', re.S)


def links_summary(path: str | PathLike[str]) -> list[str]:
    """The summary line of each list view in a saved map: how many links it shows, and how
    many involve records it does not show (what ``assetmap map``, ``demo`` and ``build``
    print). Empty when the map has no list view."""
    page = Path(path).read_text(encoding="utf-8")
    return [html.unescape(found) for found in _SUMMARY.findall(page)]
