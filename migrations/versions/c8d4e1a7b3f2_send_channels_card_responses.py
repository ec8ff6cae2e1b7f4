"""sends have a channel (work notice, robot, card); card button presses are kept

notification_sends gains ``channel`` ('work_notice' for every existing send);
notification_send_tasks gains ``out_key`` (a robot batch's processQueryKey, a card's
outTrackId); ``card_responses`` holds each card button press DingTalk called back.

Revision ID: c8d4e1a7b3f2
Revises: f7b3d29a6c40
Create Date: 2026-12-02 02:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c8d4e1a7b3f2'
down_revision = 'f7b3d29a6c40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification_sends', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'channel', sa.String(length=12), nullable=False, server_default='work_notice'
            )
        )
    with op.batch_alter_table('notification_send_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('out_key', sa.String(length=128), nullable=True))
        batch_op.create_index('ix_notification_send_tasks_out_key', ['out_key'], unique=False)
    op.create_table(
        'card_responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('out_track_id', sa.String(length=128), nullable=False),
        sa.Column('send_id', sa.Integer(), nullable=True),
        sa.Column('corp_id', sa.String(length=64), nullable=True),
        sa.Column('user_id', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=128), nullable=False),
        sa.Column('params_json', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['send_id'], ['notification_sends.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('card_responses', schema=None) as batch_op:
        batch_op.create_index('ix_card_responses_out_track_id', ['out_track_id'], unique=False)
        batch_op.create_index('ix_card_responses_send_id', ['send_id'], unique=False)


def downgrade():
    with op.batch_alter_table('card_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_card_responses_send_id')
        batch_op.drop_index('ix_card_responses_out_track_id')
    op.drop_table('card_responses')
    with op.batch_alter_table('notification_send_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_send_tasks_out_key')
        batch_op.drop_column('out_key')
    with op.batch_alter_table('notification_sends', schema=None) as batch_op:
        batch_op.drop_column('channel')
