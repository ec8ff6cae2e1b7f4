"""``V1Client``: the v1.0 host (api.dingtalk.com) for one internal app or one ISV company.

Example::

    from dashboard.dingtalk.v1 import V1Client
    v1 = V1Client.for_app("dingabc123", "secret", token_store=classic.token_store)
    v1.robot.batch_send(["zhangsan"], "sampleText", {"content": "hi"})
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .cards import MAX_OUT_TRACK_ID, CardAPI
from .group_messages import GroupMessageAPI
from .groups import GroupAPI
from .msgkeys import MAX_MSG_PARAM_BYTES
from .robot import MAX_USER_IDS, RobotAPI
from .tokens import AppCredentials, Credentials, SuiteCorpCredentials
from .transport import V1Transport


class V1Client(V1Transport):
    """The v1.0 API areas over one ``V1Transport``, named after the vendor docs:
    ``robot`` (1:1 robot messages), ``group_messages`` (the robot in groups),
    ``cards`` (interactive cards), ``groups`` (im/group and scene groups).

    ``robot_code`` is the robot's code for robot messages and card delivery; an
    internal app's robot has the app's AppKey (the default for ``for_app``).
    ``max_user_ids`` (≤ 20), ``max_msg_param_bytes`` and ``max_out_track_id``
    are the limits the reference leaves open (settings).
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        robot_code: str | None = None,
        max_user_ids: int = MAX_USER_IDS,
        max_msg_param_bytes: int = MAX_MSG_PARAM_BYTES,
        max_out_track_id: int = MAX_OUT_TRACK_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(credentials, **kwargs)
        self.robot_code = robot_code or None
        self.robot = RobotAPI(
            self, max_user_ids=max_user_ids, max_msg_param_bytes=max_msg_param_bytes
        )
        self.group_messages = GroupMessageAPI(self)
        self.cards = CardAPI(self, max_out_track_id=max_out_track_id)
        self.groups = GroupAPI(self)

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
