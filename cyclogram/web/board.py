"""Seeing the year: the roadmaps, a roadmap's board, its Gantt chart, a person's own stages.

Pages (Russian, server-rendered; ids are stable for the browser tests):

* `/` — the loaded roadmaps (signed-in users): title, organization, academic year, version, progress
  and overdue stages, each linking to its board. The list is `Tracker.roadmaps()`, what
  `cyclogram roadmaps` prints.
* `/r/{roadmap}` — the board: sections with progress bars, stages coloured by status, counts per
  status, filters (person, role, status, section, «на дату») as a GET form `#board-filters` that
  submits itself on change (`data-autosubmit`, static/app.js), the stages in `table#board`. Statuses
  read as `cyclogram status` words them (`engine.status.status_text`: «резерв, не задействован»,
  «по мере необходимости, выполнен 2 раза»); a triggered stage's line is about its earliest open
  occurrence, its other open occurrences listed under the date (`StageLine.more`), as `status`
  lists them under the stage. Counts and progress are `cyclogram status`'s own
  (`engine.status.counts`, `engine.status.progress`): a stage done «по мере необходимости» is counted
  under that word (its badge filters by `status=as_needed`; «срок не определён» then lists only the
  others) and left out of progress, like continuous stages and reserves — on the board, its
  sections and the list of roadmaps alike. A deadline with an hour reads «04.06.2025 09:00» in
  «Срок» (`when_text`, `engine.status.due_time`), here and on «Мои этапы».
* `/r/{roadmap}/gantt` — the same filters over a server-drawn SVG (`svg#gantt`,
  `cyclogram.web.gantt`), printable on A4 landscape.
* `/r/{roadmap}/people/{person}` (signed-in) and `/p/{token}` (a person's own action link, stage
  "") — «Мои этапы»: overdue (`#my-overdue`), this week (`#my-week`), next (`#my-next`), recently
  done (`#my-done`; a stage done as often as needed stays in «Дальше» with how many times, never
  «done» for good), each stage with a link to act on it, and the person's calendar subscription
  (`#calendar-url`, created once and reused) with a copy button and how to subscribe; and
  «Telegram» (`#my-telegram`, `cyclogram.web.telegram`): the chats linked, «Подключить Telegram».

Decisions:

* **Computed once per request, cached never across requests.** Each page takes one
  `Tracker.snapshot` (the compiled version, the completions and the status of every stage, read in
  one go) and derives everything from it: filtering, counts and section progress are one pass over
  the stage statuses; names, dates and texts are built only for the rows shown. Nothing derived is
  kept between requests (the tracker keeps compiled versions, which never go stale: they are
  keyed by the version's hash), so a completion shows on the next request; pages are sent with
  `Cache-Control: no-store` so that a browser's back button does not show yesterday's truth either.
* **Big roadmaps page, they do not collapse into nothing.** The board shows `PAGE_ROWS` stages per
  page, grouped by section; the section summary above the table covers every stage of the filter,
  so a 10,000-stage roadmap answers with 200 rows and 100 progress bars, not 10,000 rows. The
  Gantt chart draws at most `GANTT_ROWS` stages and says so when the filter leaves more.
* **Filters narrow, the rest stays honest.** Person, role and section narrow the stages; the status
  filter narrows only the table — counts and section progress are about the person/role/section
  chosen, so «просрочен: 3» stays visible while the table shows the overdue ones. A role's stages
  are those naming the role or any of its members (as the role's calendar feed has them). An
  unknown person, role, status or a date that cannot be read is ignored with a note, never a 500.
* **«Сегодня» is the roadmap's today** (its time zone); another date shows the year as it stood
  then (completions after it are not counted — the engine's rule).
* **Acting is never a side door.** On a signed-in person's page a stage links to the signed-in
  stage page `/r/{roadmap}/s/{stage}` (links.py decides who may act there): issuing that person's
  action links to a viewer or an auditor would let them act as the teacher. On the person's own
  page (`/p/`), each stage gets a fresh stage action link for that person (`actionlinks.issue`,
  expiring `actionlinks.stage_expiry`).
* **A person's link is checked like a stage link**, by the same `cyclogram.links.Links.check`:
  signature, expiry in the roadmap's own date, revocation by id and by the person's reset; a stage
  link is not a page link, and the person must still be in the roadmap. Every failure is the same
  404 (no hint of which check failed). The access log masks `/p/<token>`
  (`cyclogram.web.app.mask_path`), and the page is never cached (it holds working links).
* **The calendar link** is the person's existing feed (not a to-do feed) or a new one, created by
  the person's own page or by an administrator or editor; viewers and auditors see an existing
  link only (looking at a page does not write for them).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from cyclogram import actionlinks
from cyclogram.engine import russian
from cyclogram.engine.diagnostics import Refusal
from cyclogram.engine.model import KEY_PATTERN, Roadmap
from cyclogram.engine.plan import Plan
from cyclogram.engine.status import (
    AS_NEEDED,
    STATUS_WORDS,
    RoadmapStatus,
    StageStatus,
    Status,
    StatusCounts,
    counted_as_needed,
    counts,
    due_time,
    progress,
    status_text,
)
from cyclogram.render import _days_text as days_text
from cyclogram.tracker import Snapshot, Tracker, TrackingError
from cyclogram.web import gantt
from cyclogram.web.telegram import person_section

if TYPE_CHECKING:
    from cyclogram.feeds import Feed
    from cyclogram.web.auth import User
    from cyclogram.web.context import WebContext

PAGE_ROWS = 200
GANTT_ROWS = 400
NEXT_ROWS = 15  # «Дальше» on a person's page
DONE_ROWS = 10  # «Недавно выполнено»
DONE_DAYS = 30
FINISHED = frozenset({Status.DONE, Status.DONE_LATE, Status.SKIPPED})
WAITING = frozenset({Status.OPEN, Status.DUE_SOON, Status.BLOCKED})
VIEW_ROLES = ("admin", "editor", "viewer", "auditor")
FEED_ROLES = ("admin", "editor")
NO_STORE = {"Cache-Control": "no-store"}
OUTSIDE_SECTIONS = "Этапы"
ROADMAP_ID = re.compile(KEY_PATTERN)
AS_NEEDED_FILTER = "as_needed"  # the status filter's value for «по мере необходимости»

_feed_lock = threading.Lock()  # one person's feed created once even when two pages open together


# --- filters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the board's GET form asks for (empty strings: no filter)."""

    person: str = ""
    role: str = ""
    status: str = ""
    section: str = ""
    as_of: dt.date | None = None
    page: int = 1

    def query(self, **changes: Any) -> str:
        """The query string ("?person=…&page=2", "" when nothing is chosen) of these filters with
        `changes` (for paging, status and section links)."""
        chosen = replace(self, **changes)
        values = {
            "person": chosen.person,
            "role": chosen.role,
            "status": chosen.status,
            "section": chosen.section,
            "as_of": chosen.as_of.isoformat() if chosen.as_of else "",
            "page": str(chosen.page) if chosen.page > 1 else "",
        }
        text = urllib.parse.urlencode({key: value for key, value in values.items() if value})
        return f"?{text}" if text else ""

    @property
    def narrowed(self) -> bool:
        return bool(self.person or self.role or self.status or self.section)


def parse_day(text: str) -> dt.date | None:
    """A date from the date picker (2024-10-14) or typed the Russian way (14.10.2024)."""
    value = text.strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def read_filters(params: Mapping[str, str], roadmap: Roadmap) -> tuple[Filters, list[str]]:
    """The filters of a request, and notes (Russian) about the values that were ignored."""
    notes: list[str] = []
    person, role, status = params.get("person", ""), params.get("role", ""), params.get("status", "")
    if person and person not in roadmap.people:
        notes.append(f"в дорожной карте нет человека «{person}»: фильтр по человеку не применён")
        person = ""
    if role and role not in roadmap.roles:
        notes.append(f"в дорожной карте нет роли «{role}»: фильтр по роли не применён")
        role = ""
    if status and status not in {s.value for s in Status} | {AS_NEEDED_FILTER}:
        notes.append(f"нет такого статуса «{status}»: фильтр по статусу не применён")
        status = ""
    as_of = None
    if params.get("as_of", "").strip():
        as_of = parse_day(params["as_of"])
        if as_of is None:
            notes.append(f"дата «{params['as_of']}» не распознана: показано на сегодня")
    try:
        page = max(1, int(params.get("page", "1") or "1"))
    except ValueError:
        page = 1
    return Filters(person, role, status, params.get("section", ""), as_of, page), notes


def stage_sections(plan: Plan) -> dict[str, str]:
    """stage id → its section heading ("1. Раздел / 1.2 …"; «Этапы» outside sections), each chain
    of sections titled once."""
    titles: dict[int, str] = {}
    result: dict[str, str] = {}
    for key, planned in plan.stages.items():
        chain = planned.ref.sections
        title = titles.get(id(chain))
        if title is None:
            title = titles[id(chain)] = planned.section_title or OUTSIDE_SECTIONS
        result[key] = title
    return result


def known_section(filters: Filters, sections: Mapping[str, str], notes: list[str]) -> Filters:
    """The filters without a section the roadmap does not have (with a note saying so)."""
    if filters.section and filters.section not in set(sections.values()):
        notes.append(f"в дорожной карте нет раздела «{filters.section}»: фильтр по разделу не применён")
        return replace(filters, section="")
    return filters


def role_people(roadmap: Roadmap, role: str) -> frozenset[str]:
    found = roadmap.roles.get(role)
    return frozenset(found.members) if found else frozenset()


def select(status: RoadmapStatus, filters: Filters, sections: Mapping[str, str]) -> tuple[list[StageStatus], list[StageStatus]]:
    """(the stages of the person/role/section chosen, those of them with the status chosen), in
    document order — one pass over the stages."""
    plan = status.plan
    members = role_people(plan.roadmap, filters.role) if filters.role else frozenset()
    base: list[StageStatus] = []
    for key, row in status.stages.items():
        if filters.section and sections.get(key) != filters.section:
            continue
        if filters.person or filters.role:
            planned = plan.stages[key]
            if filters.person and filters.person not in planned.responsible:
                continue
            if filters.role and filters.role not in planned.stage.responsible and not members.intersection(planned.responsible):
                continue
        base.append(row)
    if not filters.status:
        return base, base
    if filters.status == AS_NEEDED_FILTER:
        return base, [row for row in base if counted_as_needed(row, plan)]
    wanted = Status(filters.status)  # as counted: «срок не определён» is not the as-needed stages
    return base, [row for row in base if row.status is wanted and not counted_as_needed(row, plan)]


# --- what a page shows -------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionSummary:
    title: str
    total: int
    finished: int
    countable: int
    overdue: int

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.countable) if self.countable else 0


def section_summaries(rows: Iterable[StageStatus], sections: Mapping[str, str], plan: Plan) -> list[SectionSummary]:
    """Progress of each section over `rows` (`engine.status.progress`, as `cyclogram status` counts
    it), sections in document order."""
    grouped: dict[str, list[StageStatus]] = {}
    for row in rows:
        grouped.setdefault(sections[row.stage_id], []).append(row)
    result = []
    for title, items in grouped.items():
        finished, countable = progress(items, plan)
        overdue = sum(1 for r in items if r.status is Status.OVERDUE)
        result.append(SectionSummary(title, len(items), finished, countable, overdue))
    return result


def status_words() -> dict[str, str]:
    """The status filter's choices: every status, and «по мере необходимости» (`AS_NEEDED_FILTER`)."""
    return {s.value: STATUS_WORDS[s] for s in Status} | {AS_NEEDED_FILTER: AS_NEEDED}


def count_badges(found: StatusCounts) -> list[tuple[str, str, int]]:
    """(filter value, word, count) of the words that occur, as `cyclogram status` sums them up."""
    badges = [(s.value, STATUS_WORDS[s], n) for s, n in found.by_status.items() if n]
    return badges + ([(AS_NEEDED_FILTER, AS_NEEDED, found.as_needed)] if found.as_needed else [])


@dataclass(frozen=True)
class StageLine:
    """One stage as a page shows it (built only for the rows on the page)."""

    id: str
    number: str
    title: str
    section: str
    status: str  # Status.value: the badge's class
    status_text: str
    when: str  # the date of the occurrence the status is about
    days: str  # "осталось 3 раб. дня", "просрочен на 2 раб. дня", …
    who: str
    waits_for: str  # numbers of the unfinished stages it waits for
    done: str  # "14.10.2024, Волкова Л.А."
    href: str = ""  # where the title links: the stage page, or an action link
    # a triggered stage's further open occurrences (the line is about the earliest), as `status` lists
    # them under it: "21.10.2024 (запрос 17.10.2024 15:00) — скоро срок"
    more: tuple[str, ...] = ()


def when_text(row: StageStatus, plan: Plan) -> str:
    """«20.09.2024», «01.10.2024 – 15.10.2024», «04.06.2025 09:00» (a deadline with an hour, as
    `status --wide` shows it), «… (метка)»."""
    if row.status is Status.CONTINUOUS:
        return "постоянно"
    if row.due is None:
        return "срок не определён"
    hour = due_time(row, plan)
    text = russian.format_date(row.due) + (f" {hour:%H:%M}" if hour else "")
    if row.start and row.start != row.due:
        text = f"{russian.format_date(row.start)} – {text}"
    return f"{text} ({row.occurrence})" if row.occurrence else text


def stage_line(plan: Plan, row: StageStatus, section: str, href: str = "", extra: Sequence[StageStatus] = ()) -> StageLine:
    """`extra`: the stage's open occurrences (`RoadmapStatus.open_occurrences`); the first is `row`'s."""
    planned = plan.stages[row.stage_id]
    completion = row.completion
    done = ""
    if completion is not None:
        person = plan.roadmap.people.get(completion.by)
        done = f"{russian.format_date(completion.day)}, {person.name if person else completion.by}"
    waits = ", ".join(plan.stages[b].stage.display_number for b in row.blocked_by if b in plan.stages)
    return StageLine(
        id=row.stage_id,
        number=planned.stage.display_number,
        title=planned.stage.title,
        section=section,
        status=row.status.value,
        status_text=status_text(row, plan),
        when=when_text(row, plan),
        days=days_text(row),
        who=", ".join(plan.people_names(planned)),
        waits_for=waits,
        done=done,
        href=href,
        more=tuple(f"{when_text(other, plan)} — {status_text(other, plan)}" for other in extra[1:]),
    )


@dataclass
class SectionRows:
    title: str
    summary: SectionSummary | None
    lines: list[StageLine] = field(default_factory=list)


def page_groups(
    plan: Plan,
    rows: Sequence[StageStatus],
    sections: Mapping[str, str],
    summaries: Mapping[str, SectionSummary],
    href: Callable[[str], str],
    open_occurrences: Mapping[str, Sequence[StageStatus]] | None = None,
) -> list[SectionRows]:
    groups: list[SectionRows] = []
    extra = open_occurrences or {}
    for row in rows:
        title = sections[row.stage_id]
        if not groups or groups[-1].title != title:
            groups.append(SectionRows(title, summaries.get(title)))
        groups[-1].lines.append(stage_line(plan, row, title, href(row.stage_id), extra.get(row.stage_id, ())))
    return groups


def stage_href(roadmap_id: str) -> Callable[[str], str]:
    """The signed-in stage page of links.py."""
    quoted = urllib.parse.quote(roadmap_id, safe="")
    return lambda stage_id: f"/r/{quoted}/s/{urllib.parse.quote(stage_id, safe='')}"


# --- a person's stages -------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonStages:
    overdue: list[StageStatus]
    week: list[StageStatus]
    next: list[StageStatus]
    next_more: int
    done: list[StageStatus]


def person_stages(status: RoadmapStatus, person: str) -> PersonStages:
    """A person's stages for «Мои этапы»: overdue (most late first), due by the end of this week,
    after it (dated first, then undated and continuous work), done in the last `DONE_DAYS` days."""
    today = status.moment
    week_end = today + dt.timedelta(days=6 - today.weekday())
    rows = status.for_person(person)
    plan = status.plan
    overdue = sorted((r for r in rows if r.status is Status.OVERDUE), key=lambda r: (-(r.days_late or 0), r.due or today))
    waiting = [r for r in rows if r.status in WAITING and r.due is not None]
    week = sorted((r for r in waiting if r.due is not None and r.due <= week_end), key=lambda r: r.due or today)
    later = sorted((r for r in waiting if r.due is not None and r.due > week_end), key=lambda r: r.due or today)
    later += [
        r
        for r in rows
        if (r.status in WAITING and r.due is None)
        or r.status in (Status.UNSCHEDULED, Status.CONTINUOUS, Status.OPTIONAL)
        or counted_as_needed(r, plan)  # done as often as needed: never finished for good, stays here
    ]
    since = today - dt.timedelta(days=DONE_DAYS)
    done = sorted(
        (
            r
            for r in rows
            if r.status in FINISHED
            and not counted_as_needed(r, plan)
            and r.completion is not None
            and since <= r.completion.day <= today
        ),
        key=lambda r: r.completion.at if r.completion else dt.datetime.min,
        reverse=True,
    )
    return PersonStages(overdue, week, later[:NEXT_ROWS], max(0, len(later) - NEXT_ROWS), done[:DONE_ROWS])


def person_link(tracker: Tracker, key: bytes, token: str) -> tuple[actionlinks.ActionLink, Snapshot] | None:
    """A person's page link that is genuine, unexpired in its roadmap's today and not revoked
    (`cyclogram.links.Links.check`, as the stage pages check theirs), for a person of a loaded
    roadmap — with that roadmap's snapshot; None otherwise (module docstring)."""
    from cyclogram.links import Links

    genuine = actionlinks.read(key, token, dt.date.min)  # the signature; expiry below, in the roadmap's date
    if genuine is None or not genuine.for_person_page:
        return None
    try:
        snapshot = _snapshot(tracker, genuine.roadmap_id, None)
    except HTTPException:
        return None
    link = Links(tracker, key).check(token, snapshot.status.moment)
    if link is None or link.person not in snapshot.active.roadmap.people:
        return None
    return link, snapshot


def stage_link(key: bytes, page: actionlinks.ActionLink, row: StageStatus, today: dt.date) -> str:
    """The person's own action link to a stage of their page (`/a/…`), for the occurrence the status
    is about. It is dated no earlier than the page's link, which was issued after any reset of the
    person's links (a reset in this very second would otherwise revoke it at once)."""
    now = max(dt.datetime.now(dt.UTC), dt.datetime.fromtimestamp(page.issued_at, dt.UTC))
    expires = actionlinks.stage_expiry(row.due, today)
    token = actionlinks.issue(key, page.roadmap_id, page.person, row.stage_id, row.occurrence, expires=expires, now=now)
    return f"/a/{token}"


def person_feed(context: WebContext, roadmap_id: str, person: str, actor: str | None) -> Feed | None:
    """The person's calendar feed; a new one when there is none and `actor` may create it."""
    with _feed_lock:
        for feed in context.feeds.list(roadmap_id):
            if feed.scope == "person" and feed.scope_key == person and not feed.todo:
                return feed
        if actor is None:
            return None
        return context.feeds.create(roadmap_id, actor, person=person)


# --- requests ----------------------------------------------------------------------------------


def signed_in(context: WebContext, request: Request) -> User:
    """Any signed-in role may look at boards (auth.require redirects the others to /signin)."""
    from cyclogram.web.auth import require

    return require(context, request, *VIEW_ROLES)


def _snapshot(tracker: Tracker, roadmap_id: str, moment: dt.date | None) -> Snapshot:
    """The roadmap's snapshot, or 404. Only an id is accepted: the command line also takes a YAML
    file's path for a roadmap, which a web address must never make the server open."""
    if not ROADMAP_ID.match(roadmap_id):
        raise HTTPException(404, f"дорожная карта «{roadmap_id[:64]}» не загружена")
    try:
        return tracker.snapshot(roadmap_id, moment)
    except TrackingError as error:
        raise HTTPException(404, str(error)) from None


def _params(request: Request) -> dict[str, str]:
    return dict(request.query_params.items())


@dataclass(frozen=True)
class RoadmapCard:
    id: str
    title: str
    organization: str
    year: str
    version: int
    loaded_at: str
    finished: int
    countable: int
    overdue: int
    total: int
    problem: str = ""

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.countable) if self.countable else 0


def roadmap_cards(tracker: Tracker) -> list[RoadmapCard]:
    """Every loaded roadmap (`Tracker.roadmaps`, as `cyclogram roadmaps` lists them) with its
    progress today; a roadmap that cannot be read is listed with the reason."""
    cards = []
    for row in tracker.roadmaps():
        try:
            snapshot = tracker.snapshot(row.id)
        except Refusal as error:
            cards.append(RoadmapCard(row.id, row.title, "", "", row.current_version, "", 0, 0, 0, 0, str(error)))
            continue
        roadmap, rows = snapshot.active.roadmap, list(snapshot.status.stages.values())
        finished, countable = progress(rows, snapshot.status.plan)
        overdue = sum(1 for r in rows if r.status is Status.OVERDUE)
        loaded = parse_day(snapshot.active.version.loaded_at[:10])
        cards.append(
            RoadmapCard(
                id=row.id,
                title=roadmap.title,
                organization=roadmap.organization or "",
                year=str(roadmap.academic_year),
                version=row.current_version,
                loaded_at=russian.format_date(loaded) if loaded else "",
                finished=finished,
                countable=countable,
                overdue=overdue,
                total=len(rows),
            )
        )
    return cards


def board_values(snapshot: Snapshot, filters: Filters, notes: list[str]) -> dict[str, Any]:
    """Everything the board template shows, from one snapshot."""
    status = snapshot.status
    plan, roadmap = status.plan, snapshot.active.roadmap
    sections = stage_sections(plan)
    filters = known_section(filters, sections, notes)
    base, rows = select(status, filters, sections)
    summaries = section_summaries(base, sections, plan)
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    page = min(filters.page, pages)
    shown = rows[(page - 1) * PAGE_ROWS : page * PAGE_ROWS]
    by_title = {summary.title: summary for summary in summaries}
    finished, countable = progress(base, plan)
    return {
        "active": snapshot.active,
        "roadmap": roadmap,
        "status": status,
        "filters": replace(filters, page=page),
        "notes": notes,
        "counts": count_badges(counts(base, plan)),
        "status_words": status_words(),
        "total": len(base),
        "matching": len(rows),
        "finished": finished,
        "countable": countable,
        "percent": round(100 * finished / countable) if countable else 0,
        "summaries": summaries,
        "groups": page_groups(plan, shown, sections, by_title, stage_href(snapshot.active.id), status.open_occurrences),
        "page": page,
        "pages": pages,
        "first_row": (page - 1) * PAGE_ROWS + 1 if shown else 0,
        "last_row": (page - 1) * PAGE_ROWS + len(shown),
        "people": sorted(roadmap.people.items(), key=lambda item: item[1].name),
        "roles": sorted(roadmap.roles.items(), key=lambda item: item[1].title),
        "section_titles": list(dict.fromkeys(sections.values())),
        "is_today": filters.as_of is None or filters.as_of == snapshot.active.today(),
    }


def gantt_values(snapshot: Snapshot, filters: Filters, notes: list[str]) -> dict[str, Any]:
    status = snapshot.status
    plan, roadmap = status.plan, snapshot.active.roadmap
    sections = stage_sections(plan)
    filters = known_section(filters, sections, notes)
    _, rows = select(status, filters, sections)
    drawn = [row.stage_id for row in rows[:GANTT_ROWS]]
    svg = gantt.gantt_svg(status, drawn, stage_href=stage_href(snapshot.active.id))
    return {
        "active": snapshot.active,
        "roadmap": roadmap,
        "status": status,
        "filters": filters,
        "notes": notes,
        "svg": svg,
        "drawn": len(drawn),
        "matching": len(rows),
        "status_words": status_words(),
        "people": sorted(roadmap.people.items(), key=lambda item: item[1].name),
        "roles": sorted(roadmap.roles.items(), key=lambda item: item[1].title),
        "section_titles": list(dict.fromkeys(sections.values())),
    }


def person_values(
    context: WebContext, snapshot: Snapshot, person: str, act_href: Callable[[StageStatus], str], feed: Feed | None
) -> dict[str, Any]:
    status = snapshot.status
    plan = status.plan
    roadmap = snapshot.active.roadmap
    sections = stage_sections(plan)
    mine = person_stages(status, person)

    def lines(rows: list[StageStatus]) -> list[StageLine]:
        extra = status.open_occurrences
        return [stage_line(plan, row, sections[row.stage_id], act_href(row), extra.get(row.stage_id, ())) for row in rows]

    return {
        "active": snapshot.active,
        "roadmap": roadmap,
        "status": status,
        "person_key": person,
        "person": roadmap.people[person],
        "overdue": lines(mine.overdue),
        "week": lines(mine.week),
        "next": lines(mine.next),
        "next_more": mine.next_more,
        "done": lines(mine.done),
        "calendar_url": f"{context.base_url.rstrip('/')}/calendars/{feed.token}.ics" if feed else "",
    }


def routes(context: WebContext) -> list[BaseRoute]:
    tracker = context.tracker

    def page(request: Request, template: str, values: dict[str, Any], **extra: Any) -> Response:
        response: Response = context.render(request, template, **values, **extra)
        response.headers.update(NO_STORE)
        return response

    def filtered(request: Request) -> tuple[Snapshot, Filters, list[str]]:
        params = _params(request)
        snapshot = _snapshot(tracker, str(request.path_params["roadmap"]), parse_day(params.get("as_of", "")))
        filters, notes = read_filters(params, snapshot.active.roadmap)
        return snapshot, filters, notes

    def index_page(request: Request) -> Response:
        signed_in(context, request)
        return page(request, "board_roadmaps.html.j2", {"cards": roadmap_cards(tracker)})

    def board_page(request: Request) -> Response:
        signed_in(context, request)
        return page(request, "board.html.j2", board_values(*filtered(request)))

    def gantt_page(request: Request) -> Response:
        signed_in(context, request)
        return page(request, "board_gantt.html.j2", gantt_values(*filtered(request)))

    def person_page(request: Request) -> Response:
        user = signed_in(context, request)
        roadmap_id, person = str(request.path_params["roadmap"]), str(request.path_params["person"])
        snapshot = _snapshot(tracker, roadmap_id, None)
        if person not in snapshot.active.roadmap.people:
            raise HTTPException(404, f"в дорожной карте нет человека «{person}»")
        feed = person_feed(context, snapshot.active.id, person, user.email if user.role in FEED_ROLES else None)
        href = stage_href(snapshot.active.id)
        values = person_values(context, snapshot, person, lambda row: href(row.stage_id), feed)
        action = f"/r/{urllib.parse.quote(snapshot.active.id, safe='')}/people/{urllib.parse.quote(person, safe='')}/telegram"
        invite = action if user.role in FEED_ROLES else ""
        telegram = person_section(context, snapshot.active.id, person, invite)  # cyclogram.web.telegram
        return page(request, "board_person.html.j2", values, own_page=False, telegram=telegram)

    def own_page(request: Request) -> Response:
        found = person_link(tracker, context.key, str(request.path_params["token"]))
        if found is None:
            raise HTTPException(404)
        link, snapshot = found
        today = snapshot.status.moment
        feed = person_feed(context, link.roadmap_id, link.person, f"link:{link.link_id}")
        values = person_values(context, snapshot, link.person, lambda row: stage_link(context.key, link, row, today), feed)
        telegram = person_section(context, link.roadmap_id, link.person, f"/p/{request.path_params['token']}/telegram")
        return page(request, "board_person.html.j2", values, own_page=True, link_page=True, telegram=telegram)

    def threaded(handler: Callable[[Request], Response]) -> Callable[[Request], Awaitable[Response]]:
        """Reading the database and rendering run in a worker thread: one big board does not hold
        the other requests."""

        async def endpoint(request: Request) -> Response:
            return await run_in_threadpool(handler, request)

        return endpoint

    return [
        Route("/", threaded(index_page), methods=["GET"]),
        Route("/r/{roadmap}", threaded(board_page), methods=["GET"]),
        Route("/r/{roadmap}/gantt", threaded(gantt_page), methods=["GET"]),
        Route("/r/{roadmap}/people/{person}", threaded(person_page), methods=["GET"]),
        Route("/p/{token}", threaded(own_page), methods=["GET"]),
    ]
