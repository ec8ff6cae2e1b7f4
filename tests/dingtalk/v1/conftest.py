"""Fixtures of the v1.0 client tests: a strict fake of api.dingtalk.com on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from werkzeug.serving import make_server

from dashboard.dingtalk import LocalRateLimiter, MemoryTokenStore
from dashboard.dingtalk.v1 import V1Client

from . import fake_v1
from .fake_v1 import FakeV1


class FakeServer:
    """The fake's state and its URL."""

    def __init__(self, fake: FakeV1, url: str) -> None:
        self.fake = fake
        self.url = url


class _Dispatcher:
    """The served WSGI app: forwards to the current test's fresh fake."""

    def __init__(self) -> None:
        self.fake = FakeV1()

    def __call__(self, environ, start_response):
        return self.fake(environ, start_response)


@pytest.fixture(scope="session")
def _v1_fake_server():
    dispatcher = _Dispatcher()
    server = make_server("127.0.0.1", 0, dispatcher, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield dispatcher, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def v1_fake(_v1_fake_server) -> FakeServer:
    """A fresh fake of api.dingtalk.com for this test (one server for the session)."""
    dispatcher, url = _v1_fake_server
    dispatcher.fake = FakeV1()
    return FakeServer(dispatcher.fake, url)


@pytest.fixture
def delays() -> list[float]:
    """The backoff delays a client slept (its ``sleep`` records and returns at once)."""
    return []


@pytest.fixture
def make_v1(v1_fake, delays) -> Callable[..., V1Client]:
    """Build internal-app v1.0 clients on the fake; keyword arguments override the defaults."""

    def make(**overrides) -> V1Client:
        options = {
            "base_url": v1_fake.url,
            "timeout": 5.0,
            "sleep": delays.append,
            "token_store": MemoryTokenStore(),
            "rate_limiter": LocalRateLimiter(rate=1000),
            "jitter": False,
        }
        options.update(overrides)
        return V1Client.for_app(fake_v1.APP_KEY, fake_v1.APP_SECRET, **options)

    return make


@pytest.fixture
def v1(make_v1) -> V1Client:
    return make_v1()
