"""Opening the database: SQLite file by default, PostgreSQL by URL; migrations; transactions.

Every command runs in exactly one transaction, so a crash leaves either all of its writes or none.
Writers are serialized: SQLite takes its write lock at BEGIN (``BEGIN IMMEDIATE``), PostgreSQL
locks the audit chain's head row (``SELECT … FOR UPDATE``). That keeps the audit log one chain
and makes "check, then record" decisions (is this stage already done?) safe between processes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlmodel import Session, create_engine

from cyclogram.paths import data_dir

SCHEMA_REVISION = "0003"  # newest migration in store/migrations/versions
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_TIMEOUT_S = 30.0


class StoreError(Exception):
    """A database problem explained for people (Russian), without secrets."""


def database_url(explicit: str | None = None) -> str:
    url = explicit or os.environ.get("CYCLOGRAM_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / 'cyclogram.db'}"


def redact(url: str) -> str:
    """A database URL safe to print: the password is replaced."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def _normalized(url: str) -> str:
    # SQLAlchemy's default PostgreSQL driver is psycopg2; we ship psycopg 3.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@dataclass
class Store:
    engine: Engine
    url: str

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction, holding the writers' lock from its first statement."""
        with translate_errors(self.url):
            with Session(self.engine, expire_on_commit=False) as session:
                with session.begin():
                    if not self.is_sqlite:
                        session.exec(text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))  # type: ignore[call-overload]
                    yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction: a consistent snapshot, no lock on writers."""
        with translate_errors(self.url):
            with Session(self.engine.execution_options(cyclogram_readonly=True), expire_on_commit=False) as session:
                with session.begin():
                    yield session

    def close(self) -> None:
        self.engine.dispose()


def _configure_sqlite(engine: Engine, timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, see below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        try:
            cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer
        except dbapi_connection.OperationalError:
            pass  # a read-only database keeps its journal mode; reads still work
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        readonly = connection.get_execution_options().get("cyclogram_readonly")
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def open_store(url: str | None = None, *, migrate: bool = True, timeout: float | None = None) -> Store:
    """Open (and if needed create and migrate) the database at `url` or the default location."""
    raw = database_url(url)
    timeout = timeout if timeout is not None else float(os.environ.get("CYCLOGRAM_DB_TIMEOUT", DEFAULT_TIMEOUT_S))
    try:
        parsed = make_url(_normalized(raw))
    except Exception:  # noqa: BLE001 - any parse failure is the same user mistake
        raise StoreError(f"адрес базы данных не распознан: {redact(raw)}") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not parsed.query.get("uri"):
            path = Path(database)
            if url is None and not os.environ.get("CYCLOGRAM_DATABASE_URL"):
                path.parent.mkdir(parents=True, exist_ok=True)  # our own default location
            if not path.parent.is_dir():
                raise StoreError(f"папка для базы данных не существует: {path.parent}")
        engine = create_engine(parsed, connect_args={"timeout": timeout})
        _configure_sqlite(engine, timeout)
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(
            parsed,
            connect_args={"connect_timeout": max(1, int(min(timeout, 10))), "options": f"-c lock_timeout={int(timeout * 1000)}"},
            pool_pre_ping=True,
        )
    else:
        raise StoreError(f"поддерживаются SQLite и PostgreSQL, а не {parsed.get_backend_name()}")
    store = Store(engine, raw)
    if migrate:
        migrate_to_head(store)
    return store


def migrate_to_head(store: Store) -> None:
    """Bring the schema to the newest revision; cheap when it already is (no Alembic import)."""
    with translate_errors(store.url):
        with store.engine.connect() as connection:
            if _is_current(connection):
                return
        with store.engine.connect() as connection:
            with connection.begin():  # SQLite: BEGIN IMMEDIATE, so concurrent first runs queue up
                if store.engine.dialect.name == "postgresql":
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(4242001)")
                if _read_revision(connection) == SCHEMA_REVISION:
                    return  # another process migrated while we waited
                from alembic import command
                from alembic.config import Config

                config = Config()
                config.set_main_option("script_location", str(MIGRATIONS_DIR))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")


def _read_revision(connection: Connection) -> str | None:
    dialect = connection.dialect.name
    if dialect == "sqlite":
        exists = connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).first()
    else:
        exists = connection.exec_driver_sql("SELECT to_regclass('alembic_version')").scalar()
    if not exists:
        return None
    row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return row[0] if row else None


def _is_current(connection: Connection) -> bool:
    with connection.begin():
        return _read_revision(connection) == SCHEMA_REVISION


@contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """Turn driver errors into messages a deputy director can act on (and never print passwords)."""
    try:
        yield
    except StoreError:
        raise
    except OperationalError as error:
        raise StoreError(_explain(str(error.orig) if error.orig else str(error), url)) from None
    except DBAPIError as error:
        raise StoreError(_explain(str(error.orig) if error.orig else str(error), url)) from None
    except SQLAlchemyError as error:
        raise StoreError(f"ошибка базы данных: {type(error).__name__}") from None


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
    if "connection refused" in lowered or "could not connect" in lowered or "connection failed" in lowered:
        return f"не удаётся подключиться к PostgreSQL ({where}): сервер не отвечает"
    if "does not exist" in lowered and "database" in lowered:
        return f"базы данных нет на сервере ({where}): создайте её (createdb)"
    if "password authentication failed" in lowered:
        return f"PostgreSQL не принял пароль ({where})"
    if "audit_event is append-only" in lowered:
        return "журнал аудита только дополняется: изменять и удалять записи нельзя"
    if "disk" in lowered and "full" in lowered:
        return f"нет места на диске для базы данных ({where})"
    return f"ошибка базы данных ({where}): {message.splitlines()[0][:200]}"
