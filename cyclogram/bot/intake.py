"""One update, once — the same for long polling (`polling`) and the webhook (`web.telegram`).

1. An update already in `telegram_update` is not handled again; a callback query among them is
   still answered («Уже учтено»), so that a button pressed before a crash stops spinning.
2. An update that is neither a message nor a callback query (an edited message, a channel post, a
   chat member change, a kind newer than aiogram) is only marked: the bot does not answer it, and
   it never reaches aiogram's dispatcher, which would print an unknown one whole on stderr.
3. Otherwise the router (`handlers`) handles it; handlers that change something write the update
   in their own transaction (`updates.claim`).
4. Then the update is marked processed (if its handler did not already), so that a read-only answer
   is not repeated by a later delivery.

A database that is busy or unreachable (`StoreError`) is not the update's fault: the error goes up,
the update is not marked, and the caller tries it again later (polling: the offset stays; webhook:
Telegram retries on a 5xx). Any other failure is logged without the token, the person gets a short
apology, and the update counts as processed — a broken update must not stop the bot forever.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from cyclogram.bot import texts, updates
from cyclogram.bot.client import explain
from cyclogram.bot.context import BotContext
from cyclogram.store import StoreError

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher
    from aiogram.types import Update

log = logging.getLogger("cyclogram.bot")


def dispatcher(ctx: BotContext) -> Dispatcher:
    """aiogram's dispatcher with our router; no FSM (no state in memory), `ctx` for every handler."""
    from aiogram import Dispatcher

    from cyclogram.bot.handlers import build_router

    dp = Dispatcher(disable_fsm=True, ctx=ctx)
    dp.include_router(build_router())
    return dp


def kind_of(update: Update) -> str:
    if update.callback_query is not None:
        return "callback"
    if update.message is not None:
        return "message"
    return "other"


async def process(bot: Bot, dp: Dispatcher, ctx: BotContext, update: Update) -> None:
    """Handle `update` once (module docstring). Raises StoreError when the database cannot be used."""
    if await asyncio.to_thread(updates.processed, ctx.store, update.update_id):
        await _answer_again(bot, update)
        return
    if kind_of(update) == "other":  # step 2: not ours to answer
        await asyncio.to_thread(updates.mark, ctx.store, update.update_id, "other")
        return
    try:
        await dp.feed_update(bot, update, update_id=update.update_id)
    except StoreError:
        raise
    except Exception as error:  # noqa: BLE001 - logged (redacted); the update counts as processed
        log.error("обновление %s не обработано: %s", update.update_id, explain(error, ctx.token))
        await _apologize(bot, update)
    await asyncio.to_thread(updates.mark, ctx.store, update.update_id, kind_of(update))


async def _answer_again(bot: Bot, update: Update) -> None:
    if update.callback_query is None:
        return
    try:
        await bot.answer_callback_query(update.callback_query.id, text=texts.DUPLICATE)
    except Exception:  # noqa: BLE001 - an old query can no longer be answered: nothing to do
        return


async def _apologize(bot: Bot, update: Update) -> None:
    try:
        if update.callback_query is not None:
            await bot.answer_callback_query(update.callback_query.id, text=texts.FAILED, show_alert=True)
        elif update.message is not None:
            await bot.send_message(chat_id=update.message.chat.id, text=texts.FAILED)
    except Exception:  # noqa: BLE001 - Telegram itself may be what failed
        return
