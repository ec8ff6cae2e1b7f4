"""sends go out on the delivery queue: cancel/pause requests and the per-send claim

notification_sends gains ``control`` (``cancel`` or ``pause``, asked for by an admin,
applied by the consumer between two batches), ``claimed_by`` / ``claimed_until`` (the
consumer working the send, and until when its claim holds: two consumers never work
one send) and ``started_at`` (when its first batch went out: the page's rate and ETA).

Revision ID: c3a8d51f0e27
Revises: b7d2e91c4a60
Create Date: 2026-12-01 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a8d51f0e27'
down_revision = 'b7d2e91c4a60'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification_sends', schema=None) as batch_op:
        batch_op.add_column(sa.Column('control', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('notification_sends', schema=None) as batch_op:
        batch_op.drop_column('started_at')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('control')
