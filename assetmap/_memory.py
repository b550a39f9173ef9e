"""Making millions of small objects quickly (layer 0)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a block makes many small objects.

    Lists of tags, node attribute dicts and notes hold no reference cycles, but each pass of the
    collector walks every object alive (a million rows of tags), several times over while they
    are made: with it paused, building them is several times faster. It runs again afterwards
    if it ran before.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
