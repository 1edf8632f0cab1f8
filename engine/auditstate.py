"""The audit log against the state: every row status depends on must be what the log says.

The hash chain (`engine.auditchain`) proves the log was not edited; it says nothing about the
tables the commands read. Someone with write access to the database could insert a completion row
without an event (status would show the stage done while the chain verifies), delete one, or edit a
stored roadmap version. So `audit verify` replays the log and compares, and names each difference:

* **stage states** — the newest `stage.done` / `stage.forced` / `stage.skipped` / `stage.reopened`
  event of each stage occurrence determines its row completely (state, when, who, note, evidence,
  forced, reason, and the event's number); a row without such an event, an event without its row
  and a row that differs from its event are each reported;
* **triggers** — each `stage.triggered` event records one outside event of a triggered stage (its
  occurrence label, when, who, note): every trigger row must have its event and match it, and every
  event its row;
* **activations** — each `stage.activated` event puts an optional stage to use (when, who, why, by
  which dependency's completion): the activation row must match its event, and exist for it;
* **roadmap versions** — each `roadmap.loaded` event records the version and the sha256 of its YAML
  text: the version row must exist with that sha256, its stored text must still hash to it, no
  version may exist without its event, and the roadmap's current version must be the newest loaded;
* **evidence files** — each `evidence.stored` event records the file's sha256, name and size: the
  rows must match (the files themselves are re-hashed by the store);
* **calendar feeds** — each feed token must have been created (`feed.created`, or issued by
  `feed.rotated`; events keep the token's first 6 characters only), and a revoked token must have its
  `feed.revoked` / `feed.rotated` event; an active token whose revocation is logged is reported too.

Pure: rows come in as plain values, problems go out as Russian sentences for the auditor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cyclogram.engine.auditchain import AuditRecord

STAGE_ACTIONS = {"stage.done": "done", "stage.forced": "done", "stage.skipped": "skipped", "stage.reopened": "open"}
STATE_WORDS = {"done": "выполнен", "skipped": "пропущен", "open": "снова открыт"}


@dataclass(frozen=True)
class StageRow:
    roadmap_id: str
    stage_id: str
    occurrence: str
    state: str
    at: str | None
    by: str | None
    note: str | None
    evidence: str | None
    forced: bool
    reason: str | None
    audit_seq: int


@dataclass(frozen=True)
class TriggerRow:
    roadmap_id: str
    stage_id: str
    label: str
    at: str
    by: str | None
    note: str | None
    audit_seq: int


@dataclass(frozen=True)
class ActivationRow:
    roadmap_id: str
    stage_id: str
    at: str
    by: str | None
    reason: str | None
    via: str | None
    audit_seq: int


@dataclass(frozen=True)
class VersionRow:
    roadmap_id: str
    version: int
    content_hash: str  # as recorded in the row
    text_hash: str  # sha256 of the stored YAML text, computed now
    current: bool  # the roadmap's current version


@dataclass(frozen=True)
class EvidenceRow:
    sha256: str
    name: str
    size: int


@dataclass(frozen=True)
class FeedRow:
    token: str
    roadmap_id: str
    revoked: bool


def _place(roadmap_id: str, stage_id: str, occurrence: str) -> str:
    return f"этап {stage_id} ({occurrence})" + f" карты {roadmap_id}" if occurrence else f"этап {stage_id} карты {roadmap_id}"


def _expected_row(record: AuditRecord) -> StageRow:
    data: dict[str, Any] = record.payload_data()
    return StageRow(
        roadmap_id=record.roadmap_id or "",
        stage_id=record.stage_id or "",
        occurrence=str(data.get("occurrence") or ""),
        state=STAGE_ACTIONS[record.action],
        at=data.get("at"),
        by=data.get("by"),
        note=data.get("note"),
        evidence=data.get("evidence"),
        forced=record.action == "stage.forced",
        reason=data.get("reason"),
        audit_seq=record.seq,
    )


def stage_problems(records: Sequence[AuditRecord], rows: Iterable[StageRow]) -> list[str]:
    newest: dict[tuple[str, str, str], StageRow] = {}
    for record in records:
        if record.action in STAGE_ACTIONS:
            expected = _expected_row(record)
            newest[(expected.roadmap_id, expected.stage_id, expected.occurrence)] = expected
    problems = []
    seen = set()
    for row in rows:
        key = (row.roadmap_id, row.stage_id, row.occurrence)
        seen.add(key)
        recorded = newest.get(key)
        where = _place(*key)
        if recorded is None:
            problems.append(f"{where}: в базе отмечен «{STATE_WORDS.get(row.state, row.state)}», но в журнале нет такого события")
        elif row != recorded:
            fields = [name for name in StageRow.__dataclass_fields__ if getattr(row, name) != getattr(recorded, name)]
            problems.append(
                f"{where}: состояние в базе не совпадает с событием № {recorded.audit_seq} журнала (поля: {', '.join(fields)})"
            )
    for key, expected in newest.items():
        if key not in seen:
            problems.append(
                f"{_place(*key)}: событие № {expected.audit_seq} ({STATE_WORDS[expected.state]}) есть в журнале, а строки состояния нет"
            )
    return problems


def trigger_problems(records: Sequence[AuditRecord], rows: Iterable[TriggerRow]) -> list[str]:
    expected: dict[tuple[str, str, str], TriggerRow] = {}
    for record in records:
        if record.action == "stage.triggered":
            data = record.payload_data()
            row = TriggerRow(
                record.roadmap_id or "",
                record.stage_id or "",
                str(data.get("occurrence") or ""),
                str(data.get("at") or ""),
                data.get("by"),
                data.get("note"),
                record.seq,
            )
            expected[(row.roadmap_id, row.stage_id, row.label)] = row
    return _compare(expected, {(r.roadmap_id, r.stage_id, r.label): r for r in rows}, _trigger_place)


def activation_problems(records: Sequence[AuditRecord], rows: Iterable[ActivationRow]) -> list[str]:
    expected: dict[tuple[str, str], ActivationRow] = {}
    for record in records:
        if record.action == "stage.activated":
            data = record.payload_data()
            row = ActivationRow(
                record.roadmap_id or "",
                record.stage_id or "",
                str(data.get("at") or ""),
                data.get("by"),
                data.get("reason"),
                data.get("via"),
                record.seq,
            )
            expected[(row.roadmap_id, row.stage_id)] = row
    return _compare(expected, {(r.roadmap_id, r.stage_id): r for r in rows}, _activation_place)


def _trigger_place(key: tuple[str, ...]) -> str:
    roadmap_id, stage_id, label = key
    return f"повод «{label}» этапа {stage_id} карты {roadmap_id}"


def _activation_place(key: tuple[str, ...]) -> str:
    roadmap_id, stage_id = key
    return f"задействование резервного этапа {stage_id} карты {roadmap_id}"


def _compare(expected: dict[Any, Any], found: dict[Any, Any], place: Callable[[tuple[str, ...]], str]) -> list[str]:
    """Rows against the rows the log says there are: missing, unexplained and differing ones."""
    problems = []
    for key, row in found.items():
        recorded = expected.get(key)
        if recorded is None:
            problems.append(f"{place(key)}: есть в базе, но в журнале нет такого события")
        elif row != recorded:
            fields = [name for name in type(row).__dataclass_fields__ if getattr(row, name) != getattr(recorded, name)]
            problems.append(
                f"{place(key)}: запись в базе не совпадает с событием № {recorded.audit_seq} журнала (поля: {', '.join(fields)})"
            )
    for key, recorded in expected.items():
        if key not in found:
            problems.append(f"{place(key)}: событие № {recorded.audit_seq} есть в журнале, а записи в базе нет")
    return problems


def version_problems(records: Sequence[AuditRecord], rows: Iterable[VersionRow]) -> list[str]:
    loaded: dict[tuple[str, int], str] = {}
    newest: dict[str, int] = {}
    for record in records:
        if record.action == "roadmap.loaded" and record.roadmap_id:
            data = record.payload_data()
            loaded[(record.roadmap_id, int(data["version"]))] = str(data["content_hash"])
            newest[record.roadmap_id] = max(newest.get(record.roadmap_id, 0), int(data["version"]))
    problems = []
    seen = set()
    for row in rows:
        key = (row.roadmap_id, row.version)
        seen.add(key)
        where = f"версия {row.version} дорожной карты {row.roadmap_id}"
        recorded = loaded.get(key)
        if recorded is None:
            problems.append(f"{where} есть в базе, но её загрузки нет в журнале")
            continue
        if row.content_hash != recorded:
            problems.append(f"{where}: контрольная сумма в базе не та, что записана в журнале при загрузке")
        if row.text_hash != recorded:
            problems.append(f"{where}: текст дорожной карты в базе изменён после загрузки (sha256 не совпадает с журналом)")
        if row.current and row.version != newest.get(row.roadmap_id):
            problems.append(f"{where} отмечена текущей, а последней по журналу загружена версия {newest.get(row.roadmap_id)}")
    for (roadmap_id, version), _ in loaded.items():
        if (roadmap_id, version) not in seen:
            problems.append(f"версия {version} дорожной карты {roadmap_id} загружена по журналу, а в базе её нет")
    return problems


def evidence_problems(records: Sequence[AuditRecord], rows: Iterable[EvidenceRow]) -> list[str]:
    stored: dict[str, EvidenceRow] = {}
    for record in records:
        if record.action == "evidence.stored":
            data = record.payload_data()
            stored[str(data["sha256"])] = EvidenceRow(str(data["sha256"]), str(data.get("name")), int(data.get("size", -1)))
    problems = []
    seen = set()
    for row in rows:
        seen.add(row.sha256)
        expected = stored.get(row.sha256)
        if expected is None:
            problems.append(f"подтверждение sha256:{row.sha256[:12]}… есть в базе, но его сохранения нет в журнале")
        elif row != expected:
            problems.append(f"подтверждение sha256:{row.sha256[:12]}…: имя или размер в базе не те, что записаны в журнале")
    for sha256 in stored:
        if sha256 not in seen:
            problems.append(f"подтверждение sha256:{sha256[:12]}… сохранено по журналу, а записи в базе нет")
    return problems


def _prefix(short: object) -> str:
    return str(short or "").rstrip("…")


def feed_problems(records: Sequence[AuditRecord], rows: Iterable[FeedRow]) -> list[str]:
    created: set[tuple[str, str]] = set()
    revoked: set[tuple[str, str]] = set()
    for record in records:
        data = record.payload_data() if record.action.startswith("feed.") else {}
        roadmap_id = record.roadmap_id or ""
        if record.action == "feed.created":
            created.add((roadmap_id, _prefix(data.get("token"))))
        elif record.action == "feed.revoked":
            revoked.add((roadmap_id, _prefix(data.get("token"))))
        elif record.action == "feed.rotated":
            revoked.add((roadmap_id, _prefix(data.get("old"))))
            created.add((roadmap_id, _prefix(data.get("new"))))
    problems = []
    for row in rows:
        key = (row.roadmap_id, row.token[:6])
        shown = f"ссылка на календарь {row.token[:6]}… ({row.roadmap_id})"
        if key not in created:
            problems.append(f"{shown} есть в базе, но её выдачи нет в журнале")
        if row.revoked and key not in revoked:
            problems.append(f"{shown} отозвана в базе без события в журнале")
        if not row.revoked and key in revoked:
            problems.append(f"{shown} отозвана по журналу, но в базе снова действует")
    return problems
