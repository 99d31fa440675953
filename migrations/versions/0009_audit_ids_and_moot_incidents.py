"""audit event ids positive; incidents say how they were resolved

Revision ID: 0009
Revises: 0008

The sealer chains rows above the last sealed id, so an event with id 0 or less is never sealed:
ids must be positive. Rows that already break the rule are evidence, never deleted or refused:
PostgreSQL keeps the constraint NOT VALID while any exists, SQLite copies them past the check;
``giaoviec audit verify`` reports them.

SQLite cannot add a CHECK to a table, so both audit tables are rebuilt: the new seal table
points at the new event table, so no row ever references a dropped table (foreign keys stay on;
renaming the event table rewrites the seal table's reference). Indexes and the append-only
triggers are created again, exactly as migration 0001 wrote them (``audit verify`` compares them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE audit_event ADD CONSTRAINT ck_audit_event_id_positive CHECK (id > 0) NOT VALID')
        if not op.get_bind().execute(sa.text('SELECT EXISTS (SELECT 1 FROM audit_event WHERE id <= 0)')).scalar():
            op.execute('ALTER TABLE audit_event VALIDATE CONSTRAINT ck_audit_event_id_positive')
    else:
        _rebuild_sqlite_audit_tables(id_positive=True)
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolution', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
    op.execute("UPDATE incident SET resolution = 'retried' WHERE status = 'resolved'")  # the only way there was


def downgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('reason')
        batch_op.drop_column('resolution')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE audit_event DROP CONSTRAINT ck_audit_event_id_positive')
    else:
        _rebuild_sqlite_audit_tables(id_positive=False)


def _rebuild_sqlite_audit_tables(*, id_positive: bool) -> None:
    checks = [sa.CheckConstraint('id > 0', name=op.f('ck_audit_event_id_positive'))] if id_positive else []
    op.create_table('_audit_event_new',
    sa.Column('id', BigId, nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event', sa.String(length=80), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('on_behalf_of', sa.String(length=200), nullable=True),
    sa.Column('instance_id', sa.Uuid(), nullable=True),
    sa.Column('task_id', sa.Uuid(), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name='pk_audit_event'),
    *checks,
    )
    op.create_table('_audit_seal_new',
    sa.Column('seq', BigId, autoincrement=False, nullable=False),
    sa.Column('event_id', BigId, nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['_audit_event_new.id'], name='fk_audit_seal_event_id_audit_event'),
    sa.PrimaryKeyConstraint('seq', name='pk_audit_seal'),
    sa.UniqueConstraint('event_id', name='uq_audit_seal_event_id'),
    )
    columns = 'id, occurred_at, event, actor, on_behalf_of, instance_id, task_id, subject, data'
    op.execute('PRAGMA ignore_check_constraints = ON')  # rows with a bad id are evidence: keep them
    op.execute(f'INSERT INTO _audit_event_new ({columns}) SELECT {columns} FROM audit_event')
    op.execute('PRAGMA ignore_check_constraints = OFF')
    op.execute('INSERT INTO _audit_seal_new (seq, event_id, prev_hash, hash, sealed_at) '
               'SELECT seq, event_id, prev_hash, hash, sealed_at FROM audit_seal')
    # Dropping a table also drops its indexes and triggers and deletes its rows without firing them.
    op.execute('DROP TABLE audit_seal')
    op.execute('DROP TABLE audit_event')
    op.execute('ALTER TABLE _audit_event_new RENAME TO audit_event')
    op.execute('ALTER TABLE _audit_seal_new RENAME TO audit_seal')
    op.create_index('ix_audit_event_actor', 'audit_event', ['actor', 'occurred_at'], unique=False)
    op.create_index('ix_audit_event_event', 'audit_event', ['event', 'occurred_at'], unique=False)
    op.create_index('ix_audit_event_instance', 'audit_event', ['instance_id', 'id'], unique=False)
    for table in ('audit_event', 'audit_seal'):
        for action in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: {action} on {table} refused'); END")
