"""The web app: people who sign in, and revoked action links.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Deputy directors, directors, auditors: they sign in with an e-mail and a password (argon2 hash,
    # never the password). Teachers never sign in: they act through signed links in their reminders.
    op.create_table(
        "web_user",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),  # admin | editor | viewer | auditor
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("disabled_at", sa.String(), nullable=True),
        sa.Column("last_sign_in_at", sa.String(), nullable=True),
    )
    # A person's action links issued before `reset_at` stop working (a lost phone, a leaked e-mail);
    # single links are revoked by their id.
    op.create_table(
        "link_reset",
        sa.Column("roadmap_id", sa.String(64), primary_key=True),
        sa.Column("person", sa.String(64), primary_key=True),
        sa.Column("reset_at", sa.String(), nullable=False),
    )
    op.create_table(
        "revoked_link",
        sa.Column("link_id", sa.String(32), primary_key=True),
        sa.Column("revoked_at", sa.String(), nullable=False),
        sa.Column("revoked_by", sa.String(), nullable=False),
    )


def downgrade() -> None:
    for table in ("revoked_link", "link_reset", "web_user"):
        op.drop_table(table)
