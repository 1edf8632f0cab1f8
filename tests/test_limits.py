"""Hostile input never takes it down: bounded reading, alias bombs, far dates, long chains.

The risky cases run the command line in a child process with an address-space limit (RLIMIT_AS)
and a timeout, so that a regression fails fast instead of eating the machine or hanging the
suite. The child is started by a small runner of its own, whose only child it is: the runner's
`RUSAGE_CHILDREN` is then exactly the command's peak memory.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from cyclogram.engine.plan import compute_plan
from cyclogram.engine.status import compute_status
from cyclogram.engine.timeexpr import ExprError, parse_expr, parse_offset
from cyclogram.engine.validation import check_text
from cyclogram.engine.workcalendar import WorkCalendar

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="resource limits and /dev/zero as on Linux")

HEADER = """\
id: limits
title: План
academic_year: 2024-2025
people:
  toropkina: {name: Торопкина А.А., contacts: {email: toropkina@school.ru}}
"""

_RUNNER = r"""
import json, resource, subprocess, sys, time
memory, timeout, args = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]

def limit():
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

start = time.perf_counter()
try:
    done = subprocess.run(args, preexec_fn=limit, capture_output=True, text=True, timeout=timeout)
except subprocess.TimeoutExpired:
    print(json.dumps({"timed_out": True}))
    sys.exit(0)
print(json.dumps({
    "timed_out": False,
    "returncode": done.returncode,
    "output": done.stdout + done.stderr,
    "seconds": time.perf_counter() - start,
    "max_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str
    seconds: float
    max_rss_mb: float


def run_bounded(tmp_path: Path, *args: str, memory_mb: int = 500, timeout: float = 20) -> Run:
    """`cyclogram ARGS` in a child limited to `memory_mb` of address space and `timeout` seconds."""
    env = dict(os.environ, CYCLOGRAM_CACHE_DIR=str(tmp_path / "cache"), CYCLOGRAM_HOME=str(tmp_path / "home"))
    command = [sys.executable, "-c", _RUNNER, str(memory_mb * MB), str(timeout), sys.executable, "-m", "cyclogram", *args]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout + 30)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert not report["timed_out"], f"cyclogram {' '.join(args)} did not finish in {timeout} s"
    return Run(report["returncode"], report["output"], report["seconds"], report["max_rss_mb"])


def assert_refused(run: Run, words: str) -> None:
    assert run.returncode == 1, run.output
    assert "Traceback" not in run.output and "MemoryError" not in run.output, run.output
    assert words in run.output, run.output


# --- files that are not files ------------------------------------------------------------------


def test_dev_zero_is_refused_without_reading(tmp_path: Path) -> None:
    run = run_bounded(tmp_path, "validate", "/dev/zero")
    assert_refused(run, "это не обычный файл (устройство, канал или папка): это устройство")
    assert run.max_rss_mb < 100, run  # time: bench/bench_limits.py (no timing assertions in tests)


def test_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "roadmap.yaml"
    os.mkfifo(fifo)  # nobody ever writes into it: opening or reading it would wait forever
    run = run_bounded(tmp_path, "validate", str(fifo), timeout=20)
    assert_refused(run, "это именованный канал (FIFO)")


def test_directory_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "roadmap.yaml"
    folder.mkdir()
    run = run_bounded(tmp_path, "validate", str(folder))
    assert_refused(run, "это не обычный файл (устройство, канал или папка): это папка")


# --- YAML that grows when read -------------------------------------------------------------------


def test_alias_bomb_gets_one_message_fast(tmp_path: Path) -> None:
    lines = ['  lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"  lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, 10)]
    stage = "  - {id: plan, title: План, due: 06.09.2024, responsible: [toropkina], depends_on: *lol9}"
    text = HEADER + "lol:\n" + "\n".join(lines) + "\nstages:\n" + stage + "\n"
    assert len(text.encode("utf-8")) < 2048
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    run = run_bounded(tmp_path, "validate", str(path))
    assert_refused(run, "якоря и ссылки YAML (&имя, *имя) в дорожной карте не поддерживаются")
    assert run.output.count("не поддерживаются") == 1, run.output
    assert run.max_rss_mb < 100, run  # time: bench/bench_limits.py (no timing assertions in tests)


# --- long chains ---------------------------------------------------------------------------------


def _chain(count: int, root: str = "06.09.2024") -> str:
    stages = [f"  - {{id: s0, title: Этап 0, due: {root}, responsible: [toropkina]}}"]
    stages += [f"  - {{id: s{i}, title: Этап {i}, due: s{i - 1}.done + 1wd, responsible: [toropkina]}}" for i in range(1, count)]
    return HEADER + "events:\n  t: {title: Тест}\nstages:\n" + "\n".join(stages) + "\n"


def test_ten_thousand_stage_chain_validates_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text(_chain(10_000), encoding="utf-8")
    run = run_bounded(tmp_path, "validate", str(path), memory_mb=600, timeout=60)
    assert run.returncode == 0, run.output[-2000:]
    assert "10000 этапов, ошибок нет" in run.output
    assert run.max_rss_mb < 300, run


def test_unknown_reasons_stay_short_along_a_chain() -> None:
    """A chain behind an event without a date: each stage names the stage before and the first
    cause, not the whole chain (that was quadratic: 3.5 GB for 10,000 stages)."""
    checked = check_text(_chain(2_000, root="t.start"))
    assert checked.plan is not None, [d.format() for d in checked.report.diagnostics]
    last = checked.plan.stages["s1999"]
    assert last.occurrences[0].unknown == "этап s1998: дата события «Тест» (t) ещё не известна"
    assert max(len(p.explain) for p in checked.plan.stages.values()) < 200


# --- dates at the ends of the calendar -----------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "31.12.9999",
        "9999-12-31",
        "31.12.9999 (пятница)",
        "31 декабря 9999",
        "01.01.1899",
        "март 2201",
        "2201-03",
        "первая среда декабря 2999",
        "0001-01-01",
    ],
)
def test_dates_outside_the_range_are_refused(written: str) -> None:
    with pytest.raises(ExprError, match="вне допустимого диапазона 1900–2200"):
        parse_expr(written)


def test_dates_at_the_range_ends_are_accepted() -> None:
    assert str(parse_expr("01.01.1900")) == "1900-01-01"
    assert str(parse_expr("31.12.2200")) == "2200-12-31"


@pytest.mark.parametrize("written", ["100000wd", "99999999999999999999999999999999d", "+" + "9" * 5000 + "d", "²d"])
def test_huge_offsets_are_refused_in_russian(written: str) -> None:
    with pytest.raises(ExprError) as refused:
        parse_offset(written)
    assert "сдвиг" in str(refused.value) or "срок" in str(refused.value)


def test_status_and_reminders_far_from_the_plan_do_not_overflow() -> None:
    from cyclogram.engine.reminders import due_reminders

    text = HEADER + (
        "stages:\n"
        "  - {id: first, title: Первый, due: 01.01.1900, responsible: [toropkina]}\n"
        "  - {id: last, title: Последний, due: 31.12.2200, responsible: [toropkina]}\n"
        "  - {id: after, title: После, due: last.due + 2d, responsible: [toropkina]}\n"
    )
    checked = check_text(text)
    assert checked.plan is not None
    assert any("срок выходит за пределы допустимых дат" in d.message for d in checked.report.errors)
    assert checked.roadmap is not None
    for moment in (dt.date(1900, 1, 1), dt.date(2024, 10, 1), dt.date(2200, 12, 31), dt.date.max, dt.date.min):
        status = compute_status(checked.roadmap, [], moment)
        assert status.stages["after"].due is None
        due_reminders(status)


def test_working_days_far_apart_are_counted_exactly_and_cheaply() -> None:
    calendar = WorkCalendar.russia({dt.date(2024, 10, 7): "местный"}, frozenset({dt.date(2024, 10, 12)}))

    def walked(start: dt.date, end: dt.date) -> int:
        low, high = min(start, end), max(start, end)
        count, day = 0, low
        while day < high:
            day += dt.timedelta(days=1)
            count += calendar.is_working_day(day)
        return count if end >= start else -count

    rng = random.Random(7)
    for _ in range(500):
        start = dt.date(2014, 1, 1) + dt.timedelta(days=rng.randrange(5000))
        end = start + dt.timedelta(days=rng.randrange(-500, 500))
        assert calendar.working_days_between(start, end) == walked(start, end)
    # The whole calendar at once: no walk over 3.6 million days, no overflow at its ends.
    assert calendar.working_days_between(dt.date.min, dt.date.max) > 2_500_000
    assert calendar.working_days_between(dt.date.max, dt.date.min) < -2_500_000


def test_plan_of_a_roadmap_in_range_is_unchanged_by_the_limits() -> None:
    checked = check_text(_chain(50))
    assert checked.report.ok and checked.plan is not None
    plan = compute_plan(checked.plan.roadmap, checked.plan.calendar)
    assert plan.stages["s49"].due == checked.plan.stages["s49"].due


def test_many_misspelt_references_are_all_reported_and_suggestions_stay_bounded() -> None:
    stages = [
        f"  - {{id: stage{i}, title: Этап {i}, due: 06.09.2024, responsible: [toropkina], depends_on: [stagx{i}]}}"
        for i in range(2_000)
    ]
    checked = check_text(HEADER + "stages:\n" + "\n".join(stages) + "\n")
    errors = checked.report.errors
    assert len(errors) == 2_000
    assert errors[0].message == "неизвестный этап «stagx0» в depends_on; возможно, имелось в виду «stage0»"
    assert sum("возможно" in error.message for error in errors) < 2_000  # past the budget: no suggestion
