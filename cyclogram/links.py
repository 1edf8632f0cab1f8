"""Action links as a service: issuing a person's links, checking them, revoking them.

`cyclogram.actionlinks` is the token itself (format, signature, expiry; pure). This module adds
what needs the database and the configuration, for the three faces that use links:

* **Reminders** (`reminder_links`): a link-maker handed to `cyclogram.outbox.compose` — every
  reminder gets the recipient's link to the stage (and occurrence) it is about, living until 60
  days after the due date counted from the day it is composed, so a replayed or retried reminder
  still opens. `cyclogram.app.action_links` builds it only when a base URL is configured.
* **The web app** (`Links.check`): a genuine, unexpired token is still refused when its id was
  revoked or its person's links were reset after it was issued; the caller shows the same 404 for
  every refusal.
* **The command line** (`cyclogram links`): `issue` prints a URL for one person and stage (`/a/…`),
  or for the person's own page of all their stages (`/p/…`, served by `cyclogram.web.board`),
  `reset_person` revokes all of a person's links of a roadmap (audited as `link.reset`), `revoke`
  one link (audited as `link.revoked` with the link id only — never the token).

Who a stage link may be issued to (`audience`): the stage's responsible people and their
supervisors (an escalation goes to the supervisor, with a link to the stage). The page lets only
the responsible mark the stage; a supervisor's link shows it.

Links are secrets: they are never logged. The outbox row keeps the message body, link included —
acceptable because the database is private to the service's user (0600).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from cyclogram import actionlinks
from cyclogram.actionlinks import ActionLink
from cyclogram.engine.plan import PlannedStage
from cyclogram.engine.reminders import Reminder
from cyclogram.notifiers.messages import LinkMaker
from cyclogram.store import audit, reads
from cyclogram.store.tables import LinkResetRow, RevokedLinkRow
from cyclogram.tracker import Tracker, TrackingError, find_occurrence, find_person, find_stage

__all__ = ["Issued", "LinkMaker", "Links", "audience", "link_url", "masked", "masked_links", "reminder_links", "token_from"]


def link_url(base_url: str, token: str, person_page: bool = False) -> str:
    """`/a/<token>` for a stage, `/p/<token>` for a person's own page (`cyclogram.web.board`)."""
    return f"{base_url.rstrip('/')}/{'p' if person_page else 'a'}/{token}"


def masked(url: str) -> str:
    """A link as it may be shown in a preview or a log: the token cut after 6 characters."""
    head, separator, token = url.partition("/a/")
    return f"{head}{separator}{token[:6]}…" if separator else url


def token_from(text: str) -> str:
    """The token of an action link given as a URL (`…/a/<token>`, `…/p/<token>`, with or without a
    query) or bare."""
    value = text.strip()
    for marker in ("/a/", "/p/"):
        if marker in value:
            value = value.rsplit(marker, 1)[1]
            break
    return value.split("?", 1)[0].split("#", 1)[0].strip("/")


def audience(planned: PlannedStage, supervisors: dict[str, str | None]) -> set[str]:
    """Who may hold a link to this stage: its responsible people and their supervisors."""
    people = set(planned.responsible)
    people.update(boss for key in planned.responsible if (boss := supervisors.get(key)))
    return people


def reminder_links(key: bytes, base_url: str, today: Callable[[], dt.date] = dt.date.today) -> LinkMaker:
    """A link-maker for `outbox.compose`: the recipient's link to the reminder's stage and occurrence."""

    def make(reminder: Reminder) -> str | None:
        expires = actionlinks.stage_expiry(reminder.due, today())
        token = actionlinks.issue(
            key, reminder.roadmap_id, reminder.person, reminder.stage_id, reminder.occurrence, expires=expires
        )
        return link_url(base_url, token)

    return make


def masked_links(maker: LinkMaker) -> LinkMaker:
    """The same links with their tokens cut (`remind --dry-run` shows what would go out, not working links)."""

    def make(reminder: Reminder) -> str | None:
        url = maker(reminder)
        return masked(url) if url else None

    return make


@dataclass(frozen=True)
class Issued:
    link: ActionLink
    token: str
    url: str


class Links:
    """Issuing, checking and revoking a school's action links (see module docstring)."""

    def __init__(self, tracker: Tracker, key: bytes, base_url: str = "") -> None:
        self.tracker = tracker
        self.key = key
        self.base_url = base_url

    # --- issuing -------------------------------------------------------------------------------

    def issue(
        self,
        roadmap_ref: str,
        person: str,
        stage_ref: str | None = None,
        *,
        occurrence: str | None = None,
        expires: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> Issued:
        """A link for `person` to a stage (its current occurrence unless `occurrence` is given), or
        to the person's own page when no stage is given."""
        snapshot = self.tracker.snapshot(roadmap_ref)
        active = snapshot.active
        roadmap = active.roadmap
        key = find_person(roadmap, person)
        today = active.today()
        stage_id = label = ""
        if stage_ref:
            planned = find_stage(active.plan, stage_ref)
            supervisors = {k: p.supervisor for k, p in roadmap.people.items()}
            if key not in audience(planned, supervisors):
                raise TrackingError(
                    f"{roadmap.people[key].name} не отвечает за этап {planned.stage.display_number} и не руководит "
                    "ответственными за него: ссылку на этот этап можно выдать только им"
                )
            current = snapshot.status.stages[planned.id]
            label = find_occurrence(planned, occurrence, current.occurrence)
            due = next((o.due for o in planned.occurrences if (o.label or "") == label), None) or current.due
            stage_id = planned.id
            expires = expires or actionlinks.stage_expiry(due, today)
        else:
            if occurrence:
                raise TrackingError("повторение указывается только вместе с этапом")
            expires = expires or today + dt.timedelta(days=actionlinks.PERSON_LINK_DAYS)
        moment = self._after_reset(active.id, key, now or dt.datetime.now(dt.UTC))
        token = actionlinks.issue(self.key, active.id, key, stage_id, label, expires=expires, now=moment)
        link = actionlinks.read(self.key, token, dt.date.min)
        assert link is not None
        return Issued(link, token, link_url(self.base_url, token, person_page=not stage_id))

    def _after_reset(self, roadmap_id: str, person: str, moment: dt.datetime) -> dt.datetime:
        """A link issued in the same second as a reset of its person's links would count as issued
        before it (the token keeps whole seconds): it is dated one second after the reset."""
        reset = self.reset_at(roadmap_id, person)
        if reset is not None and int(moment.timestamp()) <= int(reset.timestamp()):
            return reset.replace(microsecond=0) + dt.timedelta(seconds=1)
        return moment

    # --- checking ------------------------------------------------------------------------------

    def check(self, token: str, today: dt.date) -> ActionLink | None:
        """The link's facts when the token is genuine, unexpired on `today` (the roadmap's date) and
        not revoked; None otherwise."""
        link = actionlinks.read(self.key, token, today)
        if link is None:
            return None
        with self.tracker.store.reading() as reader:
            revoked_ids = reads.revoked_link_ids(reader, [link.link_id])
            reset = reads.link_reset_at(reader, link.roadmap_id, link.person)
        if actionlinks.revoked(link, revoked_ids, audit.parse_stamp(reset) if reset else None):
            return None
        return link

    def reset_at(self, roadmap_id: str, person: str) -> dt.datetime | None:
        with self.tracker.store.reading() as reader:
            stamp = reads.link_reset_at(reader, roadmap_id, person)
        return audit.parse_stamp(stamp) if stamp else None

    # --- revoking ------------------------------------------------------------------------------

    def reset_person(self, roadmap_ref: str, person: str, actor: str) -> str:
        """Every link of `person` in the roadmap issued until now stops working; the person's name."""
        active = self.tracker.active(roadmap_ref)
        key = find_person(active.roadmap, person)
        with self.tracker.store.write() as session:
            session.merge(LinkResetRow(roadmap_id=active.id, person=key, reset_at=audit.utc_now()))
            session.flush()
            audit.append_event(session, actor, "link.reset", {"person": key}, active.id)
        return active.roadmap.people[key].name

    def revoke(self, token_or_url: str, actor: str) -> tuple[ActionLink, bool]:
        """Revoke one link (given as its URL or token); (its facts, whether it was revoked just now)."""
        link = actionlinks.read(self.key, token_from(token_or_url), dt.date.min)  # expired links too
        if link is None:
            raise TrackingError("это не ссылка Cyclogram: она повреждена или подписана другим ключом")
        with self.tracker.store.write() as session:
            if session.get(RevokedLinkRow, link.link_id) is not None:
                return link, False
            session.add(RevokedLinkRow(link_id=link.link_id, revoked_at=audit.utc_now(), revoked_by=actor))
            session.flush()
            audit.append_event(session, actor, "link.revoked", {"link_id": link.link_id}, link.roadmap_id)
        return link, True
