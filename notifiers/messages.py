"""Reminder texts: a `Reminder` (or a day's reminders for one person) becomes a ready-to-send message.

Every message comes in four forms at once — an email subject, a plain-text body, an HTML body and a
short chat text (Telegram, ≤ 1000 characters) — so a notifier picks what its channel takes.

The wording lives in Jinja2 templates under `notifiers/templates/<language>/`, one folder per
language, written so that a teacher can edit the Russian text without touching Python (see the
README.md there). This module only gathers the facts the templates need and keeps the limits:

* The templates get plain values prepared here (names, numbers, dates, the `done` command) and
  never the roadmap itself, so no template can show a contact address or a `secret:` reference.
* Action links: with a link-maker (`links`, see `cyclogram.links`) every item carries the
  recipient's link to its stage (`item.link`): a button in the HTML e-mail, a line in the text and
  chat versions, one per digest item. The `cyclogram done …` command is then shown only when asked
  for (`show_command`, the setting `CYCLOGRAM_SHOW_COMMAND=1`, for operators); without a link it is
  the way to mark a stage and is always shown (`item.show_command`).
* Notes: only what the roadmap's author marked for staff reaches a message (`Stage.staff_notes`:
  `notes_for_staff: true`, or its own text); the author's `notes` (review remarks) never do.
* "blocking" reminders (`engine.reminders`: the recipient's stage holds up an overdue one) carry the
  stage held up as `item.held_up` (number, title, due, days late, owner) — also when, in a digest,
  the blocking reminder is merged into another kind about the same stage.
* `.html.j2` templates are autoescaped: a stage title with `<script>` or quotes shows as text.
  Text and chat templates are not escaped — they are plain text and show roadmap text verbatim.
* Subjects are one line of at most `SUBJECT_LIMIT` characters (the stage title is shortened with
  "…" at a word boundary until it fits); chat texts are at most `SHORT_LIMIT` characters (a digest
  lists the most urgent items that fit and says how many more there are).

Pure: no clock, no I/O beyond reading the templates, no sending.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from cyclogram.engine import russian
from cyclogram.engine.model import Roadmap, walk_stages
from cyclogram.engine.plan import PlannedStage
from cyclogram.engine.reminders import Kind, Reminder
from cyclogram.engine.russian import shorten
from cyclogram.engine.status import RoadmapStatus

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_LANGUAGE = "ru"
SUBJECT_LIMIT = 120  # characters in an email subject
SHORT_LIMIT = 1000  # characters in a chat message (Telegram allows 4096; ours stay readable)
SUBJECT_TITLE_LIMIT = 60  # a stage title in a subject starts at this length and shrinks to fit
MIN_TITLE_LIMIT = 12
_LANGUAGE_NAME = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")

# A reminder's action link (`cyclogram.links.reminder_links`), or None (no web app configured).
LinkMaker = Callable[[Reminder], str | None]

# Template file names; every language folder has the same set.
_FILES = {"subject": "{name}.subject.j2", "txt": "{name}.txt.j2", "html": "{name}.html.j2", "short": "{name}.short.j2"}


@dataclass(frozen=True)
class Message:
    subject: str  # one line, ≤ SUBJECT_LIMIT characters
    text: str  # plain-text email body
    html: str  # HTML email body (a whole document, inline styles, all roadmap text escaped)
    short: str  # chat text: plain, compact, ≤ SHORT_LIMIT characters


# --- templates -------------------------------------------------------------------------------


def available_languages() -> list[str]:
    """Languages with a template set: the folders under notifiers/templates/ holding templates."""
    if not TEMPLATES.is_dir():
        return []
    return sorted(
        entry.name
        for entry in TEMPLATES.iterdir()
        if entry.is_dir() and _LANGUAGE_NAME.match(entry.name) and any(entry.glob("*.j2"))
    )


def _environment(language: str) -> Environment:
    available = available_languages()
    if language not in available:
        raise ValueError(
            f"нет шаблонов уведомлений на языке «{language}»; есть: {', '.join(available) or 'ни одного'} (папки в {TEMPLATES})"
        )
    return _cached_environment(language)


@cache
def _cached_environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES / language), encoding="utf-8"),
        autoescape=select_autoescape(enabled_extensions=("html.j2", "html"), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(
        date=_date,
        date_weekday=_date_weekday,
        plural=_plural,
        shorten=shorten,
        nl2br=_nl2br,
        sentence=_sentence,
    )
    return env


def _date(day: dt.date | None) -> str:
    return russian.format_date(day) if day else ""


def _date_weekday(day: dt.date | None) -> str:
    return russian.format_date_weekday(day) if day else ""


def _plural(n: int, one: str, few: str, many: str) -> str:
    """{{ n | plural("рабочий день", "рабочих дня", "рабочих дней") }} — the word only."""
    return russian.plural(int(n), one, few, many)


def _sentence(value: object) -> str:
    """A phrase ending as a sentence: "Сегодня срок" → "Сегодня срок."; "…Торопкина А.А." stays."""
    text = str(value).rstrip()
    return text if not text or text[-1] in ".!?…" else text + "."


def _nl2br(value: object) -> Markup:
    """Escaped text with its line breaks kept (for notes written as a YAML block)."""
    lines = str(value).splitlines() or [""]
    return Markup("<br>\n").join(escape(line) for line in lines)


def _clean(text: str) -> str:
    """Template output tidied: no trailing spaces, at most one empty line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    result: list[str] = []
    for line in lines:
        if not line and result and not result[-1]:
            continue
        result.append(line)
    return "\n".join(result) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- the facts templates get -----------------------------------------------------------------


def _ns(**values: Any) -> SimpleNamespace:
    # SimpleNamespace, not dict: `item.items` or `stage.values` must not turn into dict methods.
    return SimpleNamespace(**values)


def _person(roadmap: Roadmap, key: str) -> SimpleNamespace:
    """Name and position only: contacts never reach a template."""
    person = roadmap.people.get(key)
    if person is None:
        return _ns(key=key, name=key, position=None)
    return _ns(key=key, name=person.name, position=person.position)


def _roadmap(roadmap: Roadmap) -> SimpleNamespace:
    return _ns(
        id=roadmap.id,
        title=roadmap.title,
        organization=roadmap.organization,
        timezone=roadmap.timezone,
        send_at=roadmap.defaults.send_at.strftime("%H:%M"),
        digest=roadmap.defaults.digest,
    )


def _stage_ref(status: RoadmapStatus, planned: PlannedStage) -> str:
    """What to type after `cyclogram done <roadmap>`: the document number when it names this stage
    unambiguously, else the id."""
    number = planned.stage.display_number
    if planned.stage.number and " " not in number and status.plan.by_number_or_id(number) is planned:
        return number
    return planned.id


def _done_command(status: RoadmapStatus, planned: PlannedStage, occurrence: str, by: str) -> str:
    parts = ["cyclogram", "done", status.plan.roadmap.id, _stage_ref(status, planned), "--by", by]
    labelled = [o for o in planned.occurrences if o.label]
    if occurrence and len(planned.occurrences) > 1 and labelled:
        parts += ["--occurrence", shlex.quote(occurrence)]
    return " ".join(parts)


def _period_start(reminder: Reminder) -> dt.date | None:
    if reminder.kind is not Kind.CHECKIN or not reminder.step.startswith("checkin:"):
        return None
    try:
        return dt.date.fromisoformat(reminder.step.split(":", 1)[1])
    except ValueError:
        return None


def _planned(status: RoadmapStatus, stage_id: str) -> PlannedStage:
    planned = status.plan.stages.get(stage_id)
    if planned is None:
        raise ValueError(f"в дорожной карте {status.plan.roadmap.id} нет этапа «{stage_id}»")
    return planned


def _held_up(status: RoadmapStatus, reminder: Reminder | None) -> SimpleNamespace | None:
    """The overdue stage a "blocking" reminder is about (see module docstring)."""
    if reminder is None:
        return None
    planned = status.plan.stages.get(reminder.about or "")
    if planned is None:  # a reminder made by hand, or a stage gone from a new version
        about = reminder.about or "?"
        return _ns(id=about, number=about, title="", due=None, days_late=max(1, reminder.days_late or 1), owner=None, others=[])
    row = status.stages.get(planned.id)
    owner = _person(status.plan.roadmap, planned.responsible[0]).name if planned.responsible else None
    return _ns(
        id=planned.id,
        number=planned.stage.display_number,
        title=planned.stage.title,
        due=row.due if row is not None else planned.due,
        days_late=max(1, reminder.days_late or 1),
        owner=owner,
        others=[
            status.plan.stages[key].stage.display_number
            for key in reminder.held
            if key != planned.id and key in status.plan.stages
        ],
    )


def _item(
    reminder: Reminder,
    status: RoadmapStatus,
    also: Sequence[Reminder] = (),
    links: LinkMaker | None = None,
    show_command: bool = False,
) -> SimpleNamespace:
    """One reminder as the templates see it (`also`: other kinds about the same stage in a digest;
    `links`: the recipient's action link; the command is shown without a link or when asked for)."""
    roadmap = status.plan.roadmap
    if reminder.roadmap_id != roadmap.id:
        raise ValueError(f"напоминание относится к дорожной карте {reminder.roadmap_id}, а статус — к {roadmap.id}")
    planned = _planned(status, reminder.stage_id)
    stage = planned.stage
    kind = reminder.kind
    owner_key = (
        reminder.about if kind is Kind.ESCALATION and reminder.about else (planned.responsible[:1] or (reminder.person,))[0]
    )
    others = [_person(roadmap, key).name for key in planned.responsible if key != reminder.person]
    also_owner = [_person(roadmap, key).name for key in planned.responsible if key not in (reminder.person, owner_key)]
    unblocker = None
    unblocked = next((r for r in (reminder, *also) if r.kind is Kind.UNBLOCKED and r.about), None)
    if unblocked is not None:
        assert unblocked.about is not None
        source = status.plan.stages.get(unblocked.about)
        unblocker = (
            _ns(id=source.id, number=source.stage.display_number, title=source.stage.title)
            if source is not None
            else _ns(id=unblocked.about, number=unblocked.about, title="")
        )
    held_up = _held_up(status, next((r for r in (reminder, *also) if r.kind is Kind.BLOCKING), None))
    days_left, days_late = reminder.days_left, reminder.days_late
    if reminder.due is not None:  # reminders made by hand may leave them out: count them here
        between = status.plan.calendar.working_days_between
        if days_left is None and kind in (Kind.LEAD, Kind.DUE, Kind.UNBLOCKED) and reminder.due >= reminder.day:
            days_left = between(reminder.day, reminder.due)
        if days_late is None and kind in (Kind.OVERDUE, Kind.ESCALATION) and reminder.due < reminder.day:
            days_late = max(1, between(reminder.due, reminder.day))
    recipient = roadmap.people.get(reminder.person)
    supervisor = recipient.supervisor if recipient is not None else None
    by = owner_key if kind is Kind.ESCALATION else reminder.person
    link = links(reminder) if links is not None else None
    return _ns(
        kind=kind.value,
        also=[other.kind.value for other in also if other.kind is not kind],
        stage=_ns(
            id=stage.id,
            number=stage.display_number,
            title=stage.title,
            when=stage.when,
            document=stage.document,
            expected_result=stage.expected_result,
            evidence_required=stage.evidence_required,
            notes=stage.staff_notes,
            continuous=planned.kind == "continuous",
            check_every=stage.check_every,
        ),
        occurrence=reminder.occurrence,
        due=reminder.due,
        due_time=_due_time(planned, reminder),
        day=reminder.day,
        days_left=days_left,
        days_late=days_late,
        period_start=_period_start(reminder),
        owner=_person(roadmap, owner_key),
        co_responsible=others,  # everyone else answering for the stage (for an escalation: the owner too)
        also_responsible=also_owner,  # everyone else but the recipient and the owner
        supervisor=_person(roadmap, supervisor) if supervisor else None,
        unblocked_by=unblocker,
        held_up=held_up,
        done_command=_done_command(status, planned, reminder.occurrence, by),
        link=link,
        show_command=show_command or link is None,
    )


def _due_time(planned: PlannedStage, reminder: Reminder) -> str | None:
    """ "09:00" when the deadline the reminder is about has an hour («за 1 час до начала»)."""
    for occurrence in planned.occurrences:
        if occurrence.due == reminder.due and (occurrence.label or "") == reminder.occurrence and occurrence.due_time:
            return occurrence.due_time.strftime("%H:%M")
    return None


# --- rendering -------------------------------------------------------------------------------


def _render(env: Environment, name: str, form: str, context: dict[str, Any]) -> str:
    return env.get_template(_FILES[form].format(name=name)).render(context)


def _subject(env: Environment, name: str, context: dict[str, Any]) -> str:
    """One line within SUBJECT_LIMIT: the title shrinks (at word boundaries) until it fits."""
    title_limit = SUBJECT_TITLE_LIMIT
    while True:
        subject = _one_line(_render(env, name, "subject", {**context, "title_limit": title_limit}))
        if len(subject) <= SUBJECT_LIMIT or title_limit <= MIN_TITLE_LIMIT:
            return shorten(subject, SUBJECT_LIMIT)
        title_limit = max(MIN_TITLE_LIMIT, title_limit - (len(subject) - SUBJECT_LIMIT))


def _short(env: Environment, name: str, context: dict[str, Any]) -> str:
    text = _clean(_render(env, name, "short", context)).strip()
    return _fit(text, SHORT_LIMIT)


def _fit(text: str, limit: int) -> str:
    """A last resort for hand-edited templates: cut at a line (else word) boundary with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 2]
    newline = cut.rfind("\n")
    if newline >= limit // 2:
        return cut[:newline].rstrip() + "\n…"
    return shorten(text, limit)


def _message(env: Environment, name: str, context: dict[str, Any], short: str | None = None) -> Message:
    subject = _subject(env, name, context)
    context = {**context, "subject": subject}
    return Message(
        subject=subject,
        text=_clean(_render(env, name, "txt", context)),
        html=_render(env, name, "html", context).strip() + "\n",
        short=short if short is not None else _short(env, name, context),
    )


def render_reminder(
    reminder: Reminder,
    status: RoadmapStatus,
    language: str = DEFAULT_LANGUAGE,
    *,
    links: LinkMaker | None = None,
    show_command: bool = False,
) -> Message:
    """The message for one reminder, in the recipient's words ("Здравствуйте, Волкова Л.А.!");
    `links`/`show_command`: the action link and the command line (module docstring)."""
    env = _environment(language)
    roadmap = status.plan.roadmap
    context = {
        "recipient": _person(roadmap, reminder.person),
        "roadmap": _roadmap(roadmap),
        "item": _item(reminder, status, links=links, show_command=show_command),
    }
    return _message(env, "reminder", context)


@dataclass
class _Group:
    kind: str
    entries: list[SimpleNamespace] = field(default_factory=list)


def _digest_entries(
    reminders: Iterable[Reminder], status: RoadmapStatus, links: LinkMaker | None = None, show_command: bool = False
) -> list[SimpleNamespace]:
    """Items most urgent first; one item per stage occurrence (its most urgent kind, the others in
    `also`: "lead" and "unblocked" about the same stage read as one item)."""
    order = {key: index for index, key in enumerate(status.plan.stages)}
    ranked = sorted(reminders, key=lambda r: (r.urgency(), order.get(r.stage_id, len(order)), r.occurrence))
    grouped: dict[tuple[str, str], list[Reminder]] = {}
    for reminder in ranked:
        grouped.setdefault((reminder.stage_id, reminder.occurrence), []).append(reminder)
    return [_item(group[0], status, group[1:], links, show_command) for group in grouped.values()]


def render_digest(
    reminders: list[Reminder],
    status: RoadmapStatus,
    language: str = DEFAULT_LANGUAGE,
    *,
    links: LinkMaker | None = None,
    show_command: bool = False,
) -> Message:
    """One message listing all of a person's reminders of the day, most urgent first
    (escalations, overdue — most late first, due today, unblocked, lead, check-ins); each item
    with its own action link when `links` is given."""
    env = _environment(language)
    if not reminders:
        raise ValueError("сводка без напоминаний: нечего отправлять")
    people = {reminder.person for reminder in reminders}
    if len(people) > 1:
        raise ValueError(f"сводка собирается для одного человека, а напоминания адресованы: {', '.join(sorted(people))}")
    roadmap = status.plan.roadmap
    entries = _digest_entries(reminders, status, links, show_command)
    groups: list[_Group] = []
    for entry in entries:
        if not groups or groups[-1].kind != entry.kind:
            groups.append(_Group(entry.kind))
        groups[-1].entries.append(entry)
    counts = {kind.value: sum(entry.kind == kind.value for entry in entries) for kind in Kind}
    day = max(reminder.day for reminder in reminders)
    context: dict[str, Any] = {
        "recipient": _person(roadmap, next(iter(people))),
        "roadmap": _roadmap(roadmap),
        "day": day,
        "groups": [_ns(kind=group.kind, entries=group.entries) for group in groups],
        "total": len(entries),
        "evidence": any(entry.stage.evidence_required and entry.kind != "checkin" and entry.show_command for entry in entries),
        "counts": _ns(**counts),
    }
    # The chat text lists as many of the most urgent items as fit and says how many are left out.
    short = ""
    for shown in range(len(entries), 0, -1):
        context_short = {**context, "shown": entries[:shown], "more": len(entries) - shown}
        short = _clean(_render(env, "digest", "short", context_short)).strip()
        if len(short) <= SHORT_LIMIT:
            break
    return _message(env, "digest", {**context, "shown": entries, "more": 0}, _fit(short, SHORT_LIMIT))


def _stage_count(roadmap: Roadmap, person_key: str) -> int:
    count = 0
    for ref in walk_stages(roadmap):
        for key in ref.stage.responsible:
            members = roadmap.roles[key].members if key in roadmap.roles else [key]
            if person_key in members:
                count += 1
                break
    return count


def render_test(person_key: str, roadmap: Roadmap, language: str = DEFAULT_LANGUAGE) -> Message:
    """A test message for `cyclogram notify-test`: "Проверка канала уведомлений Cyclogram"."""
    env = _environment(language)
    if person_key not in roadmap.people:
        known = ", ".join(sorted(roadmap.people)) or "никого"
        raise ValueError(f"в дорожной карте {roadmap.id} нет человека «{person_key}»; есть: {known}")
    person = roadmap.people[person_key]
    context = {
        "recipient": _person(roadmap, person_key),
        "roadmap": _roadmap(roadmap),
        "stage_count": _stage_count(roadmap, person_key),
        "supervisor": _person(roadmap, person.supervisor) if person.supervisor else None,
    }
    return _message(env, "test", context)
