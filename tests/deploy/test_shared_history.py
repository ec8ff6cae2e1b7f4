"""Two dashboard instances on one PostgreSQL database see each other's send history."""

from __future__ import annotations

import uuid

from tests.deploy.conftest import ADMIN_PASSWORD, API_TOKEN, app_config


def test_a_send_through_one_host_is_listed_by_the_other(deploy_env, emulator):
    from dashboard import create_app

    host_a = create_app(app_config(deploy_env))
    host_b = create_app(app_config(deploy_env))
    text = f"shared history {uuid.uuid4().hex[:8]}"

    sent = host_a.test_client().post(
        "/api/dingtalkserve/asyncsend_v2",
        json={"userid_list": "u0001,u0002", "msg": text},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    assert sent.status_code == 200, sent.get_data(as_text=True)
    send_id = sent.get_json()["data"]["send_id"]

    browser = host_b.test_client()
    signed_in = browser.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[:500]
    history = browser.get("/notifications/", headers={"Accept-Language": "en"})
    detail = browser.get(f"/notifications/{send_id}")

    assert history.status_code == 200
    assert f"/notifications/{send_id}" in history.get_data(as_text=True), "not listed by host B"
    assert detail.status_code == 200, detail.get_data(as_text=True)[:500]
    assert text in detail.get_data(as_text=True)
