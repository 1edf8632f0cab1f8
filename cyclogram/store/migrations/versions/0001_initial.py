"""Initial schema: roadmaps and their versions, stage states, evidence, the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roadmap",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
    )
    op.create_table(
        "roadmap_version",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("roadmap_id", sa.String(64), sa.ForeignKey("roadmap.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source_path", sa.String(), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("loaded_by", sa.String(), nullable=False),
        sa.Column("loaded_at", sa.String(), nullable=False),
        sa.UniqueConstraint("roadmap_id", "version"),
    )
    op.create_table(
        "stage_state",
        sa.Column("roadmap_id", sa.String(64), sa.ForeignKey("roadmap.id"), primary_key=True),
        sa.Column("stage_id", sa.String(64), primary_key=True),
        sa.Column("occurrence", sa.String(200), primary_key=True, server_default=""),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("at", sa.String(), nullable=True),
        sa.Column("by", sa.String(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("evidence", sa.String(), nullable=True),
        sa.Column("forced", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
    )
    op.create_table(
        "evidence",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("original_name", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("stored_at", sa.String(), nullable=False),
        sa.Column("stored_by", sa.String(), nullable=False),
    )
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False, index=True),
        sa.Column("roadmap_id", sa.String(), nullable=True, index=True),
        sa.Column("stage_id", sa.String(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")
    _forbid_audit_changes()


def _forbid_audit_changes() -> None:
    """The audit log is append-only at the database level too, not only in our code."""
    if op.get_context().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
    )


def downgrade() -> None:
    for table in ("audit_head", "audit_event", "evidence", "stage_state", "roadmap_version", "roadmap"):
        op.drop_table(table)
    if op.get_context().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
