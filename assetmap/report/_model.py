"""The report object: the tables for one audience, their notes and charts, and what was published.

:class:`Report` is what :func:`assetmap.report.build_report` returns and what the charts, the
HTML page and :func:`assetmap.report.save_report` read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..privacy import Audience, Published

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
