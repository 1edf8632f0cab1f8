"""What every face of Cyclogram (the command line, the flows, the web) opens first.

The store at the configured database, a `Tracker` that keeps compiled roadmaps in the data
directory, the secrets from the configured file: built here from `cyclogram.settings`, so that no
caller reads the environment itself.
"""

from __future__ import annotations

from cyclogram import settings
from cyclogram.compiled import CompiledRoadmaps
from cyclogram.notifiers.secrets import Secrets
from cyclogram.store import open_store
from cyclogram.tracker import Tracker


def open_tracker(database_url: str | None = None) -> Tracker:
    """The tracker on `database_url` (else the configured database), compiling into the data dir."""
    from cyclogram.workdays import country_days

    store = open_store(database_url)
    return Tracker(store, settings.evidence_dir(), CompiledRoadmaps(settings.compiled_dir(), country_days))


def secrets() -> Secrets:
    """Secrets from the environment, the configured secrets file and (when configured) Prefect."""
    return Secrets(secrets_file=settings.secrets_file())
