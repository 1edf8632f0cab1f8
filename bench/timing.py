"""Timing whole processes as users meet them, next to the inner function.

`whole(command)` runs a command N times from a shell-like subprocess (stdout to /dev/null) and
returns the median wall time; `bare()` is the interpreter's own start for comparison. Benches
print both, so an in-process figure never hides the cost of starting the program.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
CLI = str(Path(sys.executable).with_name("cyclogram"))


def whole(command: Sequence[str], runs: int = 7, env: Mapping[str, str] | None = None) -> tuple[float, list[float]]:
    """(median, samples) of the wall time of `command`, which must succeed."""
    environment = dict(os.environ, **(env or {}))
    # A user's installation has its bytecode cached; a sandbox may forbid writing it
    # (PYTHONDONTWRITEBYTECODE), which would add ~80 ms of compiling to every command timed here.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(list(command), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples


def bare(runs: int = 15) -> float:
    return whole([sys.executable, "-c", "pass"], runs)[0]


def inner(function: Callable[[], T], runs: int = 5) -> tuple[float, T]:
    """(median seconds, last result) of an in-process call."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f} ms"


def verdict(value: float, goal: float) -> str:
    return f"goal < {goal * 1000:.0f} ms: {'met' if value < goal else 'NOT met'}"
