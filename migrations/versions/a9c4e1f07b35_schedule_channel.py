"""the channel of a schedule: work_notice (default) or robot

Revision ID: a9c4e1f07b35
Revises: d6a1f3c8e902
Create Date: 2026-12-02 03:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a9c4e1f07b35"
down_revision = "d6a1f3c8e902"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=20), nullable=False, server_default="work_notice")
        )


def downgrade():
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.drop_column("channel")
