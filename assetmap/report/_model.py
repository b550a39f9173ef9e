"""The report object: the tables for one audience, their notes and charts, and what was published.

:class:`Report` is what :func:`assetmap.report.build_report` returns and what the charts, the
HTML page and :func:`assetmap.report.save_report` read.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from ..privacy import Audience, Published
from ._columns import ABOUT

__all__ = ["Report"]


@dataclass(frozen=True, repr=False)
class Report:
    """The tables of a report for one audience.

    Attributes
    ----------
    title
        The report's heading.
    audience
        Who it is for.
    tables
        Table name → table (plain columns, no index), in reading order.
    notes
        Sentences for the reader: what was left out, and why.
    published
        What :func:`assetmap.privacy.publish` let through (its audit is written beside).
    """

    title: str
    audience: Audience
    tables: dict[str, pd.DataFrame]
    notes: list[str]
    published: Published
    min_count: int = 5
    charts: dict[str, bytes] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return f"<Report {self.title!r} for {self.audience}: {len(self.tables)} tables>"

    def _repr_html_(self) -> str:
        """A notebook's view: the heading, the notes, and each table with its rows and what it
        holds (every text escaped)."""
        e = html.escape
        notes = "".join(f"<li>{e(note)}</li>" for note in self.notes)
        rows = "".join(
            f"<tr><td><code>{e(name)}</code></td><td style='text-align:right'>{len(table):,}</td>"
            f"<td style='text-align:left'>{e(ABOUT.get(name, ''))}</td></tr>"
            for name, table in self.tables.items()
        )
        links = self.published.links
        shown = (
            f"{len(self.published.assets):,} records shown, "
            f"{0 if links is None else len(links):,} links"
        )
        return (
            f"<div><strong>Report: {e(self.title)}</strong> for <em>{e(str(self.audience))}</em>"
            f": {shown} (counts under {self.min_count} suppressed)"
            f"<ul>{notes}</ul>"
            "<table><thead><tr><th>table</th><th>rows</th><th style='text-align:left'>holds"
            f"</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )
