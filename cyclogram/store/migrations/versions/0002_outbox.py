"""Outbox of reminders: every message is written before it is sent.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dedupe_key", sa.String(64), nullable=False, unique=True),
        sa.Column("roadmap_id", sa.String(64), nullable=False, index=True),
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("channel_kind", sa.String(16), nullable=False),
        sa.Column("channel_key", sa.String(200), nullable=False),
        sa.Column("channel_target", sa.String(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("stage_id", sa.String(), nullable=True),
        sa.Column("occurrence", sa.String(), nullable=False, server_default=""),
        sa.Column("due", sa.String(), nullable=True),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("body_short", sa.Text(), nullable=False),
        sa.Column("not_before", sa.String(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending", index=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.String(), nullable=False),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_until", sa.String(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("sent_at", sa.String(), nullable=True),
    )
    op.create_table(
        "outbox_item",
        sa.Column("item_key", sa.String(64), primary_key=True),
        sa.Column("outbox_id", sa.Integer(), sa.ForeignKey("outbox.id"), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("outbox_item")
    op.drop_table("outbox")
