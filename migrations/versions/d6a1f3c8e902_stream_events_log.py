"""the Stream events log (dashboard/events): one row per eventId

Revision ID: d6a1f3c8e902
Revises: b2f6c81d4e07
Create Date: 2026-12-02 02:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d6a1f3c8e902"
down_revision = "b2f6c81d4e07"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stream_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=128), nullable=False),
        sa.Column("corp_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("born_at", sa.DateTime(), nullable=True),
        sa.Column("data_json", sa.Text(), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("stream_events", schema=None) as batch_op:
        batch_op.create_index("ix_stream_events_event_type", ["event_type"], unique=False)
        batch_op.create_index("ix_stream_events_received_at", ["received_at"], unique=False)


def downgrade():
    with op.batch_alter_table("stream_events", schema=None) as batch_op:
        batch_op.drop_index("ix_stream_events_received_at")
        batch_op.drop_index("ix_stream_events_event_type")
    op.drop_table("stream_events")
