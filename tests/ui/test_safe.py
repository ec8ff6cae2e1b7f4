"""Safe sends: a confirmation before many people, unknown recipients named, URLs checked."""

from __future__ import annotations

import pytest

from dashboard.extensions import db
from dashboard.notifications.models import Send
from dashboard.sandbox.demo import build_company

COMPANY = build_company()


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


@pytest.fixture
def directory(signed_in):
    signed_in.get("/directory/search?q=zs")  # the pickers' lookups build the snapshot
    return signed_in


def compose(client, **fields):
    data = {"msgtype": "text", "msg": "全员通知", "nonce": "n"}
    data.update(fields)
    return client.post("/notifications/new", data=data)


def sends() -> int:
    return db.session.execute(db.select(db.func.count(Send.id))).scalar_one()


def test_a_send_to_everyone_asks_first_with_the_head_count_and_names(directory):
    page = compose(directory, to_all_user="y").get_data(as_text=True)
    assert sends() == 0
    assert 'id="audience-confirm"' in page
    assert f"共 {len(COMPANY.users)} 人" in page
    first = next(iter(COMPANY.users.values())).name
    assert first in page[page.index('id="audience-sample"') :]
    assert 'name="confirm_audience" value="all"' in page
    reply = compose(directory, to_all_user="y", confirm_audience="all")
    assert reply.status_code == 302 and sends() == 1


def test_a_department_counts_with_its_sub_departments(directory, app):
    app.config["SEND_CONFIRM_THRESHOLD"] = 5
    page = compose(directory, dept_id_list="1").get_data(as_text=True)
    assert f"这条通知将发给 {len(COMPANY.users)} 人。" in page
    assert sends() == 0
    # a changed audience asks again
    page = compose(directory, dept_id_list="1", confirm_audience="7").get_data(as_text=True)
    assert 'id="audience-confirm"' in page and sends() == 0


def test_a_few_people_are_sent_to_without_a_question(directory):
    assert compose(directory, userid_list="u0001,u0002").status_code == 302
    assert sends() == 1


def test_unknown_recipients_are_named_in_the_warnings(directory):
    page = compose(directory, userid_list="u0001,ghost-7").get_data(as_text=True)
    assert sends() == 0
    assert "通讯录中没有这些人，钉钉不会送达：ghost-7" in page
    preview = directory.post(
        "/notifications/preview", data={"msgtype": "text", "msg": "x", "userid_list": "ghost-7"}
    ).get_json()
    assert any("ghost-7" in w for w in preview["warnings"])


def test_the_json_api_is_unchanged(app, client):
    from dashboard.api.auth import create_token

    token = create_token(name="ui", scope="send", created_by="admin")[1]
    reply = client.post(
        "/api/dingtalkserve/asyncsend_v2",
        json={"to_all_user": "true", "msg": "x"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.get_json()["success"] is True
