"""Telegram both ways: linked chats, one-time link codes, the messages that carry buttons,
processed updates; the items of every outbox message.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A person's Telegram chat, linked by a one-time code (`cyclogram telegram link`, the person's
    # page) rather than typed into the roadmap. Unlinking (/stop) keeps the row with `unlinked_at`;
    # linking again clears it. Audited as telegram.linked / telegram.unlinked.
    op.create_table(
        "telegram_chat",
        sa.Column("roadmap_id", sa.String(64), primary_key=True),
        sa.Column("person", sa.String(64), primary_key=True),
        sa.Column("chat_id", sa.String(32), primary_key=True),
        sa.Column("linked_at", sa.String(), nullable=False),
        sa.Column("linked_by", sa.String(), nullable=False),
        sa.Column("unlinked_at", sa.String(), nullable=True),
    )
    op.create_index("ix_telegram_chat_chat_id", "telegram_chat", ["chat_id"])
    # One-time link codes, by their sha256 only (the code itself is in the deep link, never here).
    op.create_table(
        "telegram_code",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("roadmap_id", sa.String(64), nullable=False),
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("expires_at", sa.String(), nullable=False),
        sa.Column("used_at", sa.String(), nullable=True),
        sa.Column("chat_id", sa.String(32), nullable=True),
    )
    op.create_index("ix_telegram_code_person", "telegram_code", ["roadmap_id", "person"])
    # A message the bot sent with buttons (a reminder, an answer to /мои, a request for a file):
    # what it is about (items: stage, occurrence, kind, link), for whom, in which chat. Buttons
    # carry the card's id (signed); replies find their card by (chat_id, message_id).
    op.create_table(
        "telegram_card",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("roadmap_id", sa.String(64), nullable=False),
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("chat_id", sa.String(32), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True, index=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
    )
    op.create_index("ix_telegram_card_message", "telegram_card", ["chat_id", "message_id"])
    # Updates already processed (unique update_id): a completion and its update are written in
    # one transaction, so an update delivered twice records once; the newest one is the offset.
    op.create_table(
        "telegram_update",
        sa.Column("update_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("processed_at", sa.String(), nullable=False),
    )
    # What each outbox message is about (JSON: stage, occurrence, kind, action link per reminder),
    # so that a Telegram message can carry a button per stage. Older rows: NULL (their stage_id).
    op.add_column("outbox", sa.Column("items", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "items")
    for table in ("telegram_update", "telegram_card", "telegram_code", "telegram_chat"):
        op.drop_table(table)
