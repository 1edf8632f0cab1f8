"""Triggered stages' outside events and optional stages put to use.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per outside event of a triggered stage ("со дня получения запроса"): an occurrence of
    # the stage, due `within` after `at`, completed by its label. Audited as stage.triggered.
    op.create_table(
        "stage_trigger",
        sa.Column("roadmap_id", sa.String(64), sa.ForeignKey("roadmap.id"), primary_key=True),
        sa.Column("stage_id", sa.String(64), primary_key=True),
        sa.Column("label", sa.String(200), primary_key=True),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("by", sa.String(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
    )
    # An optional stage (a reserve day) put to use by `cyclogram activate` or by the completion of a
    # stage it depends on. Audited as stage.activated.
    op.create_table(
        "stage_activation",
        sa.Column("roadmap_id", sa.String(64), sa.ForeignKey("roadmap.id"), primary_key=True),
        sa.Column("stage_id", sa.String(64), primary_key=True),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("by", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("via", sa.String(64), nullable=True),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stage_activation")
    op.drop_table("stage_trigger")
