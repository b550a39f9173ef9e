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


def id_codes(assets: pd.DataFrame, *ends: pd.Series) -> tuple[np.ndarray, list[np.ndarray], int]:
    """Integer codes for asset ids, the same code wherever the same id (as text) appears.

    Parameters
    ----------
    assets
        Their index is the asset ids.
    ends
        Columns of ids (a link's ``source``, ``target``), categorical or not.

    Returns
    -------
    tuple
        The code of each asset, the code of each value of each column (-1 where missing), and
        how many codes there are: they index numpy arrays of that length. Each distinct id is
        turned into text once, never once per link.
    """
    parts = []
    for column in ends:
        cat = column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("category")
        names = np.asarray(cat.cat.categories.astype("str"), dtype=object)
        parts.append((cat.cat.codes.to_numpy(), names))
    ids = np.asarray(assets.index.astype("str"), dtype=object)
    codes, uniques = pd.factorize(np.concatenate([ids, *(names for _, names in parts)]))
    out, start = [], len(ids)
    for local, names in parts:
        mine = codes[start : start + len(names)]
        start += len(names)
        out.append(np.where(local >= 0, mine[np.maximum(local, 0)], -1) if len(mine) else local)
    return codes[: len(ids)], out, len(uniques)


def opportunity(links: pd.DataFrame) -> pd.DataFrame:
    """The opportunity links among ``links``."""
    return links[(links["kind"].astype("str") == "opportunity").to_numpy()]


def opportunity_ends(links: pd.DataFrame | None) -> list[pd.Series]:
    """The source and target of each opportunity link (none without links)."""
    if links is None:
        return []
    opp = opportunity(links)
    return [opp["source"], opp["target"]]


def _crosstab(rows: pd.Series, columns: pd.Series) -> pd.DataFrame:
    """``pd.crosstab(rows, columns)`` counted with numpy: the rows and columns with a pair of
    present values, each sorted."""
    r, row_names = pd.factorize(rows, sort=True)
    c, column_names = pd.factorize(columns, sort=True)
    ok = (r >= 0) & (c >= 0)
    counts = np.bincount(
        r[ok] * len(column_names) + c[ok], minlength=len(row_names) * len(column_names)
    ).reshape(len(row_names), len(column_names))
    keep_rows = np.asarray(counts.any(axis=1), dtype=bool)
    keep_columns = np.asarray(counts.any(axis=0), dtype=bool)
    return pd.DataFrame(
        counts[keep_rows][:, keep_columns].astype("int64"),
        index=pd.Index(row_names[keep_rows], name=rows.name),
        columns=pd.Index(column_names[keep_columns], name=columns.name),
    )


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
    area, names = pd.factorize(frame["area"], sort=True)
    placed = area >= 0
    frame = frame[placed]
    table = _crosstab(frame["area"], frame["kind"]).reindex(
        columns=["micro", "macro"], fill_value=0
    )
    table.insert(0, "assets", table.sum(axis=1))
    categories = _crosstab(frame["area"], frame["category"]).add_prefix("category_")
    table = table.join(categories)
    rows = pd.Index(names).get_indexer(table.index)  # each table row's area among ``names``
    asset_code, ends, size = id_codes(assets, *opportunity_ends(links))
    linked = np.zeros(size, dtype=bool)
    for end in ends:
        linked[end[end >= 0]] = True
    in_area = np.bincount(area[placed], minlength=len(names))
    with_link = np.bincount(area[placed], weights=linked[asset_code[placed]], minlength=len(names))
    table["linked_share"] = np.round(with_link[rows] / in_area[rows], 6)
    if links is not None:
        # each asset's area by its id's code, then each link's area at either end
        area_of = np.full(size, -1, dtype=np.int64)
        area_of[asset_code] = area
        source = np.where(ends[0] >= 0, area_of[ends[0]], -1)
        target = np.where(ends[1] >= 0, area_of[ends[1]], -1)
        counted = np.bincount(source[source >= 0], minlength=len(names)) + np.bincount(
            target[(target >= 0) & (target != source)], minlength=len(names)
        )
        table["links"] = counted[rows].astype(int)
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
