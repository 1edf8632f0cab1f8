"""Action links by hand: links issue, links revoke, links revoke-one.

Reminders carry the links themselves (`cyclogram.links`); these commands are for the demo, for a
deputy director who sends a link in a message of their own, and for taking links back: a lost
phone or a forwarded e-mail (`revoke`: every link of a person), one link sent to the wrong person
(`revoke-one`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from cyclogram.cli._common import ActorOption, BaseUrlOption, DatabaseOption, RoadmapArgument, actor, refuse, tracker

if TYPE_CHECKING:
    from cyclogram.links import Links

links_app = typer.Typer(help="Ссылки из напоминаний: выдать вручную, отозвать.", no_args_is_help=True)


def _links(database: str | None, base_url: str | None) -> Links:
    from cyclogram import app as services
    from cyclogram import settings
    from cyclogram.links import Links

    return Links(tracker(database), services.web_key(), settings.base_url(base_url))


def _date(text: str) -> dt.date:
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise refuse(f"непонятная дата «{text}»: пишите 2025-01-31 или 31.01.2025")


@links_app.command("issue")
def issue(
    roadmap: RoadmapArgument,
    person: Annotated[str, typer.Argument(help="Ключ человека (или ФИО)", show_default=False)],
    stage: Annotated[
        str | None, typer.Argument(help="Этап: номер по документу или id (без него — страница всех этапов человека)")
    ] = None,
    occurrence: Annotated[str | None, typer.Option("--occurrence", help="Повторение этапа (по умолчанию текущее)")] = None,
    expires: Annotated[
        str | None, typer.Option("--expires", help="До какого дня действует (по умолчанию 60 дней после срока этапа)")
    ] = None,
    base_url: BaseUrlOption = None,
    database: DatabaseOption = None,
) -> None:
    """Выдать ссылку: страница этапа для человека (отметить выполнение без входа) или страница всех его этапов."""
    issued = _links(database, base_url).issue(
        roadmap, person, stage, occurrence=occurrence, expires=_date(expires) if expires else None
    )
    print(issued.url)


@links_app.command("revoke")
def revoke(
    person: Annotated[str, typer.Argument(help="Ключ человека (или ФИО)", show_default=False)],
    roadmap: Annotated[str, typer.Option("--roadmap", help="id дорожной карты", show_default=False)],
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Отозвать все ссылки человека, выданные до этой минуты (потерян телефон, письмо переслано не тому)."""
    name = _links(database, None).reset_person(roadmap, person, actor(actor_key))
    print(f"Все ссылки, выданные до сих пор: {name}, больше не открываются. Новые напоминания придут с новыми ссылками.")


@links_app.command("revoke-one")
def revoke_one(
    link: Annotated[str, typer.Argument(help="Ссылка целиком или её токен", show_default=False)],
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Отозвать одну ссылку."""
    facts, now = _links(database, None).revoke(link, actor(actor_key))
    where = f"этап {facts.stage_id}" if facts.stage_id else "страница этапов"
    if now:
        print(f"Ссылка отозвана ({facts.roadmap_id} · {facts.person} · {where}; номер ссылки {facts.link_id}).")
    else:
        print(f"Ссылка уже была отозвана ({facts.roadmap_id} · {facts.person} · {where}).")
