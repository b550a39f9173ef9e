"""The report's charts: matplotlib figures drawn from its tables, as PNG bytes.

matplotlib is imported only when charts are drawn (the Agg backend, no window), and the
figures carry no software stamp, so the same tables draw the same bytes. Every label is drawn
as the text it is: mathtext (``$...$``) is off.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from ._model import Report

__all__ = ["draw_charts"]


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buffer.getvalue()


def draw_charts(report: Report) -> dict[str, bytes]:
    """The charts of the HTML summary, by title: links per area, scores, skills."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = {}
    # text.parse_math off: a label such as "fees $5_$10" is drawn as it is, never as mathtext
    with matplotlib.rc_context(
        {"svg.hashsalt": "assetmap", "font.size": 9, "text.parse_math": False}
    ):
        areas = report.tables["areas"].dropna(subset=["links"])
        areas = areas.sort_values(["links", "area_code"], ascending=[False, True]).head(20)
        if len(areas):
            fig, ax = plt.subplots(figsize=(7, 0.25 * len(areas) + 1))
            labels = [
                f"{c} {n}" if isinstance(n, str) else c
                for c, n in zip(areas["area_code"], areas["area_name"], strict=True)
            ]
            ax.barh(labels[::-1], areas["links"].to_numpy(dtype=float)[::-1], color="#2c7fb8")
            ax.set_xlabel("link opportunities with an end in the area")
            ax.set_title("Links per area (the 20 with most)")
            out["links per area"] = _png(fig)
        scores = report.tables["macro_links"]["score"].dropna()
        if len(scores):
            fig, ax = plt.subplots(figsize=(7, 2.6))
            ax.hist(scores.to_numpy(dtype=float), bins=[i / 20 for i in range(21)], color="#41ab5d")
            ax.set_xlabel("link score, 0 to 1: how well it matches × how close × priority")
            ax.set_ylabel("links")
            ax.set_title("Score distribution of the macro-assets' link opportunities")
            out["score distribution"] = _png(fig)
        skills = report.tables["skills"].sort_values("tag")
        skills = skills[(skills["demand"] > 0) | skills["supply"].fillna(0).gt(0)]
        if len(skills):
            fig, ax = plt.subplots(figsize=(7, 0.35 * len(skills) + 1))
            y = np.arange(len(skills))
            supply = skills["supply"].astype("Float64").fillna(0).to_numpy(dtype=float)
            demand = skills["demand"].to_numpy(dtype=float)
            ax.barh(y - 0.2, supply, 0.4, label="supply (micro-assets, people)", color="#fdae61")
            ax.barh(y + 0.2, demand, 0.4, label="demand (anchors' vacancies)", color="#2c7bb6")
            for row in np.flatnonzero(skills["supply"].isna().to_numpy()):
                ax.text(0, row - 0.2, f" fewer than {report.min_count}", va="center", fontsize=7)
            ax.set_yticks(y, skills["tag"].tolist())
            ax.invert_yaxis()
            ax.legend(loc="lower right")
            ax.set_title(
                "Supply and demand by skill (skills some anchor needs, or some asset offers)"
            )
            out["supply and demand by skill"] = _png(fig)
    return out
