"""``V1Client``: the v1.0 host (api.dingtalk.com) for one internal app or one ISV company.

Example::

    from dashboard.dingtalk.v1 import V1Client
    v1 = V1Client.for_app("dingabc123", "secret", token_store=classic.token_store)
    v1.robot.batch_send(["zhangsan"], "sampleText", {"content": "hi"})
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .tokens import AppCredentials, Credentials, SuiteCorpCredentials
from .transport import V1Transport


class V1Client(V1Transport):
    """The v1.0 API areas over one ``V1Transport``.

    ``robot_code`` is the robot's code for robot messages and card delivery; an
    internal app's robot has the app's AppKey (the default for ``for_app``).
    """

    def __init__(
        self, credentials: Credentials, *, robot_code: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(credentials, **kwargs)
        self.robot_code = robot_code or None

    @classmethod
    def for_app(
        cls,
        app_key: str,
        app_secret: str,
        *,
        share_classic_token: bool = False,
        robot_code: str | None = None,
        **kwargs: Any,
    ) -> V1Client:
        """An internal app's client (token: POST /v1.0/oauth2/accessToken)."""
        credentials = AppCredentials(app_key, app_secret, share_classic=share_classic_token)
        return cls(credentials, robot_code=robot_code or app_key, **kwargs)

    @classmethod
    def for_suite_corp(
        cls,
        suite_key: str,
        suite_secret: str,
        ticket_provider: Callable[[], str | None],
        auth_corp_id: str,
        *,
        classic_token_key: str | None = None,
        share_classic_token: bool = False,
        robot_code: str | None = None,
        **kwargs: Any,
    ) -> V1Client:
        """One authorised company of an ISV suite (token: POST /v1.0/oauth2/corpAccessToken)."""
        credentials = SuiteCorpCredentials(
            suite_key,
            suite_secret,
            ticket_provider,
            auth_corp_id,
            classic_token_key=classic_token_key,
            share_classic=share_classic_token,
        )
        return cls(credentials, robot_code=robot_code, **kwargs)
