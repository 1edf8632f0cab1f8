"""Roadmaps as Prefect flows, under Prefect's own test harness (started once for this module).

All tests of this module run in one xdist group, so the harness (~10 s) starts once.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from pathlib import Path

import pytest
from helpers import HEADER, ROADMAPS

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import get_client
from prefect.testing.utilities import prefect_test_harness

from cyclogram import (
    outbox,
    recording,
)
from cyclogram.flows.deploy import emit_stage_completed, roadmap_deployments
from cyclogram.flows.roadmap import artifact_key, notify_unblocked, roadmap_tick
from cyclogram.store import open_store
from cyclogram.tracker import Tracker

pytestmark = pytest.mark.xdist_group("prefect")
SPT = ROADMAPS / "spt-usolye-2024.yaml"


@pytest.fixture(scope="module", autouse=True)
def harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CYCLOGRAM_HOME", str(tmp_path))
    monkeypatch.setenv("CYCLOGRAM_SECRETS_FILE", str(tmp_path / "none.env"))
    return tmp_path


@pytest.fixture
def db(home):
    url = f"sqlite:///{home / 'cyclogram.db'}"
    store = open_store(url)
    tracker = Tracker(store, home / "evidence")
    recording.load(tracker, SPT, "deputy")
    yield url, tracker
    store.close()


@pytest.fixture
def smtp(monkeypatch):
    from test_outbox import SmtpServer

    server = SmtpServer()
    server.start()
    monkeypatch.setenv("CYCLOGRAM_SECRET_SMTP", server.sender_url)
    yield server
    server.stop()


def flow_run_of(result: dict) -> str:
    return result["flow_run_id"]


def test_detailed_tags_name_the_people_and_the_section(db):
    url, tracker = db
    result = roadmap_tick("spt-usolye-2024", "2024-10-14", url, send=False, detailed_tags=True)
    plan = tracker.active("spt-usolye-2024").plan
    with get_client(sync_client=True) as client:
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[result["flow_run_id"]])))
    upload = next(r for r in runs if r.name.startswith("20 · "))
    assert {f"person:{p}" for p in plan.stages["upload"].responsible} <= set(upload.tags)
    assert any(tag.startswith("section:") for tag in upload.tags)


def test_the_compiled_run_mirrors_the_roadmap(db):
    url, tracker = db
    result = roadmap_tick("spt-usolye-2024", "2024-10-14", url, send=False)
    plan = tracker.status("spt-usolye-2024", dt.date(2024, 10, 14)).plan
    with get_client(sync_client=True) as client:
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

        # Prefect records task runs from events a moment after the flow returns: wait for all 32
        # (28 stages + reminders, calendars, artifacts, record), a bounded while.
        deadline = time.monotonic() + 30
        while True:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[result["flow_run_id"]])))
            if len(runs) >= 32 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        flow_run = client.read_flow_run(result["flow_run_id"])
    assert flow_run.name == "spt-usolye-2024 · 2024-10-14"
    stage_runs = {r.name.split(" · ", 1)[0]: r for r in runs if " · " in r.name}
    assert len(stage_runs) == 28 == len(plan.stages)
    by_run_id = {str(r.id): number for number, r in stage_runs.items()}
    for planned in plan.stages.values():
        run = stage_runs[planned.stage.display_number]
        upstream = {by_run_id[str(i.id)] for i in run.task_inputs.get("wait_for", [])}
        assert upstream == {plan.stages[d].stage.display_number for d in planned.depends_on}, planned.id
        assert run.tags == ["roadmap:spt-usolye-2024"]  # person tags are opt-in: see roadmap_tick
    assert stage_runs["20"].name.startswith("20 · Произвести выгрузку")
    assert " · Волкова Л.А." in stage_runs["20"].name  # the person, findable by the UI's search
    closing = {r.name.rsplit("-", 1)[0] for r in runs if " · " not in r.name}
    assert {"reminders", "calendars", "artifacts", "record"} <= closing
    assert (Path(os.environ["CYCLOGRAM_HOME"]) / "calendars" / "spt-usolye-2024.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")


def test_artifacts_are_published_per_roadmap(db):
    url, _ = db
    roadmap_tick("spt-usolye-2024", "2024-10-14", url, send=False, detailed_tags=False)
    with get_client(sync_client=True) as client:
        from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

        table = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[artifact_key("spt-usolye-2024", "status")]))
        )
        summary = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[artifact_key("spt-usolye-2024", "summary")]))
        )
    assert table and table[0].type == "table"
    assert summary and "Просрочено" in str(summary[0].data)
    import json
    import re

    rows = json.loads(table[0].data)
    assert len(rows) == 28 and any("Произвести выгрузку" in row["Этап"] for row in rows)
    assert list(rows[0]) == ["Статус", "Срок", "№", "Этап", "Ответственные"]  # status and due first
    # The UI renders cells as markdown: no cell may start like a numbered list ("1." alone is an empty list).
    assert not [cell for row in rows for cell in row.values() if re.match(r"^\d+[.)](\s|$)", cell)]
    assert [row["№"] for row in rows][:3] == ["№ 1", "№ 2", "№ 3"]
    upload = next(row for row in rows if row["№"] == "№ 20")
    assert upload["Срок"] == "18.10.2024" and upload["Статус"] == "заблокирован"
    assert next(row for row in rows if row["№"] == "№ 1")["Статус"].startswith("просрочен, ")


def test_markdown_marks_in_cells_are_escaped():
    from cyclogram.flows.roadmap import plain_cell

    assert plain_cell("2.") == "2\\." and plain_cell("1. Включить") == "1\\. Включить"
    assert plain_cell("- пункт") == "\\- пункт" and plain_cell("# заголовок") == "\\# заголовок"
    assert plain_cell("2.1 Выгрузка") == "2.1 Выгрузка" and plain_cell("Выгрузка 20.") == "Выгрузка 20."


def test_a_tick_with_overdue_stages_ends_in_a_state_that_says_so(db):
    url, _ = db
    result = roadmap_tick("spt-usolye-2024", "2024-10-14", url, send=False)
    # Late while blocked counts as overdue (issue #13): 3 late and free, 11 late and waiting.
    assert result["overdue"] == 14 and result["stages"] == 28  # callers still get the figures
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(result["flow_run_id"]).state
    assert state is not None and state.is_completed()
    assert state.name == "Просрочено"
    assert state.message and state.message.startswith("просрочено: 14 — этапы 1 (")
    early = roadmap_tick("spt-usolye-2024", "2024-09-02", url, send=False)
    assert early["overdue"] == 0
    with get_client(sync_client=True) as client:
        quiet = client.read_flow_run(early["flow_run_id"]).state
    assert quiet is not None and quiet.name == "Completed" and "просроченных этапов нет" in (quiet.message or "")


def test_two_ticks_of_the_same_day_send_nothing_twice(db, smtp):
    url, _tracker = db
    first = roadmap_tick("spt-usolye-2024", "2024-10-14", url, detailed_tags=False)
    assert first["reminders"]["sent"] > 0
    count = len(smtp.inbox.messages)
    second = roadmap_tick("spt-usolye-2024", "2024-10-14", url, detailed_tags=False)
    assert second["reminders"] == {"queued": 0, "sent": 0, "retrying": 0, "failed": 0}
    assert len(smtp.inbox.messages) == count and set(smtp.inbox.keys().values()) == {1}


def test_a_failing_notifier_is_retried_by_prefect_then_left_pending(db, monkeypatch):
    url, tracker = db
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    monkeypatch.setenv("CYCLOGRAM_SECRET_SMTP", f"mailto://127.0.0.1:{dead}?from=Школа <s@example.org>&mode=insecure")
    from prefect.exceptions import PrefectException

    with pytest.raises(Exception) as failure:
        roadmap_tick("spt-usolye-2024", "2024-10-14", url, detailed_tags=False, retry_delays=[0, 0])
    assert "не отправлено" in str(failure.value) or isinstance(failure.value, PrefectException)
    pending = outbox.list_outbox(tracker.store, "pending")
    assert pending and all(row.attempts == 3 for row in pending)  # the first try and two Prefect retries
    assert outbox.list_outbox(tracker.store, "sent") == []
    ticks = [
        e
        for e in tracker.history(__import__("cyclogram.store.audit", fromlist=["HistoryFilter"]).HistoryFilter("spt-usolye-2024"))
        if e.action == "flow.tick"
    ]
    assert "error" in ticks[-1].payload_data()["reminders"]


def test_completion_event_path_sends_unblocked_reminders(home, smtp):
    from zoneinfo import ZoneInfo

    today = dt.datetime.now(ZoneInfo("Asia/Irkutsk")).date()  # the roadmap's own "today"
    text = HEADER.replace(
        'volkova: {name: Волкова Л.А., position: педагог-психолог, supervisor: toropkina, contacts: {telegram: "123456"}}',
        "volkova: {name: Волкова Л.А., position: педагог-психолог, supervisor: toropkina, contacts: {email: volkova@school.example}}",
    )
    text = text.replace(
        "academic_year: 2024-2025",
        f"academic_year: {today.year if today.month >= 9 else today.year - 1}-{(today.year if today.month >= 9 else today.year - 1) + 1}",
    )
    text += (
        "stages:\n"
        f"  - {{id: upload, number: '20', title: Выгрузка, due: {(today + dt.timedelta(days=20)).isoformat()}, responsible: [toropkina]}}\n"
        "  - {id: forms, number: '21', title: Заполнить отчетные формы, due: upload.done + 3wd, responsible: [volkova]}\n"
    )
    path = home / "event.yaml"
    path.write_text(text, encoding="utf-8")
    url = f"sqlite:///{home / 'cyclogram.db'}"
    store = open_store(url)
    tracker = Tracker(store, home / "evidence")
    recording.load(tracker, path, "deputy")
    recording.done(tracker, "test-roadmap", "20", by="toropkina", actor="t")
    emitted = emit_stage_completed("test-roadmap", "upload", "toropkina")
    assert emitted.sent, emitted.message
    sent = notify_unblocked("test-roadmap", "upload", url)  # what the deployment trigger runs
    working_day = tracker.status("test-roadmap", today).plan.calendar.is_working_day(today)
    if working_day:
        assert sent == 1
        ((rcpts, message),) = smtp.inbox.messages
        assert rcpts == ["volkova@school.example"] and "можно начинать" in str(message["Subject"]).lower()
        assert notify_unblocked("test-roadmap", "upload", url) == 0  # never twice
    else:
        assert sent == 0  # no messages on a day off; the next working day's tick sends it
    store.close()


def test_emitting_without_prefect_configured_is_harmless(monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: None}):
        outcome = emit_stage_completed("x", "y", "z")
    assert not outcome.sent and "ежедневном прогоне" in outcome.message


def test_schedules_are_in_the_roadmaps_timezone():
    daily, unblocked, _confirm = roadmap_deployments("spt-usolye-2024", "Asia/Irkutsk", dt.time(9, 0))
    schedule = daily.schedules[0].schedule
    assert schedule.cron == "0 9 * * *" and schedule.timezone == "Asia/Irkutsk"
    import asyncio

    from prefect.server.schemas.schedules import CronSchedule  # what the Prefect scheduler uses

    server_schedule = CronSchedule(cron=schedule.cron, timezone=schedule.timezone)
    start = dt.datetime(2024, 10, 14, 0, 0, tzinfo=dt.UTC)
    (first,) = asyncio.run(server_schedule.get_dates(n=1, start=start))
    assert first.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") == "2024-10-14 01:00"  # 09:00 Irkutsk
    (trigger,) = unblocked.triggers
    assert "cyclogram.stage.completed" in trigger.expect
    assert trigger.parameters["stage_id"] == "{{ event.payload.stage_id }}"


def test_a_stage_can_be_completed_through_a_paused_run_with_a_form(db):
    import threading
    import time

    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.flow_runs import resume_flow_run

    from cyclogram.flows.roadmap import confirm_stage

    url, tracker = db
    outcome: dict[str, object] = {}
    runner = threading.Thread(target=lambda: outcome.setdefault("message", confirm_stage("spt-usolye-2024", "2", url)))
    runner.start()
    paused = None
    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline and paused is None:
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=["spt-usolye-2024 · подтвердить этап 2"]))
            )
            paused = next((r for r in runs if r.state and r.state.is_paused()), None)
            time.sleep(0.5)
    assert paused is not None, "the run never paused for input"
    resume_flow_run(
        paused.id,
        run_input={"by": "toropkina", "note": "из интерфейса Prefect", "evidence_url": "https://school12.example/plan.pdf"},
    )
    runner.join(timeout=60)
    assert "отмечен выполненным" in str(outcome["message"])
    _, completions = tracker.completions("spt-usolye-2024")
    (completion,) = completions
    assert (completion.stage_id, completion.by, completion.note) == ("plan", "toropkina", "из интерфейса Prefect")
    events = tracker.history(
        __import__("cyclogram.store.audit", fromlist=["HistoryFilter"]).HistoryFilter("spt-usolye-2024", stage_id="plan")
    )
    assert [(e.action, e.actor) for e in events] == [("stage.done", "prefect-ui")]
