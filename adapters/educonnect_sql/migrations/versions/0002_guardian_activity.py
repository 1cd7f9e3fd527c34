"""Guardian activity apart from the versioned account: credentials generation, hard cap.

Login failures and the last login stay in their columns but are written only by the activity
statements (never by a versioned update); ``login_failures_for`` says which credentials
generation (``credentials``) they count against, and ``login_blocked`` records the hard cap.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the three columns; existing accounts start at generation 0, not blocked."""
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("credentials", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("login_blocked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("login_failures_for", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    """Drop the three columns."""
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("login_failures_for")
        batch.drop_column("login_blocked")
        batch.drop_column("credentials")
