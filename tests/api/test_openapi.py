"""The OpenAPI description and the API page, both generated from the operations table."""

from __future__ import annotations

from dashboard.api.openapi import PLACEHOLDER_TOKEN
from dashboard.api.operations import CLASSIC_OPERATIONS, OPERATION_LIST


def test_openapi_describes_every_operation(client, sandbox):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert spec["security"] == [{"bearer": []}]
    # One path per operation of the table: the original 18 and sendStatus, then each area's.
    assert len(CLASSIC_OPERATIONS) == 19
    assert set(spec["paths"]) == {f"/api/dingtalkserve/{op.name}" for op in OPERATION_LIST}
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
    assert page.count("curl -X POST") == len(OPERATION_LIST)
    assert PLACEHOLDER_TOKEN in page and send_token not in page
    assert "群主userid不能为空" in page
    assert "分页获取部门成员详情" in page  # Chinese by default


def test_the_api_page_needs_sign_in(client, sandbox):
    assert client.get("/api/docs").status_code == 302


def test_get_on_an_operation_is_a_json_405(client, sandbox):
    response = client.get("/api/dingtalkserve/authScopes")
    assert response.status_code == 405
    assert response.get_json()["success"] is False


def test_the_token_page_and_the_api_page_agree_on_the_shell_variable(client, auth, sandbox):
    """An admin who pastes the export line from the token page and then a curl example is authenticated."""
    import html
    import json
    import re
    import shlex

    auth.login()
    created = client.post("/api/tokens", data={"name": "curl", "scope": "read"}).get_data(
        as_text=True
    )
    export = html.unescape(re.search(r'id="token-export">([^<]+)<', created).group(1))
    name, _, value = export.removeprefix("export ").partition("=")
    assert value.startswith("dtk_")

    docs = client.get("/api/docs").get_data(as_text=True)
    assert f"export {name}=" in html.unescape(docs)
    example = html.unescape(
        re.search(r"<code>(curl -X POST [^<]*/list_ids[^<]*)</code>", docs).group(1)
    )
    words = shlex.split(example.replace("\\\n", " ").replace(f"${name}", value))
    headers = dict(words[i + 1].split(": ", 1) for i, w in enumerate(words) if w == "-H")
    body = json.loads(words[words.index("-d") + 1])
    path = "/" + words[3].split("/", 3)[3]
    reply = client.post(path, json=body, headers={"Authorization": headers["Authorization"]})
    assert reply.status_code == 200 and reply.get_json()["success"] is True
