"""tracking: whose obligation a row is (role) and lateness kept across extensions (late_since)

Revision ID: 0012
Revises: 0011

Rows tracked before this get their role from what made them: ``phoi_hop`` → coordinator,
``xa_phuong_trien_khai`` → ward, an instance started under another (a commune's school) →
school, anything else → lead (``workflows.tracking.follow.role_of``). ``late_since`` stays empty:
an extension granted before this was recorded without the instant it was granted, so whether it
came after the deadline is not known.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_tracking = sa.table("tracking", sa.column("process_key"), sa.column("parent_id"), sa.column("role"))


def upgrade() -> None:
    with op.batch_alter_table("tracking", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=20), server_default="lead", nullable=False))
        batch_op.add_column(sa.Column("late_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(op.f("ck_tracking_role"), "role IN ('lead', 'coordinator', 'ward', 'school')")
    t = _tracking.c
    op.execute(sa.update(_tracking).where(t.process_key == "phoi_hop").values(role="coordinator"))
    op.execute(sa.update(_tracking).where(t.process_key == "xa_phuong_trien_khai").values(role="ward"))
    op.execute(
        sa.update(_tracking)
        .where(t.process_key.not_in(("phoi_hop", "xa_phuong_trien_khai")), t.parent_id.is_not(None))
        .values(role="school")
    )


def downgrade() -> None:
    with op.batch_alter_table("tracking", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_tracking_role"), type_="check")
        batch_op.drop_column("late_since")
        batch_op.drop_column("role")
