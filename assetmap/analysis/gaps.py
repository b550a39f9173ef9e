"""What is missing: needs no link meets, offers nobody uses, areas and anchors left unlinked.

Owns the tag-level gaps of each asset and the link deserts (areas, and macro-assets, that no
opportunity link reaches). Every function returns tables (DataFrames), never prints.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd

from .._memory import gc_paused
from ..schema import select_assets, synonym_map
from .places import id_codes, level_codes, opportunity, opportunity_ends, with_imd

__all__ = [
    "anchor_deserts",
    "link_deserts",
    "uncovered_needs",
    "unused_offers",
]


def uncovered_needs(
    assets: pd.DataFrame,
    links: pd.DataFrame,
    *,
    kinds: Sequence[str] = ("macro",),
    vocabulary: pd.DataFrame | Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """For each asset of the given kinds (or categories), the needs no link meets.

    ``links`` are opportunity links (:func:`assetmap.find_links`), built with the distance that
    matters; a need met by no asset within it is uncovered.

    Returns
    -------
    pandas.DataFrame
        Index ``asset_id``: ``needs``, ``met``, ``uncovered`` (tuples of tags) and
        ``n_uncovered``.
    """
    return _gaps(assets, links, kinds, vocabulary, "needs", "target", "met", "uncovered")


def unused_offers(
    assets: pd.DataFrame,
    links: pd.DataFrame,
    *,
    kinds: Sequence[str] = ("micro",),
    vocabulary: pd.DataFrame | Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """For each asset of the given kinds (or categories), the offers nobody nearby needs."""
    return _gaps(assets, links, kinds, vocabulary, "offers", "source", "matched", "unused")


def _explode(values: Iterable[Collection[Any]]) -> tuple[np.ndarray, np.ndarray]:
    """How many items each row holds, and all the items one after the other (objects)."""
    lists = list(values)
    sizes = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    items = np.empty(int(sizes.sum()), dtype=object)
    items[:] = list(chain.from_iterable(lists))
    return sizes, items


def _tuples(items: list[Any], sizes: np.ndarray) -> list[tuple[Any, ...]]:
    """``items`` cut into consecutive tuples of the given sizes."""
    stops = np.cumsum(sizes).tolist()
    return [tuple(items[a:b]) for a, b in zip([0, *stops][:-1], stops, strict=True)]


def _gaps(
    assets: pd.DataFrame,
    links: pd.DataFrame,
    kinds: Sequence[str],
    vocabulary: pd.DataFrame | Mapping[str, str] | None,
    column: str,
    side: str,
    link_column: str,
    gap: str,
) -> pd.DataFrame:
    """Each chosen asset's tags (as the vocabulary names them, each once, in order), those a
    link from its ``side`` names in ``link_column``, and the rest: tags and ids as integer
    codes, one membership test for all of them."""
    synonyms = synonym_map(vocabulary)
    chosen = select_assets(assets, list(kinds))
    opp = opportunity(links)
    asset_code, (linked,), _ = id_codes(assets, opp[side])
    with gc_paused():  # lists and tuples of text, no cycles
        sizes, tags = _explode(assets[column].to_numpy()[chosen])
    raw, raw_names = pd.factorize(tags)
    renamed = np.asarray([synonyms.get(t, t) for t in raw_names], dtype=object)[raw]
    with gc_paused():
        per_link, met = _explode(opp[link_column].to_numpy())
    # one code per tag text, whether an asset or a link names it
    code, vocabulary_names = pd.factorize(np.concatenate([renamed, met]))
    width = max(len(vocabulary_names), 1)
    row = np.repeat(np.arange(len(sizes)), sizes)
    own = code[: len(tags)]
    keep = np.sort(np.unique(row * width + own, return_index=True)[1])  # each tag once
    row, own = row[keep], own[keep]
    by = np.repeat(linked, per_link)
    found = by >= 0
    done = np.isin(
        asset_code[chosen][row] * width + own, by[found] * width + code[len(tags) :][found]
    )
    text = np.asarray(vocabulary_names, dtype=object)[own]
    link_column_out = "met" if column == "needs" else "matched"
    n = len(sizes)
    with gc_paused():
        tuples = {
            column: _tuples(text.tolist(), np.bincount(row, minlength=n)),
            link_column_out: _tuples(text[done].tolist(), np.bincount(row[done], minlength=n)),
            gap: _tuples(text[~done].tolist(), np.bincount(row[~done], minlength=n)),
        }
    out = pd.DataFrame(
        tuples,
        index=pd.Index(
            np.asarray(assets.index[chosen].astype("str"), dtype=object),
            name="asset_id",
            dtype="object",
        ),
        columns=[column, link_column_out, gap],
    )
    out[f"n_{gap}"] = np.bincount(row[~done], minlength=n).astype("int64")
    return out


def link_deserts(
    assets: pd.DataFrame,
    links: pd.DataFrame,
    *,
    level: str,
    imd: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Areas that hold micro-assets but no opportunity link to any macro-asset, most deprived first.

    ``links`` are opportunity links found within the distance that matters
    (:func:`assetmap.find_links`); an area is a desert when none of them joins one of its
    micro-assets to a macro-asset, either way round.

    Returns
    -------
    pandas.DataFrame
        One row per desert: ``micro`` (its micro-assets), ``people`` (the capacity of its
        individuals, where the register counts people; else how many there are), the area's
        name where known, and ``imd_rank``/``imd_decile`` when ``imd`` is given; ranked by
        decile, then rank, then code.
    """
    codes = level_codes(assets, level)
    kinds = assets["kind"].astype("str").to_numpy()
    asset_code, ends, size = id_codes(assets, *opportunity_ends(links))
    is_macro = np.zeros(size, dtype=bool)
    is_macro[asset_code[kinds == "macro"]] = True
    reaching = np.zeros(size, dtype=bool)  # by id: has a link to or from a macro-asset
    source, target = ends
    both = (source >= 0) & (target >= 0)
    source, target = source[both], target[both]
    reaching[source[is_macro[target]]] = True
    reaching[target[is_macro[source]]] = True
    area, names = pd.factorize(codes, sort=True)
    micro = (kinds == "micro") & (area >= 0)
    where = area[micro]
    individual = (assets["category"] == "individual").to_numpy()[micro]
    capacity = pd.to_numeric(assets["capacity"], errors="coerce").to_numpy(dtype=float)[micro]
    people = np.where(individual, np.where(np.isnan(capacity), 1.0, capacity), 0.0)
    count = np.bincount(where, minlength=len(names))
    held = np.flatnonzero(count)  # the areas holding micro-assets, in code order
    table = pd.DataFrame(
        {
            "micro": count[held].astype("int64"),
            "people": pd.Series(people).groupby(where).sum().reindex(held).to_numpy(),
            "reaching": np.bincount(
                where, weights=reaching[asset_code[micro]], minlength=len(names)
            )[held],
        },
        index=pd.Index(names[held], name=f"{level}_code"),
    )
    name_column = f"{level}_name"
    if name_column in assets.columns:
        first = assets[name_column][micro].groupby(where).first()
        table.insert(0, "name", first.reindex(held).to_numpy())
    table = table[table["reaching"] == 0].drop(columns="reaching")
    table.index.name = f"{level}_code"
    table = with_imd(table, imd)
    order = ["imd_decile", "imd_rank"] if imd is not None else []
    return (
        table.reset_index()
        .sort_values([*order, f"{level}_code"], na_position="last")
        .set_index(f"{level}_code")
    )


def anchor_deserts(assets: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Macro-assets whose surroundings hold nothing that meets their needs (the reverse of
    :func:`link_deserts`): no opportunity link leads to them within the links' distance."""
    kinds = assets["kind"].astype("str")
    opp = links[links["kind"].astype("str") == "opportunity"]
    reached = set(opp["target"].astype("str"))
    macro = assets[(kinds == "macro") & assets["needs"].map(len).gt(0)]
    out = pd.DataFrame(
        {"name": macro["name"], "needs": macro["needs"].map(tuple)},
        index=pd.Index(macro.index.astype("str"), name="asset_id"),
    )
    return out[~out.index.isin(reached)]
