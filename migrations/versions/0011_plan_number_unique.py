"""one plan per province, year and số ký hiệu

Revision ID: 0011
Revises: 0008

Before this, importing a plan twice stored it twice. A plan imported again under the same number
keeps its place; each later copy gets " (#id)" after its number, so that the index can be built
and every copy can still be found, shown and deleted by a person.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_plan = sa.table("plan", sa.column("id"), sa.column("root_id"), sa.column("year"), sa.column("number"))
_NUMBER_LENGTH = 100


def upgrade() -> None:
    connection = op.get_bind()
    seen: set[tuple[int, int, str]] = set()
    rows = connection.execute(
        sa.select(_plan.c.id, _plan.c.root_id, _plan.c.year, _plan.c.number)
        .where(_plan.c.number.is_not(None)).order_by(_plan.c.id)
    ).all()
    for plan_id, root_id, year, number in rows:
        if (root_id, year, number) not in seen:
            seen.add((root_id, year, number))
            continue
        suffix = f" (#{plan_id})"
        renamed = number[: _NUMBER_LENGTH - len(suffix)] + suffix
        connection.execute(sa.update(_plan).where(_plan.c.id == plan_id).values(number=renamed))
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.create_index('ix_plan_number', ['root_id', 'year', 'number'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_number')
