"""The report's HTML page: one self-contained document a partner reads on screen or on paper.

The page speaks plainly: column headings come from :data:`assetmap.report._columns.HEADINGS`
(never the workbook's column names), empty cells are empty (never "<NA>" or "nan"), scores
have one precision, and every table has a caption and header cells with a scope. Printed, it
gives A4 pages whose table rows, figures and headings are never split from what follows them.

Every piece of text is escaped (:func:`html.escape`), so names from the register cannot inject
markup.
"""

from __future__ import annotations

import base64
import html
import numbers
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from ..schema import SCORE_DECIMALS
from ._columns import ABOUT, COLUMNS, TITLES, describe, heading
from ._model import Report

__all__ = ["CSS", "cell_text", "report_page"]

_e = html.escape

#: Columns shown as counts or measures (right-aligned), whatever their values.
_NUMERIC = {
    "assets", "median_precision_m", "with_note", "geocode_precision_m", "rank", "distance_m",
    "walk_m", "score", "n_uncovered", "within_m", "total", "links", "linked_share", "imd_rank",
    "imd_decile", "supply", "demand", "gap", "shortfall", "micro", "people", "betweenness",
    "n_stranded",
}  # fmt: skip

#: Values written in plain words on the page.
_WORDS = {
    "measured": {"walk": "walking", "straight": "straight line"},
}

#: What each chart shows, for readers who cannot see it (the tables hold the same numbers).
_ALT = {
    "links per area": "Bar chart of the link opportunities in each area (the 20 areas with "
    "most); the Areas table holds the same numbers.",
    "score distribution": "Histogram of the scores of the sites' link opportunities; each "
    "site's table lists them.",
    "supply and demand by skill": "Bar chart of supply and demand for each skill or resource; "
    "the table of skills holds the same numbers.",
}


def _blank(value: object) -> bool:
    """True for every kind of missing value pandas may hold (None, NaN, NA, NaT)."""
    return bool(pd.api.types.is_scalar(value) and pd.isna(cast(Any, value)))


def cell_text(column: str, value: object) -> str:
    """How one value reads on the page: empty when missing, counts with thousands separators,
    scores to :data:`SCORE_DECIMALS` decimals, shares as percentages, yes/no for true/false,
    categories in words."""
    if isinstance(value, tuple | list):
        return "; ".join(map(str, value))
    if _blank(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if column in _WORDS:
        return _WORDS[column].get(str(value), str(value))
    if isinstance(value, numbers.Number):
        number = float(value)  # type: ignore[arg-type]
        if column == "score":
            return f"{number:.{SCORE_DECIMALS}f}"
        if column == "betweenness":
            return f"{number:.3f}"
        if column == "linked_share":
            return f"{number:.0%}"
        if number.is_integer():
            return f"{int(number):,}"
        return f"{number:,.2f}".rstrip("0").rstrip(".")
    if column in ("partner_category", "category"):
        return heading(str(value))
    return str(value)


def _table(
    table: pd.DataFrame,
    caption: str,
    *,
    columns: Sequence[str] | None = None,
    row_header: str | None = None,
    limit: int | None = None,
    more: str = "rows",
    seen: set[str],
) -> str:
    """One table: a caption, plain headings with ``scope``, escaped cells; in a box that
    scrolls sideways on a narrow screen (reachable by keyboard)."""
    columns = list(table.columns if columns is None else columns)
    seen.update(columns)
    shown = table if limit is None else table.head(limit)
    numeric = {
        c
        for c in columns
        if c in _NUMERIC
        or (pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c]))
    }
    head = "".join(
        f'<th scope="col"{" class=n" if c in numeric else ""}>{_e(heading(c))}</th>'
        for c in columns
    )
    rows = []
    for values in shown[columns].itertuples(index=False, name=None):
        cells = []
        for column, value in zip(columns, values, strict=True):
            text = _e(cell_text(column, value))
            klass = " class=n" if column in numeric else ""
            if column == row_header:
                cells.append(f'<th scope="row"{klass}>{text}</th>')
            else:
                cells.append(f"<td{klass}>{text}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    body = (
        f'<div class=scroll tabindex="0" role="region" aria-label="{_e(caption)}">'
        f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    if limit is not None and len(table) > limit:
        body += f"<p class=more>… and {len(table) - limit:,} more {more} in the workbook.</p>"
    return body


#: The page's style sheet: a narrow screen scrolls wide tables in their own box; printed, A4
#: pages that split no table row, figure or glossary entry and end with no heading.
CSS = """
body{font:11pt/1.45 system-ui,sans-serif;margin:0 auto;padding:1em;max-width:60em;color:#1a1a1a}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.3em;border-bottom:1px solid #767676;
margin-top:1.8em}h3{font-size:1.08em;margin:1.4em 0 .3em}
nav ul{columns:2 14em;padding-left:1.2em}.notes li{margin:.2em 0}
.scroll{overflow-x:auto;margin:.4em 0 .8em}.scroll:focus{outline:2px solid #1a5fb4}
table{border-collapse:collapse;font-size:9.5pt}
caption{text-align:left;font-weight:600;padding:.2em 0;caption-side:top}
th,td{border:1px solid #b0b0b0;padding:2px 6px;text-align:left;vertical-align:top}
thead th{background:#ececec}tbody th{font-weight:normal}.n{text-align:right}
figure{margin:1em 0}img{max-width:100%;height:auto}
figcaption,.more,.about{color:#4a4a4a;font-size:.9em}dt{font-weight:600;margin-top:.5em}
dd{margin-left:1.2em}code{font-size:.9em}
@page{size:A4;margin:14mm 12mm 16mm}
@media print{
body{max-width:none;padding:0;font-size:9.5pt}nav{display:none}
.scroll{overflow:visible;margin:.3em 0 .6em}table{font-size:8pt;width:100%}
h1,h2,h3,caption,.lead,.about{break-after:avoid}
tr,figure,img,dl>div,.notes li,p{break-inside:avoid}
thead{display:table-header-group;break-after:avoid}tbody tr:first-child{break-before:avoid}
figure img{max-height:230mm;width:auto}dl{columns:2;column-gap:2em;font-size:8.5pt}
a{color:inherit;text-decoration:none}
}
"""


def _area_tables(table: pd.DataFrame, limit: int | None, seen: set[str]) -> str:
    """The areas table as narrower ones that fit a phone and an A4 page: assets by category
    (six categories a table), then links and deprivation."""
    named = ["area_name"] if table["area_name"].notna().any() else ["area_code"]
    categories = [c for c in table.columns if c not in COLUMNS]
    measures = [c for c in table.columns if c in COLUMNS and c != named[0]]
    chunks = [categories[i : i + 6] for i in range(0, len(categories), 6)] or [[]]
    parts = []
    for number, chunk in enumerate(chunks, start=1):
        last = number == len(chunks)
        caption = "Areas: assets by category" + (
            f" ({number} of {len(chunks)})" if len(chunks) > 1 else ""
        )
        columns = [*named, *chunk, *(["assets"] if last else [])]
        parts.append(
            _table(
                table,
                caption,
                columns=columns,
                row_header=named[0],
                limit=limit,
                more="areas",
                seen=seen,
            )
        )
    parts.append(
        _table(
            table,
            "Areas: links and deprivation",
            columns=[*named, *measures],
            row_header=named[0],
            limit=limit,
            more="areas",
            seen=seen,
        )
    )
    return "".join(parts)


def _site(report: Report, macro: str, number: int, seen: set[str]) -> str:
    """One site: its needs, its ranked link opportunities, the records linked only by
    category, and what lies within reach."""
    t = report.tables
    needs = t["macro_needs"].set_index("macro_id")
    links = t["macro_links"][t["macro_links"]["macro_id"] == macro]
    names = [*needs.loc[needs.index == macro, "macro_name"], *links["macro_name"]]
    name = next((str(n) for n in names if not _blank(n)), macro)
    parts = [f'<section class=site aria-labelledby="site-{number}"><h3 id="site-{number}">'
             f"{_e(name)}</h3>"]  # fmt: skip
    if macro in needs.index:
        row = needs.loc[macro]
        needed = cell_text("needs", row["needs"]) or "nothing listed"
        uncovered = cell_text("uncovered", row["uncovered"]) or "none"
        parts.append(
            f"<p class=lead>Needs: {_e(needed)}. Needs no one nearby meets: "
            f"<b>{_e(uncovered)}</b>.</p>"
        )
    ranked = links[links["rank"].notna()]
    unranked = links[links["rank"].isna()]
    columns = ["rank", "direction", "partner_id", "partner_category", "distance_m"]
    if ranked["walk_m"].notna().any():
        columns.append("walk_m")
    columns += ["score", "reason"]
    shown = ranked.assign(partner_id=ranked["partner_name"].fillna(ranked["partner_id"]))
    if len(ranked):
        parts.append(
            _table(
                shown,
                f"Link opportunities of {name}, best first",
                columns=columns,
                row_header="partner_id",
                limit=10,
                more="link opportunities",
                seen=seen,
            )
        )
    elif not len(unranked):
        parts.append("<p>No link opportunity.</p>")
    if len(unranked):
        per = unranked.drop_duplicates("partner_id")["partner_category"].value_counts()
        per = per.sort_index()
        listed = ", ".join(f"{heading(str(c))}: {n:,}" for c, n in per.items())
        count = int(per.sum())
        parts.append(
            f"<p>Also linked with {count:,} record{'s' if count != 1 else ''} shown only by "
            f"their category, at an approximate place ({_e(listed)}); they have no name, "
            "distance, score or rank here.</p>"
        )
    catch = t["macro_catchments"]
    bands = catch[catch["macro_id"] == macro].drop(columns=["macro_id", "macro_name"])
    if len(bands):
        how = cell_text("measured", bands["measured"].iloc[0])
        caption = f"What lies within reach of {name} ({how}), by category"
        bands = bands.drop(columns="measured")
        parts.append(_table(bands, caption, row_header="within_m", seen=seen))
    parts.append("</section>")
    return "".join(parts)


def report_page(report: Report) -> str:
    """The whole HTML page of a report, one self-contained document (charts inline)."""
    t = report.tables
    audience = {"public": "the public", "partners": "partners"}.get(
        str(report.audience), str(report.audience)
    )
    sections: list[tuple[str, str, str]] = []  # (id, heading, body)
    macros = list(
        dict.fromkeys(
            [
                *t["macro_needs"]["macro_id"],
                *t["macro_links"]["macro_id"],
                *t["macro_catchments"]["macro_id"],
            ]
        )
    )
    seen: set[str] = set()  # the columns the page shows, for its glossary
    sites = "".join(_site(report, m, i, seen) for i, m in enumerate(macros, start=1))
    sections.append(
        (
            "sites",
            "Sites and their link opportunities",
            f"<p class=about>{_e(ABOUT['macro_links'])} {_e(ABOUT['macro_catchments'])}</p>"
            + (sites or "<p>No site (macro-asset) among the records shown.</p>"),
        )
    )
    if report.charts:
        figures = []
        for name, png in report.charts.items():
            data = base64.b64encode(png).decode("ascii")
            alt = _ALT.get(name, f"Chart: {name}.")
            figures.append(
                f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{_e(name.capitalize())}</figcaption></figure>"
            )
        sections.append(("charts", "Charts", "".join(figures)))
    for name, row_header, limit in (
        ("areas", "area_code", 40),
        ("deserts", "area_code", 40),
        ("skills", "tag", 40),
        ("brokers", "name", 15),
        ("geocoding", "geocode_method", None),
        ("attention", "asset_id", 40),
    ):
        table = t[name]
        body = f"<p class=about>{_e(ABOUT[name])}</p>"
        if not len(table):
            body += "<p>None.</p>"
        elif name == "areas":  # two narrower tables, to fit a phone and an A4 page
            body += _area_tables(table, limit, seen)
        else:
            body += _table(table, TITLES[name], row_header=row_header, limit=limit, seen=seen)
        sections.append((name, TITLES[name], body))
    glossary = "".join(
        f"<div><dt>{_e(heading(c))}</dt><dd>{_e(describe(c))} "
        f"<span class=more>(workbook column <code>{_e(c)}</code>)</span></dd></div>"
        for c in sorted(seen)
    )
    sections.append(("columns", "What the columns mean", f"<dl>{glossary}</dl>"))
    notes = "".join(f"<li>{_e(n)}</li>" for n in report.notes)
    contents = "".join(f'<li><a href="#{s}">{_e(h)}</a></li>' for s, h, _ in sections)
    parts = [
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(report.title)}: report for {_e(audience)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<header><h1>{_e(report.title)}</h1>",
        f"<p class=lead>A report for {_e(audience)}: {len(report.published.assets):,} records "
        f"shown, {len(t['macro_links']):,} link opportunities with a site.</p></header>",
        f'<nav aria-label="Contents"><ul>{contents}</ul></nav><main>',
        '<section aria-labelledby="notes"><h2 id="notes">What to know first</h2>',
        f"<ul class=notes>{notes}</ul></section>",
        *(
            f'<section aria-labelledby="{s}"><h2 id="{s}">{_e(h)}</h2>{body}</section>'
            for s, h, body in sections
        ),
        "</main></body></html>\n",
    ]
    return "\n".join(parts)
