"""The reads every command makes, as plain SQL on a `Reader` (no ORM; see store/connect.py).

Column lists are spelled out: a version's YAML text (megabytes for a large roadmap) is fetched only
when its compiled snapshot has to be rebuilt.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple

from cyclogram.store.connect import Reader


@dataclass(frozen=True)
class RoadmapInfo:
    id: str
    title: str
    current_version: int
    created_at: str


@dataclass(frozen=True)
class VersionInfo:
    roadmap_id: str
    version: int
    content_hash: str  # sha256 of the YAML text
    source_path: str
    loaded_by: str
    loaded_at: str


class StateInfo(NamedTuple):
    """A stage occurrence's recorded outcome (table stage_state); a named tuple, built per row."""

    stage_id: str
    occurrence: str
    state: str  # done | skipped | open
    at: str | None
    by: str | None
    note: str | None
    evidence: str | None
    forced: bool
    reason: str | None
    audit_seq: int


def roadmap(reader: Reader, roadmap_id: str) -> RoadmapInfo | None:
    row = reader.row("SELECT id, title, current_version, created_at FROM roadmap WHERE id = ?", (roadmap_id,))
    return RoadmapInfo(str(row[0]), str(row[1]), int(row[2]), str(row[3])) if row else None


def roadmaps(reader: Reader) -> list[RoadmapInfo]:
    rows = reader.rows("SELECT id, title, current_version, created_at FROM roadmap ORDER BY id")
    return [RoadmapInfo(str(r[0]), str(r[1]), int(r[2]), str(r[3])) for r in rows]


def version(reader: Reader, roadmap_id: str, number: int) -> VersionInfo | None:
    row = reader.row(
        "SELECT roadmap_id, version, content_hash, source_path, loaded_by, loaded_at FROM roadmap_version "
        "WHERE roadmap_id = ? AND version = ?",
        (roadmap_id, number),
    )
    return VersionInfo(str(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5])) if row else None


def version_text(reader: Reader, roadmap_id: str, number: int) -> str | None:
    row = reader.row("SELECT yaml_text FROM roadmap_version WHERE roadmap_id = ? AND version = ?", (roadmap_id, number))
    return str(row[0]) if row else None


def stage_states(reader: Reader, roadmap_id: str, *, closed_only: bool = True) -> list[StateInfo]:
    """The recorded outcomes of a roadmap's stages (by default only done and skipped ones)."""
    condition = " AND state <> 'open'" if closed_only else ""
    rows = reader.rows(
        'SELECT stage_id, occurrence, state, at, "by", note, evidence, forced, reason, audit_seq FROM stage_state '
        f"WHERE roadmap_id = ?{condition}",
        (roadmap_id,),
    )
    return [StateInfo._make(row) for row in rows]


class TriggerInfo(NamedTuple):
    """An outside event of a triggered stage (table stage_trigger)."""

    stage_id: str
    label: str
    at: str
    by: str | None
    note: str | None
    audit_seq: int


class ActivationInfo(NamedTuple):
    """An optional stage put to use (table stage_activation)."""

    stage_id: str
    at: str
    by: str | None
    reason: str | None
    via: str | None
    audit_seq: int


def stage_triggers(reader: Reader, roadmap_id: str) -> list[TriggerInfo]:
    rows = reader.rows(
        'SELECT stage_id, label, at, "by", note, audit_seq FROM stage_trigger WHERE roadmap_id = ? ORDER BY at, label',
        (roadmap_id,),
    )
    return [TriggerInfo._make(row) for row in rows]


def stage_activations(reader: Reader, roadmap_id: str) -> list[ActivationInfo]:
    rows = reader.rows(
        'SELECT stage_id, at, "by", reason, via, audit_seq FROM stage_activation WHERE roadmap_id = ?', (roadmap_id,)
    )
    return [ActivationInfo._make(row) for row in rows]


def audit_head(reader: Reader) -> tuple[int, str]:
    row = reader.row("SELECT seq, hash FROM audit_head WHERE id = 1")
    return (int(row[0]), str(row[1])) if row else (0, "")


# --- action links and evidence (the web app) ------------------------------------------------------


def revoked_link_ids(reader: Reader, link_ids: Collection[str]) -> set[str]:
    """Which of these action-link ids were revoked one by one (table revoked_link)."""
    wanted = list(dict.fromkeys(link_ids))
    if not wanted:
        return set()
    marks = ", ".join("?" for _ in wanted)
    return {str(row[0]) for row in reader.rows(f"SELECT link_id FROM revoked_link WHERE link_id IN ({marks})", wanted)}


def link_reset_at(reader: Reader, roadmap_id: str, person: str) -> str | None:
    """When a person's action links of a roadmap were last reset (UTC stamp), if ever (table link_reset)."""
    row = reader.row("SELECT reset_at FROM link_reset WHERE roadmap_id = ? AND person = ?", (roadmap_id, person))
    return str(row[0]) if row else None


class EvidenceInfo(NamedTuple):
    sha256: str
    original_name: str
    size: int


def evidence(reader: Reader, sha256: str) -> EvidenceInfo | None:
    row = reader.row("SELECT sha256, original_name, size FROM evidence WHERE sha256 = ?", (sha256,))
    return EvidenceInfo(str(row[0]), str(row[1]), int(row[2])) if row else None


def evidence_files(reader: Reader, sha256s: Collection[str]) -> dict[str, EvidenceInfo]:
    """Stored files by their sha256 (names and sizes from table evidence); unknown ones left out."""
    wanted = list(dict.fromkeys(sha256s))
    if not wanted:
        return {}
    marks = ", ".join("?" for _ in wanted)
    rows = reader.rows(f"SELECT sha256, original_name, size FROM evidence WHERE sha256 IN ({marks})", wanted)
    return {str(r[0]): EvidenceInfo(str(r[0]), str(r[1]), int(r[2])) for r in rows}


def evidence_in_roadmap(reader: Reader, roadmap_id: str, sha256: str) -> bool:
    """Whether a stored file belongs to a roadmap: a stage's current evidence, or given for one of its
    stages earlier (a completion or `evidence.stored` event of the roadmap names it)."""
    current = reader.row("SELECT 1 FROM stage_state WHERE roadmap_id = ? AND evidence = ?", (roadmap_id, f"sha256:{sha256}"))
    if current:
        return True
    # `sha256` is 64 hex digits (checked by the caller): nothing in it is a LIKE wildcard.
    earlier = reader.row(
        "SELECT 1 FROM audit_event WHERE roadmap_id = ? AND action IN ('evidence.stored', 'stage.done', 'stage.forced') "
        "AND payload LIKE ?",
        (roadmap_id, f"%{sha256}%"),
    )
    return earlier is not None
