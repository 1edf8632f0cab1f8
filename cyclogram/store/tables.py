"""Database tables (SQLModel). The schema itself is created and changed only by Alembic migrations.

Times are stored as ISO 8601 text: exact across SQLite and PostgreSQL, and hashed verbatim by the
audit chain.
"""

from __future__ import annotations

from sqlalchemy import Column, Text, UniqueConstraint
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


class AuditHeadRow(SQLModel, table=True):
    """One row: the newest event's seq and hash. Writers lock it, so events form one chain."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True)
    seq: int
    hash: str
