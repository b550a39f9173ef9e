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
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import SCORE_DECIMALS, id_positions
from ._drawn import Drawn
from ._elements import LinksTable, escape_html, label
from ._packed import (
    Factorised,
    PackedLayer,
    Texts,
    distance_text,
    factorise_numbers,
    fixed_digits,
    fixed_factorised,
    ints,
    numbers,
    page_texts,
    tag_lists,
)
from ._templates import templated

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


def _within(links: pd.DataFrame) -> str:
    """``"within 1.2 km"`` when the links were found within a known distance, else ``""``."""
    limit = links.attrs.get("max_distance_m")
    if limit is None:
        return ""
    try:
        metres = float(limit)
    except (TypeError, ValueError):
        return ""
    return f"within {distance_text([metres])[0]}" if np.isfinite(metres) else ""


class _Ends:
    """What the map shows of each published record a link may end at, as columns."""

    def __init__(self, drawn: Drawn) -> None:
        self.ids = drawn.ids
        self.lon, self.lat = drawn.lon, drawn.lat
        self.exact = drawn.exact
        codes, uniques = drawn.factorised("category", text=True)
        said = np.array([*map(str, uniques), "nan"], dtype=object)
        self.category = said[codes]
        labels = np.array([label(c) for c in said], dtype=object)[codes]
        name_codes, names = drawn.factorised("name", text=True)
        named = self.exact & (name_codes >= 0)
        self.title = labels.copy()
        self.title[named] = names[name_codes[named]]
        macro = self.exact & drawn.where("kind", "macro")
        self.group = np.where(macro, "Macro sites", labels)

    def positions(self, ids: pd.Series) -> np.ndarray:
        """Where each id stands among the records drawn (``-1``: not drawn)."""
        return id_positions(self.ids, ids)


def _grouped_rows(
    side_target: np.ndarray, known: np.ndarray, hidden: np.ndarray, ends: _Ends, within: str,
    min_count: int, texts: Texts,
) -> dict[str, list[int]]:  # fmt: skip
    """One list row per site and category for links to records shown only approximately, as
    columns of texts (one per site and category, made column by column).
    ``side_target`` says, per such link, whether its target is the end shown approximately;
    ``known`` and ``hidden`` are the positions of its other end and of that end."""
    keys = pd.DataFrame(
        {
            "side": np.where(side_target, "target", "source"),
            "known": ends.title[known],
            "category": ends.category[hidden],
            "group": ends.group[known],
        }
    )
    sizes = keys.groupby(list(keys.columns), sort=True).size().reset_index(name="n")
    why = texts.code("links to records shown only approximately, to protect privacy")
    apart = texts.code(within or "not shown")
    # each row's texts, column by column in Arrow: from, to, its two names, its two groups
    cat_codes, found = pd.factorize(sizes["category"].astype(str))
    categories = [str(c) for c in found]
    words = [_PLURAL.get(c, (f"{label(c).lower()} record", None)) for c in categories]
    at = pa.array(cat_codes)
    one = pa.array([w[0] for w in words], pa.string()).take(at)
    many = pa.array([w[1] or f"{w[0]}s" for w in words], pa.string()).take(at)
    n = sizes["n"].to_numpy(dtype=np.int64)
    counted = pc.binary_join_element_wise(
        pc.cast(pa.array(n), pa.string()), pc.if_else(pa.array(n == 1), one, many), " "
    )
    fewer = pc.binary_join_element_wise(f"fewer than {min_count}", many, " ")
    after = f" {within}" if within else ""
    shown = pc.binary_join_element_wise(
        pc.if_else(pa.array(n < min_count), fewer, counted), f"{after}, places approximate", ""
    )  # "12 people", "1 person", or "fewer than 5 people" below the policy's minimum
    target = pa.array(sizes["side"].to_numpy(dtype=object) == "target")
    known_title = pa.array(sizes["known"].astype(str).to_numpy(dtype=object), pa.string())
    group = pa.array(sizes["group"].astype(str).to_numpy(dtype=object), pa.string())
    named = pa.array([label(c) for c in categories], pa.string()).take(at)
    named_first = pc.less_equal(named, group)  # (UTF-8 bytes sort as their characters)
    columns = [
        pc.if_else(target, known_title, shown),
        pc.if_else(target, shown, known_title),
        known_title,
        named,
        pc.if_else(named_first, named, group),
        pc.if_else(named_first, group, named),
    ]
    rows = len(sizes)
    # row after row, numbered in that order (as if one by one)
    order = (np.arange(6)[None, :] * rows + np.arange(rows)[:, None]).ravel()
    said = pa.concat_arrays([c.cast(pa.string()) for c in columns]).take(pa.array(order))
    codes = texts.codes(said).reshape(-1, 6)
    return {
        "from": codes[:, 0].tolist(),
        "to": codes[:, 1].tolist(),
        "why": [why] * len(sizes),
        "apart": [apart] * len(sizes),
        "names": codes[:, 2:4].ravel().tolist(),
        "groups": codes[:, 4:6].ravel().tolist(),
    }


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


def _column(links: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column of the links (all missing when they have none)."""
    if name not in links.columns:
        return np.full(len(links), np.nan)
    return pd.to_numeric(links[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _apart(links: pd.DataFrame) -> Factorised:
    """How far apart each link's ends are, as the card and the table say it: said once per
    distinct pair of distances (walked, straight)."""
    walk, straight = _column(links, "walk_m"), _column(links, "distance_m")
    w_codes, w_values = factorise_numbers(walk)
    s_codes, s_values = factorise_numbers(straight)
    span = len(s_values) + 1
    codes, pairs = pd.factorize((w_codes + 1) * span + (s_codes + 1))
    w_at, s_at = pairs // span - 1, pairs % span - 1
    walk = np.where(w_at >= 0, np.append(w_values, np.nan)[w_at], np.nan)
    straight = np.where(s_at >= 0, np.append(s_values, np.nan)[s_at], np.nan)
    walked = distance_text(walk)
    text = distance_text(straight).fillna("not shown (place approximate)")
    has_walk = walked.notna().to_numpy()
    text[has_walk] = walked[has_walk] + " walk"
    return Factorised(codes, text.to_numpy(dtype=object))


#: How far apart a link's ends are, as templates (see :func:`_apart_templated`): none known;
#: metres; kilometres with each tenth; and each of those walked.
_APART_TEMPLATES = np.array(
    [
        "not shown (place approximate)",
        *(
            f"{said}{walked}"
            for walked in ("", " walk")
            for said in ("# m", *(f"#.{d} km" for d in range(10)))
        ),
    ],
    dtype=object,
)


def _apart_templated(links: pd.DataFrame, texts: Texts) -> dict[str, Any]:
    """``templated(_apart(links), texts)``, made from the numbers themselves: each link's
    template is one of :data:`_APART_TEMPLATES` and its number the whole metres, or the whole
    kilometres, as :func:`distance_text` writes them (no text written and read back)."""
    walk, straight = _column(links, "walk_m"), _column(links, "distance_m")
    walked = np.isfinite(walk)
    m = np.where(walked, walk, straight)
    finite = np.isfinite(m)
    if (np.signbit(m) & finite).any() or (finite & (m >= 1e11)).any():
        return templated(_apart(links), texts)  # (a distance no register gives: said as text)
    km = finite & (m >= 1000)
    metres = fixed_digits(np.where(km, 0.0, m), 0)
    tenths = fixed_digits(np.where(km, m / 1000, 0.0), 1)
    kind = np.where(km, 2 + tenths % 10, 1) + np.where(walked, 11, 0)
    kind[~finite] = 0
    number = np.where(km, tenths // 10, metres)[finite]
    return {
        "tpl": texts.packed(texts.numbered(kind, _APART_TEMPLATES)),
        "num": ints(number),
    }


def _met(links: pd.DataFrame) -> pd.Series:
    """The needs each link meets, as text (missing when none)."""
    if "met" not in links.columns:
        return pd.Series(None, index=range(len(links)), dtype=object)
    return tag_lists(links["met"].reset_index(drop=True))


def _classes(score: np.ndarray, approximate: np.ndarray) -> np.ndarray:
    """Each line's style: its score class (:data:`LINK_CLASSES`), or the approximate line."""
    lows = np.array([low for low, *_ in LINK_CLASSES])
    cls = np.full(len(score), len(LINK_CLASSES) - 1, dtype=np.int64)
    for k in range(len(lows) - 1, -1, -1):
        cls[score >= lows[k]] = k
    cls[approximate | ~np.isfinite(score)] = len(LINK_CLASSES)
    return cls


def _line_styles() -> list[dict[str, Any]]:
    colour, width, dash = APPROXIMATE_LINE
    styles: list[dict[str, Any]] = [{"color": c, "weight": w} for _, c, w, _ in LINK_CLASSES]
    return [*styles, {"color": colour, "weight": width, "dashArray": dash}]


def add_links(
    links: pd.DataFrame, drawn: Drawn, m: folium.Map, *, min_count: int, hidden: bool,
    points: Sequence[tuple[PackedLayer, np.ndarray, str]] = (), canvas: bool = False,
) -> list[str]:  # fmt: skip
    """Links as lines (width and colour by score) with explaining popups, and the list view.

    ``min_count`` is the policy's: grouped counts below it read "fewer than". ``hidden`` says
    whether any record was kept back (then the summary says how many links involve them).
    ``points``: packed point layers (with their rows' positions among those ``drawn``, in
    order, and their group)
    whose points lines may end at: such ends are written as their row there (the page
    carries each point once), the others (macro sites) with their own place and title.
    ``canvas``: draw the lines on one canvas (for many), not as SVG paths. Every column is
    made at once (no Python object per link): texts as numbers into one table, cards and
    list rows put together by the runtime when shown.
    """
    ends = _Ends(drawn)
    si, ti = ends.positions(links["source"]), ends.positions(links["target"])
    placed = (si >= 0) & (ti >= 0)
    unplaced = int((~placed).sum())
    rows = np.flatnonzero(placed)
    shown = links.iloc[rows].reset_index(drop=True)
    si, ti = si[rows], ti[rows]
    coarse = ~ends.exact[si] | ~ends.exact[ti]
    score = _column(shown, "score")
    # the records the lines end at: their own (those not drawn as packed points), each once,
    # then every row of the point layers given, as the runtime joins them
    in_pool = np.full(len(ends.ids), -1, dtype=np.int64)
    if points:
        pooled = np.concatenate([rows for _, rows, _ in points])
        in_pool[pooled] = np.arange(len(pooled))
    used = np.flatnonzero(np.bincount(np.concatenate([si, ti]), minlength=len(ends.ids)))
    own = used[in_pool[used] < 0]
    number = np.full(len(ends.ids), -1, dtype=np.int64)
    number[own] = np.arange(len(own))
    pool = in_pool >= 0
    number[pool] = len(own) + in_pool[pool]
    table = page_texts(m)
    texts = table.texts
    columns: dict[str, Any] = {
        "ends": numbers(np.column_stack([ends.lon[own], ends.lat[own]]).ravel()),
        "title": texts.packed(texts.codes(ends.title[own])),
        "group": texts.packed(texts.codes(ends.group[own])),
        "s": ints(number[si]),
        "t": ints(number[ti]),
        "cls": ints(_classes(score, coarse), keyed=True),
        "subtitle": texts.packed(
            Factorised.said(
                shown["kind"].astype(object), lambda k: f"{label(str(k))} link"
            ).numbers(texts)
        ),
        # reasons differ mostly in their numbers: one template each, and the numbers
        "why": templated(shown["reason"].astype("str"), texts),
        "meets": texts.packed(texts.codes(_met(shown))),
        "apart": _apart_templated(shown, texts),
        "templated": ["why", "apart"],
        "factors": [
            [
                texts.number(texts.code(words)),
                texts.packed(fixed_factorised(_column(shown, f), SCORE_DECIMALS).numbers(texts)),
            ]
            for f, words in FACTOR_WORDS.items()
        ],
        "scored": list(FACTOR_WORDS).index("score"),  # the list view's score column
        "words": [texts.number(texts.code(w)) for w in ("Why", "Meets", "Distance")],
        "list": ints(np.flatnonzero(~coarse)),
    }
    approximate = int(coarse.sum())
    side_target = ~ends.exact[ti[coarse]]  # the end shown approximately (the target if both)
    known = np.where(side_target, si[coarse], ti[coarse])
    hidden_end = np.where(side_target, ti[coarse], si[coarse])
    grouped = _grouped_rows(side_target, known, hidden_end, ends, _within(links), min_count, texts)
    columns["grouped"] = {c: texts.packed(v) for c, v in grouped.items()}
    n_grouped = len(grouped["from"])
    n_lines = len(rows)
    summary = _summary(n_lines, n_lines - approximate, approximate, n_grouped, unplaced,
                       hidden)  # fmt: skip
    layer = PackedLayer(
        columns,
        name=f"Link opportunities ({n_lines})",
        opts={
            "lines": True,
            "canvas": canvas,
            "style": {"opacity": 0.85, "className": "assetmap-link"},
            "classes": _line_styles(),
            "searchable": False,
        },
        texts=table,
        joins=[(layer, texts.number(texts.code(group))) for layer, _, group in points],
    )
    layer.add_to(m)
    m.get_root().add_child(LinksTable(layer, n_lines - approximate + n_grouped, HEADINGS, summary))
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
