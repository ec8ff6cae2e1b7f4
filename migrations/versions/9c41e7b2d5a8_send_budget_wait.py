"""sends record how long their calls waited for DingTalk's rate budget

notification_sends gains ``budget_wait_s``: the seconds the send's calls spent
waiting in the rate governor (DingTalk's per-app budget, shared by every process),
shown with the send's progress.

Revision ID: 9c41e7b2d5a8
Revises: a13e7c5b9d21
Create Date: 2026-12-02 02:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c41e7b2d5a8'
down_revision = 'a13e7c5b9d21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification_sends', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('budget_wait_s', sa.Float(), nullable=False, server_default='0')
        )


def downgrade():
    with op.batch_alter_table('notification_sends', schema=None) as batch_op:
        batch_op.drop_column('budget_wait_s')
