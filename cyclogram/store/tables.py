"""Database tables (SQLModel). The schema itself is created and changed only by Alembic migrations.

Times are stored as ISO 8601 text: exact across SQLite and PostgreSQL, and hashed verbatim by the
audit chain.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class RoadmapRow(SQLModel, table=True):
    __tablename__ = "roadmap"

    id: str = Field(primary_key=True, max_length=64)
    title: str
    current_version: int
    created_at: str


class RoadmapVersionRow(SQLModel, table=True):
    __tablename__ = "roadmap_version"
    __table_args__ = (UniqueConstraint("roadmap_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    roadmap_id: str = Field(foreign_key="roadmap.id", index=True, max_length=64)
    version: int
    content_hash: str = Field(max_length=64)
    source_path: str
    yaml_text: str = Field(sa_column=Column(Text, nullable=False))
    loaded_by: str
    loaded_at: str


class StageStateRow(SQLModel, table=True):
    """The current outcome of a stage occurrence; its history lives in the audit log."""

    __tablename__ = "stage_state"

    roadmap_id: str = Field(primary_key=True, foreign_key="roadmap.id", max_length=64)
    stage_id: str = Field(primary_key=True, max_length=64)
    occurrence: str = Field(default="", primary_key=True, max_length=200)
    state: str = Field(max_length=16)  # done | skipped | open (reopened)
    at: str | None = None  # when done/skipped (local time with offset)
    by: str | None = None
    note: str | None = Field(default=None, sa_column=Column(Text))
    evidence: str | None = None  # sha256:<hex> or URL
    forced: bool = False
    reason: str | None = Field(default=None, sa_column=Column(Text))
    audit_seq: int  # the audit event that set this state


class StageTriggerRow(SQLModel, table=True):
    """One outside event of a triggered stage: an occurrence of it, due `within` after `at`
    (`engine.tracking.Trigger`); its history lives in the audit log (`stage.triggered`)."""

    __tablename__ = "stage_trigger"

    roadmap_id: str = Field(primary_key=True, foreign_key="roadmap.id", max_length=64)
    stage_id: str = Field(primary_key=True, max_length=64)
    label: str = Field(primary_key=True, max_length=200)  # the occurrence: «запрос 14.10.2024 10:00»
    at: str  # local time with offset
    by: str | None = None
    note: str | None = Field(default=None, sa_column=Column(Text))
    audit_seq: int


class StageActivationRow(SQLModel, table=True):
    """An optional stage put to use (`engine.tracking.Activation`; audited as `stage.activated`)."""

    __tablename__ = "stage_activation"

    roadmap_id: str = Field(primary_key=True, foreign_key="roadmap.id", max_length=64)
    stage_id: str = Field(primary_key=True, max_length=64)
    at: str
    by: str | None = None
    reason: str | None = Field(default=None, sa_column=Column(Text))
    via: str | None = Field(default=None, max_length=64)  # the stage whose completion activated it
    audit_seq: int


class EvidenceRow(SQLModel, table=True):
    __tablename__ = "evidence"

    sha256: str = Field(primary_key=True, max_length=64)
    original_name: str
    size: int
    stored_at: str
    stored_by: str


class AuditEventRow(SQLModel, table=True):
    """Append-only: database triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_event"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: str
    actor: str
    action: str = Field(index=True)
    roadmap_id: str | None = Field(default=None, index=True)
    stage_id: str | None = None
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    mac: str | None = Field(default=None, max_length=64)  # HMAC with the audit key (engine/auditchain.py)


class AuditHeadRow(SQLModel, table=True):
    """One row: the newest event's seq and hash. Writers lock it, so events form one chain."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True)
    seq: int
    hash: str


class OutboxRow(SQLModel, table=True):
    """A message to one person on one channel, written before any attempt to send it.

    `dedupe_key` is unique: the same reminder on the same channel is never queued twice. Bodies
    are rendered when queued, so a retry sends exactly what was queued. Nothing secret is stored:
    `channel_target` is an address, a chat id or a secret's name, never a resolved URL.
    """

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=64, unique=True)
    roadmap_id: str = Field(index=True, max_length=64)
    person: str = Field(max_length=64)
    channel_kind: str = Field(max_length=16)
    channel_key: str = Field(max_length=200)
    channel_target: str
    kind: str = Field(max_length=16)  # lead | due | overdue | escalation | unblocked | checkin | digest
    stage_id: str | None = None
    occurrence: str = ""
    due: str | None = None
    subject: str
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    body_short: str = Field(sa_column=Column(Text, nullable=False))
    not_before: str  # UTC ISO: the roadmap's local sending hour on the reminder's day
    status: str = Field(default="pending", index=True, max_length=16)  # pending | sending | sent | failed
    attempts: int = 0
    next_attempt_at: str
    lease_owner: str | None = None
    lease_until: str | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: str
    sent_at: str | None = None
    # JSON list, one object per reminder covered: {"s": stage, "o": occurrence, "k": kind, "l": action
    # link or null}; what a Telegram message's buttons act on (`cyclogram.bot.cards`). NULL on rows
    # queued before revision 0006.
    items: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class OutboxItemRow(SQLModel, table=True):
    """Which reminders (per channel) a queued message covers; unique, so none is queued twice."""

    __tablename__ = "outbox_item"

    item_key: str = Field(primary_key=True, max_length=64)
    outbox_id: int = Field(foreign_key="outbox.id", index=True)


class CalendarVersionRow(SQLModel, table=True):
    """SEQUENCE and LAST-MODIFIED of each calendar component: bumped only when its content changes."""

    __tablename__ = "calendar_version"

    roadmap_id: str = Field(primary_key=True, max_length=64)
    uid: str = Field(primary_key=True, max_length=300)
    component: str = Field(primary_key=True, max_length=8)  # VEVENT | VTODO
    content_hash: str = Field(max_length=64)
    sequence: int = 0
    last_modified: str


class FeedRow(SQLModel, table=True):
    """A calendar subscription URL: a random token for a roadmap, a person or a role."""

    __tablename__ = "feed"

    token: str = Field(primary_key=True, max_length=64)
    roadmap_id: str = Field(foreign_key="roadmap.id", index=True, max_length=64)
    scope: str = Field(max_length=16)  # roadmap | person | role
    scope_key: str | None = None
    todo: bool = False
    created_at: str
    created_by: str
    revoked_at: str | None = None
    replaced_by: str | None = None


class WebUserRow(SQLModel, table=True):
    """Someone who signs in to the web app (deputy director, director, auditor); teachers never do."""

    __tablename__ = "web_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)  # admin | editor | viewer | auditor
    password_hash: str = Field(max_length=200)  # argon2; never the password
    created_at: str
    created_by: str
    disabled_at: str | None = None
    last_sign_in_at: str | None = None


class LinkResetRow(SQLModel, table=True):
    """A person's action links issued before `reset_at` no longer work."""

    __tablename__ = "link_reset"

    roadmap_id: str = Field(primary_key=True, max_length=64)
    person: str = Field(primary_key=True, max_length=64)
    reset_at: str


class RevokedLinkRow(SQLModel, table=True):
    __tablename__ = "revoked_link"

    link_id: str = Field(primary_key=True, max_length=32)
    revoked_at: str
    revoked_by: str


# --- Telegram (cyclogram/bot/) ---------------------------------------------------------------------


class TelegramChatRow(SQLModel, table=True):
    """A person's chat linked by a one-time code; `unlinked_at` set by /stop or `telegram unlink`."""

    __tablename__ = "telegram_chat"

    roadmap_id: str = Field(primary_key=True, max_length=64)
    person: str = Field(primary_key=True, max_length=64)
    chat_id: str = Field(primary_key=True, max_length=32)
    linked_at: str
    linked_by: str
    unlinked_at: str | None = None


class TelegramCodeRow(SQLModel, table=True):
    """A one-time link code, by its sha256 only; single use, expiring."""

    __tablename__ = "telegram_code"

    code_hash: str = Field(primary_key=True, max_length=64)
    roadmap_id: str = Field(max_length=64)
    person: str = Field(max_length=64)
    created_at: str
    created_by: str
    expires_at: str
    used_at: str | None = None
    chat_id: str | None = Field(default=None, max_length=32)


class TelegramCardRow(SQLModel, table=True):
    """A bot message with buttons: what it is about (`items`, JSON), for whom, where it went."""

    __tablename__ = "telegram_card"

    id: int | None = Field(default=None, primary_key=True)
    roadmap_id: str = Field(max_length=64)
    person: str = Field(max_length=64)
    chat_id: str = Field(max_length=32)
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    outbox_id: int | None = None
    parent_id: int | None = None  # a request for a file: the card it asks about
    items: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: str


class TelegramUpdateRow(SQLModel, table=True):
    """An update already processed; written in the same transaction as what it changed."""

    __tablename__ = "telegram_update"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(max_length=16)
    processed_at: str
