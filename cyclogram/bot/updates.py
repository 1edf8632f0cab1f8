"""Exactly once: which Telegram updates are processed, and where long polling resumes.

Table `telegram_update` holds one row per processed update (its `update_id` is the primary key).

* An update that changes something (a completion, a linked or unlinked chat) writes its row in the
  same transaction as the change (`claim`, a `recording.Guard`): the second delivery of the same
  update — the bot killed after recording but before Telegram saw the next getUpdates, two bot
  processes by mistake, a webhook call retried — finds the row and records nothing.
* An update that only reads (a command, a request for a file) is marked after it is answered
  (`mark`); a crash between the two repeats an answer, never a completion.
* The polling offset is the newest processed update + 1 (`next_offset`), so a restarted bot asks
  Telegram for exactly what it has not processed. Rows older than `KEEP_DAYS` are pruned (Telegram
  keeps undelivered updates for 24 hours), the newest always stays.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlmodel import Session, col, select

from cyclogram.store import Store, audit
from cyclogram.store.tables import TelegramUpdateRow

if TYPE_CHECKING:
    from cyclogram.recording import Guard

KEEP_DAYS = 7


class AlreadyProcessed(Exception):
    """This update was processed before: nothing is written again."""


def claim(update_id: int, kind: str) -> Guard:
    """A guard writing the update inside the caller's transaction; AlreadyProcessed when it is there.

    Writers are serialized (store/db.py), so the check and the insert cannot interleave with another
    process's; the primary key backs it up."""

    def guard(session: Session) -> None:
        if session.get(TelegramUpdateRow, update_id) is not None:
            raise AlreadyProcessed(update_id)
        session.add(TelegramUpdateRow(update_id=update_id, kind=kind[:16], processed_at=audit.utc_now()))
        session.flush()

    return guard


def processed(store: Store, update_id: int) -> bool:
    with store.reading() as reader:
        return reader.row("SELECT 1 FROM telegram_update WHERE update_id = ?", (update_id,)) is not None


def mark(store: Store, update_id: int, kind: str) -> bool:
    """Record a processed update that changed nothing; False when it was recorded already."""
    try:
        with store.write() as session:
            claim(update_id, kind)(session)
    except AlreadyProcessed:
        return False
    return True


def next_offset(store: Store) -> int | None:
    """The offset to ask getUpdates for: the newest processed update + 1 (None: nothing processed yet)."""
    with store.reading() as reader:
        row = reader.row("SELECT MAX(update_id) FROM telegram_update")
    return int(row[0]) + 1 if row and row[0] is not None else None


def prune(store: Store, keep_days: int = KEEP_DAYS, now: dt.datetime | None = None) -> int:
    """Forget processed updates older than `keep_days` (the newest one stays: it is the offset)."""
    cutoff = audit.utc_stamp((now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=keep_days))
    with store.write() as session:
        newest = session.exec(
            select(TelegramUpdateRow.update_id).order_by(col(TelegramUpdateRow.update_id).desc()).limit(1)
        ).first()
        if newest is None:
            return 0
        result = session.connection().execute(
            delete(TelegramUpdateRow).where(
                col(TelegramUpdateRow.processed_at) < cutoff, col(TelegramUpdateRow.update_id) != newest
            )
        )
        return int(result.rowcount or 0)
