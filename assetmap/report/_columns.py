"""The words of a report: what each table and each column holds.

``COLUMNS`` describes every column a report's tables can hold (the workbook's ``columns``
sheet and the HTML page's glossary); ``ABOUT`` says in one sentence what each table holds;
:func:`describe` finds a column's description, category columns included.
"""

from __future__ import annotations

__all__ = ["ABOUT", "COLUMNS", "HEADINGS", "TITLES", "describe", "heading"]

#: What each column of a report's tables holds (the workbook's "columns" sheet).
COLUMNS: dict[str, str] = {
    "geocode_method": "how rows were placed: coordinates, footprint, postcode, an online "
    "service, postcode sector or district centre, or none (not placed); records shown only "
    "by category count as coarse",
    "assets": "how many assets this audience sees (named, or by category at an approximate place)",
    "median_precision_m": "median distance, metres, within which the true place lies",
    "with_note": "rows with a geocoding note: read differently from what was written, placed "
    "by a fallback, or not placed",
    "asset_id": "the asset's published id: its own id when it may be named, else its category "
    "and a number",
    "name": "the asset's name (empty for records that may not be named)",
    "geocode_precision_m": "distance, metres, within which the true place lies",
    "geocode_note": "what happened when the row was placed, and what to check",
    "macro_id": "the macro-asset (anchor) the row is about",
    "macro_name": "the macro-asset's name",
    "rank": "1 = the best link opportunity of this macro-asset: by the score shown, nearer "
    "first where scores are equal; empty for links to records shown only by category (they "
    "have no score)",
    "partner_id": "the asset at the other end of the link (published id)",
    "partner_name": "its name (empty for records that may not be named)",
    "partner_category": "its category",
    "direction": "'offers to' when the macro-asset offers what the partner needs; 'needs from' "
    "when the partner offers what the macro-asset needs (a pair linked both ways appears twice)",
    "distance_m": "straight-line distance, metres, between the two (empty where it would "
    "place a record that may not be named)",
    "walk_m": "walking distance, metres, along the streets (empty as for the straight-line "
    "distance)",
    "score": "how good the opportunity is, from 0 to 1 (to three decimals): how well the "
    "offer meets the need × how close they are × their priority; empty for links to records "
    "shown only by category",
    "reason": "why the link was found, in words",
    "needs": "what the asset needs, as tags",
    "met": "needs met by at least one named asset within the links' distance",
    "uncovered": "needs no named asset within the links' distance meets (records not shown "
    "may meet some)",
    "n_uncovered": "how many needs are uncovered",
    "within_m": "the band: assets within this distance of the site (walking when a street "
    "graph was given, else straight-line from its footprint)",
    "measured": "how the distance is measured: 'walk' along the streets, or 'straight' line",
    "total": "all the assets this audience sees in the band or area",
    "area_code": "the area's code (ONS code, or a postcode district)",
    "area_name": "the area's name where the boundaries give one",
    "links": "link opportunities this audience sees with an end in the area",
    "linked_share": "share of the area's assets with at least one link opportunity",
    "imd_rank": "Index of Multiple Deprivation 2019 rank of 32,844 (1 = most deprived)",
    "imd_decile": "IMD 2019 decile (1 = most deprived 10 % of neighbourhoods in England)",
    "link_desert": "True when the area holds micro-assets but none has a link opportunity "
    "with a macro-asset",
    "top_shortfall": "the skill whose demand within reach most exceeds local supply",
    "tag": "a skill or resource, as the register's offers and needs name it",
    "supply": "named micro-assets offering it (individuals count as their capacity in people)",
    "demand": "vacancies (capacity) of macro-assets within reach that need it",
    "gap": "demand − supply",
    "shortfall": "the gap where positive",
    "micro": "micro-assets this audience sees in the area",
    "people": "people among them: named individuals' capacity, else one each",
    "betweenness": "share of shortest paths between assets that pass through this one",
    "articulation_point": "True when removing it splits the network",
    "n_stranded": "micro-assets that would lose every path to a macro-asset without it",
    "area": "the area the records are counted in (an ONS code, a postcode sector, or all)",
}

#: What each table holds, in one sentence (the workbook's "about" sheet, the HTML notes).
ABOUT: dict[str, str] = {
    "geocoding": "How many rows were placed by which method.",
    "attention": "Rows to check: read differently from what was written, placed only "
    "roughly, or not placed (records this audience may see).",
    "macro_links": "Each macro-asset's link opportunities, best first, with their reasons.",
    "macro_needs": "Each macro-asset's needs, and those no asset within reach meets.",
    "macro_catchments": "What lies within reach of each macro-asset, by category.",
    "areas": "Assets, links and deprivation per area.",
    "deserts": "Areas whose micro-assets have no link opportunity with any macro-asset, most "
    "deprived first.",
    "skills": "Supply and demand of each skill across the register's area.",
    "mismatch": "Supply and demand of each skill area by area.",
    "brokers": "The assets that connect others to the macro-assets.",
    "not_shown": "Private records, which no other table counts, per area and category; counts "
    "below the minimum are left empty, with no totals.",
}


def describe(column: str) -> str:
    """What a column of a report's table holds; columns not in ``COLUMNS`` count a category."""
    if column in COLUMNS:
        return COLUMNS[column]
    return (
        f"assets of category '{column}' (in the not_shown sheet, of records not shown: empty "
        "where fewer than the minimum)"
    )


#: Each column's heading on the HTML page, in plain words (the workbook and the CSV files keep
#: the column names above, which scripts read).
HEADINGS: dict[str, str] = {
    "geocode_method": "How it was placed",
    "assets": "Assets",
    "median_precision_m": "Typical precision (m)",
    "with_note": "With a note",
    "asset_id": "Asset",
    "name": "Name",
    "geocode_precision_m": "Precision (m)",
    "geocode_note": "What to check",
    "macro_id": "Site",
    "macro_name": "Site name",
    "rank": "Rank",
    "partner_id": "Partner",
    "partner_name": "Partner's name",
    "partner_category": "Category",
    "direction": "The site…",
    "distance_m": "Distance (m)",
    "walk_m": "Walk (m)",
    "score": "Score (0–1)",
    "reason": "What is matched",
    "needs": "Needs",
    "met": "Needs met nearby",
    "uncovered": "Needs no one nearby meets",
    "n_uncovered": "Needs not met",
    "within_m": "Within (m)",
    "measured": "Measured",
    "total": "All",
    "area_code": "Area code",
    "area_name": "Area",
    "links": "Link opportunities",
    "linked_share": "Share linked",
    "imd_rank": "Deprivation rank (1 = most deprived)",
    "imd_decile": "Deprivation decile (1 = most deprived 10%)",
    "link_desert": "Link desert",
    "top_shortfall": "Biggest shortfall",
    "tag": "Skill or resource",
    "supply": "Supply",
    "demand": "Demand",
    "gap": "Gap (demand − supply)",
    "shortfall": "Shortfall",
    "micro": "Micro-assets",
    "people": "People",
    "betweenness": "Betweenness (share of paths)",
    "articulation_point": "Holds the network together",
    "n_stranded": "Would be cut off without it",
    "area": "Area",
}

#: Each table's title on the HTML page and in its caption.
TITLES: dict[str, str] = {
    "geocoding": "How the records were placed",
    "attention": "Records to check",
    "macro_links": "Link opportunities of the sites",
    "macro_needs": "What the sites need",
    "macro_catchments": "What lies within reach of each site",
    "areas": "Areas",
    "deserts": "Link deserts",
    "skills": "Skills and resources: supply and demand",
    "mismatch": "Skills and resources, area by area",
    "brokers": "Brokers: who connects others to the sites",
    "not_shown": "Records not shown, per area",
}


def heading(column: str) -> str:
    """A column's heading in plain words: from :data:`HEADINGS`, else a category's name
    ("anchor_institution" → "Anchor institution")."""
    if column in HEADINGS:
        return HEADINGS[column]
    words = str(column).replace("_", " ").strip()
    return words[:1].upper() + words[1:]
