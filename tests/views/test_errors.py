"""Errors are pages (or JSON for the API) in words, never a traceback."""

from dashboard.dingtalk.errors import ApiError


def test_an_uncaught_dingtalk_error_is_a_502_page_in_words(app, client, auth):
    @app.route("/_boom")
    def boom():
        raise ApiError(
            "department/get: errcode 60011 no permission",
            errcode=60011,
            errmsg="no permission",
            path="/department/get",
        )

    auth.login()
    response = client.get("/_boom")
    assert response.status_code == 502
    assert "钉钉返回错误" in response.get_data(as_text=True)


def test_unknown_page_is_a_404_page(client, auth):
    auth.login()
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_api_paths_answer_json_errors(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["success"] is False


def test_missing_credentials_are_explained_not_a_500(app, client, auth):
    app.config.update(DINGTALK_APP_KEY=None, DINGTALK_APP_SECRET=None)
    app.extensions["dingtalk"]["internal"] = None
    auth.login()
    response = client.get("/org/")
    assert response.status_code == 503
    assert "DINGTALK_APP_KEY" in response.get_data(as_text=True)


def test_api_limits_are_shared_through_redis_when_the_cache_is_redis(sandbox, tmp_path):
    from dashboard import create_app

    base = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'r.db'}", "SECRET_KEY": "x"}
    app = create_app(
        base
        | {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": "redis://127.0.0.1:6379/0",
            "RATELIMIT_STORAGE_URI": None,
        }
    )
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    local = create_app(base | {"CACHE_TYPE": "SimpleCache", "RATELIMIT_STORAGE_URI": None})
    assert local.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_an_over_long_url_is_the_consoles_414_page_in_the_ui_language(client, auth):
    auth.login()
    response = client.get("/notifications/?q=" + "x" * 5000)
    assert response.status_code == 414
    page = response.get_data(as_text=True)
    assert 'id="error-message"' in page
    assert "网址过长" in page
    assert "Traceback" not in page

    client.post("/lang/en")
    english = client.get("/notifications/?q=" + "x" * 5000)
    assert english.status_code == 414
    assert "This address is too long" in english.get_data(as_text=True)


def test_an_over_long_url_is_refused_before_the_sign_in_redirect(client):
    response = client.get("/" + "a" * 5000)
    assert response.status_code == 414
    assert "网址过长" in response.get_data(as_text=True)


def test_an_over_long_api_url_is_a_json_414(client):
    response = client.get("/api/dingtalkserve/get_org_user_count?x=" + "y" * 5000)
    assert response.status_code == 414
    assert response.get_json() == {"success": False, "msg": response.get_json()["msg"]}
    assert response.get_json()["msg"]


def test_a_long_url_under_the_limit_still_reaches_the_page(client, auth):
    auth.login()
    response = client.get("/notifications/?q=" + "x" * 3900)
    assert response.status_code == 200
