"""Changing a live roadmap's state: loading versions, recording completions, skips and reopenings.

The write side of the service layer (the read side is `cyclogram.tracker`). Each public function
is one command and one database transaction: a batch of completions is recorded whole or not at
all. The rules (what is blocked, what is late, what changed between versions) are pure functions
in engine/; this module fetches their inputs, applies their verdicts and writes the audit trail —
one event per change, the same for a single `done`, a batch, the web and the Prefect form.

Triggered stages ("в течение 2 рабочих дней со дня получения запроса"): `trigger` records one outside
event (`stage.triggered`, a row in stage_trigger) — an occurrence labelled «запрос 14.10.2024 10:00»,
due `within` after it. A completion names the occurrence it closes (by default the earliest open
one); a completion of a triggered stage with no open occurrence records its trigger at the same
moment first ("по мере необходимости": the need and the work are one event), so such a stage can be
completed any number of times, each with its own evidence.

Optional stages: `activate` puts one to use (`stage.activated`, a row in stage_activation), with a
reason; `done … --activate STAGE` does it as the completion of a stage it depends on says so
(`via` names that stage). An optional stage is activated once.

A moment typed without a time is recorded as noon with `day_only: true` in the event, so history
shows the date only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from cyclogram.compiled import compile_checked
from cyclogram.engine import russian
from cyclogram.engine.credentials import describe, strip_credentials
from cyclogram.engine.diagnostics import Diagnostic
from cyclogram.engine.diff import RoadmapDiff, diff_roadmaps
from cyclogram.engine.model import Roadmap
from cyclogram.engine.plan import PlannedStage, academic_period, replan
from cyclogram.engine.status import RoadmapStatus, StageStatus
from cyclogram.engine.tracking import Activation, Completion, CompletionState, Trigger, actual_done_dates, trigger_label
from cyclogram.engine.yamlsource import MAX_FILE_BYTES, SourceError, read_text
from cyclogram.store import audit, reads
from cyclogram.store.db import session_reader
from cyclogram.store.evidence import StoredEvidence, store_file
from cyclogram.store.tables import (
    EvidenceRow,
    RoadmapRow,
    RoadmapVersionRow,
    StageActivationRow,
    StageStateRow,
    StageTriggerRow,
)
from cyclogram.tracker import (
    Tracker,
    TrackingError,
    When,
    completions_from,
    facts_in,
    find_occurrence,
    find_person,
    find_stage,
    parse_when,
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


# Called first inside a recording's transaction, with its session: whatever it writes commits or
# rolls back with the completion, and raising refuses it. The Telegram bot writes the update it is
# processing this way, so an update delivered twice records one completion (`cyclogram.bot.updates`).
Guard = Callable[[Session], None]


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
        facts = facts_in(reader, self.active)
        self.completions = {(c.stage_id, c.occurrence): c for c in facts}
        self.triggers: list[Trigger] = facts.triggers
        self.activations: list[Activation] = facts.activations

    def status(self, moment: dt.datetime, only: Collection[str]) -> RoadmapStatus:
        return status_of(
            self.active,
            list(self.completions.values()),
            moment,
            only,
            triggers=self.triggers,
            activations=self.activations,
        )

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
    guard: Guard | None = None,
    activate: Sequence[str] = (),
) -> RecordOutcome:
    """Record one completion (see `done_many`). `evidence_name`: the original name of an evidence
    file handed in as a temporary copy (the web app's uploads, the Telegram bot's downloads)."""
    mark = Mark(stage_ref, at, by, note, evidence, occurrence, evidence_name=evidence_name)
    outcomes = done_many(
        tracker,
        roadmap_ref,
        [mark],
        by=by,
        actor=actor,
        force=force,
        reason=reason,
        channel=channel,
        guard=guard,
        activate=activate,
    )
    return outcomes[0]


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
    guard: Guard | None = None,
    activate: Sequence[str] = (),
) -> list[RecordOutcome]:
    """Record several completions in one transaction, each checked as a single `done` would be.

    Marks are recorded in date order and, on the same moment, in dependency order (so `done 3 5`
    works when 5 waits for 3); any refusal refuses the whole batch, naming the mark. `guard` runs
    first inside the transaction (see `Guard`). `activate`: optional stages that depend on a marked
    stage, put to use by its completion (module docstring).
    """
    if not marks:
        raise TrackingError("не указано ни одного этапа")
    _need_reason(force, reason)
    with tracker.store.write() as session:
        if guard is not None:
            guard(session)
        batch = _Batch(tracker, session, roadmap_ref)
        active = batch.active
        order = {key: index for index, key in enumerate(active.plan.dependency_order)}
        now = dt.datetime.now(active.zone).replace(microsecond=0)
        timed = []
        for mark in marks:
            try:
                when = parse_when(mark.at, active.zone) if mark.at else When(now, False)
                planned = find_stage(active.plan, mark.stage)
            except TrackingError as error:
                message = str(error)
                raise type(error)(_where(mark, len(marks), message) + message) from None  # the kind stays (SecretInText)
            timed.append((when, order.get(planned.id, 0), mark))
        timed.sort(key=lambda item: (item[0].moment, item[1]))
        outcomes = []
        for when, _, mark in timed:
            moment = when.moment
            person = mark.by or by
            if not person:
                raise TrackingError(_where(mark, len(marks), "") + "не указано, кто выполнил: --by КЛЮЧ")
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
                        day_only=when.day_only,
                    )
                )
            except TrackingError as error:
                message = str(error)
                raise type(error)(_where(mark, len(marks), message) + message) from None  # the kind stays (SecretInText)
        for stage_ref in activate:
            _activate_by(batch, stage_ref, outcomes, actor=actor, channel=channel)
        return outcomes


def _where(mark: Mark, total: int, message: str) -> str:
    """Which mark of a batch was refused: its line, or its stage unless the message begins by naming it."""
    if mark.line is not None:
        return f"строка {mark.line}: "
    if total == 1 or re.match(rf"(?:для )?этапа? {re.escape(mark.stage)}\b", message):
        return ""
    return f"этап {mark.stage}: "


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
    guard: Guard | None = None,
) -> RecordOutcome:
    _require_reason(reason)
    return _single(
        tracker,
        "skip",
        roadmap_ref,
        stage_ref,
        at,
        guard,
        by=by,
        actor=actor,
        reason=reason,
        occurrence=occurrence,
        channel=channel,
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
    _require_reason(reason)
    return _single(
        tracker,
        "reopen",
        roadmap_ref,
        stage_ref,
        None,
        None,
        by=by,
        actor=actor,
        reason=reason,
        occurrence=occurrence,
        channel=channel,
    )


def _single(
    tracker: Tracker, kind: str, roadmap_ref: str, stage_ref: str, at: str | None, guard: Guard | None, **options: Any
) -> RecordOutcome:
    with tracker.store.write() as session:
        if guard is not None:
            guard(session)
        batch = _Batch(tracker, session, roadmap_ref)
        when = _when(at, batch.active.zone)
        return _record(batch, kind, stage_ref, when.moment, day_only=when.day_only, **options)


def _when(at: str | None, zone: Any) -> When:
    """The moment typed (`parse_when`), or now to the second."""
    return parse_when(at, zone) if at else When(dt.datetime.now(zone).replace(microsecond=0), False)


def _require_reason(reason: str | None, what: str = "…") -> None:
    if not (reason and reason.strip()):
        raise TrackingError(f"укажите причину: --reason «{what}»")


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
    day_only: bool = False,
) -> RecordOutcome:
    session, active = batch.session, batch.active
    roadmap = active.roadmap
    person = find_person(roadmap, by)
    planned = find_stage(active.plan, stage_ref)
    waiting = [key for key, other in active.plan.stages.items() if planned.id in other.depends_on]
    status = batch.status(moment, [planned.id, *waiting])
    if kind == "done" and not occurrence and _needs_trigger(status.plan.stages[planned.id], status.stages[planned.id]):
        # "по мере необходимости": no open occurrence — the need and the work are one event
        _add_trigger(batch, planned, moment, person, actor, "записан вместе с отметкой", channel, day_only, unique=True)
        status = batch.status(moment, [planned.id, *waiting])
    stage_status = status.stages[planned.id]
    label = find_occurrence(status.plan.stages[planned.id], occurrence, stage_status.occurrence)
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
        _not_in_future(moment, active.zone, "дата выполнения")  # first: a typo in the date explains the rest
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
    _no_credentials("комментарии", note)
    _no_credentials("причине", reason)
    evidence, evidence_notice = _without_credentials(evidence)
    stored = _evidence(batch, evidence, actor, planned.id, evidence_name) if evidence else None
    evidence_ref = stored.ref if stored else evidence
    payload: dict[str, Any] = {"by": person, "occurrence": label, "version": active.version.version}
    if channel != "cli":
        payload["channel"] = channel
    if day_only and kind != "reopen":
        payload["day_only"] = True
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


def _not_in_future(moment: dt.datetime, zone: Any, what: str) -> None:
    if moment > dt.datetime.now(zone) + dt.timedelta(minutes=5):
        raise TrackingError(f"{what} {_short_moment(moment.isoformat())} ещё не наступила")


def _needs_trigger(planned: PlannedStage, row: StageStatus) -> bool:
    """A triggered stage without an open occurrence (none recorded, or all of them closed)."""
    if planned.kind != "triggered" or planned.stage.trigger is None:
        return False
    return not planned.occurrences or row.occurrences_done >= row.occurrences_total


# --- triggers and activations ------------------------------------------------------------------------


@dataclass
class TriggerOutcome:
    stage: PlannedStage  # planned with the new trigger: its occurrence is there
    label: str
    audit_seq: int
    roadmap_id: str

    @property
    def occurrence(self) -> Any:
        return next((o for o in self.stage.occurrences if o.label == self.label), None)


@dataclass
class ActivationOutcome:
    stage: PlannedStage
    audit_seq: int
    roadmap_id: str
    via: str | None = None


def trigger(
    tracker: Tracker,
    roadmap_ref: str,
    stage_ref: str,
    *,
    actor: str,
    at: str | None = None,
    by: str | None = None,
    note: str | None = None,
    channel: str = "cli",
) -> TriggerOutcome:
    """Record one outside event of a triggered stage: a new occurrence of it (module docstring)."""
    with tracker.store.write() as session:
        batch = _Batch(tracker, session, roadmap_ref)
        zone = batch.active.zone
        when = _when(at, zone)  # to the minute in `_add_trigger`
        planned = find_stage(batch.active.plan, stage_ref)
        if planned.stage.trigger is None:
            raise TrackingError(
                f"этап {planned.stage.display_number} наступает не по внешнему поводу: у него свой срок ({planned.explain or 'см. план'})"
            )
        _not_in_future(when.moment, zone, "дата повода")
        person = find_person(batch.active.roadmap, by) if by else ""
        _no_credentials("комментарии", note)
        label, seq = _add_trigger(batch, planned, when.moment, person, actor, note, channel, when.day_only)
        after = batch.status(when.moment, [planned.id])
        return TriggerOutcome(after.plan.stages[planned.id], label, seq, batch.active.id)


# A request recorded a year or more outside the plan is a typo of the year ("14.10.2014"), not a
# request: its occurrence would be overdue for good and never reminded of.
PLAN_REACH = dt.timedelta(days=366)


def _near_the_plan(day: dt.date, roadmap: Roadmap, what: str) -> None:
    start, end = academic_period(roadmap)
    if not start - PLAN_REACH <= day <= end + PLAN_REACH:
        raise TrackingError(
            f"{what} {day:%d.%m.%Y} больше чем на год вне плана ({start:%d.%m.%Y} – {end:%d.%m.%Y}): проверьте год"
        )


def _add_trigger(
    batch: _Batch,
    planned: PlannedStage,
    moment: dt.datetime,
    person: str,
    actor: str,
    note: str | None,
    channel: str,
    day_only: bool,
    unique: bool = False,
) -> tuple[str, int]:
    """`unique`: number a label already taken (a second completion the same day) rather than refuse."""
    _near_the_plan(moment.date(), batch.active.roadmap, "дата повода")
    moment = moment.replace(second=0, microsecond=0)
    base = label = trigger_label(planned.stage.trigger_label, moment, day_only)
    active = batch.active
    taken = {t.label for t in batch.triggers if t.stage_id == planned.id}
    count = 1
    while label in taken:
        if not unique:
            raise TrackingError(f"повод «{label}» этапа {planned.stage.display_number} уже записан")
        count += 1
        label = f"{base} (№ {count})"
    payload: dict[str, Any] = {
        "by": person or None,
        "at": moment.isoformat(),
        "occurrence": label,
        "note": note,
        "version": active.version.version,
    }
    if channel != "cli":
        payload["channel"] = channel
    if day_only:
        payload["day_only"] = True
    record = audit.append_event(batch.session, actor, "stage.triggered", payload, active.id, planned.id)
    batch.session.add(
        StageTriggerRow(
            roadmap_id=active.id,
            stage_id=planned.id,
            label=label,
            at=moment.isoformat(),
            by=person or None,
            note=note,
            audit_seq=record.seq,
        )
    )
    batch.session.flush()
    batch.triggers.append(Trigger(planned.id, moment, label, person, note))
    return label, record.seq


def activate(
    tracker: Tracker,
    roadmap_ref: str,
    stage_ref: str,
    *,
    by: str,
    actor: str,
    reason: str,
    at: str | None = None,
    channel: str = "cli",
) -> ActivationOutcome:
    """Put an optional stage to use (module docstring); a reason is required."""
    _require_reason(reason, "почему резервный этап задействован")
    with tracker.store.write() as session:
        batch = _Batch(tracker, session, roadmap_ref)
        when = _when(at, batch.active.zone)
        _not_in_future(when.moment, batch.active.zone, "дата")
        planned = find_stage(batch.active.plan, stage_ref)
        person = find_person(batch.active.roadmap, by)
        seq = _add_activation(batch, planned, when.moment, person, actor, reason, None, channel)
        return ActivationOutcome(planned, seq, batch.active.id)


def _activate_by(batch: _Batch, stage_ref: str, outcomes: list[RecordOutcome], *, actor: str, channel: str) -> None:
    """`done … --activate STAGE`: an optional stage that waits for a marked one is put to use by it."""
    planned = find_stage(batch.active.plan, stage_ref)
    marked = [o for o in outcomes if o.stage.id in planned.depends_on and o.completion is not None]
    if not marked:
        numbers = ", ".join(o.stage.stage.display_number for o in outcomes)
        raise TrackingError(
            f"этап {planned.stage.display_number} не зависит от отмеченного этапа {numbers}: задействуйте его командой cyclogram activate"
        )
    source = marked[-1]
    assert source.completion is not None
    reason = f"по отметке этапа {source.stage.stage.display_number}"
    _add_activation(batch, planned, source.completion.at, source.completion.by, actor, reason, source.stage.id, channel)


def _add_activation(
    batch: _Batch,
    planned: PlannedStage,
    moment: dt.datetime,
    person: str,
    actor: str,
    reason: str,
    via: str | None,
    channel: str,
) -> int:
    active = batch.active
    number = planned.stage.display_number
    if not planned.stage.optional:
        raise TrackingError(f"этап {number} не резервный (optional: true не указано): задействовать его не нужно")
    existing = next((a for a in batch.activations if a.stage_id == planned.id), None)
    if existing is not None:
        raise TrackingError(
            f"резервный этап {number} уже задействован {_short_moment(existing.at.isoformat())} ({_name(active.roadmap, existing.by)})"
        )
    _no_credentials("причине", reason)
    payload: dict[str, Any] = {"by": person, "at": moment.isoformat(), "reason": reason, "version": active.version.version}
    if via:
        payload["via"] = via
    if channel != "cli":
        payload["channel"] = channel
    record = audit.append_event(batch.session, actor, "stage.activated", payload, active.id, planned.id)
    batch.session.add(
        StageActivationRow(
            roadmap_id=active.id,
            stage_id=planned.id,
            at=moment.isoformat(),
            by=person,
            reason=reason,
            via=via,
            audit_seq=record.seq,
        )
    )
    batch.session.flush()
    batch.activations.append(Activation(planned.id, moment, person, reason, via))
    return record.seq


class SecretInText(TrackingError):
    """A note or a reason that looks like it holds a password or a token: refused, and a channel that
    shows the form again must not show that text back (the web page clears the field)."""


def _no_credentials(where: str, text: str | None) -> None:
    """A note or a reason is stored in the database and the audit log for good: no passwords there."""
    found = describe(text) if text else None
    if found:
        raise SecretInText(f"в {where} похоже на пароль или токен (значение скрыто): {found}; уберите его")


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


def _name(roadmap: Any, key: str | None) -> str:
    person = roadmap.people.get(key or "")
    return person.name if person else (key or "?")


def _short_moment(iso: str | None) -> str:
    if not iso:
        return ""
    moment = dt.datetime.fromisoformat(iso)
    return russian.format_date(moment.date()) + (f" {moment:%H:%M}" if (moment.hour, moment.minute) != (12, 0) else "")
