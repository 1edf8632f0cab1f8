"""Calendar feeds: who may read which calendar (random tokens), and building a feed quickly.

A feed is a roadmap's calendar, or the part of it for one person or one role, behind a URL
`/calendars/<token>.ics`. Tokens are random secrets (anyone holding one can read the schedule), so
they can be revoked and rotated; the audit log records only their first characters.

SEQUENCE and LAST-MODIFIED of every component are kept in the database and change only when the
component's content changes, so calendar clients see a moved deadline as an update, not noise.
Serialized components are cached by content (`notifiers.ical.EventCache`): after a completion or
a new roadmap version only the changed events are serialized again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets as random_secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import format_datetime

from sqlmodel import Session, col, select

from cyclogram.notifiers.ical import EventCache, EventSpec, Skipped, build_specs, render_calendar
from cyclogram.store import audit
from cyclogram.store.tables import CalendarVersionRow, FeedRow
from cyclogram.tracker import ActiveRoadmap, Snapshot, Tracker, TrackingError, resolve_roadmap_id

SCOPES = ("roadmap", "person", "role")


@dataclass(frozen=True)
class Feed:
    token: str
    roadmap_id: str
    scope: str
    scope_key: str | None
    todo: bool
    created_at: str
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def describe(self, people_names: dict[str, str] | None = None) -> str:
        if self.scope == "person":
            who = (people_names or {}).get(self.scope_key or "", self.scope_key)
            return f"человек: {who}"
        if self.scope == "role":
            return f"роль: {self.scope_key}"
        return "вся дорожная карта"


def _feed(row: FeedRow) -> Feed:
    return Feed(row.token, row.roadmap_id, row.scope, row.scope_key, row.todo, row.created_at, row.revoked_at)


def _short(token: str) -> str:
    return token[:6] + "…"


class Feeds:
    """Feed tokens and feed building on top of a `Tracker` (one per process)."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.store = tracker.store
        self.events = EventCache()
        self._built: dict[tuple[str, bool, str, tuple[str, ...] | None], tuple[tuple[object, ...], BuiltFeed]] = {}
        self._lock = threading.Lock()

    # --- tokens ---------------------------------------------------------------------------------

    def create(
        self, roadmap_ref: str, actor: str, *, person: str | None = None, role: str | None = None, todo: bool = False
    ) -> Feed:
        if person and role:
            raise TrackingError("укажите либо --person, либо --role")
        active = self.tracker.active(roadmap_ref)
        roadmap = active.roadmap
        if person is not None and person not in roadmap.people:
            raise TrackingError(f"в дорожной карте нет человека «{person}»")
        if role is not None and role not in roadmap.roles:
            raise TrackingError(f"в дорожной карте нет роли «{role}»")
        scope, key = ("person", person) if person else ("role", role) if role else ("roadmap", None)
        token = random_secrets.token_urlsafe(24)
        with self.store.write() as session:
            row = FeedRow(
                token=token,
                roadmap_id=active.row.id,
                scope=scope,
                scope_key=key,
                todo=todo,
                created_at=audit.utc_now(),
                created_by=actor,
            )
            session.add(row)
            session.flush()
            audit.append_event(
                session, actor, "feed.created", {"token": _short(token), "scope": scope, "key": key, "todo": todo}, active.row.id
            )
        return _feed(row)

    def list(self, roadmap_ref: str | None = None, include_revoked: bool = False) -> list[Feed]:
        with self.store.read() as session:
            query = select(FeedRow).order_by(FeedRow.roadmap_id, FeedRow.created_at)
            if roadmap_ref:
                query = query.where(FeedRow.roadmap_id == resolve_roadmap_id(roadmap_ref))
            if not include_revoked:
                query = query.where(FeedRow.revoked_at == None)  # noqa: E711 - SQL NULL
            return [_feed(row) for row in session.exec(query)]

    def revoke(self, token: str, actor: str) -> Feed:
        with self.store.write() as session:
            row = self._find(session, token)
            row.revoked_at = audit.utc_now()
            session.add(row)
            audit.append_event(session, actor, "feed.revoked", {"token": _short(row.token)}, row.roadmap_id)
            return _feed(row)

    def rotate(self, token: str, actor: str) -> Feed:
        """Revoke a token and issue a new one for the same calendar (a leaked link, a new phone)."""
        with self.store.write() as session:
            old = self._find(session, token)
            new = FeedRow(
                token=random_secrets.token_urlsafe(24),
                roadmap_id=old.roadmap_id,
                scope=old.scope,
                scope_key=old.scope_key,
                todo=old.todo,
                created_at=audit.utc_now(),
                created_by=actor,
            )
            old.revoked_at, old.replaced_by = new.created_at, new.token
            session.add(old)
            session.add(new)
            session.flush()
            audit.append_event(
                session, actor, "feed.rotated", {"old": _short(old.token), "new": _short(new.token)}, old.roadmap_id
            )
            return _feed(new)

    def _find(self, session: Session, token: str) -> FeedRow:
        row = session.get(FeedRow, token)
        if row is None:
            matches = list(session.exec(select(FeedRow).where(col(FeedRow.token).startswith(token)))) if len(token) >= 6 else []
            if len(matches) == 1:
                row = matches[0]
        if row is None or row.revoked_at is not None:
            raise TrackingError("такой действующей ссылки на календарь нет")
        return row

    def lookup(self, token: str) -> Feed | None:
        """An active feed by its exact token, or None (unknown and revoked look the same)."""
        with self.store.read() as session:
            row = session.get(FeedRow, token)
            return _feed(row) if row is not None and row.revoked_at is None else None

    # --- building -------------------------------------------------------------------------------

    def build(
        self,
        roadmap_ref: str,
        *,
        people: tuple[str, ...] | None = None,
        todo: bool = False,
        as_of: dt.date | None = None,
        name_suffix: str = "",
        active: ActiveRoadmap | None = None,
        snapshot: Snapshot | None = None,
    ) -> BuiltFeed:
        """The calendar bytes for a roadmap (or the given people's part of it). `active`: the
        roadmap already read by the caller (saves a query on every feed request); `snapshot`: its
        status already computed for the day (the daily flow's), so nothing is computed again."""
        if snapshot is not None:
            active = snapshot.active
        active = active or self.tracker.active(roadmap_ref)
        day = snapshot.status.moment if snapshot is not None else as_of or active.today()
        state = (active.version.version, self.tracker.audit_head()[0], day)
        key = (active.id, todo, name_suffix, people)
        with self._lock:
            cached = self._built.get(key)
        if cached is not None and cached[0] == state:
            return cached[1]
        if snapshot is None or snapshot.status.moment != day:
            snapshot = self.tracker.snapshot(active.id, day)
        status, completions = snapshot.status, snapshot.completions
        specs, skipped = build_specs(
            status, people=set(people) if people is not None else None, todo=todo, completions=completions
        )
        versions = self._versions(active.id, specs)
        name = active.roadmap.title + (f" — {name_suffix}" if name_suffix else "")
        body = render_calendar(specs, name=name, timezone=active.roadmap.timezone, versions=versions, cache=self.events)
        modified = max((v[1] for v in versions.values()), default=dt.datetime.now(dt.UTC))
        built = BuiltFeed(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"', modified, tuple(skipped), len(specs))
        with self._lock:
            self._built[key] = (state, built)
        return built

    def build_for(self, feed: Feed, as_of: dt.date | None = None, snapshot: Snapshot | None = None) -> BuiltFeed:
        active = snapshot.active if snapshot is not None else self.tracker.active(feed.roadmap_id)
        roadmap = active.roadmap
        if feed.scope == "person":
            people: tuple[str, ...] | None = (feed.scope_key or "",)
            suffix = roadmap.people[feed.scope_key].name if feed.scope_key in roadmap.people else str(feed.scope_key)
        elif feed.scope == "role":
            role = roadmap.roles.get(feed.scope_key or "")
            people = tuple(role.members) if role else ()
            suffix = role.title if role else str(feed.scope_key)
        else:
            people, suffix = None, ""
        return self.build(
            feed.roadmap_id, people=people, todo=feed.todo, as_of=as_of, name_suffix=suffix, active=active, snapshot=snapshot
        )

    def _versions(self, roadmap_id: str, specs: Sequence[EventSpec]) -> dict[str, tuple[int, dt.datetime]]:
        """SEQUENCE/LAST-MODIFIED per component; bumped (and written) only for changed content."""
        with self.store.read() as session:
            rows = {
                (row.uid, row.component): row
                for row in session.exec(select(CalendarVersionRow).where(CalendarVersionRow.roadmap_id == roadmap_id))
            }
        changed = [
            s for s in specs if (s.uid, s.component) not in rows or rows[(s.uid, s.component)].content_hash != s.content_hash
        ]
        if changed:
            now = audit.utc_now()
            with self.store.write() as session:
                for spec in changed:
                    row = session.get(CalendarVersionRow, (roadmap_id, spec.uid, spec.component))
                    if row is None:
                        row = CalendarVersionRow(
                            roadmap_id=roadmap_id,
                            uid=spec.uid,
                            component=spec.component,
                            content_hash=spec.content_hash,
                            sequence=0,
                            last_modified=now,
                        )
                    elif row.content_hash != spec.content_hash:
                        row.content_hash, row.sequence, row.last_modified = spec.content_hash, row.sequence + 1, now
                    session.add(row)
                    rows[(spec.uid, spec.component)] = row
        return {
            s.uid: (rows[(s.uid, s.component)].sequence, audit.parse_stamp(rows[(s.uid, s.component)].last_modified))
            for s in specs
        }


@dataclass(frozen=True)
class BuiltFeed:
    body: bytes
    etag: str
    last_modified: dt.datetime
    skipped: tuple[Skipped, ...]
    events: int

    @property
    def last_modified_http(self) -> str:
        return format_datetime(self.last_modified.astimezone(dt.UTC).replace(microsecond=0), usegmt=True)
