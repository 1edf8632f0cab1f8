"""Linking Telegram chats to people without typing chat ids into the roadmap.

* **Invitations** (`invite`): a one-time code for one person of one roadmap, shown as the deep link
  `https://t.me/<bot>?start=<code>` (`cyclogram telegram link`, the button on the person's web
  page). 16 random bytes (22 characters, within Telegram's 64 for a start parameter); only its
  sha256 is stored (table `telegram_code`); it expires after `CODE_HOURS` hours, works once, and a
  new invitation of the same person replaces any unused one. Audited as `telegram.invited`
  (person and expiry — never the code).
* **Linking** (`redeem`, when the bot receives `/start <code>` in a private chat): the chat is
  stored for the person (table `telegram_chat`) in the same transaction as the used code, the
  processed update (`updates.claim`) and the audit event `telegram.linked` (person and chat id).
* **A code shown to a group** (`burn`: `/start <code>` sent in a group) stops working at once —
  anyone there could link the person's identity to their own chat.
* **Unlinking**: `/stop` in the chat (every person it is linked to), or `cyclogram telegram unlink`
  (every chat of a person); the row keeps `unlinked_at`, the event is `telegram.unlinked`.
* **Who a chat is** (`chat_people`): its linked people, and the people whose roadmap contact
  `telegram:` is this chat id (that way of reaching someone stays possible; /stop cannot remove it).
* **Where reminders go** (`linked_chats`): a person's channels are their roadmap contacts plus
  their linked chats (`cyclogram.outbox.compose`), one message per chat.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets as random_secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement
from sqlmodel import col, select

from cyclogram.engine.diagnostics import Refusal
from cyclogram.notifiers.secrets import Secrets
from cyclogram.store import Store, audit
from cyclogram.store.db import session_reader
from cyclogram.store.tables import TelegramChatRow, TelegramCodeRow
from cyclogram.tracker import Tracker, TrackingError, find_person

if TYPE_CHECKING:
    from cyclogram.recording import Guard

CODE_HOURS = 72
CODE_BYTES = 16
_CODE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class Invitation:
    roadmap_id: str
    person: str
    name: str
    code: str  # SECRET until used: shown once, stored hashed
    expires_at: dt.datetime

    def deep_link(self, bot_username: str) -> str:
        return f"https://t.me/{bot_username.lstrip('@')}?start={self.code}"


@dataclass(frozen=True)
class ChatPerson:
    """Someone a chat speaks for: by a linked chat ("code") or by the roadmap's contacts ("roadmap")."""

    roadmap_id: str
    person: str
    name: str
    roadmap_title: str
    via: str


@dataclass(frozen=True)
class Redeemed:
    person: ChatPerson
    already: bool  # the chat was linked to this person before


@dataclass(frozen=True)
class LinkedChat:
    roadmap_id: str
    person: str
    chat_id: str
    linked_at: str


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _stamp(moment: dt.datetime) -> str:
    return audit.utc_stamp(moment)


# --- invitations and linking ------------------------------------------------------------------------


def invite(tracker: Tracker, roadmap_ref: str, person: str, actor: str, *, now: dt.datetime | None = None) -> Invitation:
    """A new one-time code for `person` (earlier unused codes of the person stop working)."""
    active = tracker.active(roadmap_ref)
    key = find_person(active.roadmap, person)
    moment = now or dt.datetime.now(dt.UTC)
    expires = moment + dt.timedelta(hours=CODE_HOURS)
    code = random_secrets.token_urlsafe(CODE_BYTES)
    with tracker.store.write() as session:
        unused = session.exec(
            select(TelegramCodeRow).where(
                TelegramCodeRow.roadmap_id == active.id,
                TelegramCodeRow.person == key,
                col(TelegramCodeRow.used_at).is_(None),
                col(TelegramCodeRow.expires_at) > _stamp(moment),
            )
        )
        for row in unused:
            row.expires_at = _stamp(moment)  # replaced by the new one
            session.add(row)
        session.add(
            TelegramCodeRow(
                code_hash=code_hash(code),
                roadmap_id=active.id,
                person=key,
                created_at=_stamp(moment),
                created_by=actor,
                expires_at=_stamp(expires),
            )
        )
        session.flush()
        audit.append_event(session, actor, "telegram.invited", {"person": key, "expires_at": _stamp(expires)}, active.id)
    return Invitation(active.id, key, active.roadmap.people[key].name, code, expires)


def redeem(tracker: Tracker, code: str, chat_id: str, guard: Guard, *, bad_code: str) -> Redeemed:
    """Link `chat_id` to the code's person, in one transaction with the update (`guard`); a refusal
    with `bad_code` when the code is unknown, used, expired or its person is gone."""
    if not _CODE.match(code or ""):
        raise TrackingError(bad_code)
    now = audit.utc_now()
    with tracker.store.write() as session:
        guard(session)
        row = session.get(TelegramCodeRow, code_hash(code))
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise TrackingError(bad_code)
        try:
            active = tracker.active_in(session_reader(tracker.store, session), row.roadmap_id)
        except TrackingError:
            raise TrackingError(bad_code) from None
        person = active.roadmap.people.get(row.person)
        if person is None:
            raise TrackingError(bad_code)
        row.used_at, row.chat_id = now, chat_id
        session.add(row)
        existing = session.get(TelegramChatRow, (row.roadmap_id, row.person, chat_id))
        already = existing is not None and existing.unlinked_at is None
        if not already:
            session.merge(
                TelegramChatRow(
                    roadmap_id=row.roadmap_id, person=row.person, chat_id=chat_id, linked_at=now, linked_by=row.created_by
                )
            )
            session.flush()
            audit.append_event(
                session, f"telegram:{chat_id}", "telegram.linked", {"person": row.person, "chat": chat_id}, row.roadmap_id
            )
    return Redeemed(ChatPerson(row.roadmap_id, row.person, person.name, active.roadmap.title, "code"), already)


def burn(tracker: Tracker, code: str) -> bool:
    """An unused code seen where others could read it (a group) stops working; whether it was live."""
    if not _CODE.match(code or ""):
        return False
    now = audit.utc_now()
    with tracker.store.write() as session:
        row = session.get(TelegramCodeRow, code_hash(code))
        if row is None or row.used_at is not None or row.expires_at <= now:
            return False
        row.expires_at = now
        session.add(row)
    return True


def unlink_chat(tracker: Tracker, chat_id: str, guard: Guard) -> list[LinkedChat]:
    """/stop: the chat is unlinked from everyone it was linked to (with the update, in one transaction)."""
    return _unlink(tracker, f"telegram:{chat_id}", "stop", guard, col(TelegramChatRow.chat_id) == chat_id)


def unlink_person(tracker: Tracker, roadmap_ref: str, person: str, actor: str) -> list[LinkedChat]:
    """Every chat of a person in a roadmap is unlinked (`cyclogram telegram unlink`)."""
    active = tracker.active(roadmap_ref)
    key = find_person(active.roadmap, person)
    condition = (col(TelegramChatRow.roadmap_id) == active.id) & (col(TelegramChatRow.person) == key)
    return _unlink(tracker, actor, "command", None, condition)


def _unlink(tracker: Tracker, actor: str, via: str, guard: Guard | None, condition: ColumnElement[bool]) -> list[LinkedChat]:
    now = audit.utc_now()
    done: list[LinkedChat] = []
    with tracker.store.write() as session:
        if guard is not None:
            guard(session)
        rows = session.exec(select(TelegramChatRow).where(condition, col(TelegramChatRow.unlinked_at).is_(None)))
        for row in rows:
            row.unlinked_at = now
            session.add(row)
            session.flush()
            audit.append_event(
                session, actor, "telegram.unlinked", {"person": row.person, "chat": row.chat_id, "via": via}, row.roadmap_id
            )
            done.append(LinkedChat(row.roadmap_id, row.person, row.chat_id, row.linked_at))
    return done


# --- reading ----------------------------------------------------------------------------------------


def linked(store: Store, roadmap_id: str | None = None, person: str | None = None) -> list[LinkedChat]:
    """Chats linked now (of a roadmap, of a person), oldest first."""
    sql = "SELECT roadmap_id, person, chat_id, linked_at FROM telegram_chat WHERE unlinked_at IS NULL"
    params: list[object] = []
    if roadmap_id is not None:
        sql += " AND roadmap_id = ?"
        params.append(roadmap_id)
    if person is not None:
        sql += " AND person = ?"
        params.append(person)
    with store.reading() as reader:
        rows = reader.rows(sql + " ORDER BY linked_at, chat_id", params)
    return [LinkedChat(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


def linked_chats(store: Store, roadmap_id: str) -> dict[str, list[str]]:
    """Person → their linked chat ids (what `outbox.compose` adds to their channels)."""
    chats: dict[str, list[str]] = {}
    for link in linked(store, roadmap_id):
        chats.setdefault(link.person, []).append(link.chat_id)
    return chats


def is_linked(store: Store, roadmap_id: str, person: str, chat_id: str) -> bool:
    with store.reading() as reader:
        row = reader.row(
            "SELECT 1 FROM telegram_chat WHERE roadmap_id = ? AND person = ? AND chat_id = ? AND unlinked_at IS NULL",
            (roadmap_id, person, chat_id),
        )
    return row is not None


def chat_people(tracker: Tracker, secrets: Secrets, chat_id: str) -> list[ChatPerson]:
    """Everyone this chat speaks for: linked by a code, or named in a roadmap's contacts."""
    with tracker.store.reading() as reader:
        rows = reader.rows(
            "SELECT roadmap_id, person FROM telegram_chat WHERE chat_id = ? AND unlinked_at IS NULL ORDER BY linked_at",
            (chat_id,),
        )
    found: dict[tuple[str, str], ChatPerson] = {}
    titles: dict[str, tuple[str, dict[str, str]]] = {}
    for roadmap_id in tracker.roadmap_ids():
        try:
            roadmap = tracker.active(roadmap_id).roadmap
        except TrackingError:
            continue
        titles[roadmap_id] = (roadmap.title, {key: p.name for key, p in roadmap.people.items()})
        for key, person in roadmap.people.items():
            if person.contacts.telegram and _resolved(person.contacts.telegram, secrets) == chat_id:
                found[(roadmap_id, key)] = ChatPerson(roadmap_id, key, person.name, roadmap.title, "roadmap")
    for roadmap_id, key in ((str(r[0]), str(r[1])) for r in rows):
        title, names = titles.get(roadmap_id, ("", {}))
        if key in names:  # a person no longer in the roadmap speaks for nobody
            found[(roadmap_id, key)] = ChatPerson(roadmap_id, key, names[key], title, "code")
    return list(found.values())


def _resolved(contact: str, secrets: Secrets) -> str | None:
    try:
        return secrets.resolve(contact).strip()
    except Refusal:
        return None
