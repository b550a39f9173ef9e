"""Pausing Python's cyclic garbage collector while a stage makes millions of small objects."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from assetmap._memory import gc_paused


class _Node:
    """An object the collector tracks, that can be in a cycle and be watched."""

    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector on, nothing frozen, as a program starts; put back as it was after."""
    was = gc.isenabled()
    gc.enable()
    gc.collect()  # counts at zero: no collection starts by itself while a test looks
    try:
        yield
    finally:
        gc.unfreeze()
        if not was:
            gc.disable()


def _in(generation: int, objects: list[_Node]) -> bool:
    ids = {id(o) for o in gc.get_objects(generation)}
    return all(id(o) in ids for o in objects)


@pytest.mark.usefixtures("collector")
def test_what_a_paused_block_made_goes_to_the_oldest_generation() -> None:
    with gc_paused():
        assert not gc.isenabled()
        made = [_Node() for _ in range(1000)]
    assert gc.isenabled()
    # not left young, for a young collection to walk every one only to find it alive
    assert _in(2, made)
    assert not _in(0, made)


@pytest.mark.usefixtures("collector")
def test_a_programs_frozen_objects_stay_frozen() -> None:
    frozen = _Node()
    gc.freeze()
    count = gc.get_freeze_count()
    with gc_paused():
        made = [_Node() for _ in range(10)]
    assert gc.isenabled()
    assert gc.get_freeze_count() == count  # nothing of the program's unfrozen
    assert not _in(2, [frozen])  # still in the permanent generation
    assert _in(0, made)  # and the block's objects left as the collector had them


@pytest.mark.usefixtures("collector")
def test_cycles_made_while_paused_are_still_collected() -> None:
    with gc_paused():
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        watched = weakref.ref(a)
    del a, b
    assert watched() is not None  # a cycle: only the collector frees it
    gc.collect()
    assert watched() is None


@pytest.mark.usefixtures("collector")
def test_a_collector_turned_off_stays_off() -> None:
    gc.disable()
    with gc_paused():
        made = [_Node() for _ in range(10)]
    assert not gc.isenabled()
    assert _in(0, made)  # left where they were made: the program runs the collector itself
