"""Asking the bot: /мои, /сегодня, /просрочено, /помощь (synchronous, run in a worker thread).

* **/мои** (`/my`): for each person the chat speaks for, their overdue stages (most late first) and
  the stages due by the end of this week (blocked ones too, saying what they wait for), as one
  message with buttons per stage (`cards`, at most `cards.MAX_BUTTON_ITEMS`; the text lists up to
  `MAX_LINES`). The same status as everywhere: the roadmap's own today, working days.
* **/сегодня** (`/today`): the stages due today.
* **/просрочено** (`/overdue`): every overdue stage of the roadmap with who answers for it — for
  the school's leadership only (`may_see_overdue`): a person whose `position` in the roadmap, or
  the title of a roadmap role they are a member of, names the director or a deputy director
  («заместитель директора по УВР», «зам. директора», «завуч», «директор ОУ», «заместитель
  руководителя»), and anyone the roadmap names as a `supervisor` (they get the escalations of
  those overdue stages anyway). In the seed roadmaps every teacher's supervisor is the director,
  so the deputy director qualifies by position. The command is refused for everyone else. No
  buttons: a supervisor does not mark other people's stages (the web board is for that).
* **/помощь** (`/help`, `/start` without a code): what the bot does, and whom the chat is linked to.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from cyclogram import actionlinks
from cyclogram.bot import chats, texts
from cyclogram.bot.cards import MAX_BUTTON_ITEMS, Item
from cyclogram.bot.context import BotContext
from cyclogram.engine.model import Roadmap
from cyclogram.engine.status import FINISHED, RoadmapStatus, StageStatus, Status
from cyclogram.tracker import TrackingError

MAX_LINES = 30
MAX_OVERDUE_LINES = 40
WAITING = frozenset({Status.OPEN, Status.DUE_SOON, Status.BLOCKED})
# a position or role title naming the director or a deputy («заместитель директора по УВР», «зам.
# директора», «замдиректора», «завуч», «директор ОУ», «заместитель руководителя»); not «руководитель ШМО»
LEADERSHIP = re.compile(r"директор|завуч|зам(?:еститель|\.)?\s*руководител", re.IGNORECASE)


@dataclass(frozen=True)
class Listing:
    """One message of stages with buttons, for one person of one roadmap."""

    roadmap_id: str
    person: str
    text: str
    items: list[Item]


def my_stages(ctx: BotContext, chat_id: str, *, today_only: bool = False) -> list[Listing] | str:
    """/мои and /сегодня: a listing per person the chat speaks for, or a Russian answer."""
    people = chats.chat_people(ctx.tracker, ctx.secrets, chat_id)
    if not people:
        return texts.NOT_LINKED
    listings = []
    for person in people:
        try:
            status = ctx.tracker.status(person.roadmap_id)
        except TrackingError:
            continue
        rows = _todays(status, person.person) if today_only else _this_week(status, person.person)
        title = "Сроки сегодня" if today_only else "Мои этапы"
        heading = texts.list_heading(title, person.name, person.roadmap_title)
        if not rows:
            listings.append(Listing(person.roadmap_id, person.person, f"{heading}\n{texts.nothing_listed(today_only)}", []))
            continue
        lines = [_line(status, row) for row in rows[:MAX_LINES]]
        if len(rows) > MAX_LINES:
            lines.append(texts.overdue_more(len(rows) - MAX_LINES))
        items = [_item(ctx, status, person.person, row) for row in rows[:MAX_BUTTON_ITEMS]]
        listings.append(Listing(person.roadmap_id, person.person, "\n".join([heading, "", *lines]), items))
    return listings or texts.NOT_LINKED


def overdue(ctx: BotContext, chat_id: str) -> list[str]:
    """/просрочено: a message per roadmap the chat supervises, or the refusal."""
    people = chats.chat_people(ctx.tracker, ctx.secrets, chat_id)
    if not people:
        return [texts.NOT_LINKED]
    messages = []
    seen: set[str] = set()
    for person in people:
        if person.roadmap_id in seen or not may_see_overdue(ctx, person.roadmap_id, person.person):
            continue
        seen.add(person.roadmap_id)
        status = ctx.tracker.status(person.roadmap_id)
        roadmap = status.plan.roadmap
        rows = sorted((r for r in status.stages.values() if r.status is Status.OVERDUE), key=lambda r: -(r.days_late or 0))
        heading = f"Просрочено — «{roadmap.title}»: {len(rows)}"
        lines = []
        for row in rows[:MAX_OVERDUE_LINES]:
            planned = status.plan.stages[row.stage_id]
            names = (
                ", ".join(roadmap.people[k].name for k in planned.responsible if k in roadmap.people)
                or "ответственный не назначен"
            )
            stage = texts.stage_name(planned.stage.display_number, planned.stage.title, row.occurrence, 60)
            lines.append(f"• {stage} — {names}; {texts.days_late(row.days_late)}")
        if len(rows) > MAX_OVERDUE_LINES:
            lines.append(texts.overdue_more(len(rows) - MAX_OVERDUE_LINES))
        messages.append("\n".join([heading, *([""] + lines if lines else ["Просроченных этапов нет."])]))
    return messages or [texts.ONLY_SUPERVISORS]


def help_for(ctx: BotContext, chat_id: str) -> str:
    people = chats.chat_people(ctx.tracker, ctx.secrets, chat_id)
    if not people:
        return texts.help_text([], False) + "\n\n" + texts.NOT_LINKED
    supervisor = any(may_see_overdue(ctx, p.roadmap_id, p.person) for p in people)
    return texts.help_text([texts.person_line(p.name, p.roadmap_title) for p in people], supervisor)


def may_see_overdue(ctx: BotContext, roadmap_id: str, person: str) -> bool:
    """/просрочено: the director or a deputy by position or role, or a supervisor (module docstring)."""
    try:
        roadmap = ctx.tracker.active(roadmap_id).roadmap
    except TrackingError:
        return False
    return is_leadership(roadmap, person)


def is_leadership(roadmap: Roadmap, person: str) -> bool:
    """The rule of `may_see_overdue` on a roadmap (module docstring)."""
    found = roadmap.people.get(person)
    if found is None:
        return False
    titles = [found.position or ""] + [role.title for role in roadmap.roles.values() if person in role.members]
    if any(LEADERSHIP.search(title) for title in titles):
        return True
    return any(other.supervisor == person for other in roadmap.people.values())


# --- listing --------------------------------------------------------------------------------------


def _this_week(status: RoadmapStatus, person: str) -> list[StageStatus]:
    today = status.moment
    week_end = today + dt.timedelta(days=6 - today.weekday())
    rows = status.for_person(person)
    late = sorted((r for r in rows if r.status is Status.OVERDUE), key=lambda r: (-(r.days_late or 0), r.due or today))
    week = sorted(
        (r for r in rows if r.status in WAITING and r.due is not None and r.due <= week_end), key=lambda r: r.due or today
    )
    return late + week


def _todays(status: RoadmapStatus, person: str) -> list[StageStatus]:
    today = status.moment
    return [r for r in status.for_person(person) if r.status not in FINISHED and r.due == today]


def _line(status: RoadmapStatus, row: StageStatus) -> str:
    planned = status.plan.stages[row.stage_id]
    stage = texts.stage_name(planned.stage.display_number, planned.stage.title, row.occurrence, 70)
    if row.status is Status.OVERDUE:
        state = texts.days_late(row.days_late)
    else:
        state = texts.due_text(row.due)
    if row.blocked_by:
        numbers = ", ".join(status.plan.stages[key].stage.display_number for key in row.blocked_by)
        state += f"; ждёт этапов {numbers}"
    return f"• {stage} — {state}"


def _item(ctx: BotContext, status: RoadmapStatus, person: str, row: StageStatus) -> Item:
    planned = status.plan.stages[row.stage_id]
    link = None
    if ctx.base_url:
        from cyclogram.links import link_url

        expires = actionlinks.stage_expiry(row.due, status.moment)
        token = actionlinks.issue(ctx.key, status.plan.roadmap.id, person, row.stage_id, row.occurrence, expires=expires)
        link = link_url(ctx.base_url, token)
    return Item(row.stage_id, row.occurrence, "list", link, planned.stage.display_number)
