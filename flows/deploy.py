"""Deployments, schedules, events and run history for roadmap flows.

* Each roadmap gets a daily deployment of `roadmap_tick`, on a cron schedule at the roadmap's
  local sending hour **in its own time zone** (a cron without a time zone would be UTC: 09:00 in
  Irkutsk is 01:00 UTC), and a deployment of `notify_unblocked` triggered by the
  `cyclogram.stage.completed` event that `cyclogram done` emits.
* `emit_stage_completed` sends that event. The completion is already committed to our database;
  if Prefect is not configured or not reachable the event is skipped with an explanation and the
  next daily run sends the same "можно начинать" reminders (same dedupe keys: never twice).
* `read_runs` joins Prefect's flow runs with the `flow.tick` records of our audit log (Prefect's
  open-source server keeps events 7 days and has no accounts; the audit log is the record).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger
from prefect.schedules import Cron

from cyclogram.flows.roadmap import COMPLETED_EVENT, confirm_stage, notify_unblocked, roadmap_tick


def stage_resource_id(roadmap_id: str, stage_id: str) -> str:
    return f"cyclogram.roadmap.{roadmap_id}.stage.{stage_id}"


def daily_schedule(hour: dt.time, timezone: str) -> Any:
    return Cron(f"{hour.minute} {hour.hour} * * *", timezone=timezone)


def roadmap_deployments(roadmap_id: str, timezone: str, send_at: dt.time, database_url: str | None = None) -> list[Any]:
    """The deployments of a roadmap: the daily tick, the unblocked notifications, and completing a
    stage from the Prefect UI (a paused run with a form)."""
    tick = roadmap_tick.with_options(name=f"cyclogram-{roadmap_id}")
    daily = tick.to_deployment(
        name=f"{roadmap_id}-daily",
        schedule=daily_schedule(send_at, timezone),
        parameters={"roadmap_id": roadmap_id, "database_url": database_url},
        tags=["cyclogram", f"roadmap:{roadmap_id}"],
        description=f"Ежедневный прогон дорожной карты {roadmap_id} в {send_at:%H:%M} ({timezone})",
    )
    unblocked = notify_unblocked.with_options(name=f"cyclogram-{roadmap_id}-unblocked").to_deployment(
        name=f"{roadmap_id}-unblocked",
        triggers=[
            DeploymentEventTrigger(
                name=f"{roadmap_id}: этап выполнен",
                expect={COMPLETED_EVENT},
                match={"prefect.resource.id": f"cyclogram.roadmap.{roadmap_id}.stage.*"},
                parameters={
                    "roadmap_id": roadmap_id,
                    "stage_id": "{{ event.payload.stage_id }}",
                    "database_url": database_url,
                },
            )
        ],
        tags=["cyclogram", f"roadmap:{roadmap_id}"],
        description=f"«Можно начинать»: сразу после выполнения этапа дорожной карты {roadmap_id}",
    )
    confirm = confirm_stage.with_options(name=f"cyclogram-{roadmap_id}-confirm").to_deployment(
        name=f"{roadmap_id}-confirm",
        parameters={"roadmap_id": roadmap_id, "database_url": database_url},
        tags=["cyclogram", f"roadmap:{roadmap_id}"],
        description="Отметить этап выполненным из интерфейса Prefect: запустите с номером этапа и заполните форму",
    )
    return [daily, unblocked, confirm]


def ensure_dispatch_limit(slots: int = 1) -> None:
    """The global concurrency limit that keeps flow runs from sending at the same time (SMTP
    servers and Telegram's 30 messages/s cap); each run still sends in parallel threads."""
    from prefect import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    from cyclogram.flows.roadmap import DISPATCH_LIMIT

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(DISPATCH_LIMIT)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=DISPATCH_LIMIT, limit=slots))
            except ObjectAlreadyExists:
                pass


@dataclass(frozen=True)
class EmitOutcome:
    sent: bool
    message: str  # Russian, for the person who ran `cyclogram done`


def prefect_api_url() -> str | None:
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    return str(url) if url else None


def emit_stage_completed(roadmap_id: str, stage_id: str, by: str, occurrence: str = "", timeout: float = 3.0) -> EmitOutcome:
    """Tell Prefect that a stage was completed (after it is recorded in our database)."""
    import httpx
    from prefect.events import emit_event
    from prefect.events.worker import EventsWorker

    api = prefect_api_url()
    if not api:
        return EmitOutcome(
            False, "Prefect не настроен (PREFECT_API_URL): уведомления «можно начинать» уйдут при ежедневном прогоне"
        )
    try:
        httpx.get(api.rstrip("/") + "/health", timeout=timeout).raise_for_status()
    except httpx.HTTPError:
        return EmitOutcome(
            False, "Prefect недоступен: выполнение записано, уведомления «можно начинать» уйдут при ежедневном прогоне"
        )
    emit_event(
        event=COMPLETED_EVENT,
        resource={"prefect.resource.id": stage_resource_id(roadmap_id, stage_id), "prefect.resource.name": stage_id},
        related=[{"prefect.resource.id": f"cyclogram.roadmap.{roadmap_id}", "prefect.resource.role": "roadmap"}],
        payload={"roadmap_id": roadmap_id, "stage_id": stage_id, "by": by, "occurrence": occurrence},
    )
    EventsWorker.drain_all(timeout=timeout)
    return EmitOutcome(True, "событие отправлено в Prefect: люди следующих этапов получат уведомление в течение минуты")


@dataclass(frozen=True)
class RunRecord:
    flow_run_id: str
    name: str
    roadmap_id: str | None
    state: str
    start: dt.datetime | None
    duration_s: float | None
    as_of: str | None
    reminders_sent: int | None
    overdue: int | None


def read_runs(
    tick_records: dict[str, dict[str, Any]], roadmap_id: str | None = None, since: dt.datetime | None = None, limit: int = 200
) -> list[RunRecord]:
    """Flow runs of cyclogram flows from the Prefect API, joined with our `flow.tick` records."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterStartTime
    from prefect.client.schemas.sorting import FlowRunSort

    flow_filter = FlowFilter(name=FlowFilterName(like_="cyclogram"))
    run_filter = FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since)) if since else None
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=flow_filter, flow_run_filter=run_filter, sort=FlowRunSort.START_TIME_DESC, limit=limit
        )
    records = []
    for run in runs:
        params = run.parameters or {}
        rid = params.get("roadmap_id")
        if roadmap_id and rid != roadmap_id:
            continue
        tick = tick_records.get(str(run.id), {})
        reminders = tick.get("reminders") if isinstance(tick.get("reminders"), dict) else {}
        records.append(
            RunRecord(
                flow_run_id=str(run.id),
                name=run.name,
                roadmap_id=rid,
                state=run.state.name if run.state and run.state.name is not None else "?",
                start=run.start_time,
                duration_s=run.total_run_time.total_seconds() if run.total_run_time else None,
                as_of=tick.get("as_of") or params.get("as_of"),
                reminders_sent=reminders.get("sent") if reminders else None,
                overdue=tick.get("overdue"),
            )
        )
    return records
