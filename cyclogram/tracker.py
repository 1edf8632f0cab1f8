"""Tracking a live roadmap: loading versions, recording completions, reading status and history.

Each public method is one command and one database transaction. The rules (what is blocked, what
is late, what changed between versions) are pure functions in engine/; this module fetches their
inputs, applies their verdicts and writes the audit trail.
"""

from __future__ import annotations

import datetime as dt
import difflib
import getpass
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from cyclogram.render import short_text
from cyclogram.store import audit
from cyclogram.store.db import Store
from cyclogram.store.evidence import EvidenceError, StoredEvidence, store_file
from cyclogram.store.tables import EvidenceRow, RoadmapRow, RoadmapVersionRow, StageStateRow
from cyclogram.engine import russian
from cyclogram.engine.auditchain import AuditRecord, VerifyResult
from cyclogram.engine.diagnostics import Diagnostic
from cyclogram.engine.diff import RoadmapDiff, diff_roadmaps
from cyclogram.engine.loader import load_text
from cyclogram.engine.model import Roadmap, normalize_number
from cyclogram.engine.plan import Plan, PlannedStage
from cyclogram.engine.status import RoadmapStatus, compute_status
from cyclogram.engine.tracking import Completion, CompletionState
from cyclogram.engine.validation import check_file, check_loaded
from cyclogram.engine.yamlsource import MAX_FILE_BYTES


class TrackingError(Exception):
    """A refused command, explained in Russian."""


def default_actor() -> str:
    """Who runs the command: CYCLOGRAM_ACTOR, else the operating-system user."""
    explicit = os.environ.get("CYCLOGRAM_ACTOR")
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass
class ActiveRoadmap:
    """The current version of a loaded roadmap, parsed and planned."""

    row: RoadmapRow
    version: RoadmapVersionRow
    roadmap: Roadmap

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.roadmap.timezone)


@dataclass
class LoadOutcome:
    roadmap_id: str
    version: int
    created: bool
    unchanged: bool
    diff: RoadmapDiff | None
    warnings: list[Diagnostic]


@dataclass
class RecordOutcome:
    stage: PlannedStage
    completion: Completion | None
    occurrence: str
    audit_seq: int
    unblocked: list[PlannedStage] = field(default_factory=list)
    evidence: StoredEvidence | None = None
    roadmap_id: str = ""


class Tracker:
    def __init__(self, store: Store, evidence_root: Path) -> None:
        self.store = store
        self.evidence_root = evidence_root
        # Parsed versions by (roadmap id, version, content hash): a version never changes once
        # stored, so a long-running process (a worker, a batch of commands) parses it once.
        self._parsed: dict[tuple[str, int, str], Roadmap] = {}

    # --- roadmaps and versions ---------------------------------------------------------------

    def load(self, path: Path, actor: str) -> LoadOutcome:
        checked = check_file(path, MAX_FILE_BYTES)
        if checked.plan is None or checked.roadmap is None or not checked.report.ok:
            lines = "\n".join(d.format() for d in checked.report.sorted())
            raise TrackingError(f"{path}: дорожная карта не загружена — в ней есть ошибки:\n{lines}")
        text = path.read_text(encoding="utf-8-sig")
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        roadmap = checked.roadmap
        with self.store.write() as session:
            row = session.get(RoadmapRow, roadmap.id)
            now = audit.utc_now()
            if row is not None:
                current = self._version(session, row)
                if current.content_hash == digest:
                    return LoadOutcome(roadmap.id, row.current_version, False, True, None, checked.report.warnings)
                old = self._parse(current)
                completions = self._completions(session, roadmap.id, old.roadmap)
                done_ids = {c.stage_id for c in completions}
                old_plan = self._plan(old.roadmap, completions)
                new_plan = self._plan(roadmap, completions)
                change = diff_roadmaps(old_plan, new_plan, done_ids)
                version = row.current_version + 1
                row.current_version, row.title = version, roadmap.title
            else:
                change = None
                version = 1
                row = RoadmapRow(id=roadmap.id, title=roadmap.title, current_version=1, created_at=now)
            session.add(row)
            session.add(
                RoadmapVersionRow(
                    roadmap_id=roadmap.id, version=version, content_hash=digest, source_path=str(path),
                    yaml_text=text, loaded_by=actor, loaded_at=now,
                )
            )
            payload: dict[str, Any] = {
                "version": version, "content_hash": digest, "path": str(path),
                "stages": len(checked.plan.stages), "title": roadmap.title,
            }
            if change is not None:
                payload["changes"] = change.to_dict()
            session.flush()
            audit.append_event(session, actor, "roadmap.loaded", payload, roadmap.id)
        return LoadOutcome(roadmap.id, version, change is None, False, change, checked.report.warnings)

    def active(self, roadmap_ref: str) -> ActiveRoadmap:
        with self.store.read() as session:
            return self._active(session, roadmap_ref)

    def roadmap_ids(self) -> list[str]:
        with self.store.read() as session:
            return [row.id for row in session.exec(select(RoadmapRow).order_by(RoadmapRow.id))]  # type: ignore[arg-type]

    def _active(self, session: Session, roadmap_ref: str) -> ActiveRoadmap:
        roadmap_id = self.resolve_roadmap_id(roadmap_ref)
        row = session.get(RoadmapRow, roadmap_id)
        if row is None:
            known = [r.id for r in session.exec(select(RoadmapRow))]
            near = difflib.get_close_matches(roadmap_id, known, n=1, cutoff=0.6)
            hint = f" Возможно, имелась в виду «{near[0]}»." if near else (
                f" Загружены: {', '.join(sorted(known))}." if known else " Загрузите её: cyclogram load ФАЙЛ."
            )
            raise TrackingError(f"дорожная карта «{roadmap_id}» не загружена.{hint}")
        version = self._version(session, row)
        key = (row.id, version.version, version.content_hash)
        if key not in self._parsed:
            self._parsed[key] = self._parse(version, row).roadmap
        return ActiveRoadmap(row, version, self._parsed[key])

    @staticmethod
    def resolve_roadmap_id(roadmap_ref: str) -> str:
        """A roadmap is named by its id, or by the path of its YAML file."""
        candidate = Path(roadmap_ref)
        if candidate.suffix.lower() in (".yaml", ".yml") and candidate.is_file():
            match = re.search(r"^id:\s*['\"]?([A-Za-z0-9_-]+)", candidate.read_text(encoding="utf-8-sig"), re.MULTILINE)
            if match:
                return match.group(1)
        return roadmap_ref

    @staticmethod
    def _version(session: Session, row: RoadmapRow) -> RoadmapVersionRow:
        version = session.exec(
            select(RoadmapVersionRow).where(
                RoadmapVersionRow.roadmap_id == row.id, RoadmapVersionRow.version == row.current_version
            )
        ).one()
        return version

    @staticmethod
    def _parse(version: RoadmapVersionRow, row: RoadmapRow | None = None) -> ActiveRoadmap:
        checked = check_loaded(load_text(version.yaml_text, f"{version.roadmap_id} (версия {version.version})"))
        if checked.roadmap is None:  # it validated when loaded; a newer engine may be stricter
            lines = "; ".join(d.message for d in checked.report.errors[:3])
            raise TrackingError(f"сохранённая версия {version.version} дорожной карты «{version.roadmap_id}» больше не проходит проверку: {lines}")
        return ActiveRoadmap(row or RoadmapRow(id=version.roadmap_id, title="", current_version=version.version, created_at=""), version, checked.roadmap)

    @staticmethod
    def _plan(roadmap: Roadmap, completions: list[Completion]) -> Plan:
        from cyclogram.engine.plan import compute_plan
        from cyclogram.engine.tracking import actual_done_dates

        return compute_plan(roadmap, completions=actual_done_dates(completions))

    # --- completions ---------------------------------------------------------------------------

    @staticmethod
    def _completions(session: Session, roadmap_id: str, roadmap: Roadmap) -> list[Completion]:
        zone = ZoneInfo(roadmap.timezone)
        rows = session.exec(
            select(StageStateRow).where(StageStateRow.roadmap_id == roadmap_id, StageStateRow.state != "open")
        )
        completions = []
        for row in rows:
            at = dt.datetime.fromisoformat(row.at) if row.at else dt.datetime.now(zone)
            completions.append(
                Completion(
                    stage_id=row.stage_id, state=CompletionState(row.state), at=at.astimezone(zone), by=row.by or "",
                    occurrence=row.occurrence, note=row.note, evidence=row.evidence, forced=row.forced, reason=row.reason,
                )
            )
        return completions

    def completions(self, roadmap_ref: str) -> tuple[ActiveRoadmap, list[Completion]]:
        with self.store.read() as session:
            active = self._active(session, roadmap_ref)
            return active, self._completions(session, active.row.id, active.roadmap)

    def status(self, roadmap_ref: str, moment: dt.date | dt.datetime | None = None) -> RoadmapStatus:
        active, completions = self.completions(roadmap_ref)
        when = moment or dt.datetime.now(active.zone)
        return compute_status(active.roadmap, completions, when)

    def done(
        self, roadmap_ref: str, stage_ref: str, *, by: str, actor: str, note: str | None = None,
        evidence: str | None = None, at: str | None = None, force: bool = False, reason: str | None = None,
        occurrence: str | None = None,
    ) -> RecordOutcome:
        return self._record(
            "done", roadmap_ref, stage_ref, by=by, actor=actor, note=note, evidence=evidence, at=at,
            force=force, reason=reason, occurrence=occurrence,
        )

    def skip(self, roadmap_ref: str, stage_ref: str, *, by: str, actor: str, reason: str, occurrence: str | None = None, at: str | None = None) -> RecordOutcome:
        return self._record("skip", roadmap_ref, stage_ref, by=by, actor=actor, reason=reason, occurrence=occurrence, at=at)

    def reopen(self, roadmap_ref: str, stage_ref: str, *, by: str, actor: str, reason: str, occurrence: str | None = None) -> RecordOutcome:
        return self._record("reopen", roadmap_ref, stage_ref, by=by, actor=actor, reason=reason, occurrence=occurrence)

    def _record(
        self, kind: str, roadmap_ref: str, stage_ref: str, *, by: str, actor: str, note: str | None = None,
        evidence: str | None = None, at: str | None = None, force: bool = False, reason: str | None = None,
        occurrence: str | None = None,
    ) -> RecordOutcome:
        if kind in ("skip", "reopen") and not (reason and reason.strip()):
            raise TrackingError("укажите причину: --reason «…»")
        if force and not (reason and reason.strip()):
            raise TrackingError("--force требует объяснения: добавьте --reason «почему этап выполнен, хотя заблокирован»")
        with self.store.write() as session:
            active = self._active(session, roadmap_ref)
            roadmap = active.roadmap
            person = self._person(roadmap, by)
            completions = self._completions(session, active.row.id, roadmap)
            moment = parse_moment(at, active.zone) if at else dt.datetime.now(active.zone).replace(microsecond=0)
            status = compute_status(roadmap, completions, moment)
            planned = self._stage(status.plan, stage_ref)
            stage_status = status.stages[planned.id]
            label = self._occurrence(planned, occurrence, stage_status.occurrence)
            state = session.get(StageStateRow, (active.row.id, planned.id, label))
            number = planned.stage.display_number
            shown = f"этап {number}" + (f" ({label})" if label else "")
            if kind == "reopen":
                if state is None or state.state == "open":
                    raise TrackingError(f"{shown} не отмечен выполненным или пропущенным — открывать нечего")
            elif state is not None and state.state != "open":
                when = _short_moment(state.at)
                word = "выполненным" if state.state == "done" else "пропущенным"
                raise TrackingError(f"{shown} уже отмечен {word} {when} ({self._name(roadmap, state.by)}); чтобы изменить, сначала: cyclogram reopen")
            blocked_by = [b for b in stage_status.blocked_by] if kind == "done" else []
            if kind == "done":
                if blocked_by and not force:
                    names = ", ".join(f"{status.plan.stages[b].stage.display_number} «{short_text(status.plan.stages[b].stage.title, 50)}»" for b in blocked_by)
                    raise TrackingError(
                        f"{shown} ещё заблокирован: не выполнены этапы {names}. Если он всё же выполнен, "
                        "добавьте --force --reason «почему»"
                    )
                if planned.stage.evidence_required and not evidence:
                    raise TrackingError(
                        f"для этапа {number} нужно подтверждение ({planned.stage.document or 'документ'}): "
                        "добавьте --evidence ФАЙЛ или ссылку"
                    )
                if moment > dt.datetime.now(active.zone) + dt.timedelta(minutes=5):
                    raise TrackingError(f"дата выполнения {_short_moment(moment.isoformat())} ещё не наступила")
            stored = self._evidence(session, evidence, actor, active.row.id, planned.id) if evidence else None
            evidence_ref = stored.ref if stored else evidence
            payload: dict[str, Any] = {"by": person, "occurrence": label, "version": active.version.version}
            if kind == "reopen":
                payload.update(reason=reason, previous_state=state.state if state else None, previous_at=state.at if state else None)
                action = "stage.reopened"
            else:
                payload.update(at=moment.isoformat(), note=note, evidence=evidence_ref, reason=reason)
                action = {"done": "stage.done", "skip": "stage.skipped"}[kind]
                if kind == "done" and blocked_by:
                    action = "stage.forced"
                    payload["blocked_by"] = blocked_by
            record = audit.append_event(session, actor, action, payload, active.row.id, planned.id)
            new_state = StageStateRow(
                roadmap_id=active.row.id, stage_id=planned.id, occurrence=label,
                state={"done": "done", "skip": "skipped", "reopen": "open"}[kind],
                at=None if kind == "reopen" else moment.isoformat(), by=person, note=note,
                evidence=evidence_ref, forced=bool(blocked_by), reason=reason, audit_seq=record.seq,
            )
            session.merge(new_state)
            completion = None
            unblocked: list[PlannedStage] = []
            if kind != "reopen":
                completion = Completion(planned.id, CompletionState("done" if kind == "done" else "skipped"), moment, person, label, note, evidence_ref, bool(blocked_by), reason)
                finishes_stage = stage_status.occurrences_done + 1 >= max(1, stage_status.occurrences_total)
                if finishes_stage:
                    # the stages that waited for this one and nothing else can start now
                    unblocked = [
                        status.plan.stages[key] for key, other in status.stages.items()
                        if other.blocked_by == (planned.id,)
                    ]
            return RecordOutcome(planned, completion, label, record.seq, unblocked, stored, active.row.id)

    def _evidence(self, session: Session, evidence: str, actor: str, roadmap_id: str, stage_id: str) -> StoredEvidence | None:
        if re.match(r"^https?://", evidence):
            return None
        path = Path(evidence).expanduser()
        try:
            stored = store_file(self.evidence_root, path)
        except EvidenceError as error:
            raise TrackingError(str(error)) from None
        except OSError as error:
            raise TrackingError(f"не удаётся сохранить подтверждение {path}: {error.strerror}") from None
        if session.get(EvidenceRow, stored.sha256) is None:
            session.add(EvidenceRow(sha256=stored.sha256, original_name=stored.original_name, size=stored.size, stored_at=audit.utc_now(), stored_by=actor))
            session.flush()
            audit.append_event(
                session, actor, "evidence.stored",
                {"sha256": stored.sha256, "name": stored.original_name, "size": stored.size}, roadmap_id, stage_id,
            )
        return stored

    @staticmethod
    def _person(roadmap: Roadmap, key: str) -> str:
        if key in roadmap.people:
            return key
        by_name = [k for k, p in roadmap.people.items() if p.name.replace(" ", "") == key.replace(" ", "")]
        if by_name:
            return by_name[0]
        near = difflib.get_close_matches(key, list(roadmap.people), n=1, cutoff=0.6)
        hint = f"; возможно, имелся в виду «{near[0]}» ({roadmap.people[near[0]].name})" if near else ""
        raise TrackingError(f"в дорожной карте нет человека «{key}»{hint}")

    @staticmethod
    def _name(roadmap: Roadmap, key: str | None) -> str:
        person = roadmap.people.get(key or "")
        return person.name if person else (key or "?")

    @staticmethod
    def _stage(plan: Plan, stage_ref: str) -> PlannedStage:
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
                    shown.append(f"{key} — «{short_text(stage.stage.title, 60)}»")
            hint = "; возможно, имелось в виду: " + "; ".join(dict.fromkeys(shown))
        raise TrackingError(f"в дорожной карте нет этапа «{stage_ref}»{hint}")

    @staticmethod
    def _occurrence(planned: PlannedStage, wanted: str | None, current: str) -> str:
        labels = [o.label for o in planned.occurrences if o.label]
        if len(planned.occurrences) <= 1 or not labels:
            if wanted:
                raise TrackingError(f"у этапа {planned.stage.display_number} нет отдельных повторений — уберите --occurrence")
            return ""
        if wanted is None:
            return current or labels[0]
        for label in labels:
            if label.lower() == wanted.strip().lower():
                return label
        raise TrackingError(f"у этапа {planned.stage.display_number} нет повторения «{wanted}»; есть: {', '.join(labels)}")

    # --- audit ------------------------------------------------------------------------------------

    def history(self, filters: audit.HistoryFilter) -> list[AuditRecord]:
        if filters.roadmap_id:
            filters = audit.HistoryFilter(self.resolve_roadmap_id(filters.roadmap_id), filters.stage_id, filters.person, filters.since)
        with self.store.read() as session:
            return audit.read_events(session, filters)

    def verify(self) -> VerifyResult:
        with self.store.read() as session:
            return audit.verify(session)

    def verify_evidence(self) -> tuple[int, list[str]]:
        """Re-hash every stored evidence file: (files checked, problems in Russian)."""
        from cyclogram.store.evidence import check_file as intact
        from cyclogram.store.evidence import evidence_path

        with self.store.read() as session:
            rows = list(session.exec(select(EvidenceRow).order_by(EvidenceRow.stored_at)))  # type: ignore[arg-type]
        problems = []
        for row in rows:
            if not evidence_path(self.evidence_root, row.sha256).is_file():
                problems.append(f"файл подтверждения «{row.original_name}» (sha256:{row.sha256[:12]}…) отсутствует")
            elif not intact(self.evidence_root, row.sha256):
                problems.append(f"файл подтверждения «{row.original_name}» (sha256:{row.sha256[:12]}…) изменён после сохранения")
        return len(rows), problems


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


def _short_moment(iso: str | None) -> str:
    if not iso:
        return ""
    moment = dt.datetime.fromisoformat(iso)
    return russian.format_date(moment.date()) + (f" {moment:%H:%M}" if (moment.hour, moment.minute) != (12, 0) else "")
