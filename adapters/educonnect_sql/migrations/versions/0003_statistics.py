"""Stored statistics: the last computation of each school's figures (guide §6.1).

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the table of stored statistics."""
    op.create_table(
        "school_statistics",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("uai"),
    )


def downgrade() -> None:
    """Drop the table of stored statistics."""
    op.drop_table("school_statistics")
