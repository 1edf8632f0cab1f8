"""The store: where the database is, plain DB-API connections for reading, errors for people.

Reading commands (`status`, `remind --dry-run`, feeds, the web) need a handful of rows; importing
SQLAlchemy and SQLModel for them would cost ~0.4 s of every command (measured: a whole `status`
of 10,000 stages has a 0.5 s budget). So a `Store` reads through the driver itself — `sqlite3`
from the standard library, or psycopg for PostgreSQL — and builds SQLAlchemy's engine only when
something writes (`Store.write()`, see `store/db.py`) or migrates.

Every error the drivers or SQLAlchemy raise leaves this layer as a `StoreError` with a Russian
message and no password (`translate_errors`).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cyclogram import settings
from cyclogram.engine.diagnostics import Refusal

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

SCHEMA_REVISION = "0007"  # newest migration in store/migrations/versions


class StoreError(Refusal):
    """A database problem explained for people (Russian), without secrets."""

    exit_code = 3


def redact(url: str) -> str:
    """A database URL safe to print: the password is replaced."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def _backend(url: str) -> str:
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else ""
    return {"postgres": "postgresql"}.get(scheme, scheme)


def _sqlite_target(url: str) -> tuple[str, bool]:
    """`sqlite:///relative.db`, `sqlite:////absolute.db`, `sqlite://` (memory) → (file name, False);
    `sqlite:///file:path?mode=ro&uri=true` → (SQLite URI, True), as SQLAlchemy reads them."""
    rest = url.split("://", 1)[1]
    path = rest[1:] if rest.startswith("/") else rest
    name, _, query = path.partition("?")
    params = [p for p in query.split("&") if p]
    if "uri=true" in params:
        kept = [p for p in params if p != "uri=true"]
        return name + ("?" + "&".join(kept) if kept else ""), True
    return name or ":memory:", False


def _sqlite_path(url: str) -> str:
    return _sqlite_target(url)[0]


def _postgres_conninfo(url: str) -> str:
    """psycopg takes a `postgresql://` URL as its conninfo; SQLAlchemy's driver suffix goes."""
    return "postgresql://" + url.split("://", 1)[1]


class Reader:
    """Read-only queries on one DB-API connection, inside one transaction (a consistent view)."""

    def __init__(self, connection: Any, paramstyle: str) -> None:
        self._connection = connection
        self._format = paramstyle == "format"

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """`sql` is written with `?` placeholders; PostgreSQL's driver gets `%s`."""
        if self._format:
            sql = sql.replace("?", "%s")
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql, tuple(params))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def row(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None:
        found = self.rows(sql, params)
        return found[0] if found else None


class Store:
    """A database by URL: lean reads now, the SQLAlchemy engine on first write (see module docstring)."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self.backend = _backend(url)
        # The audit key (a secret outside the database) signs every event written through this
        # store; asked for on the first write only (see `cyclogram.app.open_tracker`).
        self.audit_key: Callable[[], bytes | None] = lambda: None

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """One read transaction through the driver itself (no ORM)."""
        with translate_errors(self.url):
            if self.is_sqlite:
                connection = self._sqlite_for_reading()
                try:
                    connection.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
                    connection.execute("BEGIN")
                    yield Reader(connection, "qmark")
                    connection.execute("COMMIT")
                finally:
                    connection.close()
            else:
                import psycopg  # only PostgreSQL users pay for the driver

                with psycopg.connect(
                    _postgres_conninfo(self.url),
                    connect_timeout=max(1, int(min(self.timeout, 10))),
                    options=f"-c lock_timeout={int(self.timeout * 1000)}",
                ) as pg_connection:
                    pg_connection.read_only = True
                    yield Reader(pg_connection, "format")

    def _sqlite_for_reading(self) -> sqlite3.Connection:
        """A connection for reading; on a read-only disk (where SQLite cannot create its WAL index)
        the file is opened immutable, read-only: nobody can be writing it there."""
        target, uri = _sqlite_target(self.url)
        connection = sqlite3.connect(target, timeout=self.timeout, isolation_level=None, uri=uri)
        try:
            connection.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            return connection
        except sqlite3.OperationalError as error:
            lowered = str(error).lower()
            connection.close()
            if uri or not (
                "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered or "disk i/o" in lowered
            ):
                raise
            if not Path(target).exists():
                raise
        return sqlite3.connect(
            f"file:{Path(target).resolve()}?mode=ro&immutable=1", timeout=self.timeout, isolation_level=None, uri=True
        )

    # --- the ORM side (store/db.py), built when first needed ---------------------------------

    @cached_property
    def engine(self) -> Engine:
        from cyclogram.store.db import create_engine_for

        return create_engine_for(self)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction, holding the writers' lock from its first statement."""
        from cyclogram.store.db import write_session

        with write_session(self) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only ORM transaction (for the less frequent reads: history, outbox, feeds)."""
        from cyclogram.store.db import read_session

        with read_session(self) as session:
            yield session

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def open_store(url: str | None = None, *, migrate: bool = True, timeout: float | None = None) -> Store:
    """Open (and if needed create and migrate) the database at `url` or the default location."""
    raw = settings.database_url(url)
    store = Store(raw, timeout if timeout is not None else settings.db_timeout())
    if store.backend == "sqlite":
        database = _sqlite_path(raw)
        if database != ":memory:" and not database.startswith("file:"):
            path = Path(database)
            if settings.uses_default_database(url):
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # our own default location, private
            if not path.parent.is_dir():
                raise StoreError(f"папка для базы данных не существует: {path.parent}")
            _create_private(path)
    elif store.backend != "postgresql":
        shown = store.backend or redact(raw)
        raise StoreError(f"поддерживаются SQLite и PostgreSQL, а не {shown}")
    if migrate and schema_revision(store) != SCHEMA_REVISION:
        from cyclogram.store.db import migrate_to_head

        migrate_to_head(store)
    return store


def _create_private(path: Path) -> None:
    """A new database file is created 0600 (it holds outbox texts and feed tokens); SQLite gives its
    -wal and -shm files the same mode. An existing file is left as its owner set it."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        pass  # a read-only folder: opening will say so in Russian


def schema_revision(store: Store) -> str | None:
    with store.reading() as reader:
        if store.is_sqlite:
            exists = reader.row("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'")
        else:
            exists = reader.row("SELECT to_regclass('alembic_version')")
            exists = exists if exists and exists[0] else None
        if not exists:
            return None
        row = reader.row("SELECT version_num FROM alembic_version")
        return str(row[0]) if row else None


@contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """Turn driver and SQLAlchemy errors into messages a deputy director can act on (and never
    print passwords). SQLAlchemy is recognised by its module, so reading never imports it."""
    try:
        yield
    except StoreError:
        raise
    except Exception as error:
        module = type(error).__module__
        if module.startswith("sqlalchemy"):
            original = getattr(error, "orig", None)
            if original is None and not module.startswith("sqlalchemy.exc"):
                raise
            text = str(original) if original is not None else ""
            if not text:
                raise StoreError(f"ошибка базы данных: {type(error).__name__}") from None
            raise StoreError(_explain(text, url)) from None
        if isinstance(error, sqlite3.Error) or module.startswith("psycopg"):
            raise StoreError(_explain(str(error), url)) from None
        raise


def _disk_nearly_full(url: str) -> bool:
    if _backend(url) != "sqlite":
        return False
    try:
        return shutil.disk_usage(Path(_sqlite_path(url)).resolve().parent).free < 1024 * 1024
    except OSError:
        return False


def _explain(message: str, url: str) -> str:
    lowered = message.lower()
    where = redact(url)
    if "database is locked" in lowered or "lock timeout" in lowered or "canceling statement due to lock" in lowered:
        return f"база данных занята другим процессом слишком долго ({where}); повторите команду позже"
    if "readonly database" in lowered or "read-only" in lowered:
        return f"нет прав на запись в базу данных ({where}): проверьте права на файл и его папку"
    if "unable to open database file" in lowered:
        return f"не удаётся открыть файл базы данных ({where}): проверьте, что папка существует и доступна"
    if "file is not a database" in lowered or "file is encrypted" in lowered:
        return f"файл {where} — не база данных Cyclogram (повреждён или это другой файл)"
    if "does not exist" in lowered and "database" in lowered:
        return f"базы данных нет на сервере ({where}): создайте её (createdb)"
    if "connection refused" in lowered or "could not connect" in lowered or "connection failed" in lowered:
        return f"не удаётся подключиться к PostgreSQL ({where}): сервер не отвечает"
    if "password authentication failed" in lowered:
        return f"PostgreSQL не принял пароль ({where})"
    if "audit_event is append-only" in lowered:
        return "журнал аудита только дополняется: изменять и удалять записи нельзя"
    if "disk" in lowered and "full" in lowered:
        return f"нет места на диске для базы данных ({where})"
    if "disk i/o error" in lowered:
        if _disk_nearly_full(url):
            return f"нет места на диске для базы данных ({where})"
        return f"ошибка чтения или записи диска с базой данных ({where}): проверьте диск и свободное место"
    return f"ошибка базы данных ({where}): {message.splitlines()[0][:200] if message else 'неизвестная'}"
