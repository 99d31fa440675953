"""dispatch openings (periods of recurring plan tasks that open later)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dispatch_opening',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('plan_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('plan_task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period_key', sa.String(length=50), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_dispatch_opening_plan_id_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_task_id'], ['plan_task.id'], name=op.f('fk_dispatch_opening_plan_task_id_plan_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_opening')),
    sa.UniqueConstraint('plan_task_id', 'period_key', name=op.f('uq_dispatch_opening_plan_task_id_period_key'))
    )
    with op.batch_alter_table('dispatch_opening', schema=None) as batch_op:
        batch_op.create_index('ix_dispatch_opening_due', ['status', 'opens_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dispatch_opening', schema=None) as batch_op:
        batch_op.drop_index('ix_dispatch_opening_due')
    op.drop_table('dispatch_opening')
