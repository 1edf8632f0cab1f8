"""Calendar feeds: subscription tokens and stable SEQUENCE/LAST-MODIFIED per component.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_version",
        sa.Column("roadmap_id", sa.String(64), primary_key=True),
        sa.Column("uid", sa.String(300), primary_key=True),
        sa.Column("component", sa.String(8), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_modified", sa.String(), nullable=False),
    )
    op.create_table(
        "feed",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("roadmap_id", sa.String(64), sa.ForeignKey("roadmap.id"), nullable=False, index=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("scope_key", sa.String(), nullable=True),
        sa.Column("todo", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("revoked_at", sa.String(), nullable=True),
        sa.Column("replaced_by", sa.String(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("feed")
    op.drop_table("calendar_version")
