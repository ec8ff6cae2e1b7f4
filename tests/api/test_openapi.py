"""The OpenAPI description and the API page, both generated from the operations table."""

from __future__ import annotations

from dashboard.api.openapi import PLACEHOLDER_TOKEN
from dashboard.api.operations import OPERATION_LIST


def test_openapi_describes_every_operation(client, sandbox):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert spec["security"] == [{"bearer": []}]
    assert len(spec["paths"]) == 18
    listbypage = spec["paths"]["/api/dingtalkserve/listbypage"]["post"]
    schema = listbypage["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["department_id", "offset", "size"]
    assert schema["properties"]["size"]["maximum"] == 100
    assert "偏移量不能为空" in schema["properties"]["offset"]["description"]
    assert set(listbypage["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "429",
        "502",
        "503",
        "504",
    }
    assert "Retry-After" in listbypage["responses"]["503"]["headers"]
    assert listbypage["summary"] == "One page of a department's members with details."


def test_the_api_page_lists_each_operation_with_a_curl_example(client, auth, sandbox, send_token):
    auth.login()
    page = client.get("/api/docs").get_data(as_text=True)
    for op in OPERATION_LIST:
        assert f"/api/dingtalkserve/{op.name}" in page
    assert page.count("curl -X POST") == 18
    assert PLACEHOLDER_TOKEN in page and send_token not in page
    assert "群主userid不能为空" in page
    assert "分页获取部门成员详情" in page  # Chinese by default


def test_the_api_page_needs_sign_in(client, sandbox):
    assert client.get("/api/docs").status_code == 302


def test_get_on_an_operation_is_a_json_405(client, sandbox):
    response = client.get("/api/dingtalkserve/authScopes")
    assert response.status_code == 405
    assert response.get_json()["success"] is False
