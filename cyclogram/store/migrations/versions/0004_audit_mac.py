"""Audit events signed with a key kept outside the database (HMAC of each event's hash).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new nullable column: events written before a key was configured stay unsigned (and are
    # counted as such by `audit verify`); the append-only triggers are untouched.
    op.add_column("audit_event", sa.Column("mac", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_event", "mac")
