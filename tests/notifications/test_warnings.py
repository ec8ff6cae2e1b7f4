"""Pre-send warnings from a given history of today's sends (no database, no DingTalk)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from dashboard.notifications.models import Send
from dashboard.notifications.sending import content_hash
from dashboard.notifications.warnings import presend_warnings

MSG = {"msgtype": "text", "text": {"content": "请提交日报"}}
OTHER = {"msgtype": "text", "text": {"content": "另一条"}}


def sent(msg=MSG, users="", depts="", to_all=False, id=1) -> Send:
    return Send(id=id, userid_list=users, dept_id_list=depts, to_all_user=to_all,
                content_hash=content_hash(msg), msgtype="text", msg_json="{}")  # fmt: skip


def warn(today, msg=MSG, users=(), depts=(), to_all=False) -> list[str]:
    return presend_warnings(
        msg=msg, userid_list=list(users), dept_id_list=list(depts), to_all_user=to_all, today=today
    )


def test_no_history_no_warning(bare_app):
    assert warn([], users=["u1"]) == []


def test_same_content_to_the_same_user_or_department_is_a_duplicate(bare_app):
    [warning] = warn([sent(users="u1,u2", depts="7")], users=["u2", "u3"], depts=[7])
    assert "143106" in warning and "2" in warning and "u2" in warning and "7" in warning
    assert warn([sent(users="u1")], msg=OTHER, users=["u1"]) == []
    assert warn([sent(users="u1")], users=["u2"]) == []


def test_same_content_to_everyone_is_a_duplicate_for_anyone(bare_app):
    [warning] = warn([sent(to_all=True, id=42)], users=["u9"])
    assert "143106" in warning and "#42" in warning


def test_a_user_at_the_daily_cap_is_named(bare_app):
    bare_app.config["DINGTALK_DAILY_USER_CAP"] = 2
    today = [sent(msg={"msgtype": "text", "text": {"content": str(n)}}, users="u1") for n in (1, 2)]
    [warning] = warn(today, users=["u1", "u2"])
    assert "143105" in warning and "u1" in warning and "u2" not in warning


def test_a_send_to_everyone_counts_for_every_user_cap(bare_app):
    bare_app.config["DINGTALK_DAILY_USER_CAP"] = 1
    [warning] = warn([sent(msg=OTHER, to_all=True)], users=["u5"])
    assert "143105" in warning


def test_isv_mode_caps_users_at_100_a_day(bare_app):
    bare_app.config["DINGTALK_DAILY_USER_CAP"] = 500
    today = [sent(msg={"msgtype": "text", "text": {"content": str(n)}}, users="u1") for n in range(100)]  # fmt: skip
    assert warn(today, users=["u1"]) == []
    bare_app.config["DINGTALK_SUITE_KEY"] = "suite"
    assert any("143105" in w for w in warn(today, users=["u1"]))


def test_everyone_beyond_the_daily_number_of_sends_to_everyone(bare_app):
    bare_app.config["DINGTALK_DAILY_ALL_USER_CAP"] = 3
    today = [sent(msg={"msgtype": "text", "text": {"content": str(n)}}, to_all=True) for n in range(3)]  # fmt: skip
    warnings = warn(today, msg=OTHER, to_all=True)
    assert any("3" in w and "全员" in w for w in warnings)
    assert not any("全员" in w for w in warn(today[:2], msg=OTHER, to_all=True))


# --- from the database: the same answers, in a few queries at any size --------------------


def record(msg=MSG, users="", depts="", to_all=False, state="submitted", channel="work_notice"):
    from dashboard.extensions import db

    send = Send(sender="admin", userid_list=users, dept_id_list=depts, to_all_user=to_all,
                content_hash=content_hash(msg), msgtype="text", msg_json="{}", state=state,
                channel=channel)  # fmt: skip
    db.session.add(send)
    db.session.commit()
    return send


def db_warn(msg=MSG, users=(), depts=(), to_all=False) -> list[str]:
    return presend_warnings(
        msg=msg, userid_list=list(users), dept_id_list=list(depts), to_all_user=to_all
    )


@pytest.fixture
def history(bare_app):
    from dashboard.extensions import db

    db.create_all()
    yield bare_app
    db.session.remove()


@pytest.fixture
def statements(history):
    """The SQL statements run while the test asks for warnings."""
    from dashboard.extensions import db

    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def test_the_database_gives_the_same_warnings(history):
    history.config["DINGTALK_DAILY_USER_CAP"] = 2
    record(users="u1,u2", depts="7")
    record(msg=OTHER, users="u1")
    record(msg=OTHER, users="u3", state="failed")  # never reached anyone: not counted
    [dup, cap] = db_warn(users=["u2", "u1", "u3"], depts=[7])
    assert "143106" in dup and "u2" in dup and "7" in dup and "u3" not in dup
    assert "143105" in cap and "u1" in cap and "u2" not in cap and "u3" not in cap
    assert db_warn(msg={"msgtype": "text", "text": {"content": "new"}}, users=["u3"]) == []
    record(msg=OTHER, to_all=True)
    [everyone] = db_warn(msg=OTHER, users=["u9"])
    assert "143106" in everyone


def test_robot_and_card_messages_do_not_count_for_the_work_notice_rules(history):
    history.config["DINGTALK_DAILY_USER_CAP"] = 1
    record(users="u1", channel="robot")
    record(users="u1", channel="card")
    assert db_warn(users=["u1"]) == []  # neither 143106 (same content) nor 143105 (cap)
    record(users="u1")
    [dup, cap] = db_warn(users=["u1"])
    assert "143106" in dup and "143105" in cap


def test_a_huge_send_costs_two_small_queries_on_a_day_below_the_cap(statements):
    record(msg=OTHER, users=",".join(f"old{n:06d}" for n in range(100_000)))
    record(msg=OTHER, users=",".join(f"old{n:06d}" for n in range(100_000)))
    statements.clear()
    userids = [f"old{n:06d}" for n in range(100_000)]
    assert db_warn(users=userids) == []
    # the sends of the same content (none), then two counts: no list of 100,000 is read
    assert len(statements) == 2 and "content_hash" in statements[0]
    assert "sum(" in statements[1].lower()


def test_the_cap_is_counted_once_the_day_has_as_many_sends(statements, history):
    history.config["DINGTALK_DAILY_USER_CAP"] = 3
    for n in range(3):
        record(msg={"msgtype": "text", "text": {"content": str(n)}}, users="u1,u2" if n else "u1")
    statements.clear()
    [cap] = db_warn(users=["u1", "u2"])
    assert "143105" in cap and "u1" in cap and "u2" not in cap
    assert len(statements) == 3
