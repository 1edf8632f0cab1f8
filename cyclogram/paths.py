"""Where Cyclogram keeps its data (database, evidence files, secrets, calendars).

Its own module so that every layer can ask without importing the database layer (SQLAlchemy).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$CYCLOGRAM_HOME`, else `$XDG_DATA_HOME/cyclogram`, else `~/.local/share/cyclogram`."""
    env = os.environ if environ is None else environ
    explicit = env.get("CYCLOGRAM_HOME")
    if explicit:
        return Path(explicit).expanduser()
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cyclogram"
