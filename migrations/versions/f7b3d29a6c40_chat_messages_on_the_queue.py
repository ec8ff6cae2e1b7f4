"""chat messages go out through the delivery queue

``chat_messages`` gains ``corpid`` (the ISV company the consumer sends for) and
``reply`` (DingTalk's chat/send reply as it came, for the JSON API's chatSend).

Revision ID: f7b3d29a6c40
Revises: 9c41e7b2d5a8, e5c7a2d94b18
Create Date: 2026-12-02 02:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f7b3d29a6c40'
down_revision = ('9c41e7b2d5a8', 'e5c7a2d94b18')  # also merges the two heads before it
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('corpid', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('reply', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_chat_messages_corpid'), ['corpid'], unique=False)


def downgrade():
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_messages_corpid'))
        batch_op.drop_column('reply')
        batch_op.drop_column('corpid')
