"""The Alembic migrations build exactly the schema the models describe, and convert the data.

Each test runs on SQLite and, when it answers on 127.0.0.1:5432 (`make services`), on
PostgreSQL, in a database of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from dashboard import create_app
from dashboard.extensions import db

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_PASSWORD = "pg-password-must-not-leak"
#: The revision before one attempt record for every call (dashboard.attempts).
BEFORE_ATTEMPTS = "84f713e0fcff"


def _pg_admin():
    psycopg = pytest.importorskip("psycopg")
    for user in ("postgres", "root"):
        try:
            return psycopg.connect(
                host=PG_HOST, port=PG_PORT, user=user, dbname="postgres",
                connect_timeout=2, autocommit=True,
            )  # fmt: skip
        except psycopg.OperationalError:
            continue
    pytest.skip(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} (make services)")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    name = f"dashboard_migrations_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as conn:
        user = conn.info.user
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://{user}:{PG_PASSWORD}@{PG_HOST}:{PG_PORT}/{name}"
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def migrating_app(database_url, tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "x",
            "DASHBOARD_INSTANCE_PATH": str(tmp_path),
        }
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def schema_diff() -> list:
    with db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), db.metadata)


def test_upgrade_from_empty_matches_the_models(migrating_app):
    upgrade()
    assert schema_diff() == []


def rows(sql: str) -> list[tuple]:
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_attempt_columns_and_states_are_converted_both_ways(migrating_app):
    upgrade(revision=BEFORE_ATTEMPTS)
    with db.engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO notification_sends (id, created_at, updated_at, sender, source,"
                " userid_list, dept_id_list, to_all_user, msgtype, msg_json, content_hash, state,"
                " error_code, error_message) VALUES (1, '2026-11-01 08:00:00', '2026-11-01 08:00:00',"
                " 'admin', 'web', 'u1', '', false, 'text', '{}', 'h', 'partial', 40035, '不合法的参数')"
            )
        )
        for n, state, task_id, code, recalled in (
            (1, "submitted", 11, None, None),
            (2, "recalled", 12, None, "'2026-11-01 09:00:00'"),
            (3, "failed", None, 40035, None),
            (4, "submitting", None, None, None),
        ):
            c.execute(
                text(
                    "INSERT INTO notification_send_tasks (id, send_id, batch_no, userid_list,"
                    " dept_id_list, to_all_user, state, task_id, error_code, progress, status,"
                    f" recalled_at) VALUES ({n}, 1, {n}, 'u1', '', false, '{state}',"
                    f" {task_id or 'NULL'}, {code or 'NULL'}, 0, 0, {recalled or 'NULL'})"
                )
            )
        c.execute(
            text(
                'INSERT INTO notification_recalls (id, send_id, task_id, "user", created_at, ok,'
                " error_code, error_message) VALUES (1, 1, 12, 'admin', '2026-11-01 09:00:00', true,"
                " NULL, NULL), (2, 1, 11, 'admin', '2026-11-01 09:01:00', false, 400002, '任务不存在')"
            )
        )
        c.execute(
            text(
                "INSERT INTO chats (id, chatid, name, owner, members, settings, created_by,"
                " created_at, state) VALUES (1, 'chat1', '群', 'u1', '[]', '{}', 'admin',"
                " '2026-11-02 08:00:00', 'done'), (2, NULL, '群', 'u1', '[]', '{}', 'admin',"
                " '2026-11-02 08:05:00', 'pending')"
            )
        )

    upgrade()
    assert schema_diff() == []
    assert rows("SELECT state, errcode, errmsg FROM notification_sends") == [
        ("partial", 40035, "不合法的参数")
    ]
    assert rows(
        "SELECT state, errcode, reason, attempted_at IS NOT NULL FROM notification_send_tasks"
        " ORDER BY id"
    ) == [
        ("done", None, None, True),
        ("done", None, None, True),  # recalled: the call itself was done; recalled_at says more
        ("failed", 40035, None, True),
        ("unknown", None, "no_answer", True),  # recorded, never answered: never re-sent
    ]
    assert rows("SELECT state, errcode, errmsg FROM notification_recalls ORDER BY id") == [
        ("done", None, None),
        ("failed", 400002, "任务不存在"),
    ]
    assert rows("SELECT state, reason, attempted_at IS NOT NULL FROM chats ORDER BY id") == [
        ("done", None, True),
        ("unknown", "no_answer", True),
    ]

    downgrade(revision=BEFORE_ATTEMPTS)
    assert rows("SELECT state, error_code FROM notification_send_tasks ORDER BY id") == [
        ("submitted", None),
        ("recalled", None),
        ("failed", 40035),
        ("unknown", None),
    ]
    assert [bool(ok) for (ok,) in rows("SELECT ok FROM notification_recalls ORDER BY id")] == [
        True,
        False,
    ]
    assert rows("SELECT error_code, error_message FROM notification_sends") == [
        (40035, "不合法的参数")
    ]
