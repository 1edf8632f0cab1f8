"""Keeping Python's cyclic garbage collector off the roadmap's objects: paused while a large roadmap
is built or evaluated, and the long-lived result frozen out of its scans."""

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


def keep_out_of_collection() -> None:
    """Move every object alive now to the collector's permanent generation (`gc.freeze`).

    Called once a compiled roadmap is in memory: its hundreds of thousands of objects live as long
    as the process and hold no cycles to free, yet every full collection would walk them again
    (measured: ~0.1 s of a 10,000-stage `status`, spread over whatever ran when it triggered).
    """
    gc.freeze()
