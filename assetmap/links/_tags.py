"""Offers and needs as numbers, and which offers meet which needs.

Tags are canonicalised through a vocabulary (synonym → canonical tag) and numbered; offers are
expanded with the codes above them (an offer ``soc:2231`` meets a need ``soc:22``), so that
matching a million candidate pairs is a sorted search over integers, not Python over strings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def _prefixes(tag: str) -> list[str]:
    """A hierarchical code and the codes above it: soc:2231 → soc:2231, soc:223, soc:22, soc:2."""
    scheme, sep, code = tag.partition(":")
    if not sep or not code:
        return [tag]
    return [f"{scheme}:{code[:n]}" for n in range(len(code), 0, -1)]


@dataclass(frozen=True)
class Tags:
    """Offers and needs as numbers: offers expanded with the codes above them, needs as keys."""

    names: np.ndarray  # tag number → tag
    offer_ptr: np.ndarray  # CSR over assets: offers (expanded)
    offer_tag: np.ndarray  # the expanded tag's number
    offer_own: np.ndarray  # the offer as written (its number), for the reason
    need_keys: np.ndarray  # sorted asset * n_tags + tag
    need_count: np.ndarray  # distinct needs per asset


def numbered_tags(assets: pd.DataFrame, vocabulary: dict[str, str]) -> Tags:
    """The assets' offers and needs, canonicalised through ``vocabulary``, as numbers."""
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
    return Tags(
        names=np.array(list(number), dtype=object),
        offer_ptr=np.array(ptr, dtype=np.int64),
        offer_tag=np.array(expanded, dtype=np.int64),
        offer_own=np.array(own, dtype=np.int64),
        need_keys=keys,
        need_count=np.array([len(n) for n in needs], dtype=np.int64),
    )


def matches(
    tags: Tags, offerer: np.ndarray, needer: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, ...]], list[tuple[str, ...]]]:
    """For each (offerer, needer) pair: which offers met which needs.

    Returns the pairs that match (positions into the arguments), the share of the needer's needs
    met, the offers (as written) that met them, and the needs they met.
    """
    if not len(tags.need_keys) or not len(offerer):  # no needs (or no pairs): nothing to meet
        return np.empty(0, dtype=np.int64), np.empty(0), [], []
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
