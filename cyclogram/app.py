"""What every face of Cyclogram (the command line, the flows, the web) opens first.

The store at the configured database, a `Tracker` that keeps compiled roadmaps in the data
directory, the secrets from the configured file: built here from `cyclogram.settings`, so that no
caller reads the environment itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cyclogram import settings
from cyclogram.compiled import CompiledRoadmaps
from cyclogram.notifiers.secrets import Secrets
from cyclogram.store import open_store
from cyclogram.tracker import Tracker

if TYPE_CHECKING:
    from cyclogram.links import LinkMaker

AUDIT_KEY_SECRET = "audit_key"


def open_tracker(database_url: str | None = None) -> Tracker:
    """The tracker on `database_url` (else the configured database), compiling into the data dir."""
    from cyclogram.workdays import country_days

    store = open_store(database_url)
    store.audit_key = audit_key
    return Tracker(store, settings.evidence_dir(), CompiledRoadmaps(settings.compiled_dir(), country_days))


def audit_key() -> bytes | None:
    """The audit key (secret `audit_key`), which signs every audit event; None when not configured."""
    value = secrets().get(AUDIT_KEY_SECRET)
    return value.encode("utf-8") if value else None


def secrets() -> Secrets:
    """Secrets from the environment, the configured secrets file and (when configured) Prefect."""
    return Secrets(secrets_file=settings.secrets_file())


def web_key(secrets_: Secrets | None = None) -> bytes:
    """The web app's signing key (secret `web_secret`, else `<data dir>/web.key`): it signs sessions
    and action links, so `cyclogram web`, `cyclogram remind` and the flows must share it."""
    from cyclogram.web.context import WEB_SECRET, signing_key

    return signing_key((secrets_ or secrets()).get(WEB_SECRET), settings.data_dir())


def action_links(base_url: str | None = None, secrets_: Secrets | None = None) -> LinkMaker | None:
    """The reminders' link-maker (`cyclogram.links.reminder_links`); None when no base URL is
    configured (`--base-url`, `CYCLOGRAM_BASE_URL`): schools without the web app get no links."""
    configured = settings.configured_base_url(base_url)
    if configured is None:
        return None
    from cyclogram.links import reminder_links

    return reminder_links(web_key(secrets_), configured)
