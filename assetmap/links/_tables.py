"""The links tables: proximity and opportunity rows with their score factors and reasons.

Owns how the ``proximity`` factor falls with distance, each asset's ``weight``, walking
distances for pairs with a macro-asset at one end (:func:`assetmap.network.walk_distances`),
and the tables :func:`assetmap.find_links` returns, one factor of the score per column.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._memory import release_unused_memory
from ..errors import ConfigurationError
from ..network import StreetGraph, walk_distances
from ._tags import first_seen, interned, matches, numbered_tags, tuples_of

Decay = Literal["threshold", "linear", "exponential"]


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


def asset_weights(
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


def macro_end(assets: pd.DataFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Whether each pair (positions ``i``, ``j``) has a macro-asset at one end."""
    macro = (assets["kind"].astype("str") == "macro").to_numpy()
    return np.asarray(macro[i] | macro[j], dtype=bool)


def pair_walks(
    assets: pd.DataFrame, i: np.ndarray, j: np.ndarray, streets: StreetGraph, max_m: float
) -> np.ndarray:
    """Walking distance of each pair with a macro-asset at one end (NaN for the others, and for
    pairs further apart on foot than ``max_m``)."""

    walks = walk_distances(assets, streets, max_distance_m=max_m)
    n = len(assets)
    at = pd.Index(assets.index.astype("str"))
    s = at.get_indexer(walks["source"].astype("str"))
    t = at.get_indexer(walks["target"].astype("str"))
    known = pd.Series(walks["walk_m"].to_numpy(float), index=pd.Index(s.astype(np.int64) * n + t))
    known = known[~known.index.duplicated()]
    forward = known.reindex(i.astype(np.int64) * n + j).to_numpy()
    backward = known.reindex(j.astype(np.int64) * n + i).to_numpy()
    return np.asarray(np.where(np.isfinite(forward), forward, backward), dtype="float64")


def proximity_table(
    ids: pd.CategoricalDtype,
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

    Built for millions of rows: ids are categoricals over the register's ids (``ids``, from
    :func:`assetmap.schema.id_categories`), reasons a categorical over whole metres.
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


def _texts(values: list[str], at: np.ndarray) -> pa.Array:
    """``values[at]`` as Arrow text, each value made once."""
    return pa.array(values, type=pa.large_string()).take(pa.array(at, type=pa.int64()))


def _reasons(
    offered: list[tuple[str, ...]],
    seq: np.ndarray,
    apart: np.ndarray,
    on_foot: np.ndarray,
    label: str,
    weight: np.ndarray,
) -> pd.Categorical[Any]:
    """``offers <what>; <metres> m[ walk][; <label> ×<weight>]`` for each link, as categorical
    text: each distinct reason made once, joined by Arrow from the few distinct pieces (a
    Python string per distinct piece, none per link), its categories in text order (so that
    sorting by reason sorts as text); a link holds a small integer code."""
    if not len(seq):
        return pd.Categorical([], categories=pd.Index([], dtype="str"))
    # whole metres (as ``:,.0f`` rounds: half to even), on foot or not, and the weight
    metres = np.round(apart).astype(np.int64)
    metres *= 2
    metres += on_foot
    how, hows = first_seen(metres)
    del metres
    if label:
        by, ws = pd.factorize(weight)
        how, combined = first_seen(how.astype(np.int64) * len(ws) + by)
        del by
        pieces = [
            f"; {hows[c // len(ws)] >> 1:,} m{' walk' if hows[c // len(ws)] & 1 else ''}"
            f"; {label} ×{ws[c % len(ws)]:g}"
            for c in combined.tolist()
        ]
    else:
        pieces = [f"; {h >> 1:,} m{' walk' if h & 1 else ''}" for h in hows.tolist()]
    key = seq.astype(np.int64)
    key *= len(pieces)
    key += how
    del how
    each, distinct = first_seen(key)
    del key
    joined = pc.binary_join_element_wise(
        _texts([f"offers {', '.join(t)}" for t in offered], distinct // len(pieces)),
        _texts(pieces, distinct % len(pieces)),
        pa.scalar("", pa.large_string()),
    )
    # two combinations may read alike (weights equal to the digits shown): one category each
    text, words = pd.factorize(pd.array(joined, dtype="str"), sort=True)
    small = np.int32 if len(words) < 2**31 else np.int64
    codes = text.astype(small)[each]
    del each
    return pd.Categorical.from_codes(
        codes, dtype=pd.CategoricalDtype(pd.Index(words, dtype="str")), validate=False
    )


def _best_first(score: np.ndarray, source: np.ndarray, target: np.ndarray, n: int) -> np.ndarray:
    """The order of links by score, best first, ties by the register's order of source, then
    target: one sort of a single integer key (scores have six decimals) where it fits in 64
    bits, a three-key sort where it does not."""
    if len(score) and np.isfinite(score).all() and np.abs(score).max() < 1e9:
        micro = np.rint(score * 1e6).astype(np.int64)
        span = int(micro.max() - micro.min()) + 1
        if span * n * n < 2**62:
            key = micro.max() - micro  # made in place: one array of millions, not five
            del micro
            key *= n
            key += source
            key *= n
            key += target
            return np.argsort(key)
    return np.lexsort((target, source, -score))


class Scoring(NamedTuple):
    """How links are scored: each asset's ``weight``, and how proximity decays with distance."""

    weight: np.ndarray
    decay: Decay
    max_distance_m: float
    decay_m: float


def _factors(
    dist: np.ndarray,
    walked: np.ndarray | None,
    share: np.ndarray,
    o: np.ndarray,
    n_: np.ndarray,
    how: Scoring,
) -> dict[str, np.ndarray]:
    """The score and its factors of links from ``o`` to ``n_``, ``dist`` apart (``walked`` on
    foot, where known), meeting ``share`` of the needs; ``walk_m`` only where ``walked`` is
    given, ``on_foot`` whether each link was walked."""
    dd = np.round(dist, 2)
    out = {"distance_m": dd}
    if walked is None:
        apart, on_foot = dd, np.zeros(len(dd), dtype=bool)
    else:
        out["walk_m"] = ww_ = np.round(walked, 2)
        on_foot = np.isfinite(ww_)
        apart = np.where(on_foot, ww_, dd)
    prox = np.round(_decayed(apart, how.decay, how.max_distance_m, how.decay_m), 6)
    w = np.round(how.weight[o] * how.weight[n_], 6)
    match = np.round(share, 6)
    score = np.round(match * prox * w, 6)
    return {**out, "apart": apart, "on_foot": on_foot, "match": match, "proximity": prox,
            "weight": w, "score": score}  # fmt: skip


def _score(
    dist: np.ndarray,
    walked: np.ndarray | None,
    share: np.ndarray,
    o: np.ndarray,
    n_: np.ndarray,
    how: Scoring,
) -> np.ndarray:
    """The ``score`` of :func:`_factors` (the same numbers), holding two arrays of links at a
    time, not seven."""
    apart = np.round(dist, 2)
    if walked is not None:
        ww_ = np.round(walked, 2)
        apart = np.where(np.isfinite(ww_), ww_, apart)
        del ww_
    score = np.round(share, 6)
    prox = np.round(_decayed(apart, how.decay, how.max_distance_m, how.decay_m), 6)
    del apart
    score *= prox  # match × proximity, as in _factors
    del prox
    score *= np.round(how.weight[o] * how.weight[n_], 6)
    return np.round(score, 6, out=score)


def opportunity_table(
    assets: pd.DataFrame,
    ids: pd.CategoricalDtype,
    pairs: list[np.ndarray],
    weight: np.ndarray,
    label: str,
    vocabulary: dict[str, str],
    decay: Decay,
    max_distance_m: float,
    decay_m: float,
    walk: np.ndarray | None = None,
) -> pd.DataFrame:
    """Opportunity links, both ways round each close pair, best score first.

    Columnar: the matches are integer arrays; the tuples of what met what are made once per
    distinct combination (links holding the same combination share one tuple), the reasons
    joined by Arrow. ``pairs`` (the close pairs ``[i, j, d]``, millions of them) is emptied: the
    caller hands them over so that they are freed as soon as the links are picked.
    """
    i, j, d = pairs
    pairs.clear()  # handed over: the candidate pairs are freed once the links are picked
    tags = numbered_tags(assets, vocabulary)
    release_unused_memory()  # what numbering the tags freed, before matching them
    found = matches(tags, i, j)
    back = found.which >= len(i)  # j offering to i
    pair, share = np.where(back, found.which - len(i), found.which), found.share
    o, n_ = np.where(back, j[pair], i[pair]), np.where(back, i[pair], j[pair])
    dist, walked = d[pair], (walk[pair] if walk is not None else None)
    del back, pair, i, j, d  # millions of links: each array held no longer than needed
    release_unused_memory()  # the candidate pairs' memory, for what follows
    n_tags = max(len(tags.names), 1)
    offer_seq, offer_row = interned(found.offer_ptr, found.offer_tag, n_tags)
    need_seq, need_row = interned(found.need_ptr, found.need_tag, n_tags)
    offered = tuples_of(tags.names, found.offer_ptr, found.offer_tag, offer_row)
    needed = tuples_of(tags.names, found.need_ptr, found.need_tag, need_row)
    del found, tags
    how = Scoring(weight, decay, max_distance_m, decay_m)
    order = _best_first(_score(dist, walked, share, o, n_, how), o, n_, len(assets))
    # one column at a time: each old one freed before the next is put in order
    o = o[order]
    n_ = n_[order]
    dist = dist[order]
    walked = walked[order] if walked is not None else None
    share = share[order]
    offer_seq = offer_seq[order]
    need_seq = need_seq[order]
    del order
    # what matching and ordering freed, given back before the links' columns are made: the
    # heap's holes would otherwise stay resident beside them, at the stage's peak
    release_unused_memory()
    f = _factors(dist, walked, share, o, n_, how)  # made once more, in order: no copy of each
    del dist, walked, share
    reason = _reasons(offered, offer_seq, f.pop("apart"), f.pop("on_foot"), label, f["weight"])
    matched, met = _objects(offered)[offer_seq], _objects(needed)[need_seq]
    del offer_seq, need_seq
    return pd.DataFrame(
        {
            "source": pd.Categorical.from_codes(o, dtype=ids, validate=False),
            "target": pd.Categorical.from_codes(n_, dtype=ids, validate=False),
            "kind": pd.Categorical.from_codes(np.ones(len(o), dtype=np.int8), dtype=_KINDS),
            "distance_m": f["distance_m"],
            **({"walk_m": f["walk_m"]} if walk is not None else {}),
            "matched": matched,
            "met": met,
            "match": f["match"],
            "proximity": f["proximity"],
            "weight": f["weight"],
            "score": f["score"],
            "reason": reason,
        },
        copy=False,  # millions of rows: no copy into one block
    )
