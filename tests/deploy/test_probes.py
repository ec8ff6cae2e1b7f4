"""/readyz turns 503 when a shared store is down, and names no URL, password or token."""

from __future__ import annotations

from tests.deploy.conftest import PG_PASSWORD, app_config, free_port


def test_readyz_is_503_naming_the_failed_check_when_redis_is_down(deploy_env):
    from dashboard import create_app

    down = f"redis://:redis-password-secret@127.0.0.1:{free_port()}/0"
    app = create_app(dict(app_config(deploy_env), CACHE_REDIS_URL=down))

    reply = app.test_client().get("/readyz")

    assert reply.status_code == 503
    body = reply.get_json()
    assert body["status"] == "not_ready"
    assert body["checks"]["cache"] == {"status": "error", "error": "ConnectionError"}
    assert body["checks"]["database"]["status"] == "ok"
    for secret in ("redis-password-secret", PG_PASSWORD, "redis://", "postgresql+psycopg://"):
        assert secret not in reply.get_data(as_text=True)
