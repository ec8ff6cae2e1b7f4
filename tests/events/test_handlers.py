"""Handlers of recorded events, fed plain event dicts (both spellings), no Stream socket.

The directory patch reads the changed people and departments from the sandbox over
HTTP, as the events process does.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from dashboard.directory import snapshot as snap
from dashboard.events import handlers, state
from dashboard.events.fields import dept_ids, epoch_ms, timestamp, user_ids
from dashboard.events.models import StreamEvent
from dashboard.events.recording import prune, record
from dashboard.extensions import db
from dashboard.notifications.models import utcnow


def handle(event_id, event_type, data, **extra):
    row_id, new = record(event_id, event_type, data, **extra)
    assert new
    return handlers.handle(row_id), db.session.get(StreamEvent, row_id)


@pytest.mark.parametrize(
    ("data", "users", "depts"),
    [
        ({"timeStamp": "1685501863357", "userId": ["u1", "u2"]}, ["u1", "u2"], []),
        ({"timestamp": 1685501863357, "UserId": "u1,u2"}, ["u1", "u2"], []),
        ({"TimeStamp": "1685501863357", "DeptId": ["3", 4]}, [], [3, 4]),
        ({"timeStamp": "1685501863357", "deptId": '["5"]'}, [], [5]),
    ],
)
def test_event_data_is_read_in_either_spelling(data, users, depts):
    assert user_ids(data) == users
    assert dept_ids(data) == depts
    assert timestamp(data) == epoch_ms(1685501863357)
    assert epoch_ms("not a time") is None


def test_a_redelivery_is_counted_and_changes_nothing(app):
    first, new = record("ev-1", "user_add_org", {"userId": ["x"]})
    again, new_again = record("ev-1", "user_add_org", {"userId": ["x"]})
    assert (new, new_again, again) == (True, False, first)
    row = db.session.get(StreamEvent, first)
    assert row.deliveries == 2 and row.outcome == "queued"
    assert state.read_state()["last_event_at"]


@pytest.mark.parametrize("spelling", ["userId", "UserId"])
def test_a_hire_and_a_leaver_patch_the_snapshot_without_a_refresh(app, stream, spelling):
    before = snap.get_snapshot()
    hired = stream.hire("新同事", [1], userid="newhire01")["userid"]
    assert hired not in snap.get_snapshot().users  # the cached snapshot, no crawl

    outcome, row = handle("ev-hire", "user_add_org", {spelling: [hired], "timestamp": "1"})
    assert outcome == "done" and hired in row.detail
    after = snap.get_snapshot()
    assert after.users[hired].name == "新同事" and after.built_at == before.built_at
    assert after.search("新同事", types=["users"])[0]["id"] == hired

    stream.leave(hired)
    outcome, row = handle("ev-leave", "user_leave_org", {spelling: hired})
    assert outcome == "done" and f"removed: {hired}" in row.detail
    assert hired not in snap.get_snapshot().users
    assert len(snap.get_snapshot().users) == len(before.users)


def test_a_move_and_departments_created_and_removed(app, stream):
    snap.get_snapshot()
    dept = stream.create_department("新部门")["deptId"]
    outcome, _row = handle("ev-d1", "org_dept_create", {"DeptId": [dept]})
    assert outcome == "done" and snap.get_snapshot().departments[dept].name == "新部门"

    person = next(iter(snap.get_snapshot().users))
    stream.move(person, [dept])
    assert handle("ev-m", "user_modify_org", {"userId": [person]})[0] == "done"
    assert snap.get_snapshot().users[person].departments == (dept,)
    stream.move(person, [1])
    assert handle("ev-m2", "user_modify_org", {"userId": [person]})[0] == "done"

    stream.remove_department(dept)
    outcome, row = handle("ev-d2", "org_dept_remove", {"deptId": [dept]})
    assert outcome == "done" and dept not in snap.get_snapshot().departments


def test_without_a_snapshot_nothing_is_called(app, sandbox):
    calls = sandbox.stats()["total"]
    outcome, row = handle("ev-x", "user_add_org", {"userId": ["someone"]})
    assert outcome == "ignored" and "snapshot" in row.detail
    assert sandbox.stats()["total"] == calls


def test_a_handler_runs_once_and_failures_are_recorded(app, monkeypatch):
    snap.get_snapshot()
    row_id, _ = record("ev-f", "org_dept_modify", {"deptId": [1]})

    def boom(row):
        raise RuntimeError("DingTalk said no")

    monkeypatch.setitem(handlers.__dict__, "contacts", boom)
    assert handlers.handle(row_id) == "failed"
    assert "DingTalk said no" in db.session.get(StreamEvent, row_id).detail
    assert handlers.handle(row_id) == "failed"  # a duplicate task does nothing


def test_unknown_events_are_ignored(app):
    outcome, row = handle("ev-u", "bpms_task_change", {"processInstanceId": "p"})
    assert outcome == "ignored" and "bpms_task_change" in row.detail


def test_a_card_press_is_recorded_as_the_http_callback_records_it(app):
    from dashboard.cards.models import CardResponse

    content = json.dumps({"cardPrivateData": {"actionIds": ["agree"], "params": {}}})
    data = {"outTrackId": "appr-001", "userId": "manager4220", "corpId": "c", "content": content}
    outcome, row = handle("cb:m1", "card_callback", data, topic=handlers.CARD_TOPIC)
    assert outcome == "done"
    press = db.session.execute(db.select(CardResponse)).scalar_one()
    assert (press.out_track_id, press.user_id, press.action) == ("appr-001", "manager4220", "agree")


def test_group_member_events_change_a_known_chat(app):
    from dashboard.chats.models import Chat

    chat = Chat(chatid="chat1", open_conversation_id="cid1", name="g", owner="o", members=["a"])
    chat.created_by = "admin"
    db.session.add(chat)
    db.session.commit()
    base = {"chatId": "chat1", "openConversationId": "cid1", "timeStamp": 1}
    assert handle("g1", "chat_add_member", {**base, "userId": ["b", "a"]})[0] == "done"
    assert db.session.get(Chat, chat.id).members == ["a", "b"]
    assert handle("g2", "chat_remove_member", {**base, "UserId": ["a"]})[0] == "done"
    assert db.session.get(Chat, chat.id).members == ["b"]
    assert handle("g3", "chat_add_member", {"chatId": "other", "userId": ["c"]})[0] == "ignored"


def test_old_events_are_pruned(app):
    row_id, _ = record("old", "user_add_org", {})
    record("new", "user_add_org", {})
    db.session.get(StreamEvent, row_id).received_at = utcnow() - timedelta(days=8)
    db.session.commit()
    assert prune() == 1
    assert [r.event_id for r in db.session.execute(db.select(StreamEvent)).scalars()] == ["new"]


def test_the_suite_ticket_and_authorisations_over_stream(make_isv_app, isv_sandbox):
    from dashboard.isv import service
    from dashboard.isv.models import AuthorisedCompany

    make_isv_app()
    outcome, _row = handle("t1", "suite_ticket", {"suiteTicket": "StreamTicket1"})
    assert outcome == "done"
    assert service.latest_ticket().ticket == "StreamTicket1"
    corp = "dingisvcorpa"
    outcome, row = handle("a1", "org_suite_auth", {"AuthCorpId": corp}, corp_id=corp)
    assert outcome == "done", row.detail
    company = db.session.execute(db.select(AuthorisedCompany).filter_by(corpid=corp)).scalar_one()
    assert company.authorised
    assert handle("a2", "org_suite_relieve", {"authCorpId": corp})[0] == "done"
    db.session.refresh(company)
    assert not company.authorised


def test_isv_contact_events_patch_the_snapshot_of_their_company(make_isv_app, stream):
    from dashboard.sandbox.isv import DEMO_CORP_A, DEMO_CORP_B
    from dashboard.services.dingtalk import act_for_company

    app = make_isv_app(DEMO_CORP_A, DEMO_CORP_B)

    def snapshot_of(corp):
        with app.test_request_context("/"):
            act_for_company(corp)
            return snap.get_snapshot()

    before_b = snapshot_of(DEMO_CORP_B)
    snapshot_of(DEMO_CORP_A)
    hired = stream.hire("租户新人", [1], corpId=DEMO_CORP_A)["userid"]
    outcome, row = handle("isv-h", "user_add_org", {"UserId": [hired]}, corp_id=DEMO_CORP_A)
    assert outcome == "done", row.detail
    assert hired in snapshot_of(DEMO_CORP_A).users
    assert snapshot_of(DEMO_CORP_B).users.keys() == before_b.users.keys()


@pytest.mark.parametrize(
    ("api", "user_path", "dept_path"),
    [
        ("v2", "/topapi/v2/user/get", "/topapi/v2/department/get"),
        ("classic", "/user/get", "/department/get"),
    ],
)
def test_the_patch_reads_through_the_configured_contacts_api(
    app, stream, sandbox, api, user_path, dept_path
):
    app.config["DIRECTORY_CONTACTS_API"] = api
    snap.get_snapshot()
    dept = stream.create_department("新部门")["deptId"]
    hired = stream.hire("新同事", [dept], userid="newhire02")["userid"]
    before = dict(sandbox.stats()["calls"])
    assert handle("ev-d", "org_dept_create", {"deptId": [dept]})[0] == "done"
    assert handle("ev-u", "user_add_org", {"userId": [hired]})[0] == "done"
    calls = sandbox.stats()["calls"]
    used = {
        path: calls.get(path, 0) - before.get(path, 0)
        for path in ("/topapi/v2/user/get", "/topapi/v2/department/get", "/user/get")
        + ("/department/get",)
    }
    assert used == {
        path: (2 if path == dept_path else 1 if path == user_path else 0) for path in used
    }  # the department in both languages, the person once
    after = snap.get_snapshot()
    assert after.departments[dept].name == "新部门"
    assert after.users[hired].departments == (dept,) and after.users[hired].name == "新同事"

    stream.leave(hired)
    outcome, row = handle("ev-l", "user_modify_org", {"userId": [hired]})
    assert outcome == "done" and hired not in snap.get_snapshot().users
