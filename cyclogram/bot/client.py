"""aiogram's `Bot` on the configured Bot API server, the token, and errors without the token.

The token is the secret `telegram_bot_token` (`CYCLOGRAM_SECRET_TELEGRAM_BOT_TOKEN` or the secrets
file). The server is `CYCLOGRAM_TELEGRAM_API_URL` (`cyclogram.settings.telegram_api_url`): Telegram
itself by default, a local Bot API server, or the tests' fake one. Every Bot API URL carries the
token (`/bot<token>/<method>`, `/file/bot<token>/<path>`), so any error that might quote a URL
passes through `explain`, which says it in Russian and redacts the token (and anything shaped like
one) with the notifiers' `redact`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cyclogram import settings
from cyclogram.bot.cards import Button
from cyclogram.notifiers.channels import TELEGRAM_TOKEN_SECRET, redact
from cyclogram.notifiers.secrets import SecretError, Secrets, env_name

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.types import InlineKeyboardMarkup

REQUEST_TIMEOUT_S = 30.0


def bot_token(secrets: Secrets) -> str:
    """The bot's token; a Russian refusal (exit code 4) when it is missing or malformed."""
    try:
        token = secrets.require(TELEGRAM_TOKEN_SECRET).strip()
    except SecretError as error:
        raise SecretError(f"не настроен бот Telegram: {error}") from None
    left, separator, right = token.partition(":")
    if not (separator and left.isdigit() and right) or any(ch.isspace() for ch in token):
        raise SecretError(
            f"токен бота в секрете «{TELEGRAM_TOKEN_SECRET}» ({env_name(TELEGRAM_TOKEN_SECRET)}) записан неверно: "
            "нужен вид 123456789:AA…, как его выдал @BotFather"
        )
    return token


def make_bot(token: str, api_url: str | None = None, timeout: float = REQUEST_TIMEOUT_S) -> Bot:
    """A `Bot` talking to `api_url` (default: the configured server). Close its session when done."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    server = TelegramAPIServer.from_base(api_url or settings.telegram_api_url())
    return Bot(token, session=AiohttpSession(api=server, timeout=timeout))


def markup(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

    keyboard = [
        [
            InlineKeyboardButton(text=button.text, url=button.url)
            if button.url
            else InlineKeyboardButton(text=button.text, callback_data=button.data)
            for button in row
        ]
        for row in rows
        if row
    ]
    return InlineKeyboardMarkup(inline_keyboard=keyboard) if keyboard else None


def explain(error: BaseException, token: str) -> str:
    """A Bot API failure in Russian, without the token (module docstring)."""
    from aiogram import exceptions as tg

    detail = getattr(error, "message", None) or str(error)
    if isinstance(error, tg.TelegramUnauthorizedError):
        text = f"Telegram не принял токен бота (секрет «{TELEGRAM_TOKEN_SECRET}»): {detail}"
    elif isinstance(error, tg.TelegramForbiddenError):
        text = f"Telegram: бот заблокирован пользователем или удалён из чата ({detail})"
    elif isinstance(error, tg.TelegramNotFound):
        text = f"Telegram: метод или бот не найден — проверьте токен и CYCLOGRAM_TELEGRAM_API_URL ({detail})"
    elif isinstance(error, tg.TelegramRetryAfter):
        text = f"Telegram просит подождать {error.retry_after} с (слишком много сообщений)"
    elif isinstance(error, tg.TelegramConflictError):
        text = f"Telegram: другой процесс уже получает обновления этого бота, или настроен вебхук ({detail})"
    elif isinstance(error, tg.TelegramBadRequest):
        text = f"Telegram отказал: {detail}"
    elif isinstance(error, tg.TelegramServerError):
        text = f"ошибка на стороне Telegram: {detail}"
    elif isinstance(error, tg.TelegramNetworkError):
        text = f"нет связи с Telegram ({settings.telegram_api_url()}): {detail}"
    elif isinstance(error, TimeoutError):
        text = "Telegram не ответил вовремя"
    else:
        text = f"ошибка при обращении к Telegram: {type(error).__name__}: {detail}"
    return redact(text, [token])[:1500]


def permanent(error: BaseException) -> bool:
    """A failure that a retry cannot fix: the bot is blocked, the chat does not exist."""
    from aiogram import exceptions as tg

    if isinstance(error, tg.TelegramForbiddenError):
        return True
    if isinstance(error, tg.TelegramBadRequest):
        detail = (getattr(error, "message", "") or "").lower()
        return "chat not found" in detail or "user is deactivated" in detail or "peer_id_invalid" in detail
    return False


def rejected_button(error: BaseException) -> bool:
    """Telegram refused a button (an action link it does not take as a URL, e.g. a local address)."""
    from aiogram import exceptions as tg

    detail = (getattr(error, "message", "") or "").lower()
    return isinstance(error, tg.TelegramBadRequest) and ("button" in detail or "url" in detail)


_usernames: dict[str, str] = {}


async def fetch_username(token: str, api_url: str | None = None) -> str | None:
    """The bot's @username (getMe), for deep links; None when Telegram cannot be asked now.

    One GET with aiohttp (aiogram's own transport) rather than aiogram's `Bot`: importing aiogram
    builds its ~600 pydantic types, 4–5 s here, which `cyclogram telegram link` and the first
    «Подключить Telegram» of a web worker would otherwise wait for (bench/README.md, «Telegram»)."""
    import aiohttp

    base = (api_url or settings.telegram_api_url()).rstrip("/")
    cache_key = f"{base} {token}"
    if cache_key in _usernames:
        return _usernames[cache_key]
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            session.get(f"{base}/bot{token}/getMe") as response,
        ):
            answer = await response.json(content_type=None)
    except Exception:  # noqa: BLE001 - the caller shows the code and how to send it instead
        return None
    result = answer.get("result") if isinstance(answer, dict) and answer.get("ok") is True else None
    username = result.get("username") if isinstance(result, dict) else None
    if not isinstance(username, str) or not username:
        return None
    _usernames[cache_key] = username
    return username


def bot_username(token: str) -> str | None:
    import asyncio

    return asyncio.run(fetch_username(token))
