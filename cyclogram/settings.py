"""Every `CYCLOGRAM_*` environment variable, read in one place.

| variable | what | default |
|---|---|---|
| `CYCLOGRAM_HOME` | data directory: database, evidence files, secrets file, calendars, compiled roadmaps | `$XDG_DATA_HOME/cyclogram`, else `~/.local/share/cyclogram` |
| `CYCLOGRAM_DATABASE_URL` | `sqlite:///path.db` or `postgresql://user@host/db` (`--db`) | `<home>/cyclogram.db` |
| `CYCLOGRAM_DB_TIMEOUT` | seconds to wait for a busy database | 30 |
| `CYCLOGRAM_SECRETS_FILE` | dotenv file of secrets (must be chmod 600) | `<home>/secrets.env` |
| `CYCLOGRAM_SECRET_<NAME>` | the value of secret NAME (see `cyclogram.notifiers.secrets`) | — |
| `CYCLOGRAM_CACHE_DIR` | caches that can always be rebuilt (the country's working-day calendar, checked roadmap files) | `$XDG_CACHE_HOME/cyclogram`, else `~/.cache/cyclogram` |
| `CYCLOGRAM_ACTOR` | who runs the command, for the audit log (`--actor`) | the OS user |
| `CYCLOGRAM_BASE_URL` | public address of `cyclogram web`, for links (`--base-url`); when set, every reminder carries the person's action link to the stage | `http://127.0.0.1:8080` (reminders: no links) |
| `CYCLOGRAM_TELEGRAM_API_URL` | the Telegram Bot API server for the bot and Telegram reminders (a local Bot API server, or a fake one in tests): `https://host` — methods go to `<url>/bot<token>/<method>`, files to `<url>/file/bot<token>/<path>` | `https://api.telegram.org` |
| `CYCLOGRAM_SHOW_COMMAND` | `1`: reminders that carry an action link show the `cyclogram done …` command line too (for operators); without a link the command is always shown | off |

Functions take an optional `environ` mapping so that tests and services can pass their own; they
never cache, so a changed environment is seen on the next call. This module imports nothing of the
project: every layer may ask it.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from pathlib import Path

DEFAULT_DB_TIMEOUT_S = 30.0
DEFAULT_BASE_URL = "http://127.0.0.1:8080"
SECRET_ENV_PREFIX = "CYCLOGRAM_SECRET_"


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$CYCLOGRAM_HOME`, else `$XDG_DATA_HOME/cyclogram`, else `~/.local/share/cyclogram`."""
    env = _env(environ)
    explicit = env.get("CYCLOGRAM_HOME")
    if explicit:
        return Path(explicit).expanduser()
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cyclogram"


def evidence_dir(environ: Mapping[str, str] | None = None) -> Path:
    return data_dir(environ) / "evidence"


def calendars_dir(environ: Mapping[str, str] | None = None) -> Path:
    return data_dir(environ) / "calendars"


def compiled_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Compiled roadmap snapshots (see `cyclogram.compiled`)."""
    return data_dir(environ) / "compiled"


def database_url(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """`--db`, else `$CYCLOGRAM_DATABASE_URL`, else the SQLite file in the data directory."""
    url = explicit or _env(environ).get("CYCLOGRAM_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir(environ) / 'cyclogram.db'}"


def uses_default_database(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """True when the database is our own default file (whose folder we may create)."""
    return not explicit and not _env(environ).get("CYCLOGRAM_DATABASE_URL")


def db_timeout(environ: Mapping[str, str] | None = None) -> float:
    raw = _env(environ).get("CYCLOGRAM_DB_TIMEOUT")
    try:
        return float(raw) if raw else DEFAULT_DB_TIMEOUT_S
    except ValueError:
        return DEFAULT_DB_TIMEOUT_S


def secrets_file(environ: Mapping[str, str] | None = None) -> Path:
    """`$CYCLOGRAM_SECRETS_FILE`, else `<data dir>/secrets.env`."""
    env = _env(environ)
    explicit = env.get("CYCLOGRAM_SECRETS_FILE")
    if explicit:
        return Path(explicit).expanduser()
    return data_dir(env) / "secrets.env"


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$CYCLOGRAM_CACHE_DIR`, else `$XDG_CACHE_HOME/cyclogram`, else `~/.cache/cyclogram`."""
    env = _env(environ)
    explicit = env.get("CYCLOGRAM_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cyclogram"


def checked_files_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Checked roadmap files (see `cyclogram.compiled.CheckedFiles`)."""
    return cache_dir(environ) / "checked"


def actor(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """Who runs the command: `--actor`, else `$CYCLOGRAM_ACTOR`, else the operating-system user."""
    if explicit:
        return explicit
    configured = _env(environ).get("CYCLOGRAM_ACTOR")
    if configured:
        return configured
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def base_url(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    return (explicit or _env(environ).get("CYCLOGRAM_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def configured_base_url(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """`--base-url`, else `$CYCLOGRAM_BASE_URL`; None when neither is set (no web app: no links)."""
    value = (explicit or _env(environ).get("CYCLOGRAM_BASE_URL") or "").strip().rstrip("/")
    return value or None


def show_command(environ: Mapping[str, str] | None = None) -> bool:
    """`$CYCLOGRAM_SHOW_COMMAND=1`: keep the `cyclogram done …` line in reminders that carry a link."""
    return _env(environ).get("CYCLOGRAM_SHOW_COMMAND", "").strip().lower() in ("1", "true", "yes", "on")


DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"


def telegram_api_url(environ: Mapping[str, str] | None = None) -> str:
    """`$CYCLOGRAM_TELEGRAM_API_URL` (the Bot API server), else Telegram's own."""
    value = (_env(environ).get("CYCLOGRAM_TELEGRAM_API_URL") or "").strip().rstrip("/")
    return value or DEFAULT_TELEGRAM_API_URL
