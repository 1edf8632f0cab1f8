"""`cyclogram bot`: long polling with getUpdates, one update at a time, once.

* **Start**: getMe checks the token (a refused token stops the bot with exit code 4); a webhook set
  on the bot stops it with a refusal naming `cyclogram telegram webhook delete` — Telegram gives
  updates to one receiver, and a school chooses which (README, «Telegram»).
* **Loop**: getUpdates(offset, timeout=`poll_timeout` s) for messages and callback queries; each
  update goes through `intake.process`; the offset moves past an update only once it is processed,
  and starts from the database (`updates.next_offset`) — so a restarted bot, even one killed with
  SIGKILL, neither skips nor doubles anything.
* **One receiver**: a webhook set while the bot runs (`cyclogram telegram webhook set`; Telegram
  answers getUpdates with 409 «…while webhook is active») stops the bot with the same refusal as
  at start (exit code 1): the web app receives the updates from then on.
* **Trouble**: no network, Telegram's 5xx, or another process polling the same bot (409 Conflict)
  are said on stderr and retried with a back-off (1 s doubling to `MAX_BACKOFF_S`); a busy or
  unreachable database leaves the offset where it is and retries the same update.
* **Stop**: SIGTERM or Ctrl-C finishes the update at hand and exits; an unfinished long poll is
  abandoned (its updates were not acknowledged, the next start receives them again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import TYPE_CHECKING

from cyclogram.bot import intake, updates
from cyclogram.bot.client import explain, make_bot
from cyclogram.bot.context import BotContext
from cyclogram.engine.diagnostics import Refusal
from cyclogram.notifiers.channels import redact
from cyclogram.notifiers.secrets import SecretError
from cyclogram.store import StoreError

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher
    from aiogram.types import Update

log = logging.getLogger("cyclogram.bot")
ALLOWED_UPDATES = ["message", "callback_query"]
DEFAULT_POLL_TIMEOUT_S = 25
MAX_BACKOFF_S = 60.0
PRUNE_EVERY_S = 6 * 3600
WEBHOOK_SET = (
    "у бота настроен вебхук — обновления получает веб-приложение (cyclogram web); чтобы получать их здесь, "
    "сначала: cyclogram telegram webhook delete"
)


def run(ctx: BotContext, poll_timeout: int = DEFAULT_POLL_TIMEOUT_S) -> None:
    """Poll until SIGTERM/SIGINT (module docstring)."""
    configure_logging(ctx.token)
    asyncio.run(_main(ctx, max(1, poll_timeout)))


def configure_logging(token: str) -> None:
    """Our lines on stderr; aiogram's and aiohttp's only from warnings up, the token redacted in all."""

    class Redact(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.msg, record.args = redact(record.getMessage(), [token]), None
            return True

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    handler.addFilter(Redact())
    for name, level in (("cyclogram.bot", logging.INFO), ("aiogram", logging.WARNING), ("aiohttp", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(handler)
        logger.propagate = False


async def _main(ctx: BotContext, poll_timeout: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    bot = make_bot(ctx.token, timeout=poll_timeout + 30)
    try:
        await _check(bot, ctx)
        await _loop(bot, intake.dispatcher(ctx), ctx, poll_timeout, stop)
    finally:
        await bot.session.close()
    log.info("бот остановлен")


async def _check(bot: Bot, ctx: BotContext) -> None:
    from aiogram.exceptions import TelegramUnauthorizedError

    try:
        me = await bot.get_me()
        hook = await bot.get_webhook_info()
    except TelegramUnauthorizedError as error:
        raise SecretError(explain(error, ctx.token)) from None
    except Exception as error:  # noqa: BLE001 - said in Russian, without the token
        raise Refusal(f"бот не запущен: {explain(error, ctx.token)}") from None
    if hook.url:
        raise Refusal(WEBHOOK_SET)
    log.info("бот @%s получает обновления (long polling); остановить: Ctrl-C", me.username or me.id)


async def _loop(bot: Bot, dp: Dispatcher, ctx: BotContext, poll_timeout: int, stop: asyncio.Event) -> None:
    offset = await asyncio.to_thread(updates.next_offset, ctx.store)
    pruned_at = -float(PRUNE_EVERY_S)
    backoff = 0.0
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        if loop.time() - pruned_at >= PRUNE_EVERY_S:
            try:
                await asyncio.to_thread(updates.prune, ctx.store)
                pruned_at = loop.time()
            except StoreError as error:
                log.warning("старые обработанные обновления не удалены: %s", error)
        try:
            batch = await _poll(bot, offset, poll_timeout, stop)
        except Refusal:
            raise
        except Exception as error:  # noqa: BLE001 - network, Telegram's 5xx, a conflict: said and retried
            backoff = await _pause(_poll_failure(error, ctx), backoff, stop)
            continue
        if batch is None:
            break
        for update in batch:
            try:
                await intake.process(bot, dp, ctx, update)
            except StoreError as error:
                backoff = await _pause(
                    f"база данных недоступна, обновление {update.update_id} будет обработано позже: {error}", backoff, stop
                )
                break
            offset = update.update_id + 1
            backoff = 0.0
            if stop.is_set():
                break


def _poll_failure(error: Exception, ctx: BotContext) -> str:
    """What to say before retrying; a refused token, or a webhook set meanwhile, stop the bot instead."""
    from aiogram.exceptions import TelegramConflictError, TelegramUnauthorizedError

    if isinstance(error, TelegramUnauthorizedError):
        raise SecretError(explain(error, ctx.token))
    if isinstance(error, TelegramConflictError) and "webhook" in (error.message or "").lower():
        raise Refusal(WEBHOOK_SET)  # `telegram webhook set` while polling: the web app receives from now on
    return f"обновления не получены: {explain(error, ctx.token)}"


async def _poll(bot: Bot, offset: int | None, poll_timeout: int, stop: asyncio.Event) -> list[Update] | None:
    """One getUpdates; None when stopped meanwhile (the poll is abandoned, nothing is acknowledged)."""
    poll = asyncio.ensure_future(
        bot.get_updates(offset=offset, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES, request_timeout=poll_timeout + 30)
    )
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not poll.done():
        poll.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await poll
        return None
    return poll.result()


async def _pause(reason: str, backoff: float, stop: asyncio.Event) -> float:
    delay = min(MAX_BACKOFF_S, max(1.0, backoff * 2))
    log.warning("%s; повтор через %.0f с", reason, delay)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=delay)
    return delay
