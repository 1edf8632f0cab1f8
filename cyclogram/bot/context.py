"""What the bot's handlers share: the tracker, the secrets, the signing key, the web app's address.

Built once per process (`cyclogram bot`, or the web app for its webhook route) from the same
configuration as every other face (`cyclogram.app`): the signing key is the web app's, so buttons
signed by the reminder runs are checked by the bot, and action links open in the web app.
"""

from __future__ import annotations

from dataclasses import dataclass

from cyclogram.notifiers.secrets import Secrets
from cyclogram.store import Store
from cyclogram.tracker import Tracker


@dataclass
class BotContext:
    tracker: Tracker
    secrets: Secrets
    key: bytes  # the web app's signing key: button MACs, action links, the webhook's secrets
    base_url: str | None  # the web app's public address (action links, «Открыть»); None without one
    token: str

    @property
    def store(self) -> Store:
        return self.tracker.store


def open_context(database: str | None = None, base_url: str | None = None) -> BotContext:
    from cyclogram import app, settings
    from cyclogram.bot.client import bot_token

    secrets = app.secrets()
    token = bot_token(secrets)
    tracker = app.open_tracker(database)
    return BotContext(tracker, secrets, app.web_key(secrets), settings.configured_base_url(base_url), token)
