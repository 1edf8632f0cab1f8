"""The aiogram router: thin handlers over `chats`, `answering` and `asking`.

Each handler reads what Telegram sent, calls a synchronous use case in a worker thread (the
database and the engine must not hold the event loop), and says the answer. Handlers that change
something hand the update's id to the use case (`updates.claim` inside its transaction); a second
delivery of the same update answers «Уже учтено» or nothing. Commands are matched in Latin and
in Russian, in any case (`/my`, `/мои`, `/МОИ`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import tempfile
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from cyclogram.bot import answering, asking, cards, chats, delivery, texts, updates
from cyclogram.bot.context import BotContext
from cyclogram.tracker import TrackingError

log = logging.getLogger("cyclogram.bot")
TOAST_LIMIT = 200  # characters of a callback query's answer
MESSAGE_LIMIT = 4096
CHUNK = 1024 * 1024


def build_router() -> Router:
    router = Router(name="cyclogram")
    router.message.register(on_start, CommandStart())
    router.message.register(on_stop, Command("stop", "стоп", ignore_case=True))
    router.message.register(on_mine, Command("my", "мои", ignore_case=True))
    router.message.register(on_today, Command("today", "сегодня", ignore_case=True))
    router.message.register(on_overdue, Command("overdue", "просрочено", ignore_case=True))
    router.message.register(on_help, Command("help", "помощь", ignore_case=True))
    router.message.register(on_file, F.document | F.photo)
    router.message.register(on_other, F.chat.type == "private")  # in a group, other talk is not ours
    router.callback_query.register(on_button)
    return router


def _chat(message: Message) -> str:
    return str(message.chat.id)


# --- linking ------------------------------------------------------------------------------------------


async def on_start(message: Message, command: CommandObject, ctx: BotContext, update_id: int) -> None:
    chat = _chat(message)
    if not command.args:
        await message.answer(await asyncio.to_thread(asking.help_for, ctx, chat))
        return
    if message.chat.type != "private":  # the code was shown to the whole group: it stops working
        burned = await asyncio.to_thread(chats.burn, ctx.tracker, command.args.strip())
        await message.answer(texts.PRIVATE_ONLY + (" " + texts.CODE_BURNED if burned else ""))
        return
    guard = updates.claim(update_id, "link")
    try:
        redeemed = await asyncio.to_thread(chats.redeem, ctx.tracker, command.args.strip(), chat, guard, bad_code=texts.BAD_CODE)
    except updates.AlreadyProcessed:
        return
    except TrackingError as refusal:
        await message.answer(str(refusal))
        return
    who = redeemed.person
    await message.answer(
        texts.already_linked(who.name, who.roadmap_title) if redeemed.already else texts.linked(who.name, who.roadmap_title)
    )


async def on_stop(message: Message, ctx: BotContext, update_id: int) -> None:
    chat = _chat(message)
    before = {(p.roadmap_id, p.person): p for p in await asyncio.to_thread(chats.chat_people, ctx.tracker, ctx.secrets, chat)}
    try:
        gone = await asyncio.to_thread(chats.unlink_chat, ctx.tracker, chat, updates.claim(update_id, "stop"))
    except updates.AlreadyProcessed:
        return
    lines = [texts.person_line(p.name, p.roadmap_title) for link in gone if (p := before.get((link.roadmap_id, link.person)))]
    staying = [texts.person_line(p.name, p.roadmap_title) for p in before.values() if p.via == "roadmap"]
    parts = [texts.unlinked(lines) if gone else texts.STOP_NOTHING]
    if staying:
        parts.append(texts.still_in_roadmap(staying))
    await message.answer("\n\n".join(parts))


# --- asking -----------------------------------------------------------------------------------------


async def on_mine(message: Message, bot: Bot, ctx: BotContext) -> None:
    await _listings(message, bot, ctx, today_only=False)


async def on_today(message: Message, bot: Bot, ctx: BotContext) -> None:
    await _listings(message, bot, ctx, today_only=True)


async def _listings(message: Message, bot: Bot, ctx: BotContext, *, today_only: bool) -> None:
    chat = _chat(message)
    found = await asyncio.to_thread(asking.my_stages, ctx, chat, today_only=today_only)
    if isinstance(found, str):
        await message.answer(found)
        return
    for listing in found:
        if not listing.items:
            await message.answer(listing.text)
            continue
        card = await asyncio.to_thread(
            cards.create,
            ctx.store,
            roadmap_id=listing.roadmap_id,
            person=listing.person,
            chat_id=chat,
            items=listing.items,
            body=listing.text,
        )
        message_id = await delivery.send_message(bot, chat, card.body, cards.keyboard(ctx.key, card))
        await asyncio.to_thread(cards.set_message, ctx.store, card.id, message_id)


async def on_overdue(message: Message, ctx: BotContext) -> None:
    for text in await asyncio.to_thread(asking.overdue, ctx, _chat(message)):
        await message.answer(text[:MESSAGE_LIMIT])


async def on_help(message: Message, ctx: BotContext) -> None:
    await message.answer(await asyncio.to_thread(asking.help_for, ctx, _chat(message)))


async def on_other(message: Message) -> None:
    await message.answer(texts.UNKNOWN)


# --- answering --------------------------------------------------------------------------------------


async def on_button(query: CallbackQuery, bot: Bot, ctx: BotContext, update_id: int) -> None:
    chat = str(query.message.chat.id) if query.message else str(query.from_user.id)
    answer = await asyncio.to_thread(answering.press, ctx, chat, query.data, update_id)
    if answer.ask is not None:
        await query.answer(_toast(answer.text))
        await _ask_for_file(bot, ctx, answer.ask)
        return
    await query.answer(_toast(answer.text), show_alert=answer.alert)
    if len(answer.text) > TOAST_LIMIT:
        await bot.send_message(chat_id=delivery.chat_ref(chat), text=answer.text)
    if answer.refresh is not None:
        await refresh(bot, ctx, answer.refresh)


async def _ask_for_file(bot: Bot, ctx: BotContext, target: answering.Target) -> None:
    text = texts.ask_file(target.number, target.title, target.document)
    message_id = await delivery.send_message(bot, target.card.chat_id, text, reply_to=target.card.message_id, force_reply=True)
    await asyncio.to_thread(answering.ask_card, ctx, target, text, message_id)


async def on_file(message: Message, bot: Bot, ctx: BotContext, update_id: int) -> None:
    chat = _chat(message)
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    target = await asyncio.to_thread(answering.reply_target, ctx, chat, reply_to)
    if isinstance(target, answering.Answer):
        if target.text == texts.NO_TARGET and message.chat.type != "private":
            return  # a file in a group, not sent in reply to the bot: other people's talk
        await message.reply(target.text)
        return
    incoming = _incoming(message)
    name = answering.incoming_name(incoming.name, bool(message.photo), dt.datetime.now())
    if isinstance(name, answering.Answer):
        await message.reply(name.text)
        return
    if incoming.size is not None and incoming.size > answering.MAX_FILE_BYTES:
        await message.reply(texts.FILE_TOO_BIG)
        return
    try:
        path = await download(bot, incoming.file_id, answering.MAX_FILE_BYTES)
    except TooLarge:
        await message.reply(texts.FILE_TOO_BIG)
        return
    except Exception as error:  # noqa: BLE001 - a failed download is said, nothing is recorded
        from cyclogram.bot.client import explain

        log.warning("файл не получен: %s", explain(error, ctx.token))
        await message.reply(texts.FILE_LOST)
        return
    try:
        answer = await asyncio.to_thread(answering.attach, ctx, target, path, name, update_id)
    finally:
        path.unlink(missing_ok=True)
    await message.reply(answer.text)
    if answer.refresh is not None:
        await refresh(bot, ctx, answer.refresh)


def _incoming(message: Message) -> answering.IncomingFile:
    if message.document is not None:
        document = message.document
        return answering.IncomingFile(document.file_id, document.file_name or "", document.file_size)
    photo = max(message.photo or [], key=lambda size: (size.file_size or 0, size.width * size.height))
    return answering.IncomingFile(photo.file_id, "", photo.file_size)


class TooLarge(Exception):
    """The file is larger than the limit."""


async def download(bot: Bot, file_id: str, limit: int) -> Path:
    """A file from Telegram (getFile, then the file URL) into a private temporary file, at most `limit` bytes."""
    found = await bot.get_file(file_id)
    if found.file_size is not None and found.file_size > limit:
        raise TooLarge
    if not found.file_path:
        raise FileNotFoundError(file_id)
    url = bot.session.api.file_url(bot.token, found.file_path)
    fd, name = tempfile.mkstemp(prefix="cyclogram-telegram-")  # 0600
    path = Path(name)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in bot.session.stream_content(url, timeout=120, chunk_size=CHUNK, raise_for_status=True):
                size += len(chunk)
                if size > limit:
                    raise TooLarge
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


async def refresh(bot: Bot, ctx: BotContext, card_id: int) -> None:
    """Edit a card's message to show its stages' state (never fatal: the completion is recorded)."""
    from cyclogram.bot.client import explain

    try:
        view = await asyncio.to_thread(answering.card_view, ctx, card_id)
        if view is not None:
            await delivery.edit_message(bot, view.chat_id, view.message_id, view.text, view.buttons)
    except Exception as error:  # noqa: BLE001
        log.warning("сообщение не обновлено: %s", explain(error, ctx.token))


def _toast(text: str) -> str:
    return text if len(text) <= TOAST_LIMIT else text[: TOAST_LIMIT - 1] + "…"
