"""1,000 `done` commands in one process against SQLite and against PostgreSQL: per-command latency.

Each command is what `cyclogram done` does: one write transaction (lock, status check, state row,
audit event with its hash link). The roadmap has 1,000 independent stages. PostgreSQL is the
machine's server (127.0.0.1:5432, database `test`); a scratch database is created and dropped.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from cyclogram import recording
from cyclogram.store import open_store
from cyclogram.tracker import Tracker

COMMANDS = int(os.environ.get("BENCH_DONE_COMMANDS", "1000"))
PG_ADMIN = os.environ.get("CYCLOGRAM_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def roadmap_text(stages: int) -> str:
    lines = [
        "id: bench-done",
        "title: Нагрузочная дорожная карта",
        "academic_year: 2024-2025",
        "timezone: Europe/Moscow",
        "people:",
        "  volkova: {name: Волкова Л.А., contacts: {email: v@school.example}}",
        "stages:",
    ]
    lines += [f"  - {{id: s{i}, title: Этап {i}, due: 2024-10-{1 + i % 28:02d}, responsible: [volkova]}}" for i in range(stages)]
    return "\n".join(lines) + "\n"


def run(url: str, label: str, workdir: Path) -> None:
    path = workdir / "bench-done.yaml"
    path.write_text(roadmap_text(COMMANDS), encoding="utf-8")
    store = open_store(url)
    tracker = Tracker(store, workdir / "evidence")
    recording.load(tracker, path, "bench")
    samples = []
    started = time.perf_counter()
    for i in range(COMMANDS):
        t0 = time.perf_counter()
        recording.done(tracker, "bench-done", f"s{i}", by="volkova", actor="bench", at="2024-10-01")
        samples.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    assert tracker.verify().ok
    store.close()
    samples.sort()
    p50, p99 = statistics.median(samples), samples[int(len(samples) * 0.99) - 1]
    print(f"{label:11s} {COMMANDS} done: total {total:6.1f} s, per command p50 {p50 * 1000:6.1f} ms, p99 {p99 * 1000:6.1f} ms")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", "SQLite", Path(tmp))
        name = f"cyclogram_bench_{uuid.uuid4().hex[:8]}"
        try:
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as error:  # noqa: BLE001
            print(f"PostgreSQL   skipped: {type(error).__name__}: server at {PG_ADMIN} does not answer", file=sys.stderr)
            return
        try:
            run(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", "PostgreSQL", Path(tmp))
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
