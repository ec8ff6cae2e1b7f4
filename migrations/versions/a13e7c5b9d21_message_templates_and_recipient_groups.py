"""message templates and recipient groups, each with its history; sends keep their origin

``message_templates`` / ``message_template_revisions`` and ``recipient_groups`` /
``recipient_group_revisions``; a send's ``origin`` (the template and groups it was
made from, the groups as resolved), and a batch's own ``msg_json`` (a per-recipient
send: one person a batch, each their own message).

Revision ID: a13e7c5b9d21
Revises: d9e4f1a27b30
Create Date: 2026-12-02 02:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a13e7c5b9d21'
down_revision = 'd9e4f1a27b30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'message_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('msgtype', sa.String(length=20), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=80), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    op.create_table(
        'message_template_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=12), nullable=False),
        sa.Column('user', sa.String(length=80), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('changed', sa.JSON(), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_message_template_revisions_template',
        'message_template_revisions',
        ['template_id', 'id'],
        unique=False,
    )
    op.create_table(
        'recipient_groups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('userids', sa.JSON(), nullable=False),
        sa.Column('dept_ids', sa.JSON(), nullable=False),
        sa.Column('include_sub_departments', sa.Boolean(), nullable=False),
        sa.Column('corpid', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=80), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_recipient_groups_name', 'recipient_groups', ['name'], unique=False)
    op.create_index('ix_recipient_groups_corpid', 'recipient_groups', ['corpid'], unique=False)
    op.create_table(
        'recipient_group_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=12), nullable=False),
        sa.Column('user', sa.String(length=80), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('changed', sa.JSON(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_recipient_group_revisions_group',
        'recipient_group_revisions',
        ['group_id', 'id'],
        unique=False,
    )
    with op.batch_alter_table('notification_sends', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.JSON(), nullable=True))
    with op.batch_alter_table('notification_send_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('msg_json', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('notification_send_tasks', schema=None) as batch_op:
        batch_op.drop_column('msg_json')
    with op.batch_alter_table('notification_sends', schema=None) as batch_op:
        batch_op.drop_column('origin')
    op.drop_index('ix_recipient_group_revisions_group', table_name='recipient_group_revisions')
    op.drop_table('recipient_group_revisions')
    op.drop_index('ix_recipient_groups_corpid', table_name='recipient_groups')
    op.drop_index('ix_recipient_groups_name', table_name='recipient_groups')
    op.drop_table('recipient_groups')
    op.drop_index('ix_message_template_revisions_template', table_name='message_template_revisions')
    op.drop_table('message_template_revisions')
    op.drop_table('message_templates')
