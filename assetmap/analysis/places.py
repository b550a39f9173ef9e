"""Questions asked area by area: what each area holds, how linked it is, how deprived.

Owns the per-area helpers (an area level's codes, the IMD join) that the area-level gap
questions in :mod:`assetmap.analysis.gaps` reuse. Every function returns tables, never prints.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import ConfigurationError
from ..links import find_links
from ..network import Streets, walk_distances

__all__ = ["area_summary", "reach_by_category"]


def level_codes(assets: pd.DataFrame, level: str) -> pd.Series:
    """The assets' ``<level>_code`` column; an error naming the fix when it is missing."""
    column = f"{level}_code"
    if column not in assets.columns:
        raise ConfigurationError(
            f"the assets have no {column!r} column: assign them first "
            f"(assetmap.areas.assign_areas with {level} boundaries)"
        )
    return assets[column]


def with_imd(table: pd.DataFrame, imd: pd.DataFrame | None) -> pd.DataFrame:
    """Join IMD rank and decile by area code (an IoD2019 table indexed by the same codes)."""
    if imd is None:
        return table
    wanted = [c for c in ("imd_rank", "imd_decile") if c in imd.columns]
    return table.join(imd[wanted], how="left")


def _linked(links: pd.DataFrame | None) -> set[str]:
    if links is None:
        return set()
    opp = links[links["kind"].astype("str") == "opportunity"]
    return set(opp["source"].astype("str")) | set(opp["target"].astype("str"))


def area_summary(
    assets: pd.DataFrame,
    links: pd.DataFrame | None = None,
    *,
    level: str,
    imd: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Assets, links and deprivation per area.

    Parameters
    ----------
    assets
        Assets with ``<level>_code`` (:func:`assetmap.areas.assign_areas`).
    links
        Opportunity links (:func:`assetmap.find_links`), optional.
    level
        Which areas (``lsoa11``, ``ward20`` …).
    imd
        Deprivation by the same codes (:func:`assetmap.areas.read_imd` for LSOA 2011;
        :func:`assetmap.areas.imd_for_lsoa21` for LSOA 2021).

    Returns
    -------
    pandas.DataFrame
        One row per area holding assets: ``assets``, ``micro``, ``macro``, a count per category,
        ``links`` (opportunity links with an end in the area), ``linked_share`` (the share of
        the area's assets with at least one), and ``imd_rank``/``imd_decile`` when given.
    """
    codes = level_codes(assets, level)
    frame = pd.DataFrame({"area": codes, "kind": assets["kind"], "category": assets["category"]})
    frame = frame[frame["area"].notna()]
    table = pd.crosstab(frame["area"], frame["kind"]).reindex(
        columns=["micro", "macro"], fill_value=0
    )
    table.insert(0, "assets", table.sum(axis=1))
    categories = pd.crosstab(frame["area"], frame["category"]).add_prefix("category_")
    table = table.join(categories)
    linked = _linked(links)
    has_link = pd.Series(assets.index.astype("str").isin(linked), index=assets.index)
    table["linked_share"] = (
        has_link[frame.index].groupby(frame["area"]).mean().round(6).reindex(table.index)
    )
    if links is not None:
        opp = links[links["kind"].astype("str") == "opportunity"]
        where = codes.astype("str")
        where.index = where.index.astype("str")
        ends = (
            pd.concat(
                [
                    pd.DataFrame(
                        {
                            "link": np.arange(len(opp)),
                            "area": where.reindex(opp["source"].astype("str")).to_numpy(),
                        }
                    ),
                    pd.DataFrame(
                        {
                            "link": np.arange(len(opp)),
                            "area": where.reindex(opp["target"].astype("str")).to_numpy(),
                        }
                    ),
                ]
            )
            .dropna()
            .drop_duplicates()
        )
        table["links"] = (
            ends.groupby("area")["link"].nunique().reindex(table.index).fillna(0).astype(int)
        )
    table.index.name = f"{level}_code"
    return with_imd(table, imd).sort_index()


def reach_by_category(
    assets: pd.DataFrame,
    *,
    bands_m: Sequence[float] = (400, 800, 1200),
    streets: Streets | None = None,
) -> pd.DataFrame:
    """How many micro-assets of each category lie within each distance of each macro-asset.

    Parameters
    ----------
    assets
        A geocoded register.
    bands_m
        The distances, metres (by default 5, 10 and 15 minutes at 4.8 km/h).
    streets
        A street graph (an osmnx or networkx graph, a StreetGraph or a file): distances are
        walked from the site's nearest entrance (else straight, to the site's footprint).

    Returns
    -------
    pandas.DataFrame
        One row per macro-asset and band (index ``macro_id``, ``within_m``), one column per
        micro category (counts; nothing suppressed: publish before sharing); ``attrs["measured"]``
        says ``"walk"`` or ``"straight"``.

    Examples
    --------
    >>> from assetmap import datasets, geocode
    >>> reach = reach_by_category(geocode(datasets.sample_register()))
    >>> reach.index.names, reach.attrs["measured"]
    (FrozenList(['macro_id', 'within_m']), 'straight')
    """
    kinds = assets["kind"].astype("str")
    macros = list(assets.index[kinds == "macro"].astype("str"))
    if streets is not None:
        reach = walk_distances(assets, streets, max_distance_m=max(bands_m))
        reach = reach.rename(columns={"walk_m": "m"})
        measured = "walk"
    else:
        near = find_links(
            assets, kind="proximity", between=("macro", "micro"), max_distance_m=max(bands_m)
        )
        src, tgt = near["source"].astype("str"), near["target"].astype("str")
        macro_src = src.isin(macros)
        reach = pd.DataFrame(
            {
                "source": np.where(macro_src, src, tgt),
                "target": np.where(macro_src, tgt, src),
                "m": near["distance_m"].to_numpy(dtype=float),
            }
        )
        measured = "straight"
    categories = assets["category"].astype("str").set_axis(assets.index.astype("str"))
    kind_of = kinds.set_axis(assets.index.astype("str"))
    reach = reach[reach["source"].astype("str").isin(macros)]
    reach = reach[reach["target"].astype("str").map(kind_of) == "micro"]
    every = sorted(set(categories[(kind_of == "micro").to_numpy()]))
    rows = {}
    for macro in macros:
        mine = reach[reach["source"].astype("str") == macro]
        for band in bands_m:
            targets = mine.loc[mine["m"] <= band, "target"].astype("str").to_numpy()
            counted = categories.reindex(targets).value_counts().reindex(every, fill_value=0)
            rows[(macro, band)] = counted.to_numpy(dtype="int64")
    index = pd.MultiIndex.from_tuples(list(rows), names=["macro_id", "within_m"])
    out = pd.DataFrame(list(rows.values()) or None, index=index, columns=every, dtype="int64")
    out.attrs["measured"] = measured
    return out
