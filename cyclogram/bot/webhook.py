"""The webhook: updates delivered to the web app instead of `cyclogram bot` polling for them.

For a school whose web app has a public https address: `cyclogram telegram webhook set` tells
Telegram to POST every update to `<base URL>/telegram/webhook/<secret path>` with the header
`X-Telegram-Bot-Api-Secret-Token: <secret token>`; the web app (`cyclogram.web.telegram`) refuses
any request whose path or header is wrong, and handles the rest through `intake.process`, exactly
as the polling bot would. `cyclogram telegram webhook delete` goes back to polling.

Both secrets are derived from the web app's signing key (HMAC with fixed labels), so `cyclogram web`
and the command that sets the webhook agree without any other configuration, and rotating the
key (`web_secret`) changes them — set the webhook again then.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass

from cyclogram.bot.client import make_bot
from cyclogram.bot.polling import ALLOWED_UPDATES

PATH_PREFIX = "/telegram/webhook/"
HEADER = "x-telegram-bot-api-secret-token"


def _derived(key: bytes, label: str, length: int) -> str:
    return hmac.new(key, f"telegram-webhook\0{label}".encode(), hashlib.sha256).hexdigest()[:length]


def secret_path(key: bytes) -> str:
    return _derived(key, "path", 32)


def secret_token(key: bytes) -> str:
    """Telegram allows 1–256 characters A–Z, a–z, 0–9, _ and -: hex fits."""
    return _derived(key, "header", 48)


def webhook_url(base_url: str, key: bytes) -> str:
    return f"{base_url.rstrip('/')}{PATH_PREFIX}{secret_path(key)}"


def path_ok(key: bytes, given: str) -> bool:
    return hmac.compare_digest(given.encode(), secret_path(key).encode())


def header_ok(key: bytes, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), secret_token(key).encode())


@dataclass(frozen=True)
class WebhookState:
    url: str  # "" when none is set (the URL carries the secret path: shown masked)
    pending: int
    last_error: str | None


def set_webhook(token: str, base_url: str, key: bytes) -> None:
    asyncio.run(_call(token, "set", webhook_url(base_url, key), secret_token(key)))


def delete_webhook(token: str) -> None:
    asyncio.run(_call(token, "delete"))


def webhook_state(token: str) -> WebhookState:
    result = asyncio.run(_call(token, "info"))
    assert isinstance(result, WebhookState)
    return result


def masked(url: str) -> str:
    head, separator, _ = url.partition(PATH_PREFIX)
    return f"{head}{separator}…" if separator else url


async def _call(token: str, what: str, url: str = "", secret: str = "") -> WebhookState | None:
    bot = make_bot(token)
    try:
        if what == "set":
            await bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
            return None
        if what == "delete":
            await bot.delete_webhook(drop_pending_updates=False)
            return None
        info = await bot.get_webhook_info()
        return WebhookState(info.url or "", info.pending_update_count, info.last_error_message)
    finally:
        await bot.session.close()
