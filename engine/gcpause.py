"""Pausing Python's cyclic garbage collector while a large roadmap is built or evaluated."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Loading, planning and status allocate hundreds of thousands of small acyclic objects; the
    collector keeps rescanning them and cost a third of the time on a 10,000-stage roadmap
    (bench/bench_plan.py). Reference counting still frees everything; the collector's previous
    state is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
