"""roles, department scopes and session versions of users and tokens; the audit log

Users gain a role (existing users, all full admins until now, become owners), a
department scope, a session version, a disabled flag and their DingTalk userid;
``is_admin`` goes (the role says it). API tokens gain a role (``send`` tokens become
senders, ``read`` ones viewers) and a department scope. The append-only audit log.

Revision ID: b2f6c81d4e07
Revises: c8d4e1a7b3f2
Create Date: 2026-12-02 02:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b2f6c81d4e07"
down_revision = "c8d4e1a7b3f2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=16), nullable=False, server_default="owner")
        )
        batch_op.add_column(sa.Column("dept_scope", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("dingtalk_userid", sa.String(length=64), nullable=True))
    op.execute("UPDATE users SET role = CASE WHEN is_admin THEN 'owner' ELSE 'viewer' END")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("role", server_default=None)
        batch_op.alter_column("session_version", server_default=None)
        batch_op.alter_column("disabled", server_default=None)
        batch_op.drop_column("is_admin")

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=16), nullable=False, server_default="viewer")
        )
        batch_op.add_column(sa.Column("dept_scope", sa.JSON(), nullable=True))
    op.execute("UPDATE api_tokens SET role = 'sender' WHERE scope = 'send'")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("role", server_default=None)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_kind", sa.String(length=12), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=True),
        sa.Column("object_id", sa.String(length=120), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("corpid", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_object_id"), ["object_id"], unique=False)


def downgrade():
    op.drop_table("audit_events")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("dept_scope")
        batch_op.drop_column("role")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    op.execute("UPDATE users SET is_admin = (role IN ('owner', 'admin'))")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("is_admin", server_default=None)
        batch_op.drop_column("dingtalk_userid")
        batch_op.drop_column("disabled")
        batch_op.drop_column("session_version")
        batch_op.drop_column("dept_scope")
        batch_op.drop_column("role")
