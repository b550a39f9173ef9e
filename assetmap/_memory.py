"""Making millions of small objects quickly, and giving back what a stage no longer holds
(layer 0)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import cast

import pyarrow as pa

__all__ = ["gc_paused", "release_unused_memory"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a block makes many small objects.

    Lists of tags, node attribute dicts and notes hold no reference cycles, but each pass of the
    collector walks every object alive (a million rows of tags), several times over while they
    are made: with it paused, building them is several times faster. It runs again afterwards
    if it ran before, with what was made in the block in its oldest generation (as after
    outliving two young collections): the next young collection does not walk them all.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if not gc.get_freeze_count():  # none frozen by the program: none unfrozen here
                # what was made goes to the oldest generation, as after outliving two young
                # collections, without them: each would walk a million new objects only to
                # find them alive (a freeze and an unfreeze move the lists whole)
                gc.freeze()
                gc.unfreeze()
            gc.enable()


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library is another."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # musl and others have no malloc_trim
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return cast(Callable[[int], int], trim)


def release_unused_memory() -> None:
    """Give back to the system the memory a large stage freed but its allocators kept.

    Arrow's allocator (mimalloc or jemalloc) keeps freed pages for reuse, in the heaps of the
    threads that freed them (Arrow's CSV reader frees from worker threads), and glibc's
    ``malloc`` keeps freed arrays in its heap: after reading a million rows that is several
    hundred megabytes counted in the process's resident memory that nothing holds. Called at
    the end of a stage that freed a lot (it costs milliseconds); it changes no data.
    """
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
