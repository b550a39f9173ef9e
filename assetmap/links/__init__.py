"""Links between assets: which are close, and where an offer meets a need close enough to matter.

:func:`find_links` is the public face; the work lives in the private modules beside it:
candidate pairs in ``_pairs``, offers and needs as numbers in ``_tags``, the scored tables in
``_tables``.

Distances are metres in a projected CRS (British National Grid in Great Britain, the local UTM
zone elsewhere; see :func:`assetmap.crs.metric_crs`), measured to a site's footprint, not its
centre, where it has one. Candidate pairs come from a KD-tree (points) and an STRtree
(footprints); no Python loop runs over pairs.

Every link says why it is there: the tags that met, each factor of its score in its own column,
and a ``reason`` a partner can read.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
import shapely

from .. import settings
from .._dispatch import dask_aware
from .._memory import release_unused_memory
from ..crs import geographic, projected
from ..errors import ConfigurationError, Problem, SchemaError
from ..network import Streets, as_street_graph
from ..schema import Selector, id_categories, select_assets, synonym_map
from ._pairs import count_pairs, pairs_nearest, pairs_within, unordered
from ._tables import (
    Decay,
    asset_weights,
    macro_end,
    opportunity_table,
    pair_walks,
    proximity_table,
)

__all__ = [
    "LINK_COLUMNS",
    "find_links",
]

log = logging.getLogger(__name__)

#: The columns of every links table, in order.
LINK_COLUMNS = (
    "source",
    "target",
    "kind",
    "distance_m",
    "matched",
    "met",
    "match",
    "proximity",
    "weight",
    "score",
    "reason",
)


@dask_aware
def find_links(
    assets: pd.DataFrame,
    *,
    kind: Literal["opportunity", "proximity"] = "opportunity",
    max_distance_m: float = 1200.0,
    k: int | None = None,
    between: tuple[Selector, Selector] | None = None,
    vocabulary: pd.DataFrame | Mapping[str, str] | None = None,
    decay: Decay = "linear",
    decay_m: float | None = None,
    weights: str | pd.Series | None = None,
    weight_on: str | None = None,
    crs: str | None = None,
    streets: Streets | None = None,
    max_pairs: int | None = None,
) -> pd.DataFrame:
    """Links between geocoded assets: close pairs, or offers that meet needs close enough.

    Parameters
    ----------
    assets
        A geocoded register (:func:`assetmap.geocode`). Unplaced assets have no links.
    kind
        ``"opportunity"``: one link for each asset whose offers meet another's needs, from the
        one offering (``source``) to the one needing (``target``), both ways round.
        ``"proximity"``: one link for each close pair.
    max_distance_m
        How far apart, in metres, two assets may be (to a site's footprint where it has one).
        1,200 m is about a 15-minute walk.
    k
        Instead of every pair within ``max_distance_m``: each asset's ``k`` nearest (still no
        further than ``max_distance_m``).
    between
        Only pairs with one asset in each group, a kind or category (or list of them) per group,
        such as ``("micro", "macro")`` or ``("association", "physical")``; all pairs when None.
    vocabulary
        Synonyms → canonical tags ("registered nurse" → "nursing"), a two-column table or a
        mapping. Codes match by prefix: a need ``soc:22`` is met by an offer ``soc:2231``.
    decay
        How the ``proximity`` factor falls with distance: ``"threshold"`` (1 within
        ``max_distance_m``), ``"linear"`` (1 at 0 m, 0 at ``max_distance_m``) or
        ``"exponential"`` (1/e at ``decay_m`` metres).
    decay_m
        For exponential decay; half of ``max_distance_m`` when None.
    weights
        Per-asset weights (a column of ``assets``, or a Series by asset id), or per-area weights
        (a Series by area code, with ``weight_on`` naming the assets' area column, for example
        a deprivation weight by ``lsoa21_code``). A link's ``weight`` is the product of its two
        ends' (1 where none is given).
    weight_on
        The assets' column that ``weights`` is indexed by, for per-area weights.
    crs
        The metric CRS for distances; chosen for the assets (British National Grid in Great
        Britain, UTM elsewhere) when None.
    streets
        A street graph (an osmnx or networkx graph, a :class:`assetmap.network.StreetGraph` or
        a file; :func:`assetmap.network.as_street_graph`): links with a macro-asset at one end
        are then measured on foot, from the site's nearest entrance, in ``walk_m``; they count
        only within ``max_distance_m`` walked, and the ``proximity`` factor uses the walk.
        Links between two micro-assets keep the straight line.
    max_pairs
        The most candidate pairs to make, to protect the machine's memory: each close pair
        for proximity links, each close pair both ways round (who offers, who needs) for
        opportunity links. Counted before any is made; past it, an error says how many and
        what to change. ``settings.options.max_pairs`` (10 million) when None.

    Raises
    ------
    ConfigurationError
        For a parameter out of range, and when the candidate pairs would pass ``max_pairs``.

    Returns
    -------
    pandas.DataFrame
        One row per link, best first: ``source``, ``target``, ``kind``, ``distance_m``,
        ``matched`` (the source's offers that met a need, as a tuple; empty for proximity),
        ``met`` (the target's needs they met), ``match`` (the share of the target's needs
        met; missing for proximity), ``proximity``,
        ``weight``, ``score`` (their product) and ``reason``. ``attrs`` holds the CRS and the
        parameters.

    Examples
    --------
    >>> from assetmap import datasets, geocode
    >>> links = find_links(geocode(datasets.sample_register()), between=("micro", "macro"))
    >>> links.columns.tolist() == list(LINK_COLUMNS)
    True
    """
    assets = geographic(assets, "the assets given to find_links")
    if max_distance_m <= 0:
        raise ConfigurationError(f"max_distance_m must be positive, {max_distance_m!r} was given")
    if k is not None and k < 1:
        raise ConfigurationError(f"k must be 1 or more, {k!r} was given")
    if kind not in ("opportunity", "proximity"):
        raise ConfigurationError(f"kind must be 'opportunity' or 'proximity', not {kind!r}")
    if decay not in ("threshold", "linear", "exponential"):
        raise ConfigurationError(
            f"decay must be 'threshold', 'linear' or 'exponential', not {decay!r}"
        )
    needed = ["kind", "category"] if between is not None else []
    needed += ["offers", "needs"] if kind == "opportunity" else []
    missing = [c for c in needed if c not in assets.columns]
    if missing:
        raise SchemaError(
            "links",
            [
                Problem.of_table(f"the assets have no {c!r} column (read them with read_assets)")
                for c in missing
            ],
        )
    # the links' ends are categoricals over the ids: checking them unique takes a hash table
    # of a million ids, made now, before the pairs, and given back by the release below
    ids = id_categories(assets.index)
    release_unused_memory()  # what earlier stages freed: links are made of numpy arrays
    p = projected(assets, crs)
    geom = assets.geometry.to_numpy()
    lonlat = (
        np.where(p.placed, shapely.get_x(geom), np.nan),
        np.where(p.placed, shapely.get_y(geom), np.nan),
    )
    a, b = (None, None) if between is None else between
    group_a, group_b = select_assets(assets, a), select_assets(assets, b)
    same = between is None or a == b
    _guard(kind, lonlat, max_distance_m, k, group_a, group_b, same, max_pairs)
    if k is None:
        i, j, d = pairs_within(p, lonlat, max_distance_m, group_a, group_b, same)
    else:
        i, j, d = pairs_nearest(p, lonlat, k, group_a, group_b)
        if not same:
            i2, j2, d2 = pairs_nearest(p, lonlat, k, group_b, group_a)
            i, j, d = unordered(np.r_[i, i2], np.r_[j, j2], np.r_[d, d2])
        near = d <= max_distance_m
        i, j, d = i[near], j[near], d[near]
    release_unused_memory()  # the spatial search's buffers: millions of pairs were made
    walk = None
    if streets is not None:
        walk = pair_walks(assets, i, j, as_street_graph(streets), max_distance_m)
        # a pair with a macro-asset at one end is close only if it is close on foot
        reachable = np.isfinite(walk) | ~macro_end(assets, i, j)
        i, j, d, walk = i[reachable], j[reachable], d[reachable], walk[reachable]
    weight, label = asset_weights(assets, weights, weight_on)
    decay_at = decay_m if decay_m is not None else max_distance_m / 2
    if kind == "proximity":
        out = proximity_table(ids, i, j, d, weight, decay, max_distance_m, decay_at, walk)
    else:
        pairs = [i, j, d]
        del i, j, d  # handed over (see opportunity_table)
        out = opportunity_table(
            assets, ids, pairs, weight, label, synonym_map(vocabulary), decay, max_distance_m,
            decay_at, walk,
        )  # fmt: skip
    out.attrs = {
        "crs": p.crs,
        "kind": kind,
        "max_distance_m": max_distance_m,
        "k": k,
        "between": None if between is None else [a, b],
        "decay": decay,
        "decay_m": decay_at,
    }
    release_unused_memory()  # what making the links freed, given back to the stages after
    log.info("found %d %s links among %d assets", len(out), kind, len(assets))
    return out


#: Peak memory per candidate pair, bytes, measured on 4,000 assets within 10^9 m (8 million
#: close pairs) where every candidate becomes a link: a proximity link is numbers; an
#: opportunity link also carries its reason (tuples of tags are shared between links). Where
#: few candidates become links it is less: about 80 bytes at 10^6 assets, micro ↔ macro.
_BYTES_PER_PAIR = {"proximity": 100, "opportunity": 225}


def _guard(
    kind: str,
    lonlat: tuple[np.ndarray, np.ndarray],
    max_distance_m: float,
    k: int | None,
    group_a: np.ndarray,
    group_b: np.ndarray,
    same: bool,
    max_pairs: int | None,
) -> None:
    """Stop before making more candidate pairs than ``max_pairs`` (or the setting)."""
    limit = settings.options.max_pairs if max_pairs is None else max_pairs
    if limit is None:
        return
    if isinstance(limit, bool) or not isinstance(limit, int | np.integer) or limit < 1:
        raise ConfigurationError(f"max_pairs must be a positive whole number, {limit!r} was given")
    placed = np.isfinite(lonlat[0]) & np.isfinite(lonlat[1])
    n_a, n_b = int((group_a & placed).sum()), int((group_b & placed).sum())
    every = n_a * (n_a - 1) // 2 if same else n_a * n_b  # all pairs: no need to count under it
    factor = 2 if kind == "opportunity" else 1
    if k is not None:  # at most k per asset of each group
        pairs = min(n_a * k + (0 if same else n_b * k), every)
    elif every * factor <= limit:
        return
    else:
        pairs = count_pairs(lonlat, max_distance_m, group_a, group_b, same)
    made = pairs * factor
    if made <= limit:
        return
    gb = made * _BYTES_PER_PAIR[kind] / 1e9
    suggest = f"{_rounded_up(made):_}"
    raise ConfigurationError(
        f"find_links would make about {made:,} candidate pairs"
        + (" (each close pair both ways round)" if kind == "opportunity" else "")
        + f" among {int(placed.sum()):,} placed assets within {max_distance_m:,.0f} m"
        + (f" (k={k})" if k is not None else "")
        + f", more than max_pairs={int(limit):,}: about {gb:,.1f} GB of memory. Ask for fewer: "
        "a shorter max_distance_m (1,200 m is a 15-minute walk), k= nearest, or between= two "
        f"groups; or raise the limit for this call, find_links(..., max_pairs={suggest}), or "
        f"for the session, assetmap.settings.set_option(max_pairs={suggest}) (None: no limit)."
    )


def _rounded_up(n: int) -> int:
    """``n`` rounded up to two significant figures: a limit to suggest."""
    step: int = 10 ** max(len(str(n)) - 2, 0)
    return -(-n // step) * step
