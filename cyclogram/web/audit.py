"""The auditor's pages: the history of every change, its exports, and the proof that it is intact.

For the admin and auditor roles only (`auth.require`). Decisions:

* **One history, read through `Tracker.history`** (`store.audit.read_events`): the roadmap, stage and
  "since" filters go to the query; "until", the kind and the person are applied here (a person
  matches as the actor, as the person a completion was recorded for, or as a reminder's recipient).
  Pages show the newest first, `PAGE_SIZE` (200) per page; exports hold every filtered event, oldest
  first, as the chain runs.
* **Read like a journal, not like a table dump**: times are the roadmap's local time (its
  `timezone`; events are stored in UTC, the UTC moment is kept in the cell's tooltip and in the
  exports' zone column), people by their full names from the roadmap (accounts of the web app by
  their names), stages as "20. Произвести выгрузку…", kinds in Russian (`ACTION_WORDS`, every action
  written anywhere), and details as sentences: who received which reminder on which channel, what a
  new version changed (the `changes` the loader recorded), who did a stage and with which note.
  Events without a roadmap (accounts, requeued reminders) use the zone all loaded roadmaps share,
  or UTC when they differ; the date filters use the chosen roadmap's zone, else that one.
* **Exports** of the filtered history: CSV as Excel opens it (UTF-8 with a BOM, `;`, Russian
  headers — `render.excel_csv`) and XLSX (openpyxl: a frozen header row, an autofilter, set column
  widths, wrapped details); the CSV is the CLI's `history --format csv` (`render.history_csv`). Every
  cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or carriage return first)
  is prefixed with an apostrophe (`render.safe_cell`): notes are typed by teachers.
* **The verification block** (`#audit-verify`) is `cyclogram audit verify` on the page: the chain
  (and its signatures when the audit key is configured — `cyclogram.app.audit_key()`), the state the
  log explains (`Tracker.verify_state`), the evidence files (`Tracker.verify_evidence`), a published
  checkpoint when one is entered, and the chain head as a checkpoint `N:HASH` to publish, with a copy
  button. It runs on every view of the page, in a worker thread (the page is a sync endpoint); for a
  school's log (tens of thousands of events) that is well under a second.
* **Prefect**: a `flow.tick` event links to its flow run when `PREFECT_UI_URL` is set (Prefect's own
  setting, e.g. http://127.0.0.1:4200 → `{PREFECT_UI_URL}/runs/flow-run/{id}`); read on each request.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from cyclogram import render, users
from cyclogram.engine import russian
from cyclogram.engine.auditchain import AuditRecord, Checkpoint
from cyclogram.engine.diagnostics import Refusal
from cyclogram.store.audit import HistoryFilter, parse_stamp, utc_stamp
from cyclogram.tracker import ActiveRoadmap, Tracker

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.routing import BaseRoute

    from cyclogram.web.context import WebContext

PAGE_SIZE = 200
ROLES = ("admin", "auditor")
UTC = ZoneInfo("UTC")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

ACTION_WORDS: dict[str, str] = {
    **render.ACTION_WORDS,
    "roadmap.loaded": "загружена версия дорожной карты",
    "stage.done": "этап выполнен",
    "stage.forced": "этап выполнен вопреки блокировке",
    "stage.skipped": "этап пропущен",
    "stage.reopened": "этап снова открыт",
    "stage.triggered": "записан повод этапа",
    "stage.activated": "резервный этап задействован",
    "evidence.stored": "сохранено подтверждение",
    "feed.created": "создана ссылка на календарь",
    "feed.revoked": "ссылка на календарь отозвана",
    "feed.rotated": "ссылка на календарь заменена",
    "reminder.sent": "напоминание отправлено",
    "reminder.retry": "напоминание не отправлено, будет повтор",
    "reminder.failed": "напоминание не доставлено",
    "reminder.requeued": "напоминания снова поставлены в очередь",
    "flow.tick": "ежедневный прогон",
    "user.created": "добавлен пользователь",
    "user.disabled": "пользователь отключён",
    "user.password_changed": "пароль пользователя изменён",
    "link.revoked": "ссылка из напоминания отозвана",
    "link.reset": "ссылки человека из напоминаний отозваны",
    "telegram.invited": "выдана ссылка для подключения Telegram",
    "telegram.linked": "чат Telegram привязан",
    "telegram.unlinked": "чат Telegram отвязан",
}
FAMILY_WORDS = {
    "roadmap": "дорожные карты",
    "stage": "этапы",
    "evidence": "подтверждения",
    "feed": "календари",
    "reminder": "напоминания",
    "flow": "прогоны",
    "user": "пользователи",
    "link": "ссылки из напоминаний",
    "telegram": "Telegram",
}
ACTOR_WORDS = {"dispatcher": "рассылка напоминаний", "prefect": "ежедневный прогон (Prefect)"}
CHANNEL_WORDS = {"email": "эл. почта", "telegram": "Telegram"}
VIA_WORDS = {
    "web": "веб-приложение",
    "link": "ссылка из напоминания",
    "prefect": "форма Prefect",
    "csv": "таблица отметок",
    "telegram": "Telegram",
}
STATE_WORDS = {"done": "выполнен", "skipped": "пропущен", "open": "открыт"}
EXPORT_HEADERS = render.HISTORY_HEADERS  # the CLI's `history --format csv` has the same table
EXPORT_WIDTHS = [7, 18, 16, 26, 34, 22, 44, 90, 20, 20]
_FLOW_RUN_ID = re.compile(r"^[0-9A-Za-z-]{8,64}$")
_ACTION = re.compile(r"^[a-z_]+(\.[a-z_]+)?(\.\*)?$")


# --- who, where and when: names and zones from the loaded roadmaps ---------------------------------


@dataclass
class Directory:
    """What turns keys into names: the loaded roadmaps (current versions) and the web accounts."""

    roadmaps: dict[str, ActiveRoadmap]
    accounts: dict[str, str]  # e-mail → name
    zone: ZoneInfo  # for events without a roadmap: the zone all roadmaps share, else UTC

    def zone_of(self, roadmap_id: str | None) -> ZoneInfo:
        active = self.roadmaps.get(roadmap_id or "")
        return active.zone if active is not None else self.zone

    def person(self, key: object, roadmap_id: str | None = None) -> str:
        text = str(key)
        active = self.roadmaps.get(roadmap_id or "")
        if active is not None and text in active.roadmap.people:
            return active.roadmap.people[text].name
        for other in self.roadmaps.values():
            if text in other.roadmap.people:
                return other.roadmap.people[text].name
        return self.accounts.get(text, text)

    def actor(self, actor: str, roadmap_id: str | None, payload: Mapping[str, Any] | None = None) -> str:
        """Who did it: a person, an account, the dispatcher… A teacher acting through a link from a
        reminder is recorded as `link:<id>`; the person the link was issued to is in the payload."""
        if actor.startswith("link:"):
            by = (payload or {}).get("by") or (payload or {}).get("person")
            return f"{self.person(by, roadmap_id)} (по ссылке из напоминания)" if by else "по ссылке из напоминания"
        if actor.startswith("telegram:"):  # the Telegram bot: `telegram:<chat id>`
            by = (payload or {}).get("by") or (payload or {}).get("person")
            return f"{self.person(by, roadmap_id)} (Telegram)" if by else "Telegram"
        return ACTOR_WORDS.get(actor) or self.person(actor, roadmap_id)

    def stage(self, roadmap_id: str | None, stage_id: object) -> str:
        """ "20. Произвести выгрузку…" from the current version; the id when the stage is gone."""
        active = self.roadmaps.get(roadmap_id or "")
        planned = active.plan.stages.get(str(stage_id)) if active is not None else None
        if planned is None:
            return str(stage_id)
        return f"{planned.stage.display_number}. {russian.shorten(planned.stage.title, 80)}"

    def number(self, roadmap_id: str | None, stage_id: object) -> str:
        active = self.roadmaps.get(roadmap_id or "")
        planned = active.plan.stages.get(str(stage_id)) if active is not None else None
        return planned.stage.display_number if planned is not None else str(stage_id)

    def role(self, roadmap_id: str | None, key: object) -> str:
        active = self.roadmaps.get(roadmap_id or "")
        role = active.roadmap.roles.get(str(key)) if active is not None else None
        return role.title if role is not None else str(key)

    def roadmap_title(self, roadmap_id: str | None) -> str:
        active = self.roadmaps.get(roadmap_id or "")
        return active.roadmap.title if active is not None else (roadmap_id or "")


def directory(tracker: Tracker) -> Directory:
    roadmaps: dict[str, ActiveRoadmap] = {}
    for row in tracker.roadmaps():
        try:
            roadmaps[row.id] = tracker.active(row.id)
        except Refusal:
            continue  # a version that no longer compiles: its keys are shown as they are
    accounts = {user.email: user.name for user in users.list_users(tracker.store)}
    return Directory(roadmaps, accounts, common_zone(active.roadmap.timezone for active in roadmaps.values()))


def common_zone(names: Iterable[str]) -> ZoneInfo:
    """The zone every loaded roadmap uses; UTC when they differ or none is loaded."""
    distinct = set(names)
    return ZoneInfo(distinct.pop()) if len(distinct) == 1 else UTC


def local_time(stamp: str | None, zone: ZoneInfo, seconds: bool = True) -> str:
    """A stored UTC stamp as "18.10.2024 15:30:02" in `zone` ("—" when absent)."""
    if not stamp:
        return "—"
    try:
        moment = parse_stamp(stamp)
    except ValueError:
        try:
            moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone).strftime("%d.%m.%Y %H:%M:%S" if seconds else "%d.%m.%Y %H:%M")


def _moment_text(value: object, day_only: bool = False) -> str:
    """A completion's local moment (ISO with its offset) as "18.10.2024 15:00"; the date alone when
    it was given without a time (`day_only`, or — in events older than that flag — noon exactly,
    which is what a date without a time was recorded as)."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if day_only or (moment.hour, moment.minute, moment.second, moment.microsecond) == (12, 0, 0, 0):
        return moment.strftime("%d.%m.%Y")
    return moment.strftime("%d.%m.%Y %H:%M")


# --- filters --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    roadmap: str = ""
    stage: str = ""
    person: str = ""
    kind: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    page: int = 1

    def params(self, **changes: Any) -> dict[str, str]:
        """The non-empty filters as query parameters (for links: pages, exports)."""
        merged = replace(self, **changes)
        values = {
            "roadmap": merged.roadmap,
            "stage": merged.stage,
            "person": merged.person,
            "kind": merged.kind,
            "since": merged.since.isoformat() if merged.since else "",
            "until": merged.until.isoformat() if merged.until else "",
            "page": str(merged.page) if merged.page > 1 else "",
        }
        return {key: value for key, value in values.items() if value}

    def query(self, **changes: Any) -> str:
        found = self.params(**changes)
        return "?" + urlencode(found) if found else ""

    @property
    def active(self) -> bool:
        return bool(self.params(page=1))


def _date(text: str) -> dt.date | None:
    value = text.strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


def parse_filters(params: Mapping[str, str], found: Directory) -> tuple[Filters, list[str]]:
    """The filters from a query string, and a Russian line for each one that was ignored."""
    problems: list[str] = []
    roadmap = params.get("roadmap", "").strip()
    if roadmap and roadmap not in found.roadmaps:
        problems.append(f"дорожной карты «{roadmap[:64]}» нет — показаны все")
        roadmap = ""
    stage = params.get("stage", "").strip()[:64]
    if stage and roadmap:
        planned = found.roadmaps[roadmap].plan.by_number_or_id(stage)
        if planned is None:
            problems.append(f"в дорожной карте нет этапа «{stage}» — фильтр по этапу не применён")
            stage = ""
        else:
            stage = planned.id
    kind = params.get("kind", "").strip()
    if kind and not _ACTION.match(kind):
        problems.append("неизвестный вид события — показаны все")
        kind = ""
    dates: dict[str, dt.date | None] = {"since": None, "until": None}
    for key, word in (("since", "«с»"), ("until", "«по»")):
        text = params.get(key, "").strip()
        if text:
            try:
                dates[key] = _date(text)
            except ValueError:
                problems.append(f"дата {word} «{text[:20]}» не распознана: пишите 18.10.2024")
    try:
        page = max(1, min(100_000, int(params.get("page", "1") or "1")))
    except ValueError:
        page = 1
    person = params.get("person", "").strip()[:254]
    return Filters(roadmap, stage, person, kind, dates["since"], dates["until"], page), problems


def _matches_kind(action: str, kind: str) -> bool:
    if not kind:
        return True
    if kind.endswith(".*"):
        return action.startswith(kind[:-1])
    return action == kind


def _matches_person(record: AuditRecord, data: Any, person: str) -> bool:
    if not person:
        return True
    if record.actor == person:
        return True
    return isinstance(data, dict) and person in (data.get("by"), data.get("person"))


def select_records(tracker: Tracker, filters: Filters, found: Directory) -> list[AuditRecord]:
    """The filtered history, oldest first (see module docstring for which filter runs where)."""
    zone = found.zone_of(filters.roadmap or None)
    since = utc_stamp(dt.datetime.combine(filters.since, dt.time(), zone)) if filters.since else None
    until = utc_stamp(dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time(), zone)) if filters.until else None
    records = tracker.history(HistoryFilter(filters.roadmap or None, filters.stage or None, None, since))
    chosen = []
    for record in records:
        if until is not None and record.at >= until:
            continue
        if not _matches_kind(record.action, filters.kind):
            continue
        if filters.person and not _matches_person(record, record.payload_data(), filters.person):
            continue
        chosen.append(record)
    return chosen


# --- one event, readable ------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    seq: int
    when: str  # local time
    utc: str
    zone: str
    who: str
    action: str
    action_word: str
    roadmap_id: str
    roadmap_title: str
    stage: str
    details: tuple[str, ...]
    hash: str
    link: tuple[str, str] | None = None  # (URL, text): the Prefect flow run

    def export_row(self, joiner: str) -> list[Any]:
        return [
            self.seq,
            self.when,
            self.zone,
            self.who,
            self.action_word,
            self.roadmap_title,
            self.stage,
            joiner.join(self.details) + (f"{joiner}{self.link[0]}" if self.link else ""),
            self.action,
            self.hash,
        ]


def describe(record: AuditRecord, found: Directory, prefect_ui: str | None = None) -> Entry:
    data = record.payload_data()
    payload: dict[str, Any] = data if isinstance(data, dict) else {}
    zone = found.zone_of(record.roadmap_id)
    link = None
    run_id = payload.get("flow_run_id")
    if record.action == "flow.tick" and prefect_ui and isinstance(run_id, str) and _FLOW_RUN_ID.match(run_id):
        link = (f"{prefect_ui}/runs/flow-run/{run_id}", "запуск в Prefect")
    return Entry(
        seq=record.seq,
        when=local_time(record.at, zone),
        utc=record.at,
        zone=str(zone.key),
        who=found.actor(record.actor, record.roadmap_id, payload),
        action=record.action,
        action_word=ACTION_WORDS.get(record.action, record.action),
        roadmap_id=record.roadmap_id or "",
        roadmap_title=found.roadmap_title(record.roadmap_id),
        stage=found.stage(record.roadmap_id, record.stage_id) if record.stage_id else "",
        details=tuple(details(record, payload, found)),
        hash=record.hash,
        link=link,
    )


def details(record: AuditRecord, payload: dict[str, Any], found: Directory) -> list[str]:
    """The event's payload as Russian sentences (see module docstring)."""
    action, rid = record.action, record.roadmap_id
    family = action.split(".", 1)[0]
    if action == "roadmap.loaded":
        return _loaded(payload, found, rid)
    if action in ("stage.done", "stage.forced", "stage.skipped", "stage.reopened", "stage.triggered", "stage.activated"):
        return _stage(action, record.actor, payload, found, rid)
    if action == "evidence.stored":
        size = payload.get("size")
        size_text = f", {_size(size)}" if isinstance(size, int) else ""
        digest = str(payload.get("sha256") or "")
        return [f"файл «{payload.get('name', '?')}»{size_text}, sha256 {digest[:12]}…"]
    if family == "feed":
        return _feed(action, payload, found, rid)
    if family == "reminder":
        return _reminder(action, payload, found, rid)
    if action == "flow.tick":
        return _tick(payload)
    if action == "link.reset":
        return [f"чьи: {found.person(payload.get('person', '?'), rid)}", "все выданные до этого ссылки больше не открываются"]
    if action == "link.revoked":
        return [f"ссылка № {payload.get('link_id', '?')}"]
    if family == "user":
        lines = [f"почта: {payload.get('email', '?')}"]
        if payload.get("name"):
            lines.append(f"имя: {payload['name']}")
        if payload.get("role"):
            lines.append(f"роль: {users.ROLE_WORDS.get(str(payload['role']), payload['role'])}")
        return lines
    return _generic(payload, found, rid)


def _loaded(payload: dict[str, Any], found: Directory, rid: str | None) -> list[str]:
    lines = [f"версия {payload.get('version', '?')}, этапов: {payload.get('stages', '?')}"]
    changes = payload.get("changes")
    if not isinstance(changes, dict):
        if payload.get("version") == 1:
            lines.append("первая версия")
        return lines
    lines += [str(line) for line in changes.get("header_changes") or []]
    for change in changes.get("changes") or []:
        if isinstance(change, dict):
            lines.append(_change(change, found, rid))
    for stage_id in changes.get("orphaned_completions") or []:
        lines.append(f"внимание: выполнение этапа {found.number(rid, stage_id)} сохранено, но этапа нет в новой версии")
    if len(lines) == 1:
        lines.append("сроки, этапы и ответственные не изменились")
    return lines


def _change(change: dict[str, Any], found: Directory, rid: str | None) -> str:
    kind, before, after = change.get("kind"), change.get("before"), change.get("after")
    number = change.get("number") or change.get("stage_id")
    active = found.roadmaps.get(rid or "")
    planned = active.plan.stages.get(str(change.get("stage_id"))) if active is not None else None
    head = f"этап {number}" + (f" «{russian.shorten(planned.stage.title, 60)}»" if planned is not None else "")
    if kind == "added":
        return f"добавлен {head} (срок: {after})"
    if kind == "removed":
        return f"удалён {head} (срок был: {before})"
    if kind == "moved":
        return f"{head}: срок перенесён — был {before}, стал {after}"
    if kind == "reassigned":
        return f"{head}: ответственные изменены — было: {before}; стало: {after}"
    if kind == "retitled":
        return f"этап {number}: название изменено — было «{before}», стало «{after}»"
    if kind == "dependencies":
        return f"{head}: зависимости изменены — было: {before}; стало: {after}"
    if kind == "timing":
        return f"{head}: запись срока изменена («{before}» → «{after}»), даты прежние"
    return f"{head}: {kind}: {before} → {after}"


def _stage(action: str, actor: str, payload: dict[str, Any], found: Directory, rid: str | None) -> list[str]:
    lines = []
    by = payload.get("by")
    if by and by != actor:
        verbs = {
            "stage.reopened": "снова открыл(а)",
            "stage.skipped": "пропустил(а)",
            "stage.triggered": "записал(а)",
            "stage.activated": "задействовал(а)",
        }
        lines.append(f"{verbs.get(action, 'выполнил(а)')}: {found.person(by, rid)}")
    elif by:
        lines.append(f"кто: {found.person(by, rid)}")
    if payload.get("at"):
        lines.append(f"когда: {_moment_text(payload['at'], bool(payload.get('day_only')))}")
    if payload.get("occurrence"):
        word = "повод" if action == "stage.triggered" else "повторение"
        lines.append(f"{word}: {payload['occurrence']}")

    if action == "stage.reopened" and payload.get("previous_state"):
        previous = STATE_WORDS.get(str(payload["previous_state"]), payload["previous_state"])
        when = f" {_moment_text(payload['previous_at'])}" if payload.get("previous_at") else ""
        lines.append(f"было: {previous}{when}")
    blocked = payload.get("blocked_by")
    if isinstance(blocked, list) and blocked:
        lines.append("ещё не были выполнены этапы: " + ", ".join(found.number(rid, key) for key in blocked))
    if payload.get("reason"):
        lines.append(f"причина: {payload['reason']}")
    if payload.get("note"):
        lines.append(f"комментарий: {payload['note']}")
    evidence = payload.get("evidence")
    if evidence:
        text = str(evidence)
        lines.append(f"подтверждение: файл sha256 {text[7:19]}…" if text.startswith("sha256:") else f"подтверждение: {text}")
    if payload.get("channel"):
        lines.append(f"через: {VIA_WORDS.get(str(payload['channel']), payload['channel'])}")
    return lines


def _feed(action: str, payload: dict[str, Any], found: Directory, rid: str | None) -> list[str]:
    if action == "feed.rotated":
        return [f"ссылка {payload.get('old', '?')} заменена на {payload.get('new', '?')}"]
    if action == "feed.revoked":
        return [f"ссылка {payload.get('token', '?')}"]
    scope, key = payload.get("scope"), payload.get("key")
    if scope == "person":
        what = f"календарь человека: {found.person(key, rid)}"
    elif scope == "role":
        what = f"календарь роли: {found.role(rid, key)}"
    else:
        what = "календарь всей дорожной карты"
    lines = [f"ссылка {payload.get('token', '?')}", what]
    if payload.get("todo"):
        lines.append("задачи (VTODO) вместо событий")
    return lines


def _channel(key: object) -> str:
    text = str(key or "")
    if text.startswith("apprise:"):
        return f"Apprise ({text.split(':', 1)[1]})"
    return CHANNEL_WORDS.get(text, text or "?")


def _reminder(action: str, payload: dict[str, Any], found: Directory, rid: str | None) -> list[str]:
    if action == "reminder.requeued":
        return [f"сообщений снова в очереди: {payload.get('count', '?')}"]
    lines = []
    if payload.get("person"):
        lines.append(f"кому: {found.person(payload['person'], rid)}")
    lines.append(f"канал: {_channel(payload.get('channel'))}")
    if payload.get("kind"):
        lines.append(f"вид: {render.KIND_NAMES.get(str(payload['kind']), payload['kind'])}")
    if payload.get("attempts"):
        lines.append(f"попытка {payload['attempts']}")
    if payload.get("error"):
        lines.append(f"ошибка: {payload['error']}")
    return lines


def _tick(payload: dict[str, Any]) -> list[str]:
    lines = []
    as_of = payload.get("as_of")
    if as_of:
        try:
            lines.append(f"за день: {russian.format_date(dt.date.fromisoformat(str(as_of)[:10]))}")
        except ValueError:
            lines.append(f"за день: {as_of}")
    for key, word in (("stages", "этапов"), ("overdue", "просрочено")):
        if payload.get(key) is not None:
            lines.append(f"{word}: {payload[key]}")
    reminders = payload.get("reminders")
    if isinstance(reminders, dict):
        if reminders.get("error"):
            lines.append(f"напоминания: ошибка — {reminders['error']}")
        else:
            words = {"queued": "в очереди", "sent": "отправлено", "retrying": "ждут повтора", "failed": "не доставлено"}
            counts = ", ".join(f"{word} {reminders[key]}" for key, word in words.items() if reminders.get(key))
            lines.append(f"напоминания: {counts or 'нет'}")
    return lines


def _generic(payload: dict[str, Any], found: Directory, rid: str | None) -> list[str]:
    lines = []
    for key, value in payload.items():
        if isinstance(value, dict | list):
            continue
        if key in ("by", "person"):
            value = found.person(value, rid)
        lines.append(f"{key}: {value}")
    return lines


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} Б"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} КБ".replace(".", ",")
    return f"{size / 1024 / 1024:.1f} МБ".replace(".", ",")


def prefect_ui_url(environ: Mapping[str, str] | None = None) -> str | None:
    value = (os.environ if environ is None else environ).get("PREFECT_UI_URL", "").strip().rstrip("/")
    return value if re.match(r"^https?://[^\s\"'<>]+$", value) else None


# --- exports --------------------------------------------------------------------------------------


def csv_bytes(entries: Sequence[Entry]) -> bytes:
    return render.history_csv(entries).encode("utf-8")


def xlsx_bytes(entries: Sequence[Entry], about: Sequence[tuple[str, str]] = ()) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Журнал"
    sheet.append(EXPORT_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE4EE")
    wrap = Alignment(wrap_text=True, vertical="top")
    for entry in entries:
        sheet.append([render.safe_cell(cell) for cell in entry.export_row("\n")])
        sheet.cell(row=sheet.max_row, column=8).alignment = wrap
    for index, width in enumerate(EXPORT_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(EXPORT_HEADERS))}{max(1, sheet.max_row)}"
    if about:
        info = book.create_sheet("Сведения")
        for key, value in about:
            info.append([key, render.safe_cell(value)])
        info.column_dimensions["A"].width = 24
        info.column_dimensions["B"].width = 80
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_name(filters: Filters, extension: str, today: dt.date) -> str:
    scope = f"-{filters.roadmap}" if filters.roadmap else ""
    return f"cyclogram-audit{scope}-{today.isoformat()}.{extension}"


# --- verification ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    chain_ok: bool
    checked: int
    chain_problem: str | None
    key_configured: bool
    key_problem: str | None
    unsigned: int
    state_problems: tuple[str, ...]
    evidence_files: int
    evidence_problems: tuple[str, ...]
    checkpoint: str | None  # the head to publish (only when the chain is intact)
    wanted: str | None = None  # a published checkpoint to check, as entered
    wanted_problem: str | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


def verification(tracker: Tracker, wanted_text: str | None = None) -> Verification:
    """`cyclogram audit verify` for the page (see module docstring)."""
    from cyclogram import app as services

    key_problem = None
    try:
        key = services.audit_key()
    except Refusal as refusal:
        key, key_problem = None, f"ключ аудита недоступен: {refusal}"
    result = tracker.verify(key)
    problems: list[str] = []
    if not result.ok:
        problems.append(f"журнал нарушен: {result.problem} (целых записей до нарушения: {result.checked})")
    if key_problem:
        problems.append(key_problem)
    wanted_problem = None
    wanted = (wanted_text or "").strip()
    if wanted:
        point = Checkpoint.parse(wanted.split()[-1])
        if point is None:
            wanted_problem = "контрольная точка записывается как НОМЕР:ХЭШ (64 шестнадцатеричных знака)"
        else:
            wanted_problem = tracker.verify_checkpoint(point)
            if wanted_problem is None and point.seq > result.checked:
                wanted_problem = f"события № {point.seq} в журнале нет: последние события удалены"
        if wanted_problem:
            problems.append(wanted_problem)
    state = tuple(tracker.verify_state())
    files, missing = tracker.verify_evidence()
    problems += [*state, *missing]
    checkpoint = str(Checkpoint(result.checked, result.head_hash)) if result.ok and result.checked else None
    return Verification(
        result.ok,
        result.checked,
        result.problem,
        key is not None,
        key_problem,
        result.unsigned,
        state,
        files,
        tuple(missing),
        checkpoint,
        wanted or None,
        wanted_problem,
        tuple(problems),
    )


# --- the page -------------------------------------------------------------------------------------


def kind_choices() -> list[tuple[str, str]]:
    families = [(f"{key}.*", f"{word} — все события") for key, word in FAMILY_WORDS.items()]
    exact = list(ACTION_WORDS.items())
    return families + exact


def person_choices(found: Directory, roadmap_id: str) -> list[tuple[str, str]]:
    chosen = [found.roadmaps[roadmap_id]] if roadmap_id in found.roadmaps else list(found.roadmaps.values())
    people: dict[str, str] = {}
    for active in chosen:
        for key, person in active.roadmap.people.items():
            people.setdefault(key, person.name)
    accounts = dict(sorted(found.accounts.items(), key=lambda item: item[1]))
    return sorted(people.items(), key=lambda item: item[1]) + [
        (email, f"{name} (пользователь)") for email, name in accounts.items()
    ]


def routes(context: WebContext) -> list[BaseRoute]:
    # Starlette here only: `cyclogram history` reads the events with `describe` and needs no web stack.
    from starlette.responses import Response
    from starlette.routing import Route

    from cyclogram.web.auth import require

    tracker = context.tracker

    def history(request: Request) -> tuple[Filters, list[str], list[Entry], Directory]:
        found = directory(tracker)
        filters, problems = parse_filters(request.query_params, found)
        prefect_ui = prefect_ui_url()
        entries = [describe(record, found, prefect_ui) for record in select_records(tracker, filters, found)]
        return filters, problems, entries, found

    def page(request: Request) -> Response:
        require(context, request, *ROLES)
        filters, problems, entries, found = history(request)
        total = len(entries)
        pages = max(1, -(-total // PAGE_SIZE))
        filters = replace(filters, page=min(filters.page, pages))
        newest_first = entries[::-1]
        shown = newest_first[(filters.page - 1) * PAGE_SIZE : filters.page * PAGE_SIZE]
        checked = verification(tracker, request.query_params.get("checkpoint"))
        zones = sorted({entry.zone for entry in shown})
        response: Response = context.render(
            request,
            "audit.html.j2",
            filters=filters,
            problems=problems,
            entries=shown,
            total=total,
            first=(filters.page - 1) * PAGE_SIZE + 1 if shown else 0,
            last=(filters.page - 1) * PAGE_SIZE + len(shown),
            pages=pages,
            roadmaps=sorted(found.roadmaps.values(), key=lambda a: a.roadmap.title),
            people=person_choices(found, filters.roadmap),
            kinds=kind_choices(),
            zones=zones,
            verify=checked,
            export_query=filters.query(page=1),
        )
        return response

    def export_csv(request: Request) -> Response:
        require(context, request, *ROLES)
        filters, _, entries, found = history(request)
        name = export_name(filters, "csv", dt.datetime.now(found.zone).date())
        return Response(csv_bytes(entries), media_type=CSV_TYPE, headers=_attachment(name))

    def export_xlsx(request: Request) -> Response:
        require(context, request, *ROLES)
        filters, _, entries, found = history(request)
        now = dt.datetime.now(found.zone)
        about = [
            ("Выгружено", f"{now:%d.%m.%Y %H:%M} ({found.zone.key})"),
            ("Записей", str(len(entries))),
            ("Фильтры", "; ".join(f"{k}={v}" for k, v in filters.params(page=1).items()) or "нет"),
        ]
        body = xlsx_bytes(entries, about)
        return Response(body, media_type=XLSX_TYPE, headers=_attachment(export_name(filters, "xlsx", now.date())))

    return [
        Route("/audit", page, methods=["GET"]),  # sync: Starlette runs it in a worker thread
        Route("/audit/export.csv", export_csv, methods=["GET"]),
        Route("/audit/export.xlsx", export_xlsx, methods=["GET"]),
    ]


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
