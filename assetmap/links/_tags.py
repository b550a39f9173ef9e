"""Offers and needs as numbers, and which offers meet which needs.

Tags are canonicalised through a vocabulary (synonym → canonical tag) and numbered; offers are
expanded with the codes above them (an offer ``soc:2231`` meets a need ``soc:22``), so that
matching millions of candidate pairs is a look-up over integers, not Python over strings.
Python touches each *distinct* tag once (its synonym, its prefixes); every asset's tags, every
candidate pair and every match are numpy arrays: CSR offsets and integer codes. Tag columns may
hold lists (as :func:`assetmap.read_assets` gives them) or be Arrow lists.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._memory import release_unused_memory


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


@dataclass(frozen=True)
class Matches:
    """The candidate pairs whose offers meet needs, with what met what as CSR over them."""

    which: np.ndarray  # positions of the matching pairs, ascending
    share: np.ndarray  # the share of the needer's needs met
    offer_ptr: np.ndarray  # CSR over matching pairs: the offers (as written) that met a need
    offer_tag: np.ndarray  # in the order the offerer lists them
    need_ptr: np.ndarray  # CSR over matching pairs: the needs they met
    need_tag: np.ndarray  # in the order they were first met


def _flat(column: pd.Series) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """A column of tag lists as (tags per row, each tag's number, the distinct tags), without a
    Python object per tag where the column is an Arrow list; missing cells have no tags."""
    kind = column.dtype.pyarrow_dtype if isinstance(column.dtype, pd.ArrowDtype) else None
    if kind is not None and (pa.types.is_list(kind) or pa.types.is_large_list(kind)):
        arr = pa.chunked_array(pa.array(column.array)).combine_chunks()
        flat = arr.flatten()
        if not flat.null_count:
            lengths = arr.value_lengths().fill_null(0).to_numpy(zero_copy_only=False)
            coded = pc.dictionary_encode(flat)
            return (
                lengths.astype(np.int64),
                coded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
                coded.dictionary.to_pylist(),
            )
    cells: Any = column.to_numpy(dtype=object)
    try:  # lists or tuples, as read_assets gives them
        lengths = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
    except TypeError:  # a missing cell here and there: no tags
        cells = [c if isinstance(c, Iterable) and not isinstance(c, str) else () for c in cells]
        lengths = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
    flat = np.fromiter(itertools.chain.from_iterable(cells), dtype=object, count=int(lengths.sum()))
    codes, uniques = pd.factorize(flat)
    return lengths, codes.astype(np.int64), list(uniques)


#: Rows holding more codes than this are told apart by sorting; shorter ones by comparing
#: each code with the few before it in its row (a numpy pass per position, no sort).
_SHORT_ROWS = 16


def _first_each(row: np.ndarray, code: np.ndarray, n_codes: int) -> np.ndarray:
    """Positions of the first time each (row, code) appears, in their order (``row`` is sorted:
    each row's codes lie together)."""
    n = len(row)
    if not n:
        return np.empty(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    longest = int(np.diff(np.r_[starts, n]).max())
    if longest > _SHORT_ROWS:
        _, first = np.unique(row.astype(np.int64) * n_codes + code, return_index=True)
        first.sort()
        return first
    seen = np.zeros(n, dtype=bool)
    for k in range(1, longest):
        seen[k:] |= (row[k:] == row[:-k]) & (code[k:] == code[:-k])
    return np.flatnonzero(~seen)


def _canonical(
    column: pd.Series, vocabulary: dict[str, str], number: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's distinct canonical tags, first mention first: (row, tag number) arrays."""
    lengths, codes, uniques = _flat(column)
    canon = np.array(
        [number.setdefault(vocabulary.get(t, t), len(number)) for t in uniques], dtype=np.int64
    )
    tag = canon[codes] if len(codes) else np.empty(0, dtype=np.int64)
    row = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    keep = _first_each(row, tag, max(len(number), 1))
    return row[keep], tag[keep]


def numbered_tags(assets: pd.DataFrame, vocabulary: dict[str, str]) -> Tags:
    """The assets' offers and needs, canonicalised through ``vocabulary``, as numbers."""
    number: dict[str, int] = {}
    n = len(assets)
    o_row, o_tag = _canonical(assets["offers"], vocabulary, number)
    n_row, n_tag = _canonical(assets["needs"], vocabulary, number)
    # each canonical offer tag's prefixes (itself first), as CSR over the offer tags
    own_tags = np.unique(o_tag)
    names = list(number)
    expansions = [
        [number.setdefault(p, len(number)) for p in _prefixes(names[t])] for t in own_tags
    ]
    width = np.zeros(len(number) + 1, dtype=np.int64)
    width[own_tags + 1] = [len(e) for e in expansions]
    pre_ptr = np.cumsum(width)
    pre_tag = np.fromiter(itertools.chain.from_iterable(expansions), dtype=np.int64)
    counts = width[o_tag + 1]
    start = np.repeat(pre_ptr[o_tag], counts)
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    offer_tag = pre_tag[start + within] if len(pre_tag) else np.empty(0, dtype=np.int64)
    per_asset = np.bincount(np.repeat(o_row, counts), minlength=n)
    n_tags = max(len(number), 1)
    code = np.int32 if n_tags < 2**31 else np.int64
    return Tags(
        names=np.array(list(number), dtype=object),
        offer_ptr=np.r_[0, np.cumsum(per_asset)].astype(np.int64),
        offer_tag=offer_tag.astype(code),
        offer_own=np.repeat(o_tag, counts).astype(code),
        need_keys=np.sort(n_row * n_tags + n_tag),
        need_count=np.bincount(n_row, minlength=n).astype(np.int64),
    )


#: Up to this many (asset, tag) cells, needs are looked up in a table of yes/no (one bit a
#: cell); above it, by a sorted search.
_TABLE_CELLS = 1 << 26

#: Candidate pairs matched at once: bounds the arrays of one row per (pair, expanded offer).
_CHUNK = 1 << 18


def _expanded(ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For CSR ``ptr`` and some of its rows: each element's row (position into ``rows``) and
    its position in the CSR values."""
    counts = ptr[rows + 1] - ptr[rows]
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    at = np.arange(len(owner), dtype=np.int64) + np.repeat(
        ptr[rows] - (np.cumsum(counts) - counts), counts
    )
    return owner, at


def _hits(tags: Tags, first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, ...]:
    """Every (pair, expanded offer) that meets a need of the pair's needer, in pair order:
    (pair, need met, offer as written). Pairs are each close pair both ways round: ``first``
    offering to ``second`` (pairs 0 … P-1), then ``second`` offering to ``first`` (P … 2P-1)."""
    n_tags = max(len(tags.names), 1)
    pos = np.int32 if 2 * len(first) < 2**31 else np.int64  # positions of pairs both ways
    code = np.int32 if n_tags < 2**31 else np.int64
    keys = tags.need_keys
    # who needs what, as a table of bits by asset and tag where it is small enough: an eighth
    # of a table of bytes (3 MB for a million assets and 24 tags), and faster to look up, as
    # it stays in the processor's cache
    table = None
    if len(tags.need_count) * n_tags <= _TABLE_CELLS:
        table = np.zeros((len(tags.need_count) * n_tags + 7) >> 3, dtype=np.uint8)
        byte = keys >> 3
        starts = np.flatnonzero(np.r_[True, byte[1:] != byte[:-1]])  # keys: sorted, not none
        bit = np.left_shift(np.uint8(1), (keys & 7).astype(np.uint8))
        table[byte[starts]] = np.bitwise_or.reduceat(bit, starts)
        del byte, starts, bit
    got: tuple[list[np.ndarray], ...] = ([], [], [])  # pair, need met, offer as written
    for way, (offerer, needer) in enumerate(((first, second), (second, first))):
        for lo in range(0, len(offerer), _CHUNK):
            o, nd = offerer[lo : lo + _CHUNK], needer[lo : lo + _CHUNK]
            useful = np.flatnonzero(
                (tags.need_count[nd] > 0) & (tags.offer_ptr[o + 1] > tags.offer_ptr[o])
            )
            pair, at = _expanded(tags.offer_ptr, o[useful])
            tag = tags.offer_tag[at]
            # asset × tag may pass 2^31 where positions are 32-bit: the key is 64-bit
            key = nd[useful].astype(np.int64)[pair] * n_tags + tag
            if table is not None:
                hit = ((table[key >> 3] >> (key & 7).astype(np.uint8)) & np.uint8(1)).view(bool)
            else:
                hit = keys[np.minimum(np.searchsorted(keys, key), len(keys) - 1)] == key
            del key
            at_pair = useful[pair[hit]] + (lo + way * len(first))
            got[0].append(at_pair.astype(pos))
            got[1].append(tag[hit].astype(code))
            got[2].append(tags.offer_own[at[hit]])
    joined = []
    for column in got:  # one column at a time, its chunks freed once joined
        joined.append(np.concatenate(column))
        column.clear()
    return tuple(joined)


def _grouped(
    pair: np.ndarray, code: np.ndarray, group: np.ndarray, n_groups: int, n_codes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's distinct codes, first first, as CSR over the distinct pairs (``group``: each
    hit's pair as a number from 0, in order)."""
    keep = _first_each(pair, code, n_codes)
    counts = np.bincount(group[keep], minlength=n_groups)
    ptr = np.zeros(n_groups + 1, dtype=np.int32 if len(keep) < 2**31 else np.int64)
    np.cumsum(counts, out=ptr[1:])  # offsets: 32 bits while they fit
    return ptr, code[keep]


def matches(tags: Tags, first: np.ndarray, second: np.ndarray) -> Matches:
    """For each close pair (``first``, ``second``) both ways round: which offers met which needs.

    Returns the pairs that match (positions 0 … P-1 for ``first`` offering to ``second``, P …
    2P-1 the other way round), the share of the needer's needs met, the offers (as written)
    that met them and the needs they met, each as CSR arrays.
    """
    empty = np.empty(0, dtype=np.int64)
    if not len(tags.need_keys) or not len(first):  # no needs (or no pairs): nothing to meet
        return Matches(
            empty, np.empty(0), np.zeros(1, np.int64), empty, np.zeros(1, np.int64), empty
        )
    pair, need, own = _hits(tags, first, second)
    release_unused_memory()  # the chunks' arrays, given back before the hits are grouped
    new = np.r_[True, pair[1:] != pair[:-1]] if len(pair) else np.empty(0, dtype=bool)
    which, group = pair[new], np.cumsum(new, dtype=pair.dtype) - 1
    del new
    n_tags = max(len(tags.names), 1)
    offer_ptr, offer_tag = _grouped(pair, own, group, len(which), n_tags)
    del own
    need_ptr, need_tag = _grouped(pair, need, group, len(which), n_tags)
    del pair, need, group
    back = which >= len(first)
    at = np.where(back, which - len(first), which)
    needer = np.where(back, first[at], second[at])
    del back, at
    share = np.diff(need_ptr) / tags.need_count[needer]
    return Matches(which, share, offer_ptr, offer_tag, need_ptr, need_tag)


def first_seen(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pandas.factorize`` of integers (each value's number, in order of first appearance, and
    the distinct values) by Arrow's hash table, which grows with the distinct values, where
    pandas' is sized for every value (64 MB for a few thousand distinct among 3 million)."""
    if len(values) >= 2**31:
        codes, uniques = pd.factorize(values)
        return codes, np.asarray(uniques)
    coded = pc.dictionary_encode(pa.array(values))
    return (
        coded.indices.to_numpy(zero_copy_only=False),
        coded.dictionary.to_numpy(zero_copy_only=False),
    )


def interned(ptr: np.ndarray, codes: np.ndarray, n_codes: int) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct sequences of a CSR (rows holding the same codes in the same order
    get the same number), one numpy pass per position: (sequence number per row, a row holding
    each sequence)."""
    lengths = np.diff(ptr)
    seq = np.zeros(len(lengths), dtype=np.int64)
    for k in range(int(lengths.max(initial=0))):
        longer = np.flatnonzero(lengths > k)
        # rows that ended keep theirs, told apart from longer ones
        joined = seq.astype(np.int64) * (n_codes + 1)
        del seq
        joined[longer] += codes[ptr[longer] + k] + 1
        del longer
        seq = first_seen(joined)[0]  # Arrow's hash table: sized for the distinct, not all
        del joined
    # numbered in order of first appearance: each number first appears where the highest so far
    # goes up
    top = np.maximum.accumulate(seq)
    first = np.flatnonzero(np.r_[True, top[1:] > top[:-1]]) if len(seq) else seq
    return seq, first


def tuples_of(names: np.ndarray, ptr: np.ndarray, codes: np.ndarray, rows: np.ndarray) -> list[Any]:
    """The tags of some CSR rows as tuples of names."""
    return [tuple(names[codes[ptr[r] : ptr[r + 1]]]) for r in rows]
