"""tracking: an index (phase, late, due_at) for the worker's overdue sweep, which read every row

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tracking_overdue", "tracking", ["phase", "late", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_tracking_overdue", table_name="tracking")
