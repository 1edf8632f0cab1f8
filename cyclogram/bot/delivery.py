"""Sending through the Bot API: queued reminders (the outbox's telegram channel), tests, edits.

Apprise's Telegram plugin cannot send inline keyboards, so the outbox's dispatcher hands every
`telegram` row to `send_outbox_row`, which keeps the outbox's guarantees:

* **sent only on success**: it returns (True, None) only when Telegram answered with the message;
  the dispatcher then marks the row sent in its own small transaction, as for e-mail;
* **retries**: a network error, Telegram's "retry after", a server error or a refused token return
  (False, reason) and the dispatcher backs off; a failure no retry can fix (the bot blocked by the
  user, a chat that does not exist, a chat unlinked since the message was queued) raises
  `outbox.GiveUp` and the row fails at once;
* **redaction**: every reason passes through `client.explain` — no token in the outbox, the audit
  log or the console.

The message is the row's short (chat) text with the card's buttons (`cards.keyboard`); its card is
made before sending (the buttons carry its id) and reused by a retry. A button with the action link
that Telegram refuses (a local address) is dropped and the message sent again without it.

Each call runs its own event loop and closes its own HTTP session: the dispatcher sends from
worker threads, a handful of messages per run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from cyclogram.bot import cards, chats
from cyclogram.bot.cards import Button
from cyclogram.bot.client import bot_token, explain, make_bot, markup, permanent, rejected_button
from cyclogram.notifiers.secrets import SecretError, Secrets
from cyclogram.store import Store

if TYPE_CHECKING:
    from aiogram import Bot

    from cyclogram.store.tables import OutboxRow


def send_outbox_row(store: Store, row: OutboxRow, secrets: Secrets) -> tuple[bool, str | None]:
    """Send one queued Telegram reminder (module docstring); (sent, reason)."""
    from cyclogram import app
    from cyclogram.outbox import GiveUp

    assert row.id is not None
    try:
        token = bot_token(secrets)
        chat = _chat_of(store, row, secrets)
    except SecretError as error:
        return False, str(error)
    if chat is None:
        raise GiveUp(f"чат {row.channel_target} отвязан от {row.person} (/stop): сообщение не отправлено")
    card = cards.of_outbox(store, row.id)
    if card is None or card.chat_id != chat:
        card = cards.create(
            store,
            roadmap_id=row.roadmap_id,
            person=row.person,
            chat_id=chat,
            items=cards.outbox_items(row),
            body=row.body_short or row.body_text,
            outbox_id=row.id,
        )
    buttons = cards.keyboard(app.web_key(secrets), card)
    try:
        message_id = _run(_send(token, chat, card.body, buttons))
    except Exception as error:  # noqa: BLE001 - every failure becomes a reason or GiveUp
        if permanent(error):
            raise GiveUp(explain(error, token)) from None
        return False, explain(error, token)
    cards.set_message(store, card.id, message_id)
    return True, None


def _chat_of(store: Store, row: OutboxRow, secrets: Secrets) -> str | None:
    """The chat a row goes to: a linked chat still linked (else None), or the roadmap's contact."""
    if row.channel_key.startswith("telegram:"):
        linked = chats.is_linked(store, row.roadmap_id, row.person, row.channel_target)
        return row.channel_target if linked else None
    return secrets.resolve(row.channel_target).strip()


def send_text(secrets: Secrets, chat: str, text: str) -> tuple[bool, str | None]:
    """One plain message (`cyclogram notify-test`); (sent, reason without the token)."""
    try:
        token = bot_token(secrets)
    except SecretError as error:
        return False, str(error)
    try:
        _run(_send(token, chat, text, []))
    except Exception as error:  # noqa: BLE001
        return False, explain(error, token)
    return True, None


def chat_ref(chat: str) -> int | str:
    """Telegram takes numeric chat ids as numbers and channels as @names."""
    return int(chat) if chat.lstrip("-").isdigit() else chat


def _run(coroutine: object) -> int:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


async def _send(token: str, chat: str, text: str, buttons: Sequence[Sequence[Button]]) -> int:
    bot = make_bot(token)
    try:
        return await send_message(bot, chat, text, buttons)
    finally:
        await bot.session.close()


async def send_message(
    bot: Bot,
    chat: str,
    text: str,
    buttons: Sequence[Sequence[Button]] = (),
    *,
    reply_to: int | None = None,
    force_reply: bool = False,
) -> int:
    """Send a message with buttons (without the link buttons when Telegram refuses them); its id.

    `force_reply`: the chat's input opens as a reply to this message (a request for a file)."""
    from aiogram.types import ForceReply, LinkPreviewOptions, ReplyParameters

    reply = ReplyParameters(message_id=reply_to, allow_sending_without_reply=True) if reply_to else None

    async def attempt(rows: Sequence[Sequence[Button]]) -> int:
        keyboard = ForceReply(force_reply=True, selective=True) if force_reply else markup(rows)
        message = await bot.send_message(
            chat_id=chat_ref(chat),
            text=text,
            reply_markup=keyboard,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            reply_parameters=reply,
        )
        return message.message_id

    return await _without_refused_links(attempt, buttons)


async def edit_message(bot: Bot, chat: str, message_id: int, text: str, buttons: Sequence[Sequence[Button]]) -> None:
    """Show a card's new state; "message is not modified" (shown already) is not a failure."""
    from aiogram.exceptions import TelegramBadRequest
    from aiogram.types import LinkPreviewOptions

    async def attempt(rows: Sequence[Sequence[Button]]) -> int:
        try:
            await bot.edit_message_text(
                chat_id=chat_ref(chat),
                message_id=message_id,
                text=text,
                reply_markup=markup(rows),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except TelegramBadRequest as error:
            if "not modified" not in (error.message or "").lower():
                raise
        return message_id

    await _without_refused_links(attempt, buttons)


async def _without_refused_links(
    attempt: Callable[[Sequence[Sequence[Button]]], Awaitable[int]], buttons: Sequence[Sequence[Button]]
) -> int:
    try:
        return await attempt(buttons)
    except Exception as error:
        plain = [[button for button in row if not button.url] for row in buttons]
        if not rejected_button(error) or plain == [list(row) for row in buttons]:
            raise
        return await attempt(plain)
