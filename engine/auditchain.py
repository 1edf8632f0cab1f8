"""The audit log's hash chain: each event carries the hash of the one before it.

Pure functions, so that verification does not depend on the database that stores the events:
an auditor can export the log (`cyclogram history --format json`) and check it elsewhere.

hash(event) = sha256 of the canonical JSON of (seq, at, actor, action, roadmap_id, stage_id,
payload, prev_hash). Editing any field changes its hash; deleting or reordering events breaks
the sequence numbers or the links; deleting the newest events is caught by comparing with the
chain head the store keeps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """One spelling for one value: sorted keys, no spaces, UTF-8 kept (Cyrillic stays readable)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: str  # ISO 8601 UTC, e.g. 2024-10-18T09:15:02.123456Z
    actor: str
    action: str
    roadmap_id: str | None
    stage_id: str | None
    payload: str  # canonical JSON text, exactly as stored
    prev_hash: str
    hash: str

    def payload_data(self) -> Any:
        return json.loads(self.payload)


def event_hash(
    seq: int, at: str, actor: str, action: str, roadmap_id: str | None, stage_id: str | None, payload: str, prev_hash: str
) -> str:
    material = canonical_json(
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "roadmap_id": roadmap_id,
            "stage_id": stage_id,
            "payload": payload,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def seal(
    seq: int, at: str, actor: str, action: str, roadmap_id: str | None, stage_id: str | None, payload: Any, prev_hash: str
) -> AuditRecord:
    """A new record linked to `prev_hash`."""
    text = canonical_json(payload)
    digest = event_hash(seq, at, actor, action, roadmap_id, stage_id, text, prev_hash)
    return AuditRecord(seq, at, actor, action, roadmap_id, stage_id, text, prev_hash, digest)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None  # Russian, for the auditor


def verify_chain(records: Iterable[AuditRecord], head: tuple[int, str] | None = None) -> VerifyResult:
    """Check records in storage order (by seq); stop at the first problem and name it."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for record in records:
        if record.seq != expected_seq:
            if record.seq > expected_seq:
                missing = f"№ {expected_seq}" if record.seq == expected_seq + 1 else f"№ {expected_seq}–{record.seq - 1}"
                return VerifyResult(
                    False,
                    checked,
                    expected_seq,
                    f"событие {missing} отсутствует: удалено из журнала (следующее — № {record.seq})",
                )
            return VerifyResult(
                False, checked, record.seq, f"событие № {record.seq} стоит не на своём месте (ожидалось № {expected_seq})"
            )
        if record.prev_hash != prev_hash:
            return VerifyResult(
                False,
                checked,
                record.seq,
                f"событие № {record.seq} не ссылается на предыдущее: журнал переупорядочен или подменён",
            )
        actual = event_hash(
            record.seq,
            record.at,
            record.actor,
            record.action,
            record.roadmap_id,
            record.stage_id,
            record.payload,
            record.prev_hash,
        )
        if actual != record.hash:
            return VerifyResult(False, checked, record.seq, f"событие № {record.seq} изменено после записи (хэш не совпадает)")
        prev_hash = record.hash
        expected_seq += 1
        checked += 1
    if head is not None:
        head_seq, head_hash = head
        if head_seq != checked or (checked and head_hash != prev_hash):
            if head_seq > checked:
                return VerifyResult(
                    False, checked, checked + 1, f"последние события (№ {checked + 1}–{head_seq}) удалены из журнала"
                )
            return VerifyResult(False, checked, head_seq, "заголовок журнала не совпадает с последним событием")
    return VerifyResult(True, checked)
