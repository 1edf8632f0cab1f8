"""Hostile input as users meet it: whole `cyclogram validate` processes, wall time and peak memory.

Goals (issue #10): an alias bomb gets one positioned message in < 1 s and < 100 MB; /dev/zero and a
FIFO are refused at once; a 10,000-stage chain of relative deadlines validates and plans in
bounded memory (< 300 MB). Each command runs in a child of a small runner whose only child it is,
so the runner's RUSAGE_CHILDREN is exactly the command's peak memory (as in tests/test_limits.py,
which asserts the memory bounds but no times).

`BENCH_BIG=1` adds a 100,000-stage synthetic roadmap (about 15 s).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import synthetic_roadmap

HEADER = """\
id: limits
title: План
academic_year: 2024-2025
people:
  toropkina: {name: Торопкина А.А., contacts: {email: toropkina@school.ru}}
"""

RUNNER = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=600)
print(json.dumps({
    "returncode": done.returncode,
    "seconds": time.perf_counter() - start,
    "max_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    "last": (done.stdout + done.stderr).strip().splitlines()[-1:],
}))
"""


def measure(*args: str, runs: int = 3) -> tuple[float, float, float, int, str]:
    """(first run's seconds, median seconds, peak MB, exit code, last line) of `cyclogram ARGS` as a
    whole process. The first run reads the file; later runs of an unchanged file may be answered
    from the checked-files cache (issue #9), so both are shown."""
    samples, peaks = [], []
    report: dict[str, object] = {}
    for _ in range(runs):
        command = [sys.executable, "-c", RUNNER, sys.executable, "-m", "cyclogram", *args]
        report = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        samples.append(float(report["seconds"]))  # type: ignore[arg-type]
        peaks.append(float(report["max_rss_mb"]))  # type: ignore[arg-type]
    last = report["last"]
    return samples[0], statistics.median(samples), max(peaks), int(report["returncode"]), (last[0] if last else "")  # type: ignore[index,call-overload]


def alias_bomb() -> str:
    lines = ['  lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"  lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, 10)]
    stage = "  - {id: plan, title: План, due: 06.09.2024, responsible: [toropkina], depends_on: *lol9}"
    return HEADER + "lol:\n" + "\n".join(lines) + "\nstages:\n" + stage + "\n"


def chain(count: int) -> str:
    stages = ["  - {id: s0, title: Этап 0, due: 06.09.2024, responsible: [toropkina]}"]
    stages += [f"  - {{id: s{i}, title: Этап {i}, due: s{i - 1}.done + 1wd, responsible: [toropkina]}}" for i in range(1, count)]
    return HEADER + "stages:\n" + "\n".join(stages) + "\n"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ.update(CYCLOGRAM_HOME=str(folder / "home"), CYCLOGRAM_CACHE_DIR=str(folder / "cache"))
        fifo = folder / "fifo.yaml"
        os.mkfifo(fifo)
        cases = {
            "alias bomb (1.3 KB, 10^9 nodes if expanded)": alias_bomb(),
            "chain of 10,000 relative deadlines": chain(10_000),
            "10,000 stages, random dependencies": synthetic_roadmap(10_000),
        }
        if os.environ.get("BENCH_BIG"):
            cases["100,000 stages, random dependencies"] = synthetic_roadmap(100_000)
        paths: dict[str, str] = {"/dev/zero": "/dev/zero", "a FIFO nobody writes to": str(fifo)}
        for name, text in cases.items():
            path = folder / f"{len(paths)}.yaml"
            path.write_text(text, encoding="utf-8")
            paths[name] = str(path)
        print(f"{'cyclogram validate …':48} {'first':>7} {'median':>7} {'peak':>7}  exit  last line")
        for name, path in paths.items():
            first, median, peak, code, last = measure("validate", path, runs=1 if "100,000" in name else 3)
            print(f"{name:48} {first:6.2f}s {median:6.2f}s {peak:5.0f}MB  {code:>4}  {last[:60]}")


if __name__ == "__main__":
    main()
