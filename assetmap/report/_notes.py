"""What a report could not work out, and why, in words a reader can act on.

A register with no macro-assets, no offers, no needs, no links or nothing placed is an ordinary
register, not an error: its report is written with the tables that can be worked out (empty
where nothing applies) and these notes say which, and why. They are worked out from the records
this audience sees, so they tell nothing about records kept back.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

__all__ = ["shape_notes"]


def _any_tags(visible: pd.DataFrame, column: str) -> bool:
    values = visible[column] if column in visible.columns else pd.Series(dtype="object")
    return bool(values.map(lambda v: isinstance(v, tuple | list) and len(v) > 0).any())


def shape_notes(visible: gpd.GeoDataFrame, links: pd.DataFrame, reach_m: float) -> list[str]:
    """Sentences on what the tables cannot hold for this register, and why.

    Parameters
    ----------
    visible
        The records this audience sees (:func:`assetmap.report._tables.visible_records`).
    links
        The links it sees.
    reach_m
        The links' distance, metres.
    """
    notes: list[str] = []
    geoms = visible.geometry
    placed = geoms.notna() & ~geoms.is_empty if len(visible) else pd.Series(dtype=bool)
    if not bool(placed.any()):
        notes.append(
            "No asset could be placed (see the geocoding and attention tables and each row's "
            "geocode_note), so no distance, link, catchment, area or skills gap could be worked "
            "out: give the rows a postcode, an address or coordinates."
        )
        return notes
    kinds = visible["kind"].astype("str")
    if not (kinds == "macro").any():
        notes.append(
            "There are no macro-assets among these records, so the macro_links, macro_needs and "
            "macro_catchments tables are empty, no skill has demand, and no area is counted as "
            "a link desert (a desert is an area with no link to a macro-asset)."
        )
    if not (kinds == "micro").any():
        notes.append(
            "There are no micro-assets among these records, so the catchments count no one, no "
            "skill has local supply, and no area is a link desert."
        )
    offered, needed = _any_tags(visible, "offers"), _any_tags(visible, "needs")
    if not offered:
        notes.append(
            "Nothing is offered (every offers cell is empty), so no link opportunity can be "
            "found (a link is an offer meeting a need nearby) and no skill has supply."
        )
    if not needed:
        notes.append(
            "Nothing is needed (every needs cell is empty), so no link opportunity can be found "
            "(a link is an offer meeting a need nearby), no macro-asset has uncovered needs and "
            "no skill has demand."
        )
    if offered and needed and not len(links):
        notes.append(
            f"There are no link opportunities: no offer meets a need within {reach_m:,.0f} m "
            "among these records, so macro_links is empty and no area has a linked asset; "
            "find_links(max_distance_m=...) with a longer distance, or a vocabulary of "
            "synonyms, may find some."
        )
    return notes
