"""Recipient groups resolve from the directory at send time, and follow its changes."""

from __future__ import annotations

import pytest

from dashboard.directory.snapshot import get_snapshot, refresh_snapshot
from dashboard.extensions import db
from dashboard.groups import service
from dashboard.groups.service import GroupError
from dashboard.notifications import sending
from dashboard.notifications.models import Send
from dashboard.sandbox.demo import build_company

COMPANY = build_company()
RND = 2  # 研发中心: 3 direct members, 22 with 服务端组, 前端组, 测试组


def make(name="研发", **kwargs):
    values = {"userids": [], "dept_ids": [RND], "include_sub_departments": True} | kwargs
    return service.save_group(None, name=name, user="admin", **values)


def test_a_department_with_its_subtree_is_sent_by_id(app):
    resolved = service.resolve_group(make().id)
    assert resolved.dept_ids == (RND,) and resolved.userids == ()
    assert set(resolved.people) == {u.userid for u in COMPANY.members_deep(RND)}
    assert resolved.count == 22


def test_a_department_without_its_subtree_is_its_direct_members(app):
    group = make(include_sub_departments=False, userids=["boss01"])
    resolved = service.resolve_group(group)
    direct = [u.userid for u in COMPANY.members(RND)]
    assert resolved.dept_ids == ()
    assert set(resolved.userids) == {"boss01", *direct}
    assert resolved.count == len(direct) + 1


def test_unknown_people_and_departments_are_reported_not_sent(app):
    group = make(userids=["u0001", "gone-user"], dept_ids=[RND, 9999])
    resolved = service.resolve_group(group)
    assert resolved.userids == ("u0001",) and resolved.dept_ids == (RND,)
    assert resolved.unknown_userids == ("gone-user",)
    assert resolved.unknown_dept_ids == (9999,)


def test_the_group_follows_the_directory(app, directory):
    group = make(include_sub_departments=False)
    before = service.resolve_group(group)
    newcomer = directory.company.users["manager03"]
    assert RND not in newcomer.departments
    leaver = next(u for u in directory.company.members(RND))
    with directory.lock:
        newcomer.departments = [*newcomer.departments, RND]
        del directory.company.users[leaver.userid]
    assert service.resolve_group(group) == before  # the snapshot is the directory's cache
    refresh_snapshot()
    after = service.resolve_group(group)
    assert "manager03" in after.userids and "manager03" not in before.userids
    assert leaver.userid in before.userids and leaver.userid not in after.userids


def test_groups_merged_and_recorded_on_the_send(app):
    one = make(userids=["u0001"])
    two = make(name="销售", dept_ids=[5], userids=["u0001", "boss01"])
    resolved = service.resolve_groups([one.id, two.id])
    assert resolved.userids == ("u0001", "boss01") and resolved.dept_ids == (RND, 5)
    send = sending.send_work_notice(
        msg={"msgtype": "text", "text": {"content": "hi"}},
        userid_list=list(resolved.userids),
        dept_id_list=list(resolved.dept_ids),
        to_all_user=False,
        sender="admin",
        origin={"groups": resolved.record()},
    )
    send = db.session.get(Send, send.id)
    assert send.userids == ["u0001", "boss01"] and send.dept_ids == [RND, 5]
    recorded = send.origin["groups"]
    assert [g["name"] for g in recorded] == ["研发", "销售"]
    assert len(recorded[0]["people"]) == 22  # u0001 is one of 研发中心


def test_people_of_expands_departments_and_everyone(app):
    snapshot = get_snapshot()
    assert len(service.people_of([], [], True, snapshot=snapshot)) == len(COMPANY.users)
    assert set(service.people_of(["boss01"], [RND], False, snapshot=snapshot)) == {
        "boss01",
        *(u.userid for u in COMPANY.members_deep(RND)),
    }


def test_saving_checks_and_records_history(app):
    with pytest.raises(GroupError, match="命名"):
        make(name=" ")
    with pytest.raises(GroupError):
        make(dept_ids=[], userids=[])
    with pytest.raises(ValueError):
        make(dept_ids="abc")
    group = make()
    with pytest.raises(GroupError, match="已有"):
        make()
    service.save_group(
        group,
        name="研发",
        userids=["u0001"],
        dept_ids=[RND],
        include_sub_departments=True,
        user="editor",
    )
    group_id = group.id
    service.delete_group(group, user="admin")
    history = service.revisions(group_id)
    assert [(r.action, r.user, r.changed) for r in history][:2] == [
        ("deleted", "admin", []),
        ("updated", "editor", ["userids"]),
    ]
    with pytest.raises(GroupError, match=str(group_id)):
        service.resolve_group(group_id)
