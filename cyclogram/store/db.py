"""The ORM side of the store: SQLAlchemy's engine, write transactions, migrations.

Imported only when something writes or migrates (reads go through `store/connect.py`).

Every command runs in exactly one transaction, so a crash leaves either all of its writes or none.
Writers are serialized: SQLite takes its write lock at BEGIN (``BEGIN IMMEDIATE``), PostgreSQL
locks the audit chain's head row (``SELECT … FOR UPDATE``). That keeps the audit log one chain
and makes "check, then record" decisions (is this stage already done?) safe between processes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from cyclogram.store.connect import SCHEMA_REVISION, Reader, Store, StoreError, redact, schema_revision, translate_errors

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _normalized(url: str) -> str:
    # SQLAlchemy's default PostgreSQL driver is psycopg2; we ship psycopg 3.
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def create_engine_for(store: Store) -> Engine:
    try:
        parsed = make_url(_normalized(store.url))
    except Exception:  # noqa: BLE001 - any parse failure is the same user mistake
        raise StoreError(f"адрес базы данных не распознан: {redact(store.url)}") from None
    timeout = store.timeout
    if store.is_sqlite:
        engine = create_engine(parsed, connect_args={"timeout": timeout})
        _configure_sqlite(engine, timeout)
        return engine
    return create_engine(
        parsed,
        connect_args={"connect_timeout": max(1, int(min(timeout, 10))), "options": f"-c lock_timeout={int(timeout * 1000)}"},
        pool_pre_ping=True,
    )


@contextmanager
def write_session(store: Store) -> Iterator[Session]:
    key = store.audit_key()
    with translate_errors(store.url):
        with Session(store.engine, expire_on_commit=False, info={"audit_key": key}) as session:
            with session.begin():
                if not store.is_sqlite:
                    # sqlmodel's exec() runs any Executable, but its overloads omit text() (fastapi/sqlmodel#909)
                    session.exec(text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))  # type: ignore[call-overload]
                yield session


@contextmanager
def read_session(store: Store) -> Iterator[Session]:
    """A read-only transaction: a consistent snapshot, no lock on writers."""
    with translate_errors(store.url):
        with Session(store.engine.execution_options(cyclogram_readonly=True), expire_on_commit=False) as session:
            with session.begin():
                yield session


def session_reader(store: Store, session: Session) -> Reader:
    """The lean reads (store/reads.py) inside a write transaction: same connection, same view."""
    raw = session.connection().connection.dbapi_connection
    return Reader(raw, "qmark" if store.is_sqlite else "format")


def _configure_sqlite(engine: Engine, timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
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


def migrate_to_head(store: Store) -> None:
    """Bring the schema to the newest revision (the caller found it older: `schema_revision`)."""
    with translate_errors(store.url):
        with store.engine.connect() as connection:
            with connection.begin():  # SQLite: BEGIN IMMEDIATE, so concurrent first runs queue up
                if not store.is_sqlite:
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
    if connection.dialect.name == "sqlite":
        exists = connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").first()
    else:
        exists = connection.exec_driver_sql("SELECT to_regclass('alembic_version')").scalar()
    if not exists:
        return None
    row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return row[0] if row else None


__all__ = ["create_engine_for", "migrate_to_head", "read_session", "schema_revision", "session_reader", "write_session"]
