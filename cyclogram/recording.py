"""Changing a live roadmap's state: loading versions, recording completions, skips and reopenings.

The write side of the service layer (the read side is `cyclogram.tracker`). Each public function
is one command and one database transaction: a batch of completions is recorded whole or not at
all. The rules (what is blocked, what is late, what changed between versions) are pure functions
in engine/; this module fetches their inputs, applies their verdicts and writes the audit trail —
one event per change, the same for a single `done`, a batch, the web and the Prefect form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from cyclogram.compiled import compile_checked
from cyclogram.engine import russian
from cyclogram.engine.credentials import describe, strip_credentials
from cyclogram.engine.diagnostics import Diagnostic
from cyclogram.engine.diff import RoadmapDiff, diff_roadmaps
from cyclogram.engine.plan import PlannedStage, replan
from cyclogram.engine.status import RoadmapStatus
from cyclogram.engine.tracking import Completion, CompletionState, actual_done_dates
from cyclogram.engine.yamlsource import MAX_FILE_BYTES, SourceError, read_text
from cyclogram.store import audit, reads
from cyclogram.store.db import session_reader
from cyclogram.store.evidence import StoredEvidence, store_file
from cyclogram.store.tables import EvidenceRow, RoadmapRow, RoadmapVersionRow, StageStateRow
from cyclogram.tracker import (
    Tracker,
    TrackingError,
    completions_from,
    find_person,
    find_stage,
    parse_moment,
    status_of,
)


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
    unblocked: list[PlannedStage] = field(default_factory=list)  # planned with the new completion
    evidence: StoredEvidence | None = None
    roadmap_id: str = ""
    # Set when the evidence link carried credentials that were removed before storing it (Russian).
    evidence_notice: str | None = None


@dataclass(frozen=True)
class Mark:
    """One completion to record: a stage, and what the command line's options say about it."""

    stage: str  # id or document number
    at: str | None = None  # when (the roadmap's local time); default now
    by: str | None = None  # default: the batch's --by
    note: str | None = None
    evidence: str | None = None  # file path or URL
    occurrence: str | None = None
    line: int | None = None  # where it came from (a CSV line), for messages
    evidence_name: str | None = None  # the file's own name when `evidence` is a temporary copy (web upload)


# --- loading versions ---------------------------------------------------------------------------


def load(tracker: Tracker, path: Path, actor: str) -> LoadOutcome:
    """Register a roadmap file, or a new version of it (reads the file once, compiles it once)."""
    try:
        text = read_text(path, MAX_FILE_BYTES)
    except SourceError as error:
        raise TrackingError(f"{path}: дорожная карта не загружена — {error.message}") from None
    checked = compile_checked(text, str(path), tracker.compiled.country())
    if checked.plan is None or checked.roadmap is None or not checked.report.ok:
        lines = "\n".join(d.format() for d in checked.report.sorted())
        raise TrackingError(f"{path}: дорожная карта не загружена — в ней есть ошибки:\n{lines}")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    roadmap = checked.roadmap
    with tracker.store.write() as session:
        row = session.get(RoadmapRow, roadmap.id)
        now = audit.utc_now()
        change = None
        if row is not None:
            reader = session_reader(tracker.store, session)
            current = tracker.active_in(reader, roadmap.id)
            if current.version.content_hash == digest:
                tracker.compiled.keep(roadmap.id, digest, checked)
                return LoadOutcome(roadmap.id, row.current_version, False, True, None, checked.report.warnings)
            completions = completions_from(reads.stage_states(reader, roadmap.id), current.zone)
            done_dates = actual_done_dates(completions)
            change = diff_roadmaps(
                replan(current.plan, done_dates), replan(checked.plan, done_dates), {c.stage_id for c in completions}
            )
            version = row.current_version + 1
            row.current_version, row.title = version, roadmap.title
        else:
            version = 1
            row = RoadmapRow(id=roadmap.id, title=roadmap.title, current_version=1, created_at=now)
        session.add(row)
        session.add(
            RoadmapVersionRow(
                roadmap_id=roadmap.id,
                version=version,
                content_hash=digest,
                source_path=str(path),
                yaml_text=text,
                loaded_by=actor,
                loaded_at=now,
            )
        )
        payload: dict[str, Any] = {
            "version": version,
            "content_hash": digest,
            "path": str(path),
            "stages": len(checked.plan.stages),
            "title": roadmap.title,
        }
        if change is not None:
            payload["changes"] = change.to_dict()
        session.flush()
        audit.append_event(session, actor, "roadmap.loaded", payload, roadmap.id)
    tracker.compiled.keep(roadmap.id, digest, checked)
    return LoadOutcome(roadmap.id, version, change is None, False, change, checked.report.warnings)


# --- completions ----------------------------------------------------------------------------------


class _Batch:
    """The state one transaction works on: the roadmap, its completions (updated as marks are
    recorded, so a later mark sees an earlier one of the same batch), and the stage rows."""

    def __init__(self, tracker: Tracker, session: Session, roadmap_ref: str) -> None:
        self.tracker = tracker
        self.session = session
        reader = session_reader(tracker.store, session)
        self.active = tracker.active_in(reader, roadmap_ref)
        states = completions_from(reads.stage_states(reader, self.active.id), self.active.zone)
        self.completions = {(c.stage_id, c.occurrence): c for c in states}

    def status(self, moment: dt.datetime, only: Collection[str]) -> RoadmapStatus:
        return status_of(self.active, list(self.completions.values()), moment, only)

    def apply(self, completion: Completion | None, stage_id: str, occurrence: str) -> None:
        if completion is None:
            self.completions.pop((stage_id, occurrence), None)
        else:
            self.completions[(stage_id, occurrence)] = completion


def done(
    tracker: Tracker,
    roadmap_ref: str,
    stage_ref: str,
    *,
    by: str,
    actor: str,
    note: str | None = None,
    evidence: str | None = None,
    at: str | None = None,
    force: bool = False,
    reason: str | None = None,
    occurrence: str | None = None,
    channel: str = "cli",
    evidence_name: str | None = None,
) -> RecordOutcome:
    """Record one completion (see `done_many`). `evidence_name`: the original name of an evidence
    file handed in as a temporary copy (the web app's uploads)."""
    mark = Mark(stage_ref, at, by, note, evidence, occurrence, evidence_name=evidence_name)
    return done_many(tracker, roadmap_ref, [mark], by=by, actor=actor, force=force, reason=reason, channel=channel)[0]


def done_many(
    tracker: Tracker,
    roadmap_ref: str,
    marks: Sequence[Mark],
    *,
    by: str | None,
    actor: str,
    force: bool = False,
    reason: str | None = None,
    channel: str = "cli",
) -> list[RecordOutcome]:
    """Record several completions in one transaction, each checked as a single `done` would be.

    Marks are recorded in date order and, on the same moment, in dependency order (so `done 3 5`
    works when 5 waits for 3); any refusal refuses the whole batch, naming the mark.
    """
    if not marks:
        raise TrackingError("не указано ни одного этапа")
    _need_reason(force, reason)
    with tracker.store.write() as session:
        batch = _Batch(tracker, session, roadmap_ref)
        active = batch.active
        order = {key: index for index, key in enumerate(active.plan.dependency_order)}
        now = dt.datetime.now(active.zone).replace(microsecond=0)
        timed = []
        for mark in marks:
            try:
                moment = parse_moment(mark.at, active.zone) if mark.at else now
                planned = find_stage(active.plan, mark.stage)
            except TrackingError as error:
                raise TrackingError(_where(mark, len(marks)) + str(error)) from None
            timed.append((moment, order.get(planned.id, 0), mark))
        timed.sort(key=lambda item: (item[0], item[1]))
        outcomes = []
        for moment, _, mark in timed:
            person = mark.by or by
            if not person:
                raise TrackingError(_where(mark, len(marks)) + "не указано, кто выполнил: --by КЛЮЧ")
            try:
                outcomes.append(
                    _record(
                        batch,
                        "done",
                        mark.stage,
                        moment,
                        by=person,
                        actor=actor,
                        note=mark.note,
                        evidence=mark.evidence,
                        force=force,
                        reason=reason,
                        occurrence=mark.occurrence,
                        channel=channel,
                        evidence_name=mark.evidence_name,
                    )
                )
            except TrackingError as error:
                raise TrackingError(_where(mark, len(marks)) + str(error)) from None
        return outcomes


def _where(mark: Mark, total: int) -> str:
    if mark.line is not None:
        return f"строка {mark.line}: "
    return f"этап {mark.stage}: " if total > 1 else ""


def skip(
    tracker: Tracker,
    roadmap_ref: str,
    stage_ref: str,
    *,
    by: str,
    actor: str,
    reason: str,
    occurrence: str | None = None,
    at: str | None = None,
    channel: str = "cli",
) -> RecordOutcome:
    if not (reason and reason.strip()):
        raise TrackingError("укажите причину: --reason «…»")
    return _single(
        tracker, "skip", roadmap_ref, stage_ref, at, by=by, actor=actor, reason=reason, occurrence=occurrence, channel=channel
    )


def reopen(
    tracker: Tracker,
    roadmap_ref: str,
    stage_ref: str,
    *,
    by: str,
    actor: str,
    reason: str,
    occurrence: str | None = None,
    channel: str = "cli",
) -> RecordOutcome:
    if not (reason and reason.strip()):
        raise TrackingError("укажите причину: --reason «…»")
    return _single(
        tracker, "reopen", roadmap_ref, stage_ref, None, by=by, actor=actor, reason=reason, occurrence=occurrence, channel=channel
    )


def _single(tracker: Tracker, kind: str, roadmap_ref: str, stage_ref: str, at: str | None, **options: Any) -> RecordOutcome:
    with tracker.store.write() as session:
        batch = _Batch(tracker, session, roadmap_ref)
        zone = batch.active.zone
        moment = parse_moment(at, zone) if at else dt.datetime.now(zone).replace(microsecond=0)
        return _record(batch, kind, stage_ref, moment, **options)


def _need_reason(force: bool, reason: str | None) -> None:
    if force and not (reason and reason.strip()):
        raise TrackingError("--force требует объяснения: добавьте --reason «почему этап выполнен, хотя заблокирован»")


def _record(
    batch: _Batch,
    kind: str,
    stage_ref: str,
    moment: dt.datetime,
    *,
    by: str,
    actor: str,
    note: str | None = None,
    evidence: str | None = None,
    force: bool = False,
    reason: str | None = None,
    occurrence: str | None = None,
    channel: str = "cli",
    evidence_name: str | None = None,
) -> RecordOutcome:
    session, active = batch.session, batch.active
    roadmap = active.roadmap
    person = find_person(roadmap, by)
    planned = find_stage(active.plan, stage_ref)
    waiting = [key for key, other in active.plan.stages.items() if planned.id in other.depends_on]
    status = batch.status(moment, [planned.id, *waiting])
    stage_status = status.stages[planned.id]
    label = _occurrence(planned, occurrence, stage_status.occurrence)
    state = session.get(StageStateRow, (active.id, planned.id, label))
    number = planned.stage.display_number
    shown = f"этап {number}" + (f" ({label})" if label else "")
    if kind == "reopen":
        if state is None or state.state == "open":
            raise TrackingError(f"{shown} не отмечен выполненным или пропущенным — открывать нечего")
    elif state is not None and state.state != "open":
        word = "выполненным" if state.state == "done" else "пропущенным"
        raise TrackingError(
            f"{shown} уже отмечен {word} {_short_moment(state.at)} ({_name(roadmap, state.by)}); чтобы изменить, сначала: cyclogram reopen"
        )
    blocked_by = list(stage_status.blocked_by) if kind == "done" else []
    if kind == "done":
        if blocked_by and not force:
            names = ", ".join(
                f"{status.plan.stages[b].stage.display_number} «{russian.shorten(status.plan.stages[b].stage.title, 50)}»"
                for b in blocked_by
            )
            raise TrackingError(
                f"{shown} ещё заблокирован: не выполнены этапы {names}. Если он всё же выполнен, добавьте --force --reason «почему»"
            )
        if planned.stage.evidence_required and not evidence:
            raise TrackingError(
                f"для этапа {number} нужно подтверждение ({planned.stage.document or 'документ'}): добавьте --evidence ФАЙЛ или ссылку"
            )
        if moment > dt.datetime.now(active.zone) + dt.timedelta(minutes=5):
            raise TrackingError(f"дата выполнения {_short_moment(moment.isoformat())} ещё не наступила")
    for label_word, text in (("комментарии", note), ("причине", reason)):
        found = describe(text) if text else None
        if found:  # a note is stored in the database and the audit log for good: no passwords there
            raise TrackingError(f"в {label_word} похоже на пароль или токен (значение скрыто): {found}; уберите его")
    evidence, evidence_notice = _without_credentials(evidence)
    stored = _evidence(batch, evidence, actor, planned.id, evidence_name) if evidence else None
    evidence_ref = stored.ref if stored else evidence
    payload: dict[str, Any] = {"by": person, "occurrence": label, "version": active.version.version}
    if channel != "cli":
        payload["channel"] = channel
    if kind == "reopen":
        payload.update(reason=reason, previous_state=state.state if state else None, previous_at=state.at if state else None)
        action = "stage.reopened"
    else:
        payload.update(at=moment.isoformat(), note=note, evidence=evidence_ref, reason=reason)
        action = {"done": "stage.done", "skip": "stage.skipped"}[kind]
        if kind == "done" and blocked_by:
            action = "stage.forced"
            payload["blocked_by"] = blocked_by
    record = audit.append_event(session, actor, action, payload, active.id, planned.id)
    session.merge(
        StageStateRow(
            roadmap_id=active.id,
            stage_id=planned.id,
            occurrence=label,
            state={"done": "done", "skip": "skipped", "reopen": "open"}[kind],
            at=None if kind == "reopen" else moment.isoformat(),
            by=person,
            note=note,
            evidence=evidence_ref,
            forced=bool(blocked_by),
            reason=reason,
            audit_seq=record.seq,
        )
    )
    completion = None
    if kind != "reopen":
        completion = Completion(
            planned.id,
            CompletionState("done" if kind == "done" else "skipped"),
            moment,
            person,
            label,
            note,
            evidence_ref,
            bool(blocked_by),
            reason,
        )
    batch.apply(completion, planned.id, label)
    unblocked: list[PlannedStage] = []
    if completion is not None:
        finishes_stage = stage_status.occurrences_done + 1 >= max(1, stage_status.occurrences_total)
        if finishes_stage:
            # The stages that waited for this one and nothing else can start now; their dates are
            # the recomputed ones (a deadline relative to this completion follows its real date).
            after = batch.status(moment, waiting)
            unblocked = [after.plan.stages[key] for key in waiting if status.stages[key].blocked_by == (planned.id,)]
    return RecordOutcome(
        status.plan.stages[planned.id], completion, label, record.seq, unblocked, stored, active.id, evidence_notice
    )


def _without_credentials(evidence: str | None) -> tuple[str | None, str | None]:
    """The evidence link without login, password or access keys, and a notice when any were removed.

    The link goes into the audit log and the stage's row, both readable by everyone who sees the
    roadmap's history; a password in it (``https://user:pass@host/file``) would be published there.
    """
    if not evidence:
        return evidence, None
    stripped = strip_credentials(evidence)
    if stripped == evidence:
        return evidence, None
    return stripped, f"Из ссылки-подтверждения убраны логин, пароль или ключ доступа; сохранена ссылка {stripped}"


def _evidence(batch: _Batch, evidence: str, actor: str, stage_id: str, name: str | None = None) -> StoredEvidence | None:
    if re.match(r"^https?://", evidence):
        return None
    path = Path(evidence).expanduser()
    try:
        stored = store_file(batch.tracker.evidence_root, path, name)
    except OSError as error:
        raise TrackingError(f"не удаётся сохранить подтверждение {path}: {russian.os_error_text(error)}") from None
    session = batch.session
    if session.get(EvidenceRow, stored.sha256) is None:
        session.add(
            EvidenceRow(
                sha256=stored.sha256,
                original_name=stored.original_name,
                size=stored.size,
                stored_at=audit.utc_now(),
                stored_by=actor,
            )
        )
        session.flush()
        audit.append_event(
            session,
            actor,
            "evidence.stored",
            {"sha256": stored.sha256, "name": stored.original_name, "size": stored.size},
            batch.active.id,
            stage_id,
        )
    return stored


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


def _name(roadmap: Any, key: str | None) -> str:
    person = roadmap.people.get(key or "")
    return person.name if person else (key or "?")


def _short_moment(iso: str | None) -> str:
    if not iso:
        return ""
    moment = dt.datetime.fromisoformat(iso)
    return russian.format_date(moment.date()) + (f" {moment:%H:%M}" if (moment.hour, moment.minute) != (12, 0) else "")
