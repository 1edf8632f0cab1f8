"""A roadmap as a Prefect flow: one task run per stage, dependencies as `wait_for`.

The daily tick of a roadmap is a flow run named after the roadmap. Its task runs mirror the
roadmap: every stage is a task run ("20 · Произвести выгрузку…", tagged with the roadmap, the
section and the responsible people) that waits for the task runs of the stages it depends on, so
Prefect's run graph is the roadmap's graph. Each stage task reports its stage's status at the
run's moment. Closing tasks then queue and send the day's reminders (through the outbox, with
Prefect retries and a global concurrency limit so parallel runs do not flood SMTP or Telegram),
refresh the calendar feeds, publish artifacts (a status table and a markdown summary, keyed by
roadmap) and record the tick in the audit log.

Granularity, with the numbers measured here in mind (a task run costs ~15–80 ms, a flow run
~1 s): the *computation* is done once per run by the pure engine (`compute_status`, ~1 ms per
stage), and stage tasks only report it — so a task run's cost is Prefect's bookkeeping, which
keeps a 30-stage roadmap's tick around a few seconds while the graph stays one task per stage,
as auditors expect to see it. For roadmaps of thousands of stages see bench/bench_flows.py.

Another flow, `notify_unblocked`, is triggered by the `cyclogram.stage.completed` event that
`cyclogram done` emits; it sends the "можно начинать" reminders within a minute of a completion.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.concurrency.sync import concurrency
from prefect.context import get_run_context
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from pydantic import Field
from prefect.futures import PrefectFuture, wait
from prefect.task_runners import ThreadPoolTaskRunner

from cyclogram import outbox
from cyclogram.render import people_names, section_title, status_records
from cyclogram.store import audit
from cyclogram.store.db import data_dir, open_store
from cyclogram.tracker import Tracker
from cyclogram.engine import russian
from cyclogram.engine.reminders import Kind, due_reminders, without_duplicates
from cyclogram.engine.status import STATUS_WORDS, RoadmapStatus, Status
from cyclogram.notifiers.secrets import Secrets

DISPATCH_LIMIT = "cyclogram-dispatch"  # global concurrency limit shared by all flow runs
COMPLETED_EVENT = "cyclogram.stage.completed"


class DeliveryIncomplete(Exception):
    """Some reminders could not be sent this time; they stay in the outbox (pending)."""


def _tracker(database_url: str | None) -> Tracker:
    return Tracker(open_store(database_url), data_dir() / "evidence")


def _moment(tracker: Tracker, roadmap_id: str, as_of: str | None) -> dt.date:
    zone = tracker.active(roadmap_id).zone
    return dt.date.fromisoformat(as_of) if as_of else dt.datetime.now(zone).date()


def artifact_key(roadmap_id: str, suffix: str) -> str:
    """Artifact keys allow lowercase letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9-]+", "-", f"{roadmap_id}-{suffix}".lower()).strip("-")


def task_name(number: str, title: str) -> str:
    short = title if len(title) <= 60 else title[:59].rsplit(" ", 1)[0] + "…"
    return f"{number} · {short}"


# --- tasks ---------------------------------------------------------------------------------------


@task(name="stage", persist_result=False, cache_policy=NO_CACHE)
def evaluate_stage(stage_id: str, row: dict[str, Any]) -> dict[str, Any]:
    """The stage's status at the run's moment (computed once for the roadmap by the engine)."""
    logger = get_run_logger()
    status = row["status"]
    if status == Status.OVERDUE.value:
        logger.warning("просрочен на %s раб. дн. (срок %s)", row["days_late"], row["due"])
    else:
        logger.info("%s%s", STATUS_WORDS[Status(status)], f", срок {row['due']}" if row["due"] else "")
    return row


@task(name="reminders", retries=2, retry_delay_seconds=[5, 30], persist_result=False, cache_policy=NO_CACHE)
def send_reminders(roadmap_id: str, as_of: str, database_url: str | None, send: bool = True, workers: int = 8) -> dict[str, int]:
    """Queue today's reminders and send what is due. Raises (so Prefect retries) when some
    could not be delivered; those stay pending in the outbox and are never lost."""
    logger = get_run_logger()
    tracker = _tracker(database_url)
    day = dt.date.fromisoformat(as_of)
    status = tracker.status(roadmap_id, day)
    if not status.plan.calendar.is_working_day(day):
        logger.info("%s — нерабочий день: напоминаний нет", russian.format_date_weekday(day))
        return {"queued": 0, "sent": 0, "retrying": 0, "failed": 0}
    secrets = Secrets()
    outgoing, problems = outbox.compose(status, without_duplicates(due_reminders(status)), secrets)
    for problem in problems:
        logger.warning(problem.message)
    queued = outbox.enqueue(tracker.store, outgoing, roadmap_id)
    result = {"queued": queued.queued, "sent": 0, "retrying": 0, "failed": 0}
    if send:
        with concurrency(DISPATCH_LIMIT, occupy=1, strict=False):
            report = outbox.dispatch(tracker.store, secrets, roadmap_id=roadmap_id, workers=workers, ignore_backoff=True)
        result.update(sent=report.sent, retrying=report.retrying, failed=report.failed)
        logger.info("напоминаний в очереди: %s, отправлено: %s", queued.queued, report.sent)
        if report.retrying or report.failed:
            raise DeliveryIncomplete(f"не отправлено {report.retrying + report.failed}: {'; '.join(report.errors[:3])}")
    return result


@task(name="calendars", persist_result=False, cache_policy=NO_CACHE)
def refresh_calendars(roadmap_id: str, as_of: str, database_url: str | None) -> int:
    """Rebuild the roadmap's calendar (file in the data directory) and every active feed, so that
    SEQUENCE/LAST-MODIFIED follow the day's completions before any client asks."""
    from cyclogram.feeds import Feeds

    feeds = Feeds(_tracker(database_url))
    day = dt.date.fromisoformat(as_of)
    built = feeds.build(roadmap_id, as_of=day)
    target = data_dir() / "calendars" / f"{roadmap_id}.ics"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(built.body)
    for feed in feeds.list(roadmap_id):
        feeds.build_for(feed, as_of=day)
    return built.events


@task(name="artifacts", persist_result=False, cache_policy=NO_CACHE)
def publish_artifacts(roadmap_id: str, as_of: str, database_url: str | None) -> int:
    tracker = _tracker(database_url)
    status = tracker.status(roadmap_id, dt.date.fromisoformat(as_of))
    rows = [
        {
            "№": r["number"] or r["id"],
            "Этап": r["title"][:120],
            "Статус": r["status_text"],
            "Срок": russian.format_date(dt.date.fromisoformat(r["due"])) if r["due"] else "—",
            "Ответственные": ", ".join(r["responsible"]),
        }
        for r in status_records(status)
    ]
    create_table_artifact(rows, key=artifact_key(roadmap_id, "status"), description=f"Статус этапов на {as_of}")
    create_markdown_artifact(summary_markdown(status), key=artifact_key(roadmap_id, "summary"), description=f"Сводка на {as_of}")
    return len(rows)


@task(name="record", persist_result=False, cache_policy=NO_CACHE)
def record_tick(roadmap_id: str, as_of: str, database_url: str | None, stats: dict[str, Any]) -> None:
    """The tick in our own audit log (Prefect keeps events 7 days; the audit log is the record)."""
    tracker = _tracker(database_url)
    with tracker.store.write() as session:
        audit.append_event(session, "prefect", "flow.tick", {"as_of": as_of, **stats}, roadmap_id)


def summary_markdown(status: RoadmapStatus) -> str:
    plan = status.plan
    lines = [f"# {plan.roadmap.title}", "", f"Состояние на {russian.format_date_weekday(status.moment)}.", "", "## Разделы", ""]
    sections: dict[str, list[Any]] = {}
    for row in status.stages.values():
        sections.setdefault(section_title(plan.stages[row.stage_id]) or "Этапы", []).append(row)
    for name, rows in sections.items():
        finished = sum(1 for r in rows if r.status in (Status.DONE, Status.DONE_LATE, Status.SKIPPED))
        countable = sum(1 for r in rows if r.status is not Status.CONTINUOUS) or 1
        bar = "█" * round(10 * finished / countable) + "░" * (10 - round(10 * finished / countable))
        lines.append(f"- **{name}** {bar} {finished}/{countable}")
    overdue = [r for r in status.stages.values() if r.status is Status.OVERDUE]
    lines += ["", f"## Просрочено ({len(overdue)})", ""]
    for row in sorted(overdue, key=lambda r: -(r.days_late or 0)):
        planned = plan.stages[row.stage_id]
        who = ", ".join(people_names(plan, planned))
        lines.append(f"- **{planned.stage.display_number}.** {planned.stage.title[:100]} — срок {russian.format_date(row.due) if row.due else '—'}, "
                     f"просрочен на {row.days_late} раб. дн.; {who}")
    if not overdue:
        lines.append("Нет.")
    return "\n".join(lines) + "\n"


# --- flows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TickResult:
    roadmap_id: str
    as_of: str
    stages: int
    overdue: int
    reminders: dict[str, int]
    calendar_events: int


@flow(
    name="cyclogram-roadmap",
    flow_run_name="{roadmap_id} · {as_of}",
    log_prints=False,
    # Stage tasks wait for their upstream tasks inside worker threads: the default pool (cores + 4)
    # would make deep roadmaps wait for free threads level by level.
    task_runner=ThreadPoolTaskRunner(max_workers=64),
)
def roadmap_tick(
    roadmap_id: str,
    as_of: str | None = None,
    database_url: str | None = None,
    send: bool = True,
    detailed_tags: bool = True,
    retry_delays: list[int] | None = None,
) -> dict[str, Any]:
    """One daily run of a roadmap: stage tasks in the roadmap's graph, then reminders, calendars,
    artifacts and the audit record.

    `detailed_tags` adds section and person tags to every stage task (so the Prefect UI can filter
    a person's work). Prefect checks concurrency limits for every distinct tag set with a service of
    its own, which costs ~0.2 s per task run here (a 28-stage tick: ~12 s instead of ~2 s); replays
    of many days turn it off and keep only the roadmap tag.
    """
    tracker = _tracker(database_url)
    day = _moment(tracker, roadmap_id, as_of)
    as_of = day.isoformat()
    status = tracker.status(roadmap_id, day)
    plan = status.plan
    records = {r["id"]: r for r in status_records(status)}
    futures: dict[str, PrefectFuture[Any]] = {}
    # The plan lists stages in document order, which need not be dependency order.
    for stage_id in plan.dependency_order:
        planned = plan.stages[stage_id]
        tags = [f"roadmap:{roadmap_id}"]
        if detailed_tags:
            tags += [f"person:{p}" for p in planned.responsible]
            section = section_title(planned)
            if section:
                tags.append(f"section:{section[:60]}")
        futures[stage_id] = evaluate_stage.with_options(
            name=task_name(planned.stage.display_number, planned.stage.title), tags=tags
        ).submit(stage_id, records[stage_id], wait_for=[futures[d] for d in planned.depends_on if d in futures])
    wait(list(futures.values()))
    overdue = sum(1 for r in status.stages.values() if r.status is Status.OVERDUE)
    sender = send_reminders if retry_delays is None else send_reminders.with_options(retry_delay_seconds=retry_delays)
    reminders_future = sender.submit(roadmap_id, as_of, database_url, send)
    calendars_future = refresh_calendars.submit(roadmap_id, as_of, database_url)
    artifacts_future = publish_artifacts.submit(roadmap_id, as_of, database_url)
    wait([reminders_future, calendars_future, artifacts_future])
    reminders = reminders_future.result(raise_on_failure=False)
    if isinstance(reminders, BaseException):
        stats_reminders = {"error": str(reminders)[:300]}
    else:
        stats_reminders = reminders
    run_id = str(get_run_context().flow_run.id) if get_run_context() and get_run_context().flow_run else None  # type: ignore[union-attr]
    stats = {"flow_run_id": run_id, "stages": len(futures), "overdue": overdue, "reminders": stats_reminders}
    record_tick.submit(roadmap_id, as_of, database_url, stats).result()
    if isinstance(reminders, BaseException):
        raise reminders  # the run shows as failed: some reminders are still waiting in the outbox
    return {**stats, "calendar_events": calendars_future.result(), "as_of": as_of}


@flow(name="cyclogram-unblocked", flow_run_name="{roadmap_id} · {stage_id} выполнен")
def notify_unblocked(roadmap_id: str, stage_id: str, database_url: str | None = None) -> int:
    """Send "можно начинать" to the people of stages the completion of `stage_id` unblocked."""
    logger = get_run_logger()
    tracker = _tracker(database_url)
    day = _moment(tracker, roadmap_id, None)
    status = tracker.status(roadmap_id, day)
    wanted = [
        r for r in without_duplicates(due_reminders(status))
        if r.kind is Kind.UNBLOCKED and r.about == stage_id
    ]
    if not wanted:
        logger.info("никого не разблокировал этап %s (или сегодня нерабочий день)", stage_id)
        return 0
    secrets = Secrets()
    outgoing, problems = outbox.compose(status, wanted, secrets, digest=False, immediate=True)
    for problem in problems:
        logger.warning(problem.message)
    queued = outbox.enqueue(tracker.store, outgoing, roadmap_id)
    with concurrency(DISPATCH_LIMIT, occupy=1, strict=False):
        report = outbox.dispatch(tracker.store, secrets, roadmap_id=roadmap_id)
    logger.info("разблокировано: %s сообщений в очереди, отправлено %s", queued.queued, report.sent)
    return report.sent


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
    logger = get_run_logger()
    tracker = _tracker(database_url)
    planned = tracker.active(roadmap_id)  # fail early on an unknown roadmap
    stage_title = next(
        (p.stage.title for p in tracker.status(roadmap_id).plan.stages.values() if stage in (p.id, p.stage.display_number)),
        None,
    )
    if stage_title is None:
        raise ValueError(f"в дорожной карте {roadmap_id} нет этапа «{stage}»")
    description = f"Этап {stage} «{stage_title[:200]}» ({planned.roadmap.title}): кто выполнил?"
    answer = pause_flow_run(
        wait_for_input=StageCompletionInput.with_initial_data(description=description),
        timeout=int(timeout_hours * 3600),
    )
    evidence = answer.evidence_url
    if evidence and not evidence.startswith(("http://", "https://")):
        raise ValueError("подтверждение из интерфейса Prefect — только ссылка http(s)://")
    outcome = tracker.done(roadmap_id, stage, by=answer.by, actor="prefect-ui", note=answer.note, evidence=evidence)
    message = f"этап {outcome.stage.stage.display_number} отмечен выполненным (журнал № {outcome.audit_seq})"
    logger.info(message)
    return message
