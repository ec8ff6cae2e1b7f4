"""one attempt record for every DingTalk call (dashboard.attempts.Attempt)

Work-notice batches, recalls, chats and chat messages share the columns state,
errcode, errmsg, reason, request_id, attempted_at, finished_at. Sends summarise
their first failed batch as errcode, errmsg, reason.

Data: error_code/error_message become errcode/errmsg; a batch's states become the
attempt states (submitted and recalled: done; a batch still "submitting" or a chat
still "pending" was recorded before its call and never answered: unknown, never
re-sent); Recall.ok becomes state done/failed. Every call recorded before this
revision had been attempted: attempted_at is the time it was recorded.

Revision ID: b7d2e91c4a60
Revises: 84f713e0fcff
Create Date: 2026-12-01 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d2e91c4a60'
down_revision = '84f713e0fcff'
branch_labels = None
depends_on = None


def _timestamps(batch_op):
    batch_op.add_column(sa.Column('attempted_at', sa.DateTime(), nullable=True))
    batch_op.add_column(sa.Column('finished_at', sa.DateTime(), nullable=True))


def upgrade():
    with op.batch_alter_table('notification_sends', schema=None) as batch_op:
        batch_op.alter_column('error_code', new_column_name='errcode')
        batch_op.alter_column('error_message', new_column_name='errmsg')
        batch_op.add_column(sa.Column('reason', sa.String(length=32), nullable=True))

    with op.batch_alter_table('notification_send_tasks', schema=None) as batch_op:
        batch_op.alter_column('error_code', new_column_name='errcode')
        batch_op.alter_column('error_message', new_column_name='errmsg')
        batch_op.add_column(sa.Column('reason', sa.String(length=32), nullable=True))
        _timestamps(batch_op)
    op.execute(
        "UPDATE notification_send_tasks SET attempted_at = (SELECT s.created_at FROM "
        "notification_sends s WHERE s.id = notification_send_tasks.send_id)"
    )
    op.execute(
        "UPDATE notification_send_tasks SET state = 'done' WHERE state IN ('submitted', 'recalled')"
    )
    op.execute(
        "UPDATE notification_send_tasks SET state = 'unknown', reason = 'no_answer' "
        "WHERE state = 'submitting'"
    )
    with op.batch_alter_table('notification_send_tasks', schema=None) as batch_op:
        batch_op.alter_column(
            'state', existing_type=sa.String(length=12), type_=sa.String(length=10),
            existing_nullable=False,
        )

    with op.batch_alter_table('notification_recalls', schema=None) as batch_op:
        batch_op.alter_column('error_code', new_column_name='errcode')
        batch_op.alter_column('error_message', new_column_name='errmsg')
        batch_op.add_column(
            sa.Column('state', sa.String(length=10), server_default='failed', nullable=False)
        )
        batch_op.add_column(sa.Column('reason', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))
        _timestamps(batch_op)
    op.execute(
        "UPDATE notification_recalls SET attempted_at = created_at, "
        "state = CASE WHEN ok THEN 'done' ELSE 'failed' END"
    )
    with op.batch_alter_table('notification_recalls', schema=None) as batch_op:
        batch_op.drop_column('ok')

    for table, recorded in (('chats', 'created_at'), ('chat_messages', 'sent_at')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))
            _timestamps(batch_op)
        op.execute(f"UPDATE {table} SET attempted_at = {recorded}")
        op.execute(
            f"UPDATE {table} SET state = 'unknown', reason = 'no_answer' WHERE state = 'pending'"
        )


def downgrade():
    for table in ('chat_messages', 'chats'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('finished_at')
            batch_op.drop_column('attempted_at')
            batch_op.drop_column('request_id')

    with op.batch_alter_table('notification_recalls', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('ok', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute("UPDATE notification_recalls SET ok = (state = 'done')")
    with op.batch_alter_table('notification_recalls', schema=None) as batch_op:
        batch_op.drop_column('finished_at')
        batch_op.drop_column('attempted_at')
        batch_op.drop_column('request_id')
        batch_op.drop_column('reason')
        batch_op.drop_column('state')
        batch_op.alter_column('errmsg', new_column_name='error_message')
        batch_op.alter_column('errcode', new_column_name='error_code')

    with op.batch_alter_table('notification_send_tasks', schema=None) as batch_op:
        batch_op.alter_column(
            'state', existing_type=sa.String(length=10), type_=sa.String(length=12),
            existing_nullable=False,
        )
    op.execute(
        "UPDATE notification_send_tasks SET state = CASE WHEN recalled_at IS NOT NULL "
        "THEN 'recalled' ELSE 'submitted' END WHERE state = 'done'"
    )
    op.execute("UPDATE notification_send_tasks SET state = 'submitting' WHERE state = 'pending'")
    with op.batch_alter_table('notification_send_tasks', schema=None) as batch_op:
        batch_op.drop_column('finished_at')
        batch_op.drop_column('attempted_at')
        batch_op.drop_column('reason')
        batch_op.alter_column('errmsg', new_column_name='error_message')
        batch_op.alter_column('errcode', new_column_name='error_code')

    with op.batch_alter_table('notification_sends', schema=None) as batch_op:
        batch_op.drop_column('reason')
        batch_op.alter_column('errmsg', new_column_name='error_message')
        batch_op.alter_column('errcode', new_column_name='error_code')
