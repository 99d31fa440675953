"""timer: an index on (instance_id, status), so that a step's timer rows are found, not scanned

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_timer_instance", "timer", ["instance_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_timer_instance", table_name="timer")
