"""Reminders: remind, dispatch, outbox, notify-test."""

from __future__ import annotations

import datetime as dt
import sys
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from cyclogram.cli._common import BaseUrlOption, DatabaseOption, RoadmapArgument, console, refuse, tracker

if TYPE_CHECKING:
    from cyclogram.outbox import DispatchReport
    from cyclogram.tracker import Tracker

app = typer.Typer()


class OutboxStatus(str, Enum):
    pending = "pending"
    failed = "failed"
    sent = "sent"


@app.command()
def remind(
    roadmap: RoadmapArgument,
    as_of: Annotated[str | None, typer.Option("--as-of", help="За какой день: 2024-10-14 (по умолчанию сегодня)")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Только показать, что и кому ушло бы; ничего не записывать и не отправлять")
    ] = False,
    no_send: Annotated[bool, typer.Option("--no-send", help="Поставить в очередь, но не отправлять")] = False,
    base_url: BaseUrlOption = None,
    database: DatabaseOption = None,
) -> None:
    """Рассчитать напоминания на день, поставить их в очередь и отправить (с адресом веб-приложения —
    со ссылкой «Отметить выполнение» в каждом сообщении)."""
    from cyclogram import app as services
    from cyclogram import render
    from cyclogram.engine import russian
    from cyclogram.outbox import graceful_stop
    from cyclogram.reminding import remind as remind_today
    from cyclogram.tracker import parse_day

    opened = tracker(database)
    active = opened.active(roadmap)
    day = parse_day(as_of, active.zone)
    report = remind_today(
        opened,
        active.id,
        day,
        services.secrets(),
        dry_run=dry_run,
        send=not no_send,
        stop=None if dry_run else graceful_stop(),
        base_url=base_url,
    )
    if not report.working_day:
        name = report.holiday_name
        print(f"{russian.format_date_weekday(day)} — нерабочий день{f' ({name})' if name else ''}: напоминания не отправляются.")
        return
    for problem in report.problems:
        print(f"предупреждение: {problem.message}", file=sys.stderr)
    if dry_run:
        console(wide=True).print(
            render.reminders_preview(
                report.outgoing, report.already_queued, report.status, day, report.reminders, report.problems
            )
        )
        return
    queued = report.queued
    assert queued is not None
    print(
        f"{russian.format_date_weekday(day)}: напоминаний {len(report.reminders)}, новых сообщений в очереди {queued.queued}, "
        f"уже были в очереди {queued.already}."
    )
    if report.sent is not None:
        _print_dispatch(report.sent, opened)


def _print_dispatch(report: DispatchReport, opened: Tracker | None = None) -> None:
    """The outcome, each distinct error once, and what still waits (a back-off after an outage, a
    later sending hour) with its earliest time in the roadmap's zone; exit code 5 (`Undelivered`)
    when something failed in this run, so cron alerts."""
    from collections import Counter

    from cyclogram.outbox import Undelivered

    print(f"Отправлено: {report.sent}; повторим позже: {report.retrying}; не удалось совсем: {report.failed}.")
    for error, count in list(Counter(report.errors).items())[:20]:
        print(f"  не отправлено{f' ({count})' if count > 1 else ''}: {error}", file=sys.stderr)
    waiting = report.waiting
    if waiting is not None and waiting.retrying:
        print(
            f"Ждут повтора после сбоя: {waiting.retrying}; ближайшая попытка — "
            f"{_local(waiting.next_retry, waiting.retry_roadmap, opened)}. Отправить сейчас: cyclogram dispatch --now"
        )
    if waiting is not None and waiting.scheduled:
        print(
            f"Ждут своего времени отправки: {waiting.scheduled}; первое — "
            f"{_local(waiting.next_scheduled, waiting.scheduled_roadmap, opened)}."
        )
    if report.retrying or report.failed:
        raise Undelivered(
            f"не доставлено сообщений: {report.retrying + report.failed} (повторим позже: {report.retrying}, "
            f"не удалось совсем: {report.failed}); очередь: cyclogram outbox"
        )


def _local(moment: dt.datetime | None, roadmap_id: str | None, opened: Tracker | None) -> str:
    """«21.10.2024 10:40» in the roadmap's zone (UTC when the roadmap cannot be read)."""
    if moment is None:
        return "—"
    zone: dt.tzinfo = dt.UTC
    if opened is not None and roadmap_id:
        try:
            zone = opened.active(roadmap_id).zone
        except Exception:  # noqa: BLE001 - a roadmap gone meanwhile: say the time in UTC
            zone = dt.UTC
    local = moment.astimezone(zone)
    return f"{local:%d.%m.%Y %H:%M}" + (" UTC" if zone is dt.UTC else "")


@app.command("dispatch")
def dispatch_command(
    roadmap: Annotated[str | None, typer.Argument(help="Только эта дорожная карта", show_default=False)] = None,
    workers: Annotated[int, typer.Option("--workers", help="Сколько сообщений отправлять одновременно")] = 8,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Снова попробовать сообщения, которые не удалось отправить")
    ] = False,
    now: Annotated[
        bool,
        typer.Option("--now", help="Не ждать паузы после сбоя: отправить ждущие повтора сейчас (час отправки соблюдается)"),
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Отправить сообщения из очереди, срок которых наступил; сказать, сколько ещё ждут и до какого времени."""
    from cyclogram import app as services
    from cyclogram import outbox
    from cyclogram.tracker import resolve_roadmap_id

    opened = tracker(database)
    roadmap_id = resolve_roadmap_id(roadmap) if roadmap else None
    if retry_failed:
        print(f"Снова в очереди: {outbox.retry_failed(opened.store, roadmap_id)}.")
    report = outbox.dispatch(
        opened.store,
        services.secrets(),
        roadmap_id=roadmap_id,
        workers=workers,
        stop=outbox.graceful_stop(),
        ignore_backoff=now,
    )
    _print_dispatch(report, opened)


@app.command("outbox")
def outbox_command(
    roadmap: Annotated[str | None, typer.Argument(help="Только эта дорожная карта", show_default=False)] = None,
    status: Annotated[OutboxStatus | None, typer.Option("--status", help="pending, failed или sent")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Сколько последних сообщений показать")] = 100,
    database: DatabaseOption = None,
) -> None:
    """Очередь напоминаний: что ждёт отправки, что отправлено, что не удалось."""
    from cyclogram import render
    from cyclogram.outbox import list_outbox
    from cyclogram.tracker import resolve_roadmap_id

    opened = tracker(database)
    roadmap_id = resolve_roadmap_id(roadmap) if roadmap else None
    rows = list_outbox(opened.store, status.value if status else None, roadmap_id, limit)
    console(wide=True).print(render.outbox_table(rows))


@app.command("notify-test")
def notify_test(
    roadmap: RoadmapArgument,
    person: Annotated[str, typer.Argument(help="Ключ человека", show_default=False)],
    database: DatabaseOption = None,
) -> None:
    """Отправить одно проверочное сообщение по всем каналам человека (и в привязанные чаты Telegram)."""
    from cyclogram import app as services
    from cyclogram.bot.chats import linked_chats
    from cyclogram.bot.delivery import send_text
    from cyclogram.notifiers.channels import send
    from cyclogram.notifiers.messages import render_test
    from cyclogram.outbox import person_and_linked_channels
    from cyclogram.tracker import find_person

    opened = tracker(database)
    active = opened.active(roadmap)
    model = active.roadmap
    key = find_person(model, person)
    secrets = services.secrets()
    chats = linked_chats(opened.store, active.id).get(key, [])
    channels, problems = person_and_linked_channels(key, model.people[key], chats, secrets)
    for problem in problems:
        print(f"предупреждение: {problem.message}")
    if not channels:
        raise refuse(f"у «{model.people[key].name}» нет ни одного рабочего канала")
    message = render_test(key, model)
    failures = 0
    for channel in channels:
        if channel.kind == "telegram":  # through the Bot API, as reminders go (cyclogram.bot.delivery)
            ok, error = send_text(secrets, secrets.resolve(channel.target).strip(), message.short)
        else:
            result = send(channel, message.subject, message.html, message.text, message.short)
            ok, error = result.ok, result.error
        if ok:
            print(f"✓ {channel.describe()}: доставлено")
        else:
            failures += 1
            print(f"✗ {channel.describe()}: {error}")
    raise typer.Exit(1 if failures else 0)
