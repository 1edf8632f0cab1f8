"""Persistent state: roadmap versions, stage completions, evidence, the outbox and the audit log.

`connect` opens the database and reads through the driver itself; `db` is the ORM side (SQLModel
tables in `tables`, writes, Alembic migrations), imported only when something writes.
"""

from cyclogram.store.connect import Store, StoreError, open_store

__all__ = ["Store", "StoreError", "open_store"]
