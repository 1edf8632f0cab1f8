"""Reading a live roadmap: its current version compiled, its completions, its status.

The read side of the service layer, shared by the command line, the flows and the web. One
`Tracker` per process: it keeps compiled versions (`cyclogram.compiled`) so that a long-running
process compiles a version once, and every status is planned once from the compiled base plan
(`engine.status.compute_status(base=…)`). Reads go through the driver itself (store/connect.py):
no ORM is imported to answer `status`. Changes of state live in `cyclogram.recording`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from cyclogram import settings
from cyclogram.compiled import Compiled, CompiledRoadmaps
from cyclogram.engine import russian
from cyclogram.engine.diagnostics import Refusal
from cyclogram.engine.model import Roadmap, normalize_number
from cyclogram.engine.plan import Plan, PlannedStage
from cyclogram.engine.status import RoadmapStatus, compute_status
from cyclogram.engine.tracking import Completion, CompletionState
from cyclogram.store import Store, reads
from cyclogram.store.connect import Reader

if TYPE_CHECKING:
    from cyclogram.engine.auditchain import AuditRecord, Checkpoint, VerifyResult
    from cyclogram.store.audit import HistoryFilter


class TrackingError(Refusal):
    """A refused command about a roadmap, a stage or a person, explained in Russian."""


@dataclass(frozen=True)
class ActiveRoadmap:
    """The current version of a loaded roadmap, compiled."""

    row: reads.RoadmapInfo
    version: reads.VersionInfo
    compiled: Compiled

    @property
    def id(self) -> str:
        return self.row.id

    @property
    def roadmap(self) -> Roadmap:
        return self.compiled.roadmap

    @property
    def plan(self) -> Plan:
        """The plan without completions (compute a status for the plan with them)."""
        return self.compiled.plan

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.roadmap.timezone)

    def today(self) -> dt.date:
        return dt.datetime.now(self.zone).date()


@dataclass(frozen=True)
class Snapshot:
    """One consistent read of a roadmap: its compiled version, completions and status at a moment."""

    active: ActiveRoadmap
    completions: list[Completion]
    status: RoadmapStatus


class Tracker:
    def __init__(self, store: Store, evidence_root: Path | None = None, compiled: CompiledRoadmaps | None = None) -> None:
        self.store = store
        self.evidence_root = evidence_root or settings.evidence_dir()
        if compiled is None:
            from cyclogram.workdays import country_days

            compiled = CompiledRoadmaps(None, country_days)
        self.compiled = compiled

    # --- roadmaps and versions ---------------------------------------------------------------

    def active(self, roadmap_ref: str) -> ActiveRoadmap:
        with self.store.reading() as reader:
            return self.active_in(reader, roadmap_ref)

    def roadmap_ids(self) -> list[str]:
        with self.store.reading() as reader:
            return [row.id for row in reads.roadmaps(reader)]

    def roadmaps(self) -> list[reads.RoadmapInfo]:
        with self.store.reading() as reader:
            return reads.roadmaps(reader)

    def active_in(self, reader: Reader, roadmap_ref: str) -> ActiveRoadmap:
        """The active version as seen by `reader` (a write transaction passes its own)."""
        roadmap_id = resolve_roadmap_id(roadmap_ref)
        row = reads.roadmap(reader, roadmap_id)
        if row is None:
            known = [r.id for r in reads.roadmaps(reader)]
            near = difflib.get_close_matches(roadmap_id, known, n=1, cutoff=0.6)
            hint = (
                f" Возможно, имелась в виду «{near[0]}»."
                if near
                else (f" Загружены: {', '.join(sorted(known))}." if known else " Загрузите её: cyclogram load ФАЙЛ.")
            )
            raise TrackingError(f"дорожная карта «{roadmap_id}» не загружена.{hint}")
        version = reads.version(reader, row.id, row.current_version)
        if version is None:
            raise TrackingError(f"в базе нет текущей версии {row.current_version} дорожной карты «{row.id}»")
        compiled = self.compiled.get(
            row.id, version.version, version.content_hash, lambda: reads.version_text(reader, row.id, version.version)
        )
        return ActiveRoadmap(row, version, compiled)

    def compiled_version(self, roadmap_id: str, number: int) -> Compiled:
        """An earlier version, compiled (for what changed between versions)."""
        with self.store.reading() as reader:
            version = reads.version(reader, roadmap_id, number)
            if version is None:
                raise TrackingError(f"у дорожной карты «{roadmap_id}» нет версии {number}")
            return self.compiled.get(
                roadmap_id, number, version.content_hash, lambda: reads.version_text(reader, roadmap_id, number)
            )

    # --- completions and status ----------------------------------------------------------------

    def completions(self, roadmap_ref: str) -> tuple[ActiveRoadmap, list[Completion]]:
        with self.store.reading() as reader:
            active = self.active_in(reader, roadmap_ref)
            return active, completions_from(reads.stage_states(reader, active.id), active.zone)

    def snapshot(self, roadmap_ref: str, moment: dt.date | dt.datetime | None = None) -> Snapshot:
        """The compiled version, its completions and its status at `moment` (default: now), read once."""
        active, completions = self.completions(roadmap_ref)
        when = moment or dt.datetime.now(active.zone)
        return Snapshot(active, completions, status_of(active, completions, when))

    def status(self, roadmap_ref: str, moment: dt.date | dt.datetime | None = None) -> RoadmapStatus:
        return self.snapshot(roadmap_ref, moment).status

    def audit_head(self) -> tuple[int, str]:
        with self.store.reading() as reader:
            return reads.audit_head(reader)

    # --- audit (reads through the ORM: not on any hot path) -------------------------------------

    def history(self, filters: HistoryFilter) -> list[AuditRecord]:
        from cyclogram.store import audit

        if filters.roadmap_id:
            filters = audit.HistoryFilter(resolve_roadmap_id(filters.roadmap_id), filters.stage_id, filters.person, filters.since)
        with self.store.read() as session:
            return list(audit.read_events(session, filters))

    def verify(self, key: bytes | None = None) -> VerifyResult:
        """The chain (and, with the audit key, every event's signature)."""
        from cyclogram.store import audit

        with self.store.read() as session:
            return audit.verify(session, key)

    def verify_checkpoint(self, checkpoint: Checkpoint) -> str | None:
        from cyclogram.engine.auditchain import verify_checkpoint
        from cyclogram.store import audit

        with self.store.read() as session:
            return verify_checkpoint(audit.iter_all(session), checkpoint)

    def verify_state(self) -> list[str]:
        """Every row status depends on, replayed against the log (`engine.auditstate`)."""
        import hashlib

        from sqlmodel import select

        from cyclogram.engine import auditstate
        from cyclogram.store import audit
        from cyclogram.store.tables import EvidenceRow, FeedRow, RoadmapRow, RoadmapVersionRow, StageStateRow

        with self.store.read() as session:
            records = list(audit.iter_all(session))
            current = {row.id: row.current_version for row in session.exec(select(RoadmapRow))}
            stages = [
                auditstate.StageRow(
                    r.roadmap_id,
                    r.stage_id,
                    r.occurrence,
                    r.state,
                    r.at,
                    r.by,
                    r.note,
                    r.evidence,
                    r.forced,
                    r.reason,
                    r.audit_seq,
                )
                for r in session.exec(select(StageStateRow))
            ]
            versions = [
                auditstate.VersionRow(
                    r.roadmap_id,
                    r.version,
                    r.content_hash,
                    hashlib.sha256(r.yaml_text.encode("utf-8")).hexdigest(),
                    current.get(r.roadmap_id) == r.version,
                )
                for r in session.exec(select(RoadmapVersionRow))
            ]
            evidence = [auditstate.EvidenceRow(r.sha256, r.original_name, r.size) for r in session.exec(select(EvidenceRow))]
            feeds = [auditstate.FeedRow(r.token, r.roadmap_id, r.revoked_at is not None) for r in session.exec(select(FeedRow))]
        return (
            auditstate.stage_problems(records, stages)
            + auditstate.version_problems(records, versions)
            + auditstate.evidence_problems(records, evidence)
            + auditstate.feed_problems(records, feeds)
        )

    def verify_evidence(self) -> tuple[int, list[str]]:
        """Re-hash every stored evidence file: (files checked, problems in Russian)."""
        from sqlmodel import select

        from cyclogram.store.evidence import check_file as intact
        from cyclogram.store.evidence import evidence_path
        from cyclogram.store.tables import EvidenceRow

        with self.store.read() as session:
            rows = list(session.exec(select(EvidenceRow).order_by(EvidenceRow.stored_at)))
        problems = []
        for row in rows:
            if not evidence_path(self.evidence_root, row.sha256).is_file():
                problems.append(f"файл подтверждения «{row.original_name}» (sha256:{row.sha256[:12]}…) отсутствует")
            elif not intact(self.evidence_root, row.sha256):
                problems.append(f"файл подтверждения «{row.original_name}» (sha256:{row.sha256[:12]}…) изменён после сохранения")
        return len(rows), problems


# --- helpers shared with recording ------------------------------------------------------------


def status_of(
    active: ActiveRoadmap, completions: list[Completion], moment: dt.date | dt.datetime, only: Collection[str] | None = None
) -> RoadmapStatus:
    """The status (of every stage, or of `only` these), planned once from the compiled base plan."""
    plan = active.plan
    return compute_status(active.roadmap, completions, moment, plan.calendar, base=plan, only=only)


def completions_from(states: list[reads.StateInfo], zone: ZoneInfo) -> list[Completion]:
    completions = []
    for state in states:
        if state.state == "open":
            continue
        at = dt.datetime.fromisoformat(state.at) if state.at else dt.datetime.now(zone)
        completions.append(
            Completion(
                state.stage_id,
                CompletionState(state.state),
                at.astimezone(zone),
                state.by or "",
                state.occurrence or "",
                state.note,
                state.evidence,
                bool(state.forced),
                state.reason,
            )
        )
    return completions


def resolve_roadmap_id(roadmap_ref: str) -> str:
    """A roadmap is named by its id, or by the path of its YAML file."""
    candidate = Path(roadmap_ref)
    if candidate.suffix.lower() in (".yaml", ".yml") and candidate.is_file():
        match = re.search(r"^id:\s*['\"]?([A-Za-z0-9_-]+)", candidate.read_text(encoding="utf-8-sig"), re.MULTILINE)
        if match:
            return match.group(1)
    return roadmap_ref


def find_person(roadmap: Roadmap, key: str) -> str:
    """A person's key from their key or full name; refusal with a suggestion otherwise."""
    if key in roadmap.people:
        return key
    by_name = [k for k, p in roadmap.people.items() if p.name.replace(" ", "") == key.replace(" ", "")]
    if by_name:
        return by_name[0]
    near = difflib.get_close_matches(key, list(roadmap.people), n=1, cutoff=0.6)
    hint = f"; возможно, имелся в виду «{near[0]}» ({roadmap.people[near[0]].name})" if near else ""
    raise TrackingError(f"в дорожной карте нет человека «{key}»{hint}")


def find_stage(plan: Plan, stage_ref: str) -> PlannedStage:
    found = plan.by_number_or_id(stage_ref)
    if found is not None:
        return found
    candidates = list(plan.stages) + [normalize_number(p.stage.number) for p in plan.stages.values() if p.stage.number]
    near = difflib.get_close_matches(stage_ref, candidates, n=3, cutoff=0.5)
    hint = ""
    if near:
        shown = []
        for key in near:
            stage = plan.by_number_or_id(key)
            if stage is not None:
                shown.append(f"{key} — «{russian.shorten(stage.stage.title, 60)}»")
        hint = "; возможно, имелось в виду: " + "; ".join(dict.fromkeys(shown))
    raise TrackingError(f"в дорожной карте нет этапа «{stage_ref}»{hint}")


def parse_moment(text: str, zone: ZoneInfo) -> dt.datetime:
    """--at: 2024-10-18, 18.10.2024, 2024-10-18T15:30, 18.10.2024 15:30 (the roadmap's local time)."""
    value = text.strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            parsed = dt.datetime.strptime(value, pattern)
        except ValueError:
            continue
        if pattern in ("%Y-%m-%d", "%d.%m.%Y"):
            parsed = parsed.replace(hour=12)  # a day without a time: midday, safely inside that day
        return parsed.replace(tzinfo=zone)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise TrackingError(f"непонятная дата «{text}»: пишите 2024-10-18, 18.10.2024 или 18.10.2024 15:30") from None
    return parsed.astimezone(zone) if parsed.tzinfo else parsed.replace(tzinfo=zone)


def parse_day(text: str | None, zone: ZoneInfo) -> dt.date:
    """--as-of: a day in the roadmap's zone; today when not given."""
    return parse_moment(text, zone).date() if text else dt.datetime.now(zone).date()
