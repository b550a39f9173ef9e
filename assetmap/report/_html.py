"""The report's printable HTML page: its CSS, its tables, and the charts inside it.

Every piece of text is escaped (:func:`html.escape`, ``DataFrame.to_html(escape=True)``), so
names from the register cannot inject markup.
"""

from __future__ import annotations

import base64
import html

import pandas as pd

from ._columns import ABOUT, describe
from ._model import Report

__all__ = ["report_page"]


def _html_table(table: pd.DataFrame, limit: int | None = None) -> str:
    shown = table if limit is None else table.head(limit)
    body = shown.to_html(index=False, escape=True, na_rep="", border=0, classes="t")
    more = (
        f"<p class=more>… and {len(table) - limit} more rows in the workbook.</p>"
        if limit is not None and len(table) > limit
        else ""
    )
    return body + more


_CSS = """
body{font:11pt/1.4 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #999;margin-top:1.6em}
h3{font-size:1.05em;margin-bottom:.3em}
table.t{border-collapse:collapse;font-size:9pt;margin:.4em 0}
table.t th,table.t td{border:1px solid #ccc;padding:2px 5px;text-align:left;vertical-align:top}
table.t th{background:#eee}img{max-width:100%}.more,.note{color:#555;font-size:9pt}
section.macro{break-inside:avoid}
@media print{body{margin:0;max-width:none}h2{break-before:page}h2.first{break-before:auto}}
"""


def report_page(report: Report) -> str:
    """The whole HTML page of a report, one self-contained document (charts inline)."""
    e = html.escape
    t = report.tables
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>{e(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(report.title)}</h1>",
        f"<p>For: <b>{e(report.audience)}</b>. {len(report.published.assets)} records shown, "
        f"{len(t['macro_links'])} link opportunities with a macro-asset.</p>",
        *(f"<p class=note>{e(n)}</p>" for n in report.notes),
        "<h2 class=first>Charts</h2>",
    ]
    for name, png in report.charts.items():
        data = base64.b64encode(png).decode("ascii")
        image = f'<img alt="{e(name)}" src="data:image/png;base64,{data}">'
        parts.append(f"<h3>{e(name.capitalize())}</h3>{image}")
    parts.append("<h2>Macro-assets</h2>")
    needs = t["macro_needs"].set_index("macro_id")
    catch = t["macro_catchments"]
    macros = list(dict.fromkeys([*needs.index, *catch["macro_id"]]))
    for macro in macros:
        name = needs.loc[macro, "macro_name"] if macro in needs.index else macro
        parts.append(f"<section class=macro><h3>{e(str(name))} ({e(macro)})</h3>")
        if macro in needs.index:
            row = needs.loc[macro]
            parts.append(
                f"<p>Needs: {e(str(row['needs']) or '—')}. Uncovered within reach: "
                f"<b>{e(str(row['uncovered']) or 'none')}</b>.</p>"
            )
        mine = t["macro_links"][t["macro_links"]["macro_id"] == macro]
        columns = ["rank", "partner_id", "partner_name", "partner_category", "score", "reason"]
        parts.append(_html_table(mine[columns], 10) if len(mine) else "<p>No link opportunity.</p>")
        bands = catch[catch["macro_id"] == macro].drop(columns=["macro_id", "macro_name"])
        if len(bands):
            parts.append(_html_table(bands))
        parts.append("</section>")
    for name, heading in (
        ("areas", "Areas"),
        ("deserts", "Link deserts"),
        ("skills", "Skills: supply and demand"),
        ("brokers", "Brokers"),
        ("geocoding", "Geocoding"),
        ("attention", "Rows that need attention"),
    ):
        parts.append(f"<h2>{e(heading)}</h2><p class=note>{e(ABOUT[name])}</p>")
        parts.append(_html_table(t[name], 40) if len(t[name]) else "<p>None.</p>")
    parts.append("<h2>Columns</h2><dl>")
    seen = sorted({c for table in t.values() for c in table.columns})
    parts.extend(f"<dt><code>{e(c)}</code></dt><dd>{e(describe(c))}</dd>" for c in seen)
    parts.append("</dl></body></html>\n")
    return "\n".join(parts)
