"""Telegram: the bot (`cyclogram bot`), linking chats, the webhook.

| command | what |
|---|---|
| `bot` | the bot itself: long polling (`cyclogram.bot.polling`); run it next to `cyclogram serve` |
| `telegram link ROADMAP PERSON` | a one-time deep link that links the person's chat (`cyclogram.bot.chats`) |
| `telegram unlink ROADMAP PERSON` | every chat of the person stops getting reminders |
| `telegram chats [ROADMAP]` | the linked chats |
| `telegram webhook set/delete/info` | updates to the web app instead of `cyclogram bot` (`cyclogram.bot.webhook`) |
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cyclogram.cli._common import ActorOption, BaseUrlOption, DatabaseOption, RoadmapArgument, actor, console, refuse, tracker

app = typer.Typer()
telegram_app = typer.Typer(help="Telegram: подключение чатов к людям, вебхук.", no_args_is_help=True)
webhook_app = typer.Typer(help="Вебхук: обновления Telegram принимает веб-приложение вместо cyclogram bot.", no_args_is_help=True)
telegram_app.add_typer(webhook_app, name="webhook")

PersonArgument = Annotated[str, typer.Argument(help="Ключ человека (или ФИО)", show_default=False)]


@app.command("bot")
def bot(
    poll_timeout: Annotated[int, typer.Option("--poll-timeout", help="Сколько секунд ждать обновлений в одном запросе")] = 25,
    base_url: BaseUrlOption = None,
    database: DatabaseOption = None,
) -> None:
    """Бот Telegram: кнопки «Выполнено» и «Приложить документ», документы ответом, команды /мои, /сегодня, /просрочено."""
    from cyclogram.bot.context import open_context
    from cyclogram.bot.polling import run

    run(open_context(database, base_url), poll_timeout)


@telegram_app.command("link")
def link(
    roadmap: RoadmapArgument,
    person: PersonArgument,
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Одноразовая ссылка, которая привязывает Telegram человека: открыть в Telegram и нажать «Старт»."""
    from cyclogram import app as services
    from cyclogram.bot import chats
    from cyclogram.bot.client import bot_token, bot_username
    from cyclogram.engine import russian

    token = bot_token(services.secrets())
    invitation = chats.invite(tracker(database), roadmap, person, actor(actor_key))
    local = invitation.expires_at.astimezone()
    until = f"{russian.format_date(local.date())} {local:%H:%M}"
    username = bot_username(token)
    print(f"Ссылка для {invitation.name} (одноразовая, действует до {until}):")
    if username:
        print(invitation.deep_link(username))
    else:
        print(f"/start {invitation.code}")
        print("Telegram сейчас недоступен, имя бота не узнать: пусть человек отправит боту строку выше.", file=sys.stderr)


@telegram_app.command("unlink")
def unlink(
    roadmap: RoadmapArgument,
    person: PersonArgument,
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Отвязать все чаты человека: напоминания в них больше не придут."""
    from cyclogram.bot import chats

    gone = chats.unlink_person(tracker(database), roadmap, person, actor(actor_key))
    print(f"Отвязано чатов: {len(gone)}." if gone else "Привязанных чатов нет.")


@telegram_app.command("chats")
def chats_command(
    roadmap: Annotated[str | None, typer.Argument(help="Только эта дорожная карта", show_default=False)] = None,
    database: DatabaseOption = None,
) -> None:
    """Привязанные чаты Telegram."""
    from rich.table import Table

    from cyclogram.bot import chats
    from cyclogram.store.audit import parse_stamp
    from cyclogram.tracker import resolve_roadmap_id

    rows = chats.linked(tracker(database).store, resolve_roadmap_id(roadmap) if roadmap else None)
    if not rows:
        print("Привязанных чатов нет.")
        return
    table = Table("дорожная карта", "человек", "чат", "привязан")
    for row in rows:
        table.add_row(row.roadmap_id, row.person, row.chat_id, parse_stamp(row.linked_at).astimezone().strftime("%d.%m.%Y %H:%M"))
    console(wide=True).print(table)


@webhook_app.command("set")
def webhook_set(base_url: BaseUrlOption = None) -> None:
    """Получать обновления в веб-приложении (нужен публичный https-адрес cyclogram web)."""
    from cyclogram import app as services
    from cyclogram import settings
    from cyclogram.bot import webhook
    from cyclogram.bot.client import bot_token, explain

    address = settings.configured_base_url(base_url)
    if not address:
        raise refuse("нужен публичный адрес веб-приложения: --base-url https://… или CYCLOGRAM_BASE_URL")
    secrets = services.secrets()
    token = bot_token(secrets)
    try:
        webhook.set_webhook(token, address, services.web_key(secrets))
    except Exception as error:  # noqa: BLE001 - said in Russian, without the token
        raise refuse(f"вебхук не установлен: {explain(error, token)}") from None
    print(f"Вебхук установлен: {webhook.masked(webhook.webhook_url(address, services.web_key(secrets)))}")
    print("Остановите cyclogram bot, если он запущен: обновления теперь получает cyclogram web.")


@webhook_app.command("delete")
def webhook_delete() -> None:
    """Снять вебхук: обновления снова получает cyclogram bot."""
    from cyclogram import app as services
    from cyclogram.bot import webhook
    from cyclogram.bot.client import bot_token, explain

    token = bot_token(services.secrets())
    try:
        webhook.delete_webhook(token)
    except Exception as error:  # noqa: BLE001
        raise refuse(f"вебхук не снят: {explain(error, token)}") from None
    print("Вебхук снят: запустите cyclogram bot.")


@webhook_app.command("info")
def webhook_info() -> None:
    """Куда Telegram отправляет обновления сейчас."""
    from cyclogram import app as services
    from cyclogram.bot import webhook
    from cyclogram.bot.client import bot_token, explain

    token = bot_token(services.secrets())
    try:
        state = webhook.webhook_state(token)
    except Exception as error:  # noqa: BLE001
        raise refuse(f"Telegram не ответил: {explain(error, token)}") from None
    if not state.url:
        print("Вебхук не установлен: обновления получает cyclogram bot (long polling).")
        return
    print(f"Вебхук: {webhook.masked(state.url)}; ждут доставки: {state.pending}")
    if state.last_error:
        print(f"Последняя ошибка доставки: {state.last_error}")
