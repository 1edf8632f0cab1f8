"""The audit log's hash chain: each event carries the hash of the one before it.

Pure functions, so that verification does not depend on the database that stores the events:
an auditor can export the log (`cyclogram history --format json`) and check it elsewhere.

hash(event) = sha256 of the canonical JSON of (seq, at, actor, action, roadmap_id, stage_id,
payload, prev_hash). Editing any field changes its hash; deleting or reordering events breaks
the sequence numbers or the links; deleting the newest events is caught by comparing with the
chain head the store keeps.

What the chain alone cannot prove, and what closes each gap:

* Someone who can write the database can edit an event and **re-hash everything after it**, or
  delete the newest events and move the head back: the chain is then consistent again. With an
  **audit key** (a secret kept outside the database, `audit_key` in the secrets file) every event
  also carries mac = HMAC-SHA256(key, hash); re-hashing without the key cannot produce them.
  Events written before the key was configured are counted as unsigned.
* Truncation (the newest events deleted, the head moved back) is caught only against something
  kept **outside the database**: a **checkpoint** — the number and hash of the newest event at a
  moment, printed by `cyclogram audit checkpoint` to be published in the school's order or sent to
  the director — and `audit verify --checkpoint N:HASH` proves the log still holds that event
  unchanged (and so everything before it).
* The chain proves the log, not the tables commands read: `engine.auditstate` replays the log
  against them.
"""

from __future__ import annotations

import hashlib
import hmac
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
    mac: str | None = None  # HMAC-SHA256(audit key, hash) when a key was configured

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


def event_mac(key: bytes, digest: str) -> str:
    return hmac.new(key, digest.encode("ascii"), hashlib.sha256).hexdigest()


def seal(
    seq: int,
    at: str,
    actor: str,
    action: str,
    roadmap_id: str | None,
    stage_id: str | None,
    payload: Any,
    prev_hash: str,
    key: bytes | None = None,
) -> AuditRecord:
    """A new record linked to `prev_hash` (and signed when a key is given)."""
    text = canonical_json(payload)
    digest = event_hash(seq, at, actor, action, roadmap_id, stage_id, text, prev_hash)
    mac = event_mac(key, digest) if key else None
    return AuditRecord(seq, at, actor, action, roadmap_id, stage_id, text, prev_hash, digest, mac)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None  # Russian, for the auditor
    unsigned: int = 0  # events without a mac, when a key was given
    head_hash: str = GENESIS_HASH  # the newest event's hash (what a checkpoint records)


def verify_chain(records: Iterable[AuditRecord], head: tuple[int, str] | None = None, key: bytes | None = None) -> VerifyResult:
    """Check records in storage order (by seq); stop at the first problem and name it. With `key`,
    every signed event's mac is checked too, and unsigned ones are counted."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    unsigned = 0
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
        if key is not None:
            if record.mac is None:
                unsigned += 1
            elif not hmac.compare_digest(record.mac, event_mac(key, record.hash)):
                return VerifyResult(
                    False,
                    checked,
                    record.seq,
                    f"событие № {record.seq} не подписано ключом аудита: журнал пересчитан без ключа (подделка)",
                )
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
    return VerifyResult(True, checked, unsigned=unsigned, head_hash=prev_hash)


@dataclass(frozen=True)
class Checkpoint:
    """The newest event's number and hash at a moment: published outside the database."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Checkpoint | None:
        """ "145:3f2a…" (what `cyclogram audit checkpoint` prints), or None when it is not one."""
        number, _, digest = text.strip().partition(":")
        digest = digest.strip().lower()
        if not number.strip().isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            return None
        return cls(int(number), digest)


def verify_checkpoint(records: Iterable[AuditRecord], checkpoint: Checkpoint) -> str | None:
    """None when the log holds the checkpoint's event unchanged; otherwise the problem, in Russian."""
    for record in records:
        if record.seq == checkpoint.seq:
            if hmac.compare_digest(record.hash, checkpoint.hash):
                return None
            return f"событие № {checkpoint.seq} не совпадает с опубликованной контрольной точкой: журнал до него переписан"
    return f"события № {checkpoint.seq} из опубликованной контрольной точки в журнале нет: журнал укорочен"
