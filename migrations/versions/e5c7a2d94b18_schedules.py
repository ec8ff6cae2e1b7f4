"""scheduled and recurring sends: schedules, their runs, and each send's schedule

``schedules`` (one-off or recurring work notifications, ``next_run_at`` the next due
time), ``schedule_runs`` (one row per due time, unique per schedule: the claim that
keeps two consumers from firing one run twice), and ``notification_sends.schedule_id``
(the schedule a send is a run of).

Revision ID: e5c7a2d94b18
Revises: a13e7c5b9d21
Create Date: 2026-12-02 02:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5c7a2d94b18'
down_revision = 'a13e7c5b9d21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'schedules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=80), nullable=False),
        sa.Column('updated_by', sa.String(length=80), nullable=True),
        sa.Column('corpid', sa.String(length=64), nullable=True),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('api_token_name', sa.String(length=80), nullable=True),
        sa.Column('userid_list', sa.Text(), nullable=False),
        sa.Column('dept_id_list', sa.Text(), nullable=False),
        sa.Column('to_all_user', sa.Boolean(), nullable=False),
        sa.Column('group_ids', sa.Text(), nullable=False),
        sa.Column('msgtype', sa.String(length=20), nullable=False),
        sa.Column('msg_json', sa.Text(), nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=True),
        sa.Column('params_json', sa.Text(), nullable=True),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('run_at', sa.DateTime(), nullable=True),
        sa.Column('time_of_day', sa.String(length=5), nullable=True),
        sa.Column('weekdays', sa.String(length=20), nullable=True),
        sa.Column('monthday', sa.String(length=2), nullable=True),
        sa.Column('cron', sa.String(length=120), nullable=True),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('on_missed', sa.String(length=10), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('next_run_at', sa.DateTime(), nullable=True),
        sa.Column('save_warning', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_schedules_corpid', 'schedules', ['corpid'], unique=False)
    op.create_index('ix_schedules_state', 'schedules', ['state'], unique=False)
    op.create_index('ix_schedules_next_run_at', 'schedules', ['next_run_at'], unique=False)
    op.create_table(
        'schedule_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('schedule_id', sa.Integer(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('claimed_by', sa.String(length=120), nullable=True),
        sa.Column('outcome', sa.String(length=10), nullable=False),
        sa.Column('late_seconds', sa.Integer(), nullable=True),
        sa.Column('missed_count', sa.Integer(), nullable=False),
        sa.Column('manual', sa.Boolean(), nullable=False),
        sa.Column('triggered_by', sa.String(length=80), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('warnings_json', sa.Text(), nullable=True),
        sa.Column('send_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id']),
        sa.ForeignKeyConstraint(['send_id'], ['notification_sends.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('schedule_id', 'due_at', name='uq_schedule_runs_due'),
    )
    op.create_index(
        'ix_schedule_runs_schedule_id', 'schedule_runs', ['schedule_id'], unique=False
    )
    with op.batch_alter_table('notification_sends', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_notification_sends_schedule_id', ['schedule_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_notification_sends_schedule_id', 'schedules', ['schedule_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('notification_sends', schema=None) as batch_op:
        batch_op.drop_constraint('fk_notification_sends_schedule_id', type_='foreignkey')
        batch_op.drop_index('ix_notification_sends_schedule_id')
        batch_op.drop_column('schedule_id')
    op.drop_index('ix_schedule_runs_schedule_id', table_name='schedule_runs')
    op.drop_table('schedule_runs')
    op.drop_index('ix_schedules_next_run_at', table_name='schedules')
    op.drop_index('ix_schedules_state', table_name='schedules')
    op.drop_index('ix_schedules_corpid', table_name='schedules')
    op.drop_table('schedules')
