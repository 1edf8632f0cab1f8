"""The reminder outbox: write every message first, then send it, then mark it sent — once.

* **Enqueue** renders each reminder for each of the person's channels and writes it with a unique
  key (reminder key + channel). A reminder already queued is skipped, so daily runs, repeated runs
  and concurrent runs never queue it twice.
* **Dispatch** claims due messages under the writers' lock (status `sending` with a lease), sends
  them in parallel — one fresh Apprise instance per message, so Apprise's per-instance throttle
  (~5.5 s for email) does not serialize a thousand emails — and records each outcome in its own
  transaction: `sent` only after Apprise reports success; a failure goes back to `pending` with an
  exponential back-off, and to `failed` after `max_attempts`. A dispatcher killed mid-send leaves
  its claims `sending`; once the lease expires another run takes them over. The report ends with
  what is still waiting (`Waiting`: back-offs and later sending hours, with the earliest time), so
  a run after an outage never says just "sent 0"; `ignore_backoff` (`dispatch --now`) retries now.
* Exactly once, as far as it can be had with SMTP: two dispatchers never claim the same message;
  SIGTERM/SIGINT stop a dispatcher cleanly (in-flight messages finished and recorded, the rest
  released). Only a hard kill (SIGKILL, power loss) between the server's "250 OK" and our commit
  — one small transaction — can double a message; every email carries `X-Cyclogram-Key` so such a
  duplicate is recognisable by the receiving side.

Secrets never reach the database: a row stores the channel's safe target (address, chat id or
secret name); the Apprise URL is rebuilt from current secrets at send time and errors are redacted.

Telegram goes through the Bot API instead of Apprise (`cyclogram.bot.delivery`), because a reminder
there carries buttons («✅ Выполнено», «📎 Приложить документ», «Открыть»): the same claims, leases,
retries and audit events, with `items` (what each message is about) stored on the row for its
buttons. A person's Telegram chats are the roadmap's `telegram:` contact plus the chats linked to
them (`cyclogram.bot.chats`, keys `telegram:<chat id>`), one message per chat; a failure no retry
can fix (a chat unlinked meanwhile, the bot blocked) fails the row at once (`GiveUp`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, col, select

from cyclogram.engine.diagnostics import Refusal
from cyclogram.engine.model import Contacts, Person
from cyclogram.engine.reminders import Reminder
from cyclogram.engine.status import RoadmapStatus
from cyclogram.notifiers.channels import (
    Channel,
    ChannelProblem,
    linked_telegram_channel,
    person_channels,
    redact,
    send,
)
from cyclogram.notifiers.messages import LinkMaker, Message, render_digest, render_reminder
from cyclogram.notifiers.secrets import Secrets
from cyclogram.store import Store, audit
from cyclogram.store.tables import OutboxItemRow, OutboxRow

DEFAULT_LEASE_S = 300.0
DEFAULT_MAX_ATTEMPTS = 20
MAX_BACKOFF_S = 6 * 3600
FIRST_BACKOFF_S = 60


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Outgoing:
    """A message ready to be queued: what, to whom, on which channel, covering which reminders."""

    reminders: tuple[Reminder, ...]
    person: str
    channel: Channel
    message: Message
    not_before: str
    items: str | None = None  # JSON: what the message is about, for Telegram's buttons (`cyclogram.bot.cards.Item`)

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(item_key(r, self.channel) for r in self.reminders)

    @property
    def dedupe_key(self) -> str:
        material = "|".join(sorted(self.item_keys))
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    @property
    def kind(self) -> str:
        return self.reminders[0].kind.value if len(self.reminders) == 1 else "digest"


def item_key(reminder: Reminder, channel: Channel) -> str:
    return hashlib.sha256(f"{reminder.dedupe_key}|{channel.key}".encode()).hexdigest()


def sending_moment(status: RoadmapStatus, day: dt.date) -> str:
    """The roadmap's local sending hour on `day`, in UTC."""
    roadmap = status.plan.roadmap
    local = dt.datetime.combine(day, roadmap.defaults.send_at, ZoneInfo(roadmap.timezone))
    return audit.utc_stamp(local)


def compose(
    status: RoadmapStatus,
    reminders: Iterable[Reminder],
    secrets: Secrets,
    *,
    digest: bool | None = None,
    immediate: bool = False,
    links: LinkMaker | None = None,
    show_command: bool = False,
    linked: Mapping[str, Sequence[str]] | None = None,
) -> tuple[list[Outgoing], list[ChannelProblem]]:
    """Messages for today's reminders on every channel of every recipient (no database access).

    `immediate`: send now rather than at the roadmap's sending hour (event-driven "можно начинать").
    `links`: the recipient's action link for each reminder (`cyclogram.links.reminder_links`), shown
    as a button, a line of text and one link per digest item; `show_command` keeps the
    `cyclogram done …` line next to it (`notifiers.messages`). The link is part of the body the
    outbox row stores: acceptable, the database is private to the service's user (0600); it is never
    logged. `linked`: each person's linked Telegram chats (`cyclogram.bot.chats.linked_chats`), added
    to their channels unless the roadmap's contact is the same chat.
    """
    roadmap = status.plan.roadmap
    links = _remembered(links)
    digest = roadmap.defaults.digest if digest is None else digest
    by_person: dict[str, list[Reminder]] = {}
    for reminder in reminders:
        by_person.setdefault(reminder.person, []).append(reminder)
    outgoing: list[Outgoing] = []
    problems: list[ChannelProblem] = []
    for person_key, items in by_person.items():
        person = roadmap.people.get(person_key)
        if person is None:
            continue
        channels, trouble = person_and_linked_channels(person_key, person, (linked or {}).get(person_key, ()), secrets)
        problems.extend(trouble)
        items.sort(key=Reminder.urgency)
        for channel in channels:
            if digest and len(items) > 1:
                message = render_digest(items, status, links=links, show_command=show_command)
                when = audit.utc_stamp(_now()) if immediate else sending_moment(status, items[0].day)
                outgoing.append(Outgoing(tuple(items), person_key, channel, message, when, _items(status, items, links)))
                continue
            for reminder in items:
                message = render_reminder(reminder, status, links=links, show_command=show_command)
                when = audit.utc_stamp(_now()) if immediate else sending_moment(status, reminder.day)
                outgoing.append(Outgoing((reminder,), person_key, channel, message, when, _items(status, [reminder], links)))
    return outgoing, problems


def person_and_linked_channels(
    person_key: str, person: Person, chats: Sequence[str], secrets: Secrets
) -> tuple[list[Channel], list[ChannelProblem]]:
    """A person's channels from the roadmap's contacts and their linked Telegram chats (a chat the
    roadmap's contact already names counts once); a person with linked chats only is not warned
    about having no contacts."""
    channels, problems = person_channels(person_key, person, secrets) if person.contacts.any or not chats else ([], [])
    channels += _linked_channels(person_key, chats, channels, secrets, problems)
    return channels, problems


def _remembered(links: LinkMaker | None) -> LinkMaker | None:
    """The same link for the same reminder within one compose: the text and the «Открыть» button
    of a Telegram message (and every channel of a person) carry one link, not several."""
    if links is None:
        return None
    made: dict[str, str | None] = {}
    maker = links

    def make(reminder: Reminder) -> str | None:
        key = reminder.dedupe_key
        if key not in made:
            made[key] = maker(reminder)
        return made[key]

    return make


def _items(status: RoadmapStatus, reminders: Sequence[Reminder], links: LinkMaker | None) -> str:
    """What a message is about, as `OutboxRow.items` keeps it (the format of `cyclogram.bot.cards.Item`)."""
    entries = []
    for reminder in reminders:
        planned = status.plan.stages.get(reminder.stage_id)
        entries.append(
            {
                "s": reminder.stage_id,
                "o": reminder.occurrence,
                "k": reminder.kind.value,
                "l": links(reminder) if links is not None else None,
                "n": planned.stage.display_number if planned is not None else reminder.stage_id,
            }
        )
    return json.dumps(entries, ensure_ascii=False, separators=(",", ":"))


def _linked_channels(
    person_key: str, chats: Sequence[str], existing: Sequence[Channel], secrets: Secrets, problems: list[ChannelProblem]
) -> list[Channel]:
    """Channels for a person's linked chats; a chat the roadmap's contact already names is left out."""
    if not chats:
        return []
    named = set()
    for channel in existing:
        if channel.kind == "telegram":
            try:
                named.add(secrets.resolve(channel.target).strip())
            except Refusal:
                continue
    channels = []
    for chat in dict.fromkeys(chats):
        if chat in named:
            continue
        try:
            channels.append(linked_telegram_channel(chat, secrets))
        except Refusal as error:
            problems.append(
                ChannelProblem(
                    person_key, f"{person_key}, Telegram (привязанный чат): {redact(str(error), secrets.known_values())}"
                )
            )
    return channels


def queued_item_keys(store: Store, keys: Iterable[str]) -> set[str]:
    with store.read() as session:
        return _queued(session, keys)


def _queued(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of these reminder-per-channel keys are in the outbox already (in chunks: IN lists have limits)."""
    keys = list(keys)
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(session.exec(select(OutboxItemRow.item_key).where(col(OutboxItemRow.item_key).in_(chunk))))
    return found


@dataclass
class EnqueueReport:
    queued: int = 0
    already: int = 0
    rows: list[int] = field(default_factory=list)


def enqueue(store: Store, outgoing: Iterable[Outgoing], roadmap_id: str) -> EnqueueReport:
    """Write new messages to the outbox; reminders already queued on that channel are left out."""
    report = EnqueueReport()
    outgoing = list(outgoing)
    if not outgoing:
        return report
    with store.write() as session:
        existing = _queued(session, (key for item in outgoing for key in item.item_keys))
        now = audit.utc_now()
        for item in outgoing:
            fresh = [r for r in item.reminders if item_key(r, item.channel) not in existing]
            if not fresh:
                report.already += 1
                continue
            if len(fresh) != len(item.reminders):
                report.already += 1  # part of a digest went out earlier: queue only what is new
                item = Outgoing(tuple(fresh), item.person, item.channel, item.message, item.not_before, item.items)
            first = item.reminders[0]
            row = OutboxRow(
                dedupe_key=item.dedupe_key,
                roadmap_id=roadmap_id,
                person=item.person,
                channel_kind=item.channel.kind,
                channel_key=item.channel.key,
                channel_target=item.channel.target,
                kind=item.kind,
                stage_id=first.stage_id if len(item.reminders) == 1 else None,
                occurrence=first.occurrence if len(item.reminders) == 1 else "",
                due=first.due.isoformat() if first.due and len(item.reminders) == 1 else None,
                subject=item.message.subject,
                body_text=item.message.text,
                body_html=item.message.html,
                body_short=item.message.short,
                not_before=item.not_before,
                next_attempt_at=item.not_before,
                created_at=now,
                items=item.items,
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            for key in item.item_keys:
                session.add(OutboxItemRow(item_key=key, outbox_id=row.id))
                existing.add(key)
            report.queued += 1
            report.rows.append(row.id)
    return report


# --- dispatch -----------------------------------------------------------------------------------


class Undelivered(Refusal):
    """Some messages were not delivered this time: they wait for a retry or have failed for good.
    Not a refusal of the command (everything else was done) but a reason for cron or Prefect to alert."""

    exit_code = 5


class GiveUp(Exception):
    """Raised by a sender for a failure no retry can fix (a Telegram chat unlinked since the message
    was queued, the bot blocked by the user): the message fails at once, with this reason."""


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0  # gave up (max attempts)
    retrying: int = 0  # failed this time, will be retried
    lost_lease: int = 0
    errors: list[str] = field(default_factory=list)
    waiting: Waiting | None = None  # what is left in the queue after the run (`waiting`)


@dataclass(frozen=True)
class Waiting:
    """Messages left pending after a dispatch, so "Отправлено: 0" is never the whole story.

    `retrying`: failed before and waiting out a back-off (`next_retry` the earliest attempt);
    `scheduled`: not yet at their sending hour (`next_scheduled`). Times are UTC; `roadmap_id` is
    the roadmap of the earliest one (so the caller can show it in that roadmap's zone).
    """

    retrying: int = 0
    next_retry: dt.datetime | None = None
    retry_roadmap: str | None = None
    scheduled: int = 0
    next_scheduled: dt.datetime | None = None
    scheduled_roadmap: str | None = None


def waiting(store: Store, roadmap_id: str | None = None, now: dt.datetime | None = None) -> Waiting:
    """Pending messages not due yet at `now`: back-offs after failures and later sending hours."""
    stamp = audit.utc_stamp(now or _now())
    with store.read() as session:
        query = select(OutboxRow.roadmap_id, OutboxRow.attempts, OutboxRow.next_attempt_at).where(
            OutboxRow.status == "pending", col(OutboxRow.next_attempt_at) > stamp
        )
        if roadmap_id:
            query = query.where(OutboxRow.roadmap_id == roadmap_id)
        rows = list(session.exec(query))
    retries = sorted((at, rid) for rid, attempts, at in rows if attempts > 0)
    later = sorted((at, rid) for rid, attempts, at in rows if attempts == 0)
    return Waiting(
        retrying=len(retries),
        next_retry=audit.parse_stamp(retries[0][0]) if retries else None,
        retry_roadmap=retries[0][1] if retries else None,
        scheduled=len(later),
        next_scheduled=audit.parse_stamp(later[0][0]) if later else None,
        scheduled_roadmap=later[0][1] if later else None,
    )


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _backoff(attempts: int) -> float:
    return float(min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2 ** max(0, attempts - 1)))


def claim(
    store: Store,
    owner: str,
    *,
    limit: int,
    lease_s: float,
    now: dt.datetime,
    roadmap_id: str | None = None,
    ignore_backoff: bool = False,
) -> list[OutboxRow]:
    """Take up to `limit` due messages for this dispatcher (writers' lock held: no double claims).

    `ignore_backoff`: retry failed messages now rather than after their back-off (a caller that
    does its own retrying, such as a Prefect task retry); the sending hour is still respected.
    """
    stamp = audit.utc_stamp(now)
    ready = col(OutboxRow.not_before) <= stamp if ignore_backoff else col(OutboxRow.next_attempt_at) <= stamp
    with store.write() as session:
        query = (
            select(OutboxRow)
            .where(
                or_(
                    (col(OutboxRow.status) == "pending") & ready,
                    (col(OutboxRow.status) == "sending") & (col(OutboxRow.lease_until) < stamp),
                )
            )
            .order_by(col(OutboxRow.id))
            .limit(limit)
        )
        if roadmap_id:
            query = query.where(OutboxRow.roadmap_id == roadmap_id)
        rows = list(session.exec(query))
        until = audit.utc_stamp(now + dt.timedelta(seconds=lease_s))
        for row in rows:
            row.status, row.lease_owner, row.lease_until = "sending", owner, until
            row.attempts += 1
            session.add(row)
        return rows


def _channel_for(row: OutboxRow, secrets: Secrets) -> tuple[Channel | None, str | None]:
    """Rebuild the channel (with its secret URL) from the row's safe target and current secrets."""
    if row.channel_kind == "email":
        contacts = Contacts(email=row.channel_target)
    elif row.channel_kind == "telegram":
        contacts = Contacts(telegram=row.channel_target)
    else:
        contacts = Contacts(apprise=[row.channel_target])
    channels, problems = person_channels(row.person, Person(name=row.person, contacts=contacts), secrets)
    for channel in channels:
        if channel.key == row.channel_key:
            return channel, None
    return None, "; ".join(p.message for p in problems) or "канал больше не настроен"


def _record(
    store: Store,
    row: OutboxRow,
    owner: str,
    ok: bool,
    error: str | None,
    max_attempts: int,
    now: dt.datetime,
    final: bool = False,
) -> str:
    """Write one outcome; returns sent | retrying | failed | lost (`final`: fail now, no retry)."""
    with store.write() as session:
        current = session.get(OutboxRow, row.id)
        if current is None or current.lease_owner != owner or current.status != "sending":
            return "lost"  # our lease expired and someone else took it over
        current.lease_owner = current.lease_until = None
        if ok:
            current.status, current.sent_at, current.last_error = "sent", audit.utc_stamp(now), None
            outcome = "sent"
        else:
            current.last_error = error
            if final or current.attempts >= max_attempts:
                current.status = "failed"
                outcome = "failed"
            else:
                current.status = "pending"
                current.next_attempt_at = audit.utc_stamp(now + dt.timedelta(seconds=_backoff(current.attempts)))
                outcome = "retrying"
        session.add(current)
        payload = {
            "outbox_id": current.id,
            "dedupe_key": current.dedupe_key,
            "person": current.person,
            "channel": current.channel_key,
            "kind": current.kind,
            "attempts": current.attempts,
        }
        if error:
            payload["error"] = error
        action = {"sent": "reminder.sent", "failed": "reminder.failed", "retrying": "reminder.retry"}[outcome]
        audit.append_event(session, "dispatcher", action, payload, current.roadmap_id, current.stage_id)
        return outcome


def _send_row(store: Store, row: OutboxRow, secrets: Secrets) -> tuple[bool, str | None]:
    if row.channel_kind == "telegram":
        from cyclogram.bot.delivery import send_outbox_row

        return send_outbox_row(store, row, secrets)
    channel, problem = _channel_for(row, secrets)
    if channel is None:
        return False, redact(problem or "", secrets.known_values())
    result = send(
        channel,
        row.subject,
        row.body_html,
        row.body_text,
        row.body_short,
        headers={"X-Cyclogram-Key": row.dedupe_key},
    )
    return result.ok, result.error


def dispatch(
    store: Store,
    secrets: Secrets,
    *,
    roadmap_id: str | None = None,
    workers: int = 8,
    batch: int | None = None,
    lease_s: float = DEFAULT_LEASE_S,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    clock: Callable[[], dt.datetime] = _now,
    sender: Callable[[OutboxRow, Secrets], tuple[bool, str | None]] | None = None,
    stop: threading.Event | None = None,
    ignore_backoff: bool = False,
) -> DispatchReport:
    """Send every due message once; returns what happened.

    Each sending thread records its own outcome right after the server answers, so the window in
    which a crash could leave a delivered message unrecorded is one small transaction long. When
    `stop` is set (SIGTERM/SIGINT, see `graceful_stop`), no new message is taken: messages in
    flight are finished and recorded, claimed ones not yet started go back to the queue.
    """
    owner = worker_id()
    report = DispatchReport()
    send_one = sender or (lambda row, secrets_: _send_row(store, row, secrets_))
    lock = threading.Lock()
    workers = max(1, workers)
    batch = batch or workers * 4

    def work(row: OutboxRow) -> None:
        if stop is not None and stop.is_set():
            _release(store, row, owner)
            return
        final = False
        try:
            ok, error = send_one(row, secrets)
        except GiveUp as exc:
            ok, error, final = False, redact(str(exc), secrets.known_values()), True
        except Exception as exc:  # noqa: BLE001 - a sender bug must not lose the message
            ok, error = False, redact(f"{type(exc).__name__}: {exc}", secrets.known_values())
        outcome = _record(store, row, owner, ok, error, max_attempts, clock(), final)
        with lock:
            if outcome == "sent":
                report.sent += 1
            elif outcome == "lost":
                report.lost_lease += 1
            else:
                setattr(report, outcome, getattr(report, outcome) + 1)
                # the error names its channel already ("почта a@b: не отправлено — …"): the address once
                named = bool(error) and row.channel_target in (error or "")
                report.errors.append(f"{row.person}: {error}" if named else f"{row.person} ({row.channel_key}): {error}")

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cyclogram-send") as pool:
        while stop is None or not stop.is_set():
            rows = claim(
                store, owner, limit=batch, lease_s=lease_s, now=clock(), roadmap_id=roadmap_id, ignore_backoff=ignore_backoff
            )
            if ignore_backoff:
                ignore_backoff = False  # once per call: a message failing again waits for the next retry
            if not rows:
                break
            for future in [pool.submit(work, row) for row in rows]:
                future.result()
    report.waiting = waiting(store, roadmap_id, clock())
    return report


def _release(store: Store, row: OutboxRow, owner: str) -> None:
    """Give back a claimed message that was never attempted (graceful shutdown)."""
    with store.write() as session:
        current = session.get(OutboxRow, row.id)
        if current is not None and current.lease_owner == owner and current.status == "sending":
            current.status, current.lease_owner, current.lease_until = "pending", None, None
            current.attempts = max(0, current.attempts - 1)
            session.add(current)


def graceful_stop() -> threading.Event:
    """An event set by SIGTERM/SIGINT, so that stopping a dispatcher never loses or doubles a
    message (only an outright SIGKILL or power loss can hit the one-transaction window)."""
    event = threading.Event()

    def handler(signum: int, _frame: object) -> None:
        event.set()

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, handler)
    return event


def list_outbox(store: Store, status: str | None = None, roadmap_id: str | None = None, limit: int = 200) -> list[OutboxRow]:
    with store.read() as session:
        query = select(OutboxRow).order_by(col(OutboxRow.id).desc()).limit(limit)
        if status == "pending":
            query = query.where(col(OutboxRow.status).in_(("pending", "sending")))
        elif status:
            query = query.where(OutboxRow.status == status)
        if roadmap_id:
            query = query.where(OutboxRow.roadmap_id == roadmap_id)
        return list(session.exec(query))


def retry_failed(store: Store, roadmap_id: str | None = None) -> int:
    """Give failed messages a new round of attempts (after fixing a password, say)."""
    with store.write() as session:
        query = select(OutboxRow).where(OutboxRow.status == "failed")
        if roadmap_id:
            query = query.where(OutboxRow.roadmap_id == roadmap_id)
        rows = list(session.exec(query))
        stamp = audit.utc_now()
        for row in rows:
            row.status, row.attempts, row.next_attempt_at = "pending", 0, stamp
            session.add(row)
        if rows:
            audit.append_event(session, "dispatcher", "reminder.requeued", {"count": len(rows)}, roadmap_id)
        return len(rows)
