"""attempts keep DingTalk's answer as it came (error_detail)

Every attempt table (send batches, recalls, chats, chat messages) gains
``error_detail``: the envelope (errcode 88 with its sub_code) or the kind of
failure and HTTP status, redacted, so a reply made after the queue delivered
answers as the call itself would have.

Revision ID: d9e4f1a27b30
Revises: c3a8d51f0e27
Create Date: 2026-12-01 23:58:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd9e4f1a27b30'
down_revision = 'c3a8d51f0e27'
branch_labels = None
depends_on = None

TABLES = ('notification_send_tasks', 'notification_recalls', 'chats', 'chat_messages')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('error_detail', sa.JSON(), nullable=True))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('error_detail')
