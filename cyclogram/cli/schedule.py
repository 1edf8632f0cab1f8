"""Prefect: serve (schedules and event triggers), tick (a daily run now, or a replay), runs.

The one place where the command line reaches up into `cyclogram.flows`: it is the face that
launches them. Prefect is imported only here, after its environment is set.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated, Any, cast

import typer

from cyclogram.cli._common import DatabaseOption, RoadmapArgument, console, prefect_env, refuse, tracker

app = typer.Typer()


@app.command()
def serve(
    roadmaps: Annotated[list[str], typer.Argument(help="id дорожных карт", show_default=False)],
    database: DatabaseOption = None,
) -> None:
    """Запустить расписание: ежедневный прогон в местное время каждой карты и уведомления по событиям."""
    prefect_env()
    opened = tracker(database)
    actives = [opened.active(r) for r in roadmaps]
    from cyclogram.flows.server import ensure_local_server

    api = ensure_local_server()  # before Prefect is imported: it reads PREFECT_API_URL at import
    from prefect import serve as prefect_serve

    from cyclogram.flows.deploy import ensure_dispatch_limit, roadmap_deployments

    ensure_dispatch_limit()
    deployments = []
    for active in actives:
        roadmap = active.roadmap
        deployments += roadmap_deployments(active.id, roadmap.timezone, roadmap.defaults.send_at, database)
        print(f"{active.id}: ежедневно в {roadmap.defaults.send_at:%H:%M} ({roadmap.timezone}) + «можно начинать» по событиям")
    print(f"Prefect API: {api}. Остановить: Ctrl-C")
    prefect_serve(*deployments)


@app.command()
def runs(
    roadmap: Annotated[str | None, typer.Argument(help="id дорожной карты (по умолчанию все)", show_default=False)] = None,
    since: Annotated[str | None, typer.Option("--since", help="С даты: 2024-10-01")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Сколько последних запусков")] = 50,
    database: DatabaseOption = None,
) -> None:
    """История запусков: состояние, начало, длительность, отправлено напоминаний, просрочено."""
    from cyclogram import render
    from cyclogram.store.audit import HistoryFilter
    from cyclogram.tracker import resolve_roadmap_id

    roadmap_id = resolve_roadmap_id(roadmap) if roadmap else None
    ticks = {
        str(r.payload_data().get("flow_run_id")): r.payload_data()
        for r in tracker(database).history(HistoryFilter(roadmap_id))
        if r.action == "flow.tick"
    }
    prefect_env()
    from cyclogram.flows.deploy import read_runs

    after = dt.datetime.fromisoformat(since).replace(tzinfo=dt.UTC) if since else None
    console(wide=True).print(render.runs_table(read_runs(ticks, roadmap_id, after, limit)))


@app.command()
def tick(
    roadmap: RoadmapArgument,
    as_of: Annotated[str | None, typer.Option("--as-of", help="За какой день (по умолчанию сегодня)")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Прогнать период день за днём: с даты")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="…по дату включительно")] = None,
    no_send: Annotated[bool, typer.Option("--no-send", help="Не отправлять напоминания (только очередь)")] = False,
    database: DatabaseOption = None,
) -> None:
    """Запустить ежедневный прогон дорожной карты в Prefect сейчас (или прогнать период)."""
    from cyclogram.tracker import parse_day

    active = tracker(database).active(roadmap)
    if (date_from is None) != (date_to is None):
        raise refuse("--from и --to указываются вместе")
    if date_from and as_of:
        raise refuse("укажите либо --as-of, либо период --from/--to")
    if date_from and date_to:
        first, last = parse_day(date_from, active.zone), parse_day(date_to, active.zone)
        if last < first:
            raise refuse("конец периода раньше начала")
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    else:
        days = [parse_day(as_of, active.zone)]
    prefect_env()
    from cyclogram.flows.deploy import ensure_dispatch_limit
    from cyclogram.flows.roadmap import roadmap_tick

    ensure_dispatch_limit()
    replay = len(days) > 1
    calendar = active.plan.calendar
    failures = 0
    for day in days:
        if replay and not calendar.is_working_day(day):
            continue  # nothing happens on a day off; the next working day catches up
        try:
            # Calling the flow returns its final state's data: the tick's figures.
            result = cast(dict[str, Any], roadmap_tick(active.id, day.isoformat(), database, not no_send))
        except Exception as error:  # noqa: BLE001 - the run is recorded in Prefect; say it and go on
            failures += 1
            print(f"{day.isoformat()}: прогон завершился с ошибкой: {error}", file=sys.stderr)
            continue
        reminders = result.get("reminders", {})
        print(
            f"{day.isoformat()}: этапов {result['stages']}, просрочено {result['overdue']}, "
            f"напоминаний в очереди {reminders.get('queued', 0)}, отправлено {reminders.get('sent', 0)}"
        )
    raise typer.Exit(1 if failures else 0)
