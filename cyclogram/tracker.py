"""Reading a live roadmap: its current version compiled, its completions, its status.

The read side of the service layer, shared by the command line, the flows and the web. One
`Tracker` per process: it keeps compiled versions (`cyclogram.compiled`) so that a long-running
process compiles a version once, and every status is planned once from the compiled base plan
(`engine.status.compute_status(base=…)`). Reads go through the driver itself (store/connect.py):
no ORM is imported to answer `status`. Changes of state live in `cyclogram.recording`.

A roadmap's state is its completions plus the triggers of its triggered stages and the activations
of its optional stages; `Tracker.completions` returns them together (`StateFacts`, a list of the
completions that carries the other two), so that every `status_of` of them sees all three.

Stages are named by id or by document number; a number several stages carry (tables that restart at
1 in each section) is refused with the candidates listed (`find_stage`).

Moments (`--at`, `--as-of`, `parse_moment`) are read strictly first (2024-10-18, 18.10.2024,
18.10.2024 15:30, ISO); then the words people type — "сегодня", "вчера", "позавчера", a weekday
("пятница": the latest one, today included), "14.10" (this year), each with an optional time; only
then, for anything else, `dateparser` (Russian), imported on that path alone (it costs ~0.5 s).
A moment given without a time is noon of that day, and says so (`When.day_only`), so that history
shows the date rather than an invented 12:00.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Collection, Iterable
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
from cyclogram.engine.tracking import Activation, Completion, CompletionState, Trigger
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


class StateFacts(list[Completion]):
    """A roadmap's completions, with its triggers and activations carried along (module docstring)."""

    def __init__(
        self, completions: Iterable[Completion] = (), triggers: Iterable[Trigger] = (), activations: Iterable[Activation] = ()
    ) -> None:
        super().__init__(completions)
        self.triggers = list(triggers)
        self.activations = list(activations)


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

    def completions(self, roadmap_ref: str) -> tuple[ActiveRoadmap, StateFacts]:
        """The active version and its state: completions, triggers, activations (`StateFacts`)."""
        with self.store.reading() as reader:
            active = self.active_in(reader, roadmap_ref)
            return active, facts_in(reader, active)

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
        from cyclogram.store.tables import (
            EvidenceRow,
            FeedRow,
            RoadmapRow,
            RoadmapVersionRow,
            StageActivationRow,
            StageStateRow,
            StageTriggerRow,
        )

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
            triggers = [
                auditstate.TriggerRow(r.roadmap_id, r.stage_id, r.label, r.at, r.by, r.note, r.audit_seq)
                for r in session.exec(select(StageTriggerRow))
            ]
            activations = [
                auditstate.ActivationRow(r.roadmap_id, r.stage_id, r.at, r.by, r.reason, r.via, r.audit_seq)
                for r in session.exec(select(StageActivationRow))
            ]
        return (
            auditstate.stage_problems(records, stages)
            + auditstate.trigger_problems(records, triggers)
            + auditstate.activation_problems(records, activations)
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
    active: ActiveRoadmap,
    completions: list[Completion],
    moment: dt.date | dt.datetime,
    only: Collection[str] | None = None,
    *,
    triggers: Iterable[Trigger] | None = None,
    activations: Iterable[Activation] | None = None,
) -> RoadmapStatus:
    """The status (of every stage, or of `only` these), planned once from the compiled base plan.
    Triggers and activations default to what `completions` carries (`StateFacts`)."""
    plan = active.plan
    if triggers is None:
        triggers = completions.triggers if isinstance(completions, StateFacts) else ()
    if activations is None:
        activations = completions.activations if isinstance(completions, StateFacts) else ()
    return compute_status(
        active.roadmap, completions, moment, plan.calendar, base=plan, only=only, triggers=triggers, activations=activations
    )


def facts_in(reader: Reader, active: ActiveRoadmap) -> StateFacts:
    """Everything a status of `active` is computed from, read through `reader`."""
    zone = active.zone
    return StateFacts(
        completions_from(reads.stage_states(reader, active.id), zone),
        triggers_from(reads.stage_triggers(reader, active.id), zone),
        activations_from(reads.stage_activations(reader, active.id), zone),
    )


def triggers_from(rows: list[reads.TriggerInfo], zone: ZoneInfo) -> list[Trigger]:
    return [Trigger(r.stage_id, dt.datetime.fromisoformat(r.at).astimezone(zone), r.label, r.by or "", r.note) for r in rows]


def activations_from(rows: list[reads.ActivationInfo], zone: ZoneInfo) -> list[Activation]:
    return [Activation(r.stage_id, dt.datetime.fromisoformat(r.at).astimezone(zone), r.by or "", r.reason, r.via) for r in rows]


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
    """The stage by id or document number; an ambiguous number is refused with its candidates."""
    matching = plan.matching(stage_ref)
    if len(matching) == 1:
        return matching[0]
    if len(matching) > 1:
        listed = " / ".join(_candidate(planned) for planned in matching[:8])
        more = f" и ещё {len(matching) - 8}" if len(matching) > 8 else ""
        raise TrackingError(f"номер {stage_ref} есть у нескольких этапов: {listed}{more}; укажите id этапа")
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


def find_occurrence(planned: PlannedStage, wanted: str | None, current: str) -> str:
    """The occurrence a command names (`--occurrence`), strictly: "" for a stage without separate
    occurrences (naming one is refused), else the wanted label (case, spaces and dashes aside,
    `russian.label_key`), by default the current one. A triggered stage's occurrence is always
    named, however many there are: more may come. `planned` as the status planned it (with triggers)."""
    labels = [o.label for o in planned.occurrences if o.label]
    wanted = wanted or None
    triggered = planned.kind == "triggered" and bool(labels)
    if triggered and wanted is None:
        return current or labels[-1]
    if not triggered and (len(planned.occurrences) <= 1 or not labels):
        if wanted:
            raise TrackingError(f"у этапа {planned.stage.display_number} нет отдельных повторений — уберите --occurrence")
        return ""
    if wanted is None:
        return current or labels[0]
    for label in labels:
        if russian.label_key(label) == russian.label_key(wanted):
            return label
    raise TrackingError(f"у этапа {planned.stage.display_number} нет повторения «{wanted}»; есть: {', '.join(labels)}")


def occurrence_label(planned: PlannedStage, wanted: str | None, current: str) -> str:
    """The occurrence a page or a button acts on, leniently: "" for a stage that happens once (whatever
    the link says), the wanted label when the stage has it, else the current one (`find_occurrence`
    is the strict reading of a command)."""
    labels = [o.label for o in planned.occurrences if o.label]
    triggered = planned.kind == "triggered" and bool(labels)  # a trigger's occurrence is always named
    if not triggered and (len(planned.occurrences) <= 1 or not labels):
        return ""
    for label in labels:
        if wanted and label.lower() == wanted.strip().lower():
            return label
    return current or labels[0]


def _candidate(planned: PlannedStage) -> str:
    """ "3 в разделе «1. Нормативное обеспечение» — «Издать приказ…» (id order)"."""
    sections = planned.ref.sections
    where = (
        f" в разделе «{russian.shorten(' '.join(x for x in (sections[-1].number, sections[-1].title) if x), 50)}»"
        if sections
        else ""
    )
    return f"{planned.stage.display_number}{where} — «{russian.shorten(planned.stage.title, 50)}» (id {planned.id})"


def parse_moment(text: str, zone: ZoneInfo) -> dt.datetime:
    """--at: a moment in the roadmap's local time (module docstring), within 1900–2200."""
    return parse_when(text, zone).moment


@dataclass(frozen=True)
class When:
    moment: dt.datetime  # aware, in the roadmap's zone
    day_only: bool  # no time was given: `moment` is noon of that day


_STRICT_DAY = ("%Y-%m-%d", "%d.%m.%Y")
_STRICT_TIME = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S")
_DAY_WORDS = {"сегодня": 0, "today": 0, "вчера": 1, "yesterday": 1, "позавчера": 2}
_WORDS_AND_TIME = re.compile(
    r"^(?P<day>[^\d\s][^\s,]*|\d{1,2}\.\d{1,2}\.?)(?:[\s,]+(?:в\s+)?(?P<h>\d{1,2}):(?P<m>\d{2}))?$", re.I
)


def parse_when(text: str, zone: ZoneInfo) -> When:
    """A moment and whether it had a time (module docstring); refused in Russian when not understood."""
    value = " ".join(text.strip().split())
    when = _strict(value, zone) or _words(value, zone) or _dateparser(value, zone)
    if when is None:
        raise TrackingError(
            f"непонятная дата «{text}»: пишите 2024-10-18, 18.10.2024, 18.10.2024 15:30, «сегодня», «вчера», «пятница» или 14.10"
        )
    if not 1900 <= when.moment.year <= 2200:
        raise TrackingError(f"дата «{text}» вне допустимого диапазона 1900–2200: проверьте год")
    return when


def _strict(value: str, zone: ZoneInfo) -> When | None:
    for pattern in _STRICT_DAY:
        try:
            return When(dt.datetime.strptime(value, pattern).replace(hour=12, tzinfo=zone), True)
        except ValueError:
            continue
    for pattern in _STRICT_TIME:
        try:
            return When(dt.datetime.strptime(value, pattern).replace(tzinfo=zone), False)
        except ValueError:
            continue
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return When(parsed.astimezone(zone) if parsed.tzinfo else parsed.replace(tzinfo=zone), False)


def _words(value: str, zone: ZoneInfo) -> When | None:
    """ "сегодня", "вчера 15:30", "пятница", "14.10" (this year) — see module docstring."""
    match = _WORDS_AND_TIME.match(value)
    if not match:
        return None
    today = dt.datetime.now(zone).date()
    word = match["day"].lower().rstrip(".")
    day: dt.date | None = None
    if word in _DAY_WORDS:
        day = today - dt.timedelta(days=_DAY_WORDS[word])
    elif (weekday := russian.weekday_number(word)) is not None and len(word) > 2:
        day = today - dt.timedelta(days=(today.weekday() - weekday) % 7)
    elif re.fullmatch(r"\d{1,2}\.\d{1,2}", word):
        number, month = (int(part) for part in word.split("."))
        try:
            day = dt.date(today.year, month, number)
        except ValueError:
            raise TrackingError(f"такой даты не существует: «{value}»") from None
    if day is None:
        return None
    if match["h"] is None:
        return When(dt.datetime.combine(day, dt.time(12), zone), True)
    try:
        return When(dt.datetime.combine(day, dt.time(int(match["h"]), int(match["m"])), zone), False)
    except ValueError:
        raise TrackingError(f"такого времени не существует: «{value}»") from None


def _dateparser(value: str, zone: ZoneInfo) -> When | None:
    """Anything else a person may type ("3 дня назад", "14 октября 15:00"): dateparser, imported here only."""
    if not value or len(value) > 60 or not re.search(r"[А-Яа-яЁёA-Za-z\d]", value):
        return None
    try:
        import dateparser
    except ImportError:  # installed with Prefect; without it only the forms above are read
        return None
    settings = {"TIMEZONE": zone.key, "RETURN_AS_TIMEZONE_AWARE": True, "DATE_ORDER": "DMY", "PREFER_DATES_FROM": "past"}
    parsed = dateparser.parse(value, languages=["ru", "en"], settings=settings)
    if parsed is None:
        return None
    has_time = bool(re.search(r"\d{1,2}:\d{2}|час|минут|hour|minute", value, re.I))
    moment = parsed.astimezone(zone)
    return When(moment if has_time else moment.replace(hour=12, minute=0, second=0, microsecond=0), not has_time)


def parse_day(text: str | None, zone: ZoneInfo) -> dt.date:
    """--as-of: a day in the roadmap's zone; today when not given."""
    return parse_moment(text, zone).date() if text else dt.datetime.now(zone).date()
