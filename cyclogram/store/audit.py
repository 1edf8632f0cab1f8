"""Appending to and reading the audit log (hash chain rules live in engine/auditchain.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from cyclogram.engine.auditchain import AuditRecord, VerifyResult, seal, verify_chain
from cyclogram.store.tables import AuditEventRow, AuditHeadRow

# One fixed-width spelling for every stored moment: text compares in time order, hashes are stable.
STAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime(STAMP_FORMAT)


def parse_stamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, STAMP_FORMAT).replace(tzinfo=dt.UTC)


def utc_now() -> str:
    return utc_stamp(dt.datetime.now(dt.UTC))


def append_event(
    session: Session,
    actor: str,
    action: str,
    payload: dict[str, Any],
    roadmap_id: str | None = None,
    stage_id: str | None = None,
) -> AuditRecord:
    """Add one event at the end of the chain. Must run inside `Store.write()` (which holds the lock)."""
    head = session.get(AuditHeadRow, 1)
    assert head is not None, "audit_head row is created by the first migration"
    key = session.info.get("audit_key")  # set by the store for its write transactions (store/db.py)
    record = seal(head.seq + 1, utc_now(), actor, action, roadmap_id, stage_id, payload, head.hash, key)
    session.add(AuditEventRow(**_row_fields(record)))
    head.seq, head.hash = record.seq, record.hash
    session.add(head)
    session.flush()  # a duplicate seq (a second writer without the lock) fails here, not silently
    return record


def _row_fields(record: AuditRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "at": record.at,
        "actor": record.actor,
        "action": record.action,
        "roadmap_id": record.roadmap_id,
        "stage_id": record.stage_id,
        "payload": record.payload,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
        "mac": record.mac,
    }


def _record(row: AuditEventRow) -> AuditRecord:
    return AuditRecord(
        row.seq, row.at, row.actor, row.action, row.roadmap_id, row.stage_id, row.payload, row.prev_hash, row.hash, row.mac
    )


@dataclass(frozen=True)
class HistoryFilter:
    roadmap_id: str | None = None
    stage_id: str | None = None
    person: str | None = None  # actor, the person a completion was recorded for, or a reminder's recipient
    since: str | None = None  # ISO date or datetime (UTC comparison on the stored text)


def read_events(session: Session, filters: HistoryFilter = HistoryFilter()) -> list[AuditRecord]:
    query = select(AuditEventRow).order_by(col(AuditEventRow.seq))
    if filters.roadmap_id:
        query = query.where(AuditEventRow.roadmap_id == filters.roadmap_id)
    if filters.stage_id:
        query = query.where(AuditEventRow.stage_id == filters.stage_id)
    if filters.since:
        query = query.where(AuditEventRow.at >= filters.since)
    records = [_record(row) for row in session.exec(query)]
    if filters.person:
        records = [r for r in records if r.actor == filters.person or _names(r.payload_data(), filters.person)]
    return records


def _names(data: Any, person: str) -> bool:
    return isinstance(data, dict) and person in (data.get("by"), data.get("person"))


def iter_all(session: Session, batch: int = 5000) -> Iterator[AuditRecord]:
    last = 0
    while True:
        rows = session.exec(
            select(AuditEventRow).where(col(AuditEventRow.seq) > last).order_by(col(AuditEventRow.seq)).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield _record(row)
        last = rows[-1].seq


def verify(session: Session, key: bytes | None = None) -> VerifyResult:
    # sqlmodel's exec() runs any Executable, but its overloads omit text() (fastapi/sqlmodel#909)
    head_row = session.exec(text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()  # type: ignore[call-overload]
    head = (int(head_row[0]), str(head_row[1])) if head_row else None
    return verify_chain(iter_all(session), head, key)
