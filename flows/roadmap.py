"""A roadmap as a Prefect flow: one task run per stage, dependencies as `wait_for`.

The daily tick of a roadmap is a flow run named after the roadmap. Its task runs mirror the
roadmap: every stage is a task run ("20 · Произвести выгрузку… · Волкова Л.А.", tagged with the
roadmap — and, with `detailed_tags`, the section and the responsible people) that waits for the task runs of the
stages it depends on, so Prefect's run graph is the roadmap's graph. Each stage task reports its
stage's status at the run's moment. Closing tasks then queue and send the day's reminders (the
use case `cyclogram.reminding.remind`, with Prefect retries and a global concurrency limit so
parallel runs do not flood SMTP or Telegram), refresh the calendar feeds, publish artifacts (a
status table and a markdown summary, keyed by roadmap) and record the tick in the audit log.

Readable in Prefect's UI: the status table starts with the status and the due date; numbers are
written "№ 20", since the UI renders every cell as markdown and a bare "20." would become an empty
numbered list (leading list and heading marks of titles are escaped for the same reason). A tick
with overdue stages ends in a Completed state named «Просрочено» whose message lists them
("просрочено: 3 — этапы 1 (30 р.д.), 3 (29 р.д.), …", most late first), not in an undistinguished
green "Completed".

Computed once: a tick opens one `Tracker` (one store), reads the roadmap's compiled version and
completions once and computes its status once; the stage tasks, the reminders, the calendars and
the artifacts all receive that one status (passed with `quote`, so Prefect does not walk it).
A task run costs ~15–80 ms of Prefect's bookkeeping while the engine needs ~0.01 ms per stage, so
the stage tasks only report; for roadmaps of thousands of stages see bench/bench_flows.py.

Another flow, `notify_unblocked`, is triggered by the `cyclogram.stage.completed` event that
`cyclogram done` emits; it sends the "можно начинать" reminders within a minute of a completion.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any, TypeVar, cast

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.concurrency.sync import concurrency
from prefect.context import get_run_context
from prefect.flow_runs import pause_flow_run
from prefect.futures import PrefectFuture, wait
from prefect.input import RunInput
from prefect.states import Completed
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote
from pydantic import Field

from cyclogram import app, settings
from cyclogram.engine import russian
from cyclogram.engine.reminders import Kind
from cyclogram.engine.status import STATUS_WORDS, RoadmapStatus, Status, StatusRecord, status_records, waiting_text
from cyclogram.reminding import remind
from cyclogram.store import audit
from cyclogram.tracker import Snapshot, Tracker

DISPATCH_LIMIT = "cyclogram-dispatch"  # global concurrency limit shared by all flow runs
COMPLETED_EVENT = "cyclogram.stage.completed"

_T = TypeVar("_T")


class DeliveryIncomplete(Exception):
    """Some reminders could not be sent this time; they stay in the outbox (pending)."""


def artifact_key(roadmap_id: str, suffix: str) -> str:
    """Artifact keys allow lowercase letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9-]+", "-", f"{roadmap_id}-{suffix}".lower()).strip("-")


def task_name(number: str, title: str, who: list[str] | None = None) -> str:
    """ "20 · Произвести выгрузку… · Волкова Л.А." (the first responsible person, "+N" for more)."""
    short = title if len(title) <= 60 else title[:59].rsplit(" ", 1)[0] + "…"
    people = f" · {who[0]}" + (f" +{len(who) - 1}" if len(who) > 1 else "") if who else ""
    return f"{number} · {short}{people}"


def _quoted(value: _T) -> _T:
    """`quote(value)` for a task argument: Prefect passes the value itself to the task without
    walking it for futures. Typed as the value, which is what the task receives (the types of
    `Task.submit` take the task's own parameters and know nothing of Prefect's annotations)."""
    return cast(_T, quote(value))


# --- tasks ---------------------------------------------------------------------------------------


@task(name="stage", persist_result=False, cache_policy=NO_CACHE)
def evaluate_stage(stage_id: str, row: StatusRecord) -> StatusRecord:
    """The stage's status at the run's moment (computed once for the roadmap by the engine)."""
    logger = get_run_logger()
    status = row["status"]
    if status == Status.OVERDUE.value:
        logger.warning("просрочен на %s раб. дн. (срок %s)", row["days_late"], row["due"])
    else:
        logger.info("%s%s", STATUS_WORDS[Status(status)], f", срок {row['due']}" if row["due"] else "")
    return row


@task(name="reminders", retries=2, retry_delay_seconds=[5, 30], persist_result=False, cache_policy=NO_CACHE)
def send_reminders(tracker: Tracker, snapshot: Snapshot, send: bool = True, workers: int = 8) -> dict[str, int]:
    """Queue the day's reminders and send what is due. Raises (so Prefect retries) when some
    could not be delivered; those stay pending in the outbox and are never lost."""
    logger = get_run_logger()
    status = snapshot.status
    report = remind(
        tracker,
        snapshot.active.id,
        status.moment,
        app.secrets(),
        status=status,
        send=send,
        workers=workers,
        ignore_backoff=True,
        dispatch_guard=lambda: concurrency(DISPATCH_LIMIT, occupy=1, strict=False),
    )
    if not report.working_day:
        logger.info("%s — нерабочий день: напоминаний нет", russian.format_date_weekday(status.moment))
        return {"queued": 0, "sent": 0, "retrying": 0, "failed": 0}
    for problem in report.problems:
        logger.warning(problem.message)
    queued = report.queued.queued if report.queued else 0
    result = {"queued": queued, "sent": 0, "retrying": 0, "failed": 0}
    if report.sent is not None:
        sent = report.sent
        result.update(sent=sent.sent, retrying=sent.retrying, failed=sent.failed)
        logger.info("напоминаний в очереди: %s, отправлено: %s", queued, sent.sent)
        if not report.delivered_all:
            raise DeliveryIncomplete(f"не отправлено {sent.retrying + sent.failed}: {'; '.join(sent.errors[:3])}")
    return result


@task(name="calendars", persist_result=False, cache_policy=NO_CACHE)
def refresh_calendars(tracker: Tracker, snapshot: Snapshot) -> int:
    """Rebuild the roadmap's calendar (file in the data directory) and every active feed, so that
    SEQUENCE/LAST-MODIFIED follow the day's completions before any client asks."""
    from cyclogram.feeds import Feeds

    feeds = Feeds(tracker)
    roadmap_id = snapshot.active.id
    built = feeds.build(roadmap_id, snapshot=snapshot)
    target = settings.calendars_dir() / f"{roadmap_id}.ics"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(built.body)
    for feed in feeds.list(roadmap_id):
        feeds.build_for(feed, snapshot=snapshot)
    return built.events


STATUS_COLUMNS = ("Статус", "Срок", "№", "Этап", "Ответственные")  # what a reader scans first comes first
OVERDUE_STATE = "Просрочено"  # the name of a tick's final state when stages are overdue
_LIST_MARKER = re.compile(r"^(\d+)([.)])(?=\s|$)")


def plain_cell(text: str) -> str:
    """A table-artifact cell the Prefect UI shows as written. The UI renders each cell as markdown:
    "2." alone would become an (empty) numbered list, "- …" a bullet, "# …" a heading."""
    marker = _LIST_MARKER.match(text)
    if marker:
        return f"{marker[1]}\\{marker[2]}{text[marker.end() :]}"
    return "\\" + text if text[:1] in ("-", "+", "*", "#", ">") else text


def artifact_rows(status: RoadmapStatus) -> list[dict[str, str]]:
    """The status table: status and due date first, numbers as "№ 20" (never a bare "20."), titles
    cut at 120 characters (see the module docstring)."""
    rows = []
    for r in status_records(status):
        state = r["status_text"]
        if r["status"] == Status.OVERDUE.value and r["days_late"] is not None:
            state += f", {r['days_late']} р.д."
        number = (r["number"] or "").rstrip(".") or r["id"]
        cells = (
            state,
            russian.format_date(dt.date.fromisoformat(str(r["due"]))) if r["due"] else "—",
            f"№ {number}",
            plain_cell(str(r["title"])[:120]),
            ", ".join(r["responsible"]),
        )
        rows.append(dict(zip(STATUS_COLUMNS, cells, strict=True)))
    return rows


@task(name="artifacts", persist_result=False, cache_policy=NO_CACHE)
def publish_artifacts(status: RoadmapStatus) -> int:
    roadmap_id, as_of = status.plan.roadmap.id, status.moment.isoformat()
    rows = artifact_rows(status)
    create_table_artifact(rows, key=artifact_key(roadmap_id, "status"), description=f"Статус этапов на {as_of}")
    create_markdown_artifact(summary_markdown(status), key=artifact_key(roadmap_id, "summary"), description=f"Сводка на {as_of}")
    return len(rows)


def tick_state(status: RoadmapStatus, result: dict[str, Any]) -> State[dict[str, Any]]:
    """The tick's final state: Completed, named «Просрочено» with the overdue stages in its message
    (most late first) when there are any, so the runs list tells such a day from a quiet one at a
    glance; `result` is its data — what calling the flow returns."""
    plan = status.plan
    overdue = sorted((r for r in status.stages.values() if r.status is Status.OVERDUE), key=lambda r: -(r.days_late or 0))
    reminders = result.get("reminders")
    sent = reminders.get("sent", 0) if isinstance(reminders, dict) else 0
    if not overdue:
        return Completed(message=f"просроченных этапов нет; напоминаний отправлено: {sent}", data=result)
    shown = ", ".join(f"{plan.stages[r.stage_id].stage.display_number} ({r.days_late} р.д.)" for r in overdue[:8])
    more = f" и ещё {len(overdue) - 8}" if len(overdue) > 8 else ""
    message = f"просрочено: {len(overdue)} — этапы {shown}{more}; напоминаний отправлено: {sent}"
    return Completed(name=OVERDUE_STATE, message=message, data=result)


@task(name="record", persist_result=False, cache_policy=NO_CACHE)
def record_tick(tracker: Tracker, roadmap_id: str, as_of: str, stats: dict[str, Any]) -> None:
    """The tick in our own audit log (Prefect keeps events 7 days; the audit log is the record)."""
    with tracker.store.write() as session:
        audit.append_event(session, "prefect", "flow.tick", {"as_of": as_of, **stats}, roadmap_id)


def summary_markdown(status: RoadmapStatus) -> str:
    plan = status.plan
    lines = [f"# {plan.roadmap.title}", "", f"Состояние на {russian.format_date_weekday(status.moment)}.", "", "## Разделы", ""]
    sections: dict[str, list[Any]] = {}
    for row in status.stages.values():
        sections.setdefault(plan.stages[row.stage_id].section_title or "Этапы", []).append(row)
    for name, rows in sections.items():
        finished = sum(1 for r in rows if r.status in (Status.DONE, Status.DONE_LATE, Status.SKIPPED))
        countable = sum(1 for r in rows if r.status not in (Status.CONTINUOUS, Status.OPTIONAL)) or 1
        bar = "█" * round(10 * finished / countable) + "░" * (10 - round(10 * finished / countable))
        lines.append(f"- **{name}** {bar} {finished}/{countable}")
    overdue = [r for r in status.stages.values() if r.status is Status.OVERDUE]
    lines += ["", f"## Просрочено ({len(overdue)})", ""]
    for row in sorted(overdue, key=lambda r: -(r.days_late or 0)):
        planned = plan.stages[row.stage_id]
        who = ", ".join(plan.people_names(planned))
        lines.append(
            f"- **{planned.stage.display_number}.** {planned.stage.title[:100]} — срок {russian.format_date(row.due) if row.due else '—'}, "
            f"просрочен на {row.days_late} раб. дн.; {who}"
            + (f"; {waiting_text(row.blocked_by, plan)}" if row.late_while_blocked else "")
        )
    if not overdue:
        lines.append("Нет.")
    return "\n".join(lines) + "\n"


# --- flows ----------------------------------------------------------------------------------------


@flow(
    name="cyclogram-roadmap",
    flow_run_name="{roadmap_id} · {as_of}",
    log_prints=False,
    # Stage tasks wait for their upstream tasks inside worker threads: the default pool (cores + 4)
    # would make deep roadmaps wait for free threads level by level.
    # Prefect's TaskRunner is invariant in its future type: no concrete runner matches the hint (PrefectHQ/prefect#16938).
    task_runner=ThreadPoolTaskRunner(max_workers=64),  # type: ignore[arg-type]
)
def roadmap_tick(
    roadmap_id: str,
    as_of: str | None = None,
    database_url: str | None = None,
    send: bool = True,
    detailed_tags: bool = False,
    retry_delays: list[int] | None = None,
) -> State[dict[str, Any]]:
    """One daily run of a roadmap: stage tasks in the roadmap's graph, then reminders, calendars,
    artifacts and the audit record. The run ends in `tick_state` (named «Просрочено» when stages
    are overdue); calling the flow returns the tick's figures (`stages`, `overdue`, `reminders`,
    `calendar_events`, `as_of`, `flow_run_id`), the state's data.

    Stage task runs are named "20 · Произвести выгрузку… · Волкова Л.А." (the UI's search finds a
    person's work by name) and tagged with the roadmap. `detailed_tags` adds section and person
    tags as well — at a price: Prefect checks concurrency limits for every distinct tag set with a
    service of its own, ~0.5 s per task run here (a 28-stage tick: ~14 s instead of ~1.5 s).
    """
    tracker = app.open_tracker(database_url)
    try:
        active = tracker.active(roadmap_id)
        day = dt.date.fromisoformat(as_of) if as_of else active.today()
        snapshot = tracker.snapshot(roadmap_id, day)
        return _tick(tracker, snapshot, send, detailed_tags, retry_delays)
    finally:
        tracker.store.close()


def _tick(
    tracker: Tracker, snapshot: Snapshot, send: bool, detailed_tags: bool, retry_delays: Sequence[float] | None
) -> State[dict[str, Any]]:
    status = snapshot.status
    plan = status.plan
    roadmap_id, as_of = snapshot.active.id, status.moment.isoformat()
    records = {r["id"]: r for r in status_records(status)}
    futures: dict[str, PrefectFuture[Any]] = {}
    # The plan lists stages in document order, which need not be dependency order.
    for stage_id in plan.dependency_order:
        planned = plan.stages[stage_id]
        tags = [f"roadmap:{roadmap_id}"]
        if detailed_tags:
            tags += [f"person:{p}" for p in planned.responsible]
            section = planned.section_title
            if section:
                tags.append(f"section:{section[:60]}")
        futures[stage_id] = evaluate_stage.with_options(
            name=task_name(planned.stage.display_number, planned.stage.title, plan.people_names(planned)), tags=tags
        ).submit(
            stage_id,
            records[stage_id],
            wait_for=[futures[d] for d in planned.depends_on if d in futures],
            return_state=False,  # the default; Prefect's overloads take wait_for only next to it
        )
    wait(list(futures.values()))
    overdue = sum(1 for r in status.stages.values() if r.status is Status.OVERDUE)
    sender = send_reminders if retry_delays is None else send_reminders.with_options(retry_delay_seconds=list(retry_delays))
    reminders_future = sender.submit(_quoted(tracker), _quoted(snapshot), send)
    calendars_future = refresh_calendars.submit(_quoted(tracker), _quoted(snapshot))
    artifacts_future = publish_artifacts.submit(_quoted(status))
    closing: list[PrefectFuture[Any]] = [reminders_future, calendars_future, artifacts_future]
    wait(closing)
    reminders = reminders_future.result(raise_on_failure=False)
    stats_reminders = {"error": str(reminders)[:300]} if isinstance(reminders, BaseException) else reminders
    context = get_run_context()
    flow_run = getattr(context, "flow_run", None)
    stats = {
        "flow_run_id": str(flow_run.id) if flow_run else None,
        "stages": len(futures),
        "overdue": overdue,
        "reminders": stats_reminders,
    }
    record_tick.submit(_quoted(tracker), roadmap_id, as_of, stats).result()
    if isinstance(reminders, BaseException):
        raise reminders  # the run shows as failed: some reminders are still waiting in the outbox
    return tick_state(status, {**stats, "calendar_events": calendars_future.result(), "as_of": as_of})


@flow(name="cyclogram-unblocked", flow_run_name="{roadmap_id} · {stage_id} выполнен")
def notify_unblocked(roadmap_id: str, stage_id: str, database_url: str | None = None) -> int:
    """Send "можно начинать" to the people of stages the completion of `stage_id` unblocked."""
    logger = get_run_logger()
    tracker = app.open_tracker(database_url)
    try:
        report = remind(
            tracker,
            roadmap_id,
            tracker.active(roadmap_id).today(),
            app.secrets(),
            immediate=True,
            only=lambda r: r.kind is Kind.UNBLOCKED and r.about == stage_id,
            dispatch_guard=lambda: concurrency(DISPATCH_LIMIT, occupy=1, strict=False),
        )
    finally:
        tracker.store.close()
    if not report.reminders:
        logger.info("никого не разблокировал этап %s (или сегодня нерабочий день)", stage_id)
        return 0
    for problem in report.problems:
        logger.warning(problem.message)
    sent = report.sent.sent if report.sent else 0
    logger.info("разблокировано: %s сообщений в очереди, отправлено %s", report.queued.queued if report.queued else 0, sent)
    return sent


# --- completing a stage from the Prefect UI -------------------------------------------------------


class StageCompletionInput(RunInput):
    """The form a paused `confirm_stage` run shows in the Prefect UI."""

    by: str = Field(description="Кто выполнил: ключ человека из дорожной карты (например, volkova)")
    note: str | None = Field(default=None, description="Комментарий")
    evidence_url: str | None = Field(default=None, description="Ссылка на подтверждение (https://…)")


@flow(name="cyclogram-confirm", flow_run_name="{roadmap_id} · подтвердить этап {stage}")
def confirm_stage(roadmap_id: str, stage: str, database_url: str | None = None, timeout_hours: float = 72.0) -> str:
    """For people who live in the Prefect UI: start this deployment with the stage, the run pauses
    with a form (who, note, evidence link); the answer is recorded like `cyclogram done`, in the
    database and the audit log (actor "prefect-ui"). Refusals (blocked stage, missing evidence,
    unknown person) end the run as failed with the same Russian message the command line gives."""
    from cyclogram import recording
    from cyclogram.tracker import find_stage

    logger = get_run_logger()
    tracker = app.open_tracker(database_url)
    active = tracker.active(roadmap_id)  # fail early on an unknown roadmap or stage
    stage_title = find_stage(active.plan, stage).stage.title
    description = f"Этап {stage} «{stage_title[:200]}» ({active.roadmap.title}): кто выполнил?"
    answer = pause_flow_run(
        wait_for_input=StageCompletionInput.with_initial_data(description=description),
        timeout=int(timeout_hours * 3600),
    )
    evidence = answer.evidence_url
    if evidence and not evidence.startswith(("http://", "https://")):
        raise ValueError("подтверждение из интерфейса Prefect — только ссылка http(s)://")
    outcome = recording.done(
        tracker, roadmap_id, stage, by=answer.by, actor="prefect-ui", note=answer.note, evidence=evidence, channel="prefect-ui"
    )
    message = f"этап {outcome.stage.stage.display_number} отмечен выполненным (журнал № {outcome.audit_seq})"
    logger.info(message)
    return message
