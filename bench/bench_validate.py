"""Whole-process wall time of `cyclogram validate` on the СПТ roadmap vs `python -c pass`.

Goal (issue #2): within 0.25 s of a bare interpreter start. Prints medians of N runs.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROADMAP = ROOT / "roadmaps" / "spt-usolye-2024.yaml"
RUNS = 15


def timed(command: list[str]) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    cli = str(Path(sys.executable).with_name("cyclogram"))
    subprocess.run([cli, "validate", str(ROADMAP)], check=True, stdout=subprocess.DEVNULL)  # warm the calendar cache
    bare = timed([sys.executable, "-c", "pass"])
    validate = timed([cli, "validate", str(ROADMAP)])
    print(f"python -c pass              median {bare * 1000:7.1f} ms  ({RUNS} runs)")
    print(f"cyclogram validate (СПТ)    median {validate * 1000:7.1f} ms")
    print(f"difference                         {(validate - bare) * 1000:7.1f} ms  (goal < 250 ms)")


if __name__ == "__main__":
    main()
