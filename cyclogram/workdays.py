"""The country's working-day facts, kept on disk so that commands need not import `holidays`.

`holidays` (~180 ms to import) is asked once per library version; its answer is written as JSON to
the cache directory (`settings.cache_dir()`), and every later process reads that file. A missing or
damaged file is rebuilt; an unwritable cache directory only costs the import next time.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from cyclogram import settings
from cyclogram.engine.workcalendar import (
    CountryDays,
    compute_russian_days,
    country_days_from_json,
    country_days_to_json,
)

CACHE_FORMAT = 1


def holidays_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("holidays")
    except PackageNotFoundError:  # pragma: no cover - it is a hard dependency
        return "unknown"


def cache_path(environ: Mapping[str, str] | None = None) -> Path:
    return settings.cache_dir(environ) / f"ru-days-holidays-{holidays_version()}-v{CACHE_FORMAT}.json"


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write a whole file or nothing: a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_country_days(path: Path) -> CountryDays:
    """From the cache file, else from the library (and then written to the file)."""
    library_version = holidays_version()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") == CACHE_FORMAT and data.get("holidays_version") == library_version:
            return country_days_from_json(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # missing or damaged cache: rebuild it below
    days = compute_russian_days()
    payload = {"format": CACHE_FORMAT, "holidays_version": library_version, **country_days_to_json(days)}
    try:
        write_atomically(path, json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    except OSError:
        pass  # a read-only home is no reason to fail; we just pay the import next time
    return days


@lru_cache(maxsize=4)
def _cached(path: Path) -> CountryDays:
    return load_country_days(path)


def country_days() -> CountryDays:
    """The RU working-day facts for this process, from the cache directory of the environment."""
    return _cached(cache_path())
