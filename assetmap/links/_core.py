"""Links between assets: which are close, and where an offer meets a need close enough to matter.

Distances are metres in a projected CRS (British National Grid in Great Britain, the local UTM
zone elsewhere; see :func:`assetmap.crs.metric_crs`), measured to a site's footprint, not its
centre, where it has one. Candidate pairs come from a KD-tree (points) and an STRtree
(footprints); no Python loop runs over pairs.

Every link says why it is there: the tags that met, each factor of its score in its own column,
and a ``reason`` a partner can read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from .._dispatch import dask_aware
from ..crs import Projected, projected
from ..errors import ConfigurationError, Problem, SchemaError
from ..network import StreetGraph, walk_distances
from ..schema import CATEGORIES, KINDS, synonym_map

__all__ = ["LINK_COLUMNS", "find_links"]

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

Decay = Literal["threshold", "linear", "exponential"]
Selector = str | Sequence[str] | None


def _select(assets: pd.DataFrame, selector: Selector) -> np.ndarray:
    """Rows whose kind or category is named by ``selector`` (all rows for None)."""
    if selector is None:
        return np.ones(len(assets), dtype=bool)
    names = [selector] if isinstance(selector, str) else list(selector)
    known = set(assets["kind"].dropna()) | set(assets["category"].dropna())
    allowed = set(KINDS) | {c for cats in CATEGORIES.values() for c in cats} | known
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ConfigurationError(
            f"{unknown} are neither kinds nor categories; use one of {sorted(allowed)}"
        )
    return np.asarray(
        assets["kind"].isin(names).to_numpy() | assets["category"].isin(names).to_numpy(),
        dtype=bool,
    )


def _unordered(
    i: np.ndarray, j: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs as (smaller, larger) position, without self pairs or repeats."""
    a, b = np.minimum(i, j), np.maximum(i, j)
    keep = a != b
    a, b, d = a[keep], b[keep], d[keep]
    key = a.astype(np.int64) * (max(int(b.max(initial=0)), 0) + 1) + b
    _, first = np.unique(key, return_index=True)
    first.sort()
    return a[first], b[first], d[first]


def _tree(x: np.ndarray, y: np.ndarray) -> cKDTree:
    """A KD-tree built for one query (unbalanced, uncompacted: twice as fast to build)."""
    return cKDTree(np.column_stack([x, y]), balanced_tree=False, compact_nodes=False)


#: Above this many points, close pairs are found in two halves at once (the KD-tree releases
#: the GIL), each half with a margin as wide as the distance so that no pair is lost.
_SPLIT_PAIRS_AT = 200_000


def _close_pairs(
    x: np.ndarray, y: np.ndarray, r: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of points within ``r`` (positions, each pair once), with its distance."""

    def pairs(
        keep: np.ndarray, mine: Callable[[np.ndarray], np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        where = np.flatnonzero(keep)
        xs, ys = x[where], y[where]
        found = _tree(xs, ys).query_pairs(r, output_type="ndarray")
        a, b = found[:, 0], found[:, 1]
        own = mine(np.minimum(xs[a], xs[b]))
        a, b = a[own], b[own]
        return where[a], where[b], np.hypot(xs[a] - xs[b], ys[a] - ys[b])

    if len(x) < _SPLIT_PAIRS_AT:
        return pairs(np.ones(len(x), dtype=bool), lambda west: np.ones(len(west), dtype=bool))
    mid = float(np.median(x))
    # a pair belongs to the half that holds its western point: found there, and only there
    halves = (
        (x < mid + r, lambda west: west < mid),
        (x >= mid - r, lambda west: west >= mid),
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        (i1, j1, d1), (i2, j2, d2) = pool.map(lambda h: pairs(*h), halves)
    return np.r_[i1, i2], np.r_[j1, j2], np.r_[d1, d2]


def _pairs_within(
    p: Projected, r: float, group_a: np.ndarray, group_b: np.ndarray, same: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unordered pairs, one in each group, within ``r`` metres (to footprints where given)."""
    has_fp = p.has_footprint
    a_pts = np.flatnonzero(group_a & p.placed & ~has_fp)
    b_pts = np.flatnonzero(group_b & p.placed & ~has_fp)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if len(a_pts) and len(b_pts):
        if same:
            i, j, d = _close_pairs(p.x[a_pts], p.y[a_pts], r)
            if len(a_pts) < len(p.x):
                i, j = a_pts[i], a_pts[j]
            parts.append((i, j, d))
        else:
            ta = _tree(p.x[a_pts], p.y[a_pts])
            tb = _tree(p.x[b_pts], p.y[b_pts])
            m = ta.sparse_distance_matrix(tb, r, output_type="ndarray")
            parts.append((a_pts[m["i"]], b_pts[m["j"]], m["v"]))
    fps = np.flatnonzero((group_a | group_b) & p.placed & has_fp)
    if len(fps):
        others = np.flatnonzero((group_a | group_b) & p.placed)
        geoms = np.where(has_fp, p.footprint, shapely.points(p.x, p.y))
        tree = shapely.STRtree(geoms[others])
        f, o = tree.query(p.footprint[fps], predicate="dwithin", distance=r)
        i, j = fps[f], others[o]
        ok = (group_a[i] & group_b[j]) | (group_b[i] & group_a[j])
        i, j = i[ok], j[ok]
        parts.append((i, j, shapely.distance(geoms[i], geoms[j])))
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    i = np.concatenate([q[0] for q in parts]).astype(np.int64)
    j = np.concatenate([q[1] for q in parts]).astype(np.int64)
    d = np.concatenate([q[2] for q in parts]).astype("float64")
    if len(fps) or not same:
        return _unordered(i, j, d)
    return i, j, d


def _nearest_by_position(tree: cKDTree, points: np.ndarray, kk: int) -> np.ndarray:
    """The ``kk`` nearest tree points of each point (rows of tree positions), ties at equal
    distance broken by position (the register's order), so the answer does not depend on how
    the tree was built: the same on any subset holding the neighbours (the dask path)."""
    n = len(tree.data)
    kq = min(kk + 1, n)
    dist, idx = tree.query(points, k=kq)
    dist, idx = dist.reshape(len(points), kq), idx.reshape(len(points), kq)
    if kq > kk:
        # where the next one out is as near as the last one in, take every point at that
        # distance and choose among them by position
        tied = np.flatnonzero(dist[:, kk] == dist[:, kk - 1])
        if len(tied):
            reach = dist[tied, kk - 1] * (1 + 1e-9) + 1e-9  # rounding must not lose one
            balls = tree.query_ball_point(points[tied], r=reach)
            for row, ball in zip(tied, balls, strict=True):
                cand = np.asarray(ball, dtype=np.int64)
                d = np.sqrt(((tree.data[cand] - points[row]) ** 2).sum(axis=1))
                pick = np.lexsort((cand, d))[:kk]
                idx[row, :kk], dist[row, :kk] = cand[pick], d[pick]
        dist, idx = dist[:, :kk], idx[:, :kk]
    order = np.lexsort((idx, dist), axis=-1)
    return np.take_along_axis(idx, order, axis=-1)


def _pairs_nearest(
    p: Projected, k: int, group_a: np.ndarray, group_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each asset of group A, its ``k`` nearest of group B (by their points), unordered."""
    a = np.flatnonzero(group_a & p.placed)
    b = np.flatnonzero(group_b & p.placed)
    if not len(a) or not len(b):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    tree = _tree(p.x[b], p.y[b])
    kk = min(k + 1, len(b))  # one more: an asset in both groups finds itself first
    idx = _nearest_by_position(tree, np.column_stack([p.x[a], p.y[a]]), kk)
    i = np.repeat(a, kk)
    j = b[idx.ravel()]
    keep = i != j
    i, j = i[keep], j[keep]
    # at most k per asset of A, nearest first
    rank = pd.Series(np.ones(len(i), dtype=np.int64)).groupby(i).cumsum().to_numpy()
    i, j = i[rank <= k], j[rank <= k]
    has_fp = p.has_footprint
    geoms = np.where(has_fp, p.footprint, shapely.points(p.x, p.y))
    return _unordered(i, j, shapely.distance(geoms[i], geoms[j]))


def _prefixes(tag: str) -> list[str]:
    """A hierarchical code and the codes above it: soc:2231 → soc:2231, soc:223, soc:22, soc:2."""
    scheme, sep, code = tag.partition(":")
    if not sep or not code:
        return [tag]
    return [f"{scheme}:{code[:n]}" for n in range(len(code), 0, -1)]


@dataclass(frozen=True)
class _Tags:
    """Offers and needs as numbers: offers expanded with the codes above them, needs as keys."""

    names: np.ndarray  # tag number → tag
    offer_ptr: np.ndarray  # CSR over assets: offers (expanded)
    offer_tag: np.ndarray  # the expanded tag's number
    offer_own: np.ndarray  # the offer as written (its number), for the reason
    need_keys: np.ndarray  # sorted asset * n_tags + tag
    need_count: np.ndarray  # distinct needs per asset


def _tags(assets: pd.DataFrame, vocabulary: dict[str, str]) -> _Tags:
    number: dict[str, int] = {}

    def num(t: str) -> int:
        return number.setdefault(t, len(number))

    canon = [[vocabulary.get(t, t) for t in tags] for tags in assets["offers"]]
    ptr, expanded, own = [0], [], []
    for tags in canon:
        for t in dict.fromkeys(tags):
            for prefix in _prefixes(t):
                expanded.append(num(prefix))
                own.append(num(t))
        ptr.append(len(expanded))
    needs = [dict.fromkeys(vocabulary.get(t, t) for t in tags) for tags in assets["needs"]]
    need_pairs = [(a, num(t)) for a, tags in enumerate(needs) for t in tags]
    n_tags = max(len(number), 1)
    keys = np.array(sorted(a * n_tags + t for a, t in need_pairs), dtype=np.int64)
    return _Tags(
        names=np.array(list(number), dtype=object),
        offer_ptr=np.array(ptr, dtype=np.int64),
        offer_tag=np.array(expanded, dtype=np.int64),
        offer_own=np.array(own, dtype=np.int64),
        need_keys=keys,
        need_count=np.array([len(n) for n in needs], dtype=np.int64),
    )


def _matches(
    tags: _Tags, offerer: np.ndarray, needer: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, ...]], list[tuple[str, ...]]]:
    """For each (offerer, needer) pair: which offers met which needs.

    Returns the pairs that match (positions into the arguments), the share of the needer's needs
    met, the offers (as written) that met them, and the needs they met.
    """
    n_tags = max(len(tags.names), 1)
    counts = tags.offer_ptr[offerer + 1] - tags.offer_ptr[offerer]
    pair = np.repeat(np.arange(len(offerer)), counts)
    start = np.repeat(tags.offer_ptr[offerer], counts)
    within = np.arange(len(pair)) - np.repeat(np.cumsum(counts) - counts, counts)
    at = start + within
    key = needer[pair] * n_tags + tags.offer_tag[at]
    pos = np.searchsorted(tags.need_keys, key)
    hit = (pos < len(tags.need_keys)) & (
        tags.need_keys[np.minimum(pos, len(tags.need_keys) - 1)] == key
    )
    if not hit.any():
        return np.empty(0, dtype=np.int64), np.empty(0), [], []
    frame = pd.DataFrame(
        {"pair": pair[hit], "need": tags.offer_tag[at][hit], "own": tags.offer_own[at][hit]}
    )
    met = frame.groupby("pair", sort=True)["need"].nunique()
    offers = frame.drop_duplicates(["pair", "own"]).groupby("pair", sort=True)["own"].agg(list)
    needs = frame.drop_duplicates(["pair", "need"]).groupby("pair", sort=True)["need"].agg(list)
    which = met.index.to_numpy()
    share = met.to_numpy() / tags.need_count[needer[which]]
    named = [tuple(tags.names[o] for o in own) for own in offers.to_numpy()]
    needed = [tuple(tags.names[t] for t in ts) for ts in needs.to_numpy()]
    return which, share, named, needed


def _decayed(
    distance: np.ndarray, decay: Decay, max_distance_m: float, decay_m: float
) -> np.ndarray:
    if decay == "threshold":
        return np.where(distance <= max_distance_m, 1.0, 0.0)
    if decay == "linear":
        return np.clip(1.0 - distance / max_distance_m, 0.0, 1.0)
    if decay == "exponential":
        return np.exp(-distance / decay_m)
    raise ConfigurationError(f"decay must be 'threshold', 'linear' or 'exponential', not {decay!r}")


def _weights(
    assets: pd.DataFrame, weights: str | pd.Series | None, weight_on: str | None
) -> tuple[np.ndarray, str]:
    """Each asset's weight (1 where none is given) and a name for it in reasons."""
    n = len(assets)
    if weights is None:
        return np.ones(n), ""
    if isinstance(weights, str):
        if weights not in assets.columns:
            raise ConfigurationError(
                f"no column {weights!r} to weigh by; the assets have {list(assets.columns)}"
            )
        values = pd.to_numeric(assets[weights], errors="coerce")
        label = weights
    else:
        label = str(weights.name) if weights.name is not None else "weight"
        if weight_on is None:
            values = weights.reindex(assets.index)
        else:
            if weight_on not in assets.columns:
                raise ConfigurationError(f"no column {weight_on!r} to take weights by")
            values = pd.Series(
                assets[weight_on].map(weights).to_numpy(), index=assets.index, dtype="float64"
            )
    out = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    if (out < 0).any():
        raise ConfigurationError("weights must not be negative")
    return np.where(np.isfinite(out), out, 1.0), label


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
    streets: StreetGraph | None = None,
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
        A street graph (:mod:`assetmap.network`): links with a macro-asset at one end are then
        measured on foot, from the site's nearest entrance, in ``walk_m``; they count only
        within ``max_distance_m`` walked, and the ``proximity`` factor uses the walk. Links
        between two micro-assets keep the straight line.

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
    p = projected(assets, crs)
    a, b = (None, None) if between is None else between
    group_a, group_b = _select(assets, a), _select(assets, b)
    same = between is None or a == b
    if k is None:
        i, j, d = _pairs_within(p, max_distance_m, group_a, group_b, same)
    else:
        i, j, d = _pairs_nearest(p, k, group_a, group_b)
        if not same:
            i2, j2, d2 = _pairs_nearest(p, k, group_b, group_a)
            i, j, d = _unordered(np.r_[i, i2], np.r_[j, j2], np.r_[d, d2])
        near = d <= max_distance_m
        i, j, d = i[near], j[near], d[near]
    walk = None
    if streets is not None:
        walk = _walks(assets, i, j, streets, max_distance_m)
        # a pair with a macro-asset at one end is close only if it is close on foot
        reachable = np.isfinite(walk) | ~_macro_end(assets, i, j)
        i, j, d, walk = i[reachable], j[reachable], d[reachable], walk[reachable]
    weight, label = _weights(assets, weights, weight_on)
    decay_at = decay_m if decay_m is not None else max_distance_m / 2
    if kind == "proximity":
        out = _proximity_table(p, i, j, d, weight, decay, max_distance_m, decay_at, walk)
    else:
        out = _opportunity_table(
            assets, p, i, j, d, weight, label, synonym_map(vocabulary), decay, max_distance_m,
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
    log.info("found %d %s links among %d assets", len(out), kind, len(assets))
    return out


def _macro_end(assets: pd.DataFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    macro = (assets["kind"].astype("str") == "macro").to_numpy()
    return np.asarray(macro[i] | macro[j], dtype=bool)


def _walks(
    assets: pd.DataFrame, i: np.ndarray, j: np.ndarray, streets: StreetGraph, max_m: float
) -> np.ndarray:
    """Walking distance of each pair with a macro-asset at one end (NaN for the others, and for
    pairs further apart on foot than ``max_m``)."""

    walks = walk_distances(assets, streets, max_m=max_m)
    n = len(assets)
    at = pd.Index(assets.index.astype("str"))
    s = at.get_indexer(walks["source"].astype("str"))
    t = at.get_indexer(walks["target"].astype("str"))
    known = pd.Series(walks["walk_m"].to_numpy(float), index=pd.Index(s.astype(np.int64) * n + t))
    known = known[~known.index.duplicated()]
    forward = known.reindex(i.astype(np.int64) * n + j).to_numpy()
    backward = known.reindex(j.astype(np.int64) * n + i).to_numpy()
    return np.asarray(np.where(np.isfinite(forward), forward, backward), dtype="float64")


def _proximity_table(
    p: Projected,
    i: np.ndarray,
    j: np.ndarray,
    d: np.ndarray,
    weight: np.ndarray,
    decay: Decay,
    max_distance_m: float,
    decay_m: float,
    walk: np.ndarray | None = None,
) -> pd.DataFrame:
    """Proximity links in the order the spatial index gives them (the same order every run).

    Built for millions of rows: ids are categoricals over the register's ids, reasons a
    categorical over whole metres.
    """
    n = len(i)
    d = np.round(d, 2)
    apart = d if walk is None else np.where(np.isfinite(walk), walk, d)
    prox = np.round(_decayed(apart, decay, max_distance_m, decay_m), 6)
    w = np.round(weight[i] * weight[j], 6) if (weight != 1).any() else np.ones(n)
    metres = np.round(apart).astype(np.int64)
    top = int(metres.max(initial=0)) + 1
    on_foot = np.zeros(n, dtype=bool) if walk is None else np.isfinite(walk)
    words = [f"{m:,} m apart" for m in range(top)] + [f"{m:,} m walk" for m in range(top)]
    reason = pd.Categorical.from_codes(
        metres + on_foot * top, dtype=pd.CategoricalDtype(words), validate=False
    )
    matched = np.empty(n, dtype=object)
    matched.fill(())
    ids = p.id_dtype
    return pd.DataFrame(
        {
            "source": pd.Categorical.from_codes(i, dtype=ids, validate=False),
            "target": pd.Categorical.from_codes(j, dtype=ids, validate=False),
            "kind": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), dtype=_KINDS),
            "distance_m": d,
            **({"walk_m": np.round(walk, 2)} if walk is not None else {}),
            "matched": matched,
            "met": matched,
            "match": np.full(n, np.nan),
            "proximity": prox,
            "weight": w,
            "score": np.round(prox * w, 6),
            "reason": reason,
        },
        copy=False,  # millions of rows: no copy into one block
    )


_KINDS = pd.CategoricalDtype(["proximity", "opportunity"])


def _objects(items: list[tuple[str, ...]]) -> np.ndarray:
    """An object array holding each tuple as one value (numpy would unpack them)."""
    out = np.empty(len(items), dtype=object)
    for k, item in enumerate(items):
        out[k] = item
    return out


def _opportunity_table(
    assets: pd.DataFrame,
    p: Projected,
    i: np.ndarray,
    j: np.ndarray,
    d: np.ndarray,
    weight: np.ndarray,
    label: str,
    vocabulary: dict[str, str],
    decay: Decay,
    max_distance_m: float,
    decay_m: float,
    walk: np.ndarray | None = None,
) -> pd.DataFrame:
    """Opportunity links, both ways round each close pair, best score first."""
    tags = _tags(assets, vocabulary)
    offerer = np.r_[i, j]
    needer = np.r_[j, i]
    dist = np.r_[d, d]
    walked = np.r_[walk, walk] if walk is not None else np.full(len(dist), np.nan)
    which, share, named, needed = _matches(tags, offerer, needer)
    o, n_, dd = offerer[which], needer[which], np.round(dist[which], 2)
    ww_ = np.round(walked[which], 2)
    apart = np.where(np.isfinite(ww_), ww_, dd)
    prox = np.round(_decayed(apart, decay, max_distance_m, decay_m), 6)
    w = np.round(weight[o] * weight[n_], 6)
    match = np.round(share, 6)
    score = np.round(match * prox * w, 6)
    reasons = [
        f"offers {', '.join(m)}; {x:,.0f} m{' walk' if foot else ''}"
        + (f"; {label} ×{ww:g}" if label else "")
        for m, x, foot, ww in zip(named, apart, np.isfinite(ww_), w, strict=True)
    ]
    matched, met = _objects(named), _objects(needed)
    ids = p.id_dtype
    out = pd.DataFrame(
        {
            "source": pd.Categorical.from_codes(o, dtype=ids, validate=False),
            "target": pd.Categorical.from_codes(n_, dtype=ids, validate=False),
            "kind": pd.Categorical.from_codes(np.ones(len(o), dtype=np.int8), dtype=_KINDS),
            "distance_m": dd,
            **({"walk_m": ww_} if walk is not None else {}),
            "matched": matched,
            "met": met,
            "match": match,
            "proximity": prox,
            "weight": w,
            "score": score,
            "reason": pd.array(reasons, dtype="str"),
        }
    )
    # best first; ties by the register's order of source, then target
    order = np.lexsort((n_, o, -score))
    return out.iloc[order].reset_index(drop=True)
