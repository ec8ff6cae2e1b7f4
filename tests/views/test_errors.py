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
