"""Compiled roadmaps: a loaded version is validated and planned once, kept, and never trusted blindly;
the status of a plan with completions equals planning from scratch."""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from helpers import ROADMAPS, ROOT

from cyclogram import recording
from cyclogram.compiled import CompiledRoadmaps
from cyclogram.engine.diagnostics import Refusal
from cyclogram.engine.plan import compute_plan, replan
from cyclogram.engine.status import compute_status
from cyclogram.engine.tracking import Completion, CompletionState, actual_done_dates
from cyclogram.engine.validation import check_text
from cyclogram.store import open_store
from cyclogram.tracker import Tracker

sys.path.insert(0, str(ROOT / "bench"))
from generate import synthetic_roadmap

SPT = ROADMAPS / "spt-usolye-2024.yaml"


@pytest.fixture
def snapshots(tmp_path: Path) -> Path:
    return tmp_path / "compiled"


def _tracker(url: str, snapshots: Path, tmp_path: Path) -> Tracker:
    return Tracker(open_store(url), tmp_path / "evidence", CompiledRoadmaps(snapshots))


def _no_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a compiled version must not be parsed again")

    monkeypatch.setattr("cyclogram.engine.loader.load_text", refuse)


def test_status_in_a_new_process_reads_the_snapshot_not_the_yaml(tmp_path, snapshots, monkeypatch):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    recording.load(_tracker(url, snapshots, tmp_path), SPT, "deputy")
    (snapshot,) = snapshots.glob("spt-usolye-2024.*.snapshot")
    assert snapshot.stat().st_mode & 0o777 == 0o600 and snapshots.stat().st_mode & 0o777 == 0o700
    _no_yaml(monkeypatch)
    fresh = _tracker(url, snapshots, tmp_path)  # as another command would: nothing in memory
    status = fresh.status("spt-usolye-2024", dt.date(2024, 10, 21))
    assert status.plan.stages["report_forms"].due == dt.date(2024, 10, 23)


@pytest.mark.parametrize("damage", ["truncated", "flipped", "stale-engine", "garbage"])
def test_a_damaged_or_stale_snapshot_is_rebuilt_from_the_yaml(tmp_path, snapshots, damage):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    recording.load(_tracker(url, snapshots, tmp_path), SPT, "deputy")
    (snapshot,) = snapshots.glob("*.snapshot")
    data = snapshot.read_bytes()
    header, _, payload = data.partition(b"\n")
    if damage == "truncated":
        snapshot.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":
        payload = bytearray(payload)
        payload[len(payload) // 2] ^= 0xFF
        snapshot.write_bytes(header + b"\n" + bytes(payload))
    elif damage == "stale-engine":
        parts = header.split(b" ")
        parts[2] = parts[2].split(b".")[0] + b"." + b"0" * 32
        snapshot.write_bytes(b" ".join(parts) + b"\n" + payload)
    else:
        snapshot.write_bytes(b"not a snapshot at all")
    status = _tracker(url, snapshots, tmp_path).status("spt-usolye-2024", dt.date(2024, 10, 21))
    assert len(status.plan.stages) == 28
    assert snapshot.read_bytes() == data  # written again, whole


def test_a_version_edited_in_the_database_is_refused_not_compiled(tmp_path, snapshots):
    import sqlite3

    url = f"sqlite:///{tmp_path / 'c.db'}"
    recording.load(_tracker(url, snapshots, tmp_path), SPT, "deputy")
    for snapshot in snapshots.glob("*.snapshot"):
        snapshot.unlink()
    with sqlite3.connect(tmp_path / "c.db") as connection:
        connection.execute("UPDATE roadmap_version SET yaml_text = replace(yaml_text, '2024-10-15', '2024-10-16')")
    with pytest.raises(Refusal, match="не совпадает с записанной контрольной суммой"):
        _tracker(url, snapshots, tmp_path).status("spt-usolye-2024")


def test_one_tracker_compiles_a_version_once(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    tracker = Tracker(open_store(url), tmp_path / "evidence", CompiledRoadmaps(None))  # memory only
    recording.load(tracker, SPT, "deputy")
    _no_yaml(monkeypatch)
    for day in (dt.date(2024, 10, 14), dt.date(2024, 10, 21)):
        assert tracker.status("spt-usolye-2024", day).moment == day


def _completions(plan, rng: random.Random, count: int, zone: ZoneInfo) -> list[Completion]:
    picked = rng.sample(list(plan.stages), count)
    result = []
    for key in picked:
        planned = plan.stages[key]
        day = (planned.due or dt.date(2024, 10, 1)) + dt.timedelta(days=rng.randint(-5, 5))
        state = CompletionState.SKIPPED if rng.random() < 0.1 else CompletionState.DONE
        result.append(Completion(key, state, dt.datetime.combine(day, dt.time(12), zone), "p1"))
    return result


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_replanning_from_the_base_plan_equals_planning_from_scratch(seed):
    checked = check_text(synthetic_roadmap(600, seed=seed, per_section=50), "synthetic.yaml")
    assert checked.roadmap is not None and checked.plan is not None
    rng = random.Random(seed)
    completions = _completions(checked.plan, rng, 300, ZoneInfo(checked.roadmap.timezone))
    done = actual_done_dates(completions)
    fast = replan(checked.plan, done)
    slow = compute_plan(checked.roadmap, checked.plan.calendar, done)
    assert fast.stages == slow.stages
    assert any(fast.stages[k] != checked.plan.stages[k] for k in fast.stages)  # completions did move dates
    wanted = rng.sample(list(slow.stages), 20)
    narrow = replan(checked.plan, done, only=wanted)  # one completion's check needs a few stages only
    assert all(narrow.stages[k] == slow.stages[k] for k in wanted)
    moment = dt.date(2025, 3, 3)
    with_base = compute_status(checked.roadmap, completions, moment, checked.plan.calendar, base=checked.plan)
    without = compute_status(checked.roadmap, completions, moment, checked.plan.calendar)
    assert with_base.stages == without.stages


def test_explanations_of_a_long_chain_stay_linear():
    people = "people:\n  p: {name: П.П. Петров}\n"
    stages = ["  - {id: s0, title: Начало, due: 2024-09-02, responsible: [p]}"]
    stages += [f"  - {{id: s{i}, title: Этап {i}, due: s{i - 1}.done + 1wd, responsible: [p]}}" for i in range(1, 2000)]
    text = (
        "id: chain\ntitle: Цепочка\nacademic_year: 2024-2025\ntimezone: Europe/Moscow\n"
        + people
        + "stages:\n"
        + "\n".join(stages)
        + "\n"
    )
    checked = check_text(text, "chain.yaml")
    assert checked.plan is not None
    longest = max(len(p.explain) for p in checked.plan.stages.values())
    assert longest < 500, longest  # one step back, not the whole chain (which would be ~100 KB here)
    assert checked.plan.stages["s1999"].explain.count("←") == 1
    # a completion early in the chain moves every later date, also when only the last one is asked
    done = {"s0": dt.date(2024, 9, 16)}
    assert (
        replan(checked.plan, done, only=["s1999"]).stages["s1999"]
        == compute_plan(checked.roadmap, checked.plan.calendar, done).stages["s1999"]
    )


def test_a_checked_file_is_read_back_until_its_text_changes(tmp_path, monkeypatch, write_roadmap):
    from cyclogram.compiled import CheckedFiles

    path = write_roadmap(SPT.read_text(encoding="utf-8"), "spt.yaml")
    files = CheckedFiles(tmp_path / "checked")
    first = files.check(path)
    assert first.report.ok and first.plan is not None
    _no_yaml(monkeypatch)
    again = files.check(path)
    assert again.plan is not None and again.plan.stages.keys() == first.plan.stages.keys()
    monkeypatch.undo()
    path.write_text(path.read_text(encoding="utf-8").replace("end: 2024-10-15", "end: 2024-10-10"), encoding="utf-8")
    changed = files.check(path)  # the edit is seen: checked again
    assert changed.plan is not None and changed.plan.stages["upload"].due != first.plan.stages["upload"].due
    (snapshot,) = (tmp_path / "checked").glob("*.checked")
    snapshot.write_bytes(snapshot.read_bytes()[:-10])  # damaged: checked again, not trusted
    assert files.check(path).plan is not None
