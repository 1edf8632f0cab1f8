"""Calendars: ical, feeds (list, create, revoke, rotate), web."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cyclogram.cli._common import ActorOption, BaseUrlOption, DatabaseOption, RoadmapArgument, actor, refuse, tracker

if TYPE_CHECKING:
    from cyclogram.feeds import Feeds
    from cyclogram.notifiers.ical import Skipped

app = typer.Typer()
feeds_app = typer.Typer(
    help="Ссылки на календари для подписки (Google, Outlook, Apple, Thunderbird).", invoke_without_command=True
)


def _feeds(database: str | None) -> Feeds:
    from cyclogram.feeds import Feeds

    return Feeds(tracker(database))


def _feed_url(base_url: str | None, token: str) -> str:
    from cyclogram import settings

    return f"{settings.base_url(base_url)}/calendars/{token}.ics"


def _print_skipped(skipped: tuple[Skipped, ...]) -> None:
    if not skipped:
        return
    print(f"Не вошли в календарь (дата пока неизвестна или этап постоянный) — {len(skipped)}:", file=sys.stderr)
    for item in skipped:
        print(f"  {item.number}. {item.title[:70]} — {item.reason}", file=sys.stderr)


@app.command()
def ical(
    roadmap: RoadmapArgument,
    person: Annotated[str | None, typer.Option("--person", help="Только этапы этого человека")] = None,
    role: Annotated[str | None, typer.Option("--role", help="Только этапы людей этой роли")] = None,
    todo: Annotated[bool, typer.Option("--todo", help="Задачи (VTODO) со статусом выполнения вместо событий")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Файл .ics (по умолчанию — вывод на экран)")] = None,
    database: DatabaseOption = None,
) -> None:
    """Выгрузить расписание в iCalendar (.ics): всей дорожной карты, человека или роли."""
    if person and role:
        raise refuse("укажите либо --person, либо --role")
    feeds = _feeds(database)
    active = feeds.tracker.active(roadmap)
    people: tuple[str, ...] | None = None
    suffix = ""
    if person is not None:
        if person not in active.roadmap.people:
            raise refuse(f"в дорожной карте нет человека «{person}»")
        people, suffix = (person,), active.roadmap.people[person].name
    elif role is not None:
        if role not in active.roadmap.roles:
            raise refuse(f"в дорожной карте нет роли «{role}»")
        people, suffix = tuple(active.roadmap.roles[role].members), active.roadmap.roles[role].title
    built = feeds.build(roadmap, people=people, todo=todo, name_suffix=suffix, active=active)
    if output is None:
        sys.stdout.buffer.write(built.body)
    else:
        output.write_bytes(built.body)
        print(f"Записано событий: {built.events} → {output}", file=sys.stderr)
    _print_skipped(built.skipped)


@feeds_app.callback()
def feeds_list(
    ctx: typer.Context,
    roadmap: Annotated[str | None, typer.Option("--roadmap", help="Только эта дорожная карта")] = None,
    all_feeds: Annotated[bool, typer.Option("--all", help="Показать и отозванные")] = False,
    base_url: BaseUrlOption = None,
    database: DatabaseOption = None,
) -> None:
    """Список ссылок на календари (без подкоманды)."""
    if ctx.invoked_subcommand is not None:
        return
    items = _feeds(database).list(roadmap, include_revoked=all_feeds)
    if not items:
        print("Ссылок на календари нет. Создайте: cyclogram feeds create ДОРОЖНАЯ_КАРТА [--person КЛЮЧ | --role КЛЮЧ]")
        return
    for item in items:
        state = "" if item.active else " (отозвана)"
        kind = " задачи" if item.todo else ""
        print(f"{item.roadmap_id} · {item.describe()}{kind}{state}\n  {_feed_url(base_url, item.token)}")


@feeds_app.command("create")
def feeds_create(
    roadmap: Annotated[str, typer.Argument(help="id дорожной карты", show_default=False)],
    person: Annotated[str | None, typer.Option("--person", help="Календарь одного человека")] = None,
    role: Annotated[str | None, typer.Option("--role", help="Календарь роли")] = None,
    todo: Annotated[bool, typer.Option("--todo", help="Задачи (VTODO) вместо событий")] = False,
    base_url: BaseUrlOption = None,
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Создать ссылку для подписки на календарь."""
    feed = _feeds(database).create(roadmap, actor(actor_key), person=person, role=role, todo=todo)
    print(_feed_url(base_url, feed.token))


@feeds_app.command("revoke")
def feeds_revoke(
    token: Annotated[str, typer.Argument(help="Токен (или его начало, от 6 символов)", show_default=False)],
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Отозвать ссылку: календарь по ней больше не откроется."""
    feed = _feeds(database).revoke(token, actor(actor_key))
    print(f"Ссылка отозвана: {feed.roadmap_id} · {feed.describe()}")


@feeds_app.command("rotate")
def feeds_rotate(
    token: Annotated[str, typer.Argument(help="Токен (или его начало, от 6 символов)", show_default=False)],
    base_url: BaseUrlOption = None,
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Заменить ссылку новой (старая перестаёт работать)."""
    feed = _feeds(database).rotate(token, actor(actor_key))
    print(_feed_url(base_url, feed.token))


@app.command()
def web(
    host: Annotated[str, typer.Option("--host", help="Адрес для прослушивания")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Порт")] = 8080,
    base_url: BaseUrlOption = None,
    database: DatabaseOption = None,
) -> None:
    """Веб-приложение школы: доска, страницы этапов по ссылкам из напоминаний, журнал, календари."""
    from cyclogram.web import serve, web_context

    context = web_context(tracker(database), base_url)
    print(
        f"Циклограмма: http://{host}:{port}/ (публичный адрес в ссылках: {context.base_url}). Остановить: Ctrl-C", file=sys.stderr
    )
    serve(context, host, port)
