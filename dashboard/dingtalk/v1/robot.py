"""Robot 1:1 messages (人与机器人会话), reference §3: ``client.robot``.

``POST /v1.0/robot/oToMessages/batchSend`` (at most 20 userIds per call),
``GET /v1.0/robot/oToMessages/readStatus`` and
``POST /v1.0/robot/otoMessages/batchRecall`` (note the lower-case ``oto``).
HTTP 200 does not mean every user got the message: the reply lists
``invalidStaffIdList`` and ``flowControlledStaffIdList``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from ..errors import ApiError, InvalidMessage, InvalidRequest, NotFound
from .base import V1API, JSONDict, Request, chunks, string_list, text_field
from .msgkeys import MAX_MSG_PARAM_BYTES, msg_param_json

BATCH_SEND = "/v1.0/robot/oToMessages/batchSend"
READ_STATUS = "/v1.0/robot/oToMessages/readStatus"
BATCH_RECALL = "/v1.0/robot/otoMessages/batchRecall"
#: userIds per batchSend, processQueryKeys per batchRecall (§3.1, §3.3, §9).
MAX_USER_IDS = 20
#: The doc's error text for ``invalidParameter.userIds.overMax`` says 100: the most a
#: configured batch may be (the reference says enforce 20, the default).
CONFIGURABLE_MAX_USER_IDS = 100
MAX_RECALL_KEYS = 20

#: Read and send states as DingTalk spells them; their casing is unverified (§3.2), and
#: SDK-java's example spells SUCCESS as "SUCESS": ``read_state``/``send_state`` normalise.
READ = "READ"
UNREAD = "UNREAD"
_SEND_STATES = {"SUCCESS": "SUCCESS", "SUCESS": "SUCCESS", "PROCESSING": "PROCESSING",
                "RECALLED": "RECALLED"}  # fmt: skip


def read_state(value: Any) -> str | None:
    """``READ``/``UNREAD`` whatever the casing; None for anything else."""
    text = str(value or "").strip().upper()
    return text if text in (READ, UNREAD) else None


def send_state(value: Any) -> str | None:
    """``SUCCESS``/``PROCESSING``/``RECALLED`` (``SUCESS`` read as ``SUCCESS``), else None."""
    return _SEND_STATES.get(str(value or "").strip().upper())


def robot_code_of(client: Any, robot_code: str | None) -> str:
    code = robot_code or getattr(client, "robot_code", None)
    return text_field(code, "robotCode")


def batch_send_request(
    user_ids: Iterable[str] | str,
    msg_key: str,
    msg_param: Mapping[str, Any] | str,
    *,
    robot_code: str,
    max_user_ids: int = MAX_USER_IDS,
    max_msg_param_bytes: int = MAX_MSG_PARAM_BYTES,
    strict: bool = True,
) -> Request:
    """The batchSend call for one batch (at most ``max_user_ids`` people), as it is sent.

    A preview may build it without a client; ``strict=False`` allows a message still
    being typed. Raises ``InvalidMessage``.
    """
    users = string_list(user_ids, "userIds", limit=max_user_ids)
    if strict and not users:
        raise InvalidMessage("userIds", "name at least one user")
    body = {
        "robotCode": text_field(robot_code, "robotCode"),
        "userIds": users,
        "msgKey": msg_key,
        "msgParam": msg_param_json(
            msg_key, msg_param, max_bytes=max_msg_param_bytes, strict=strict
        ),
    }
    return Request("POST", BATCH_SEND, body)


class BatchOutcome(NamedTuple):
    """One batchSend call of a larger send: its people, and DingTalk's reply or error.

    ``sent`` is False for a batch left out after an error that every batch would
    meet (token, permission, throttling): ``error`` is that error.
    """

    user_ids: list[str]
    request: Request
    reply: JSONDict | None
    error: ApiError | None
    sent: bool = True

    @property
    def process_query_key(self) -> str | None:
        return None if self.reply is None else self.reply.get("processQueryKey")

    @property
    def invalid_user_ids(self) -> list[str]:
        return list((self.reply or {}).get("invalidStaffIdList") or [])

    @property
    def flow_controlled_user_ids(self) -> list[str]:
        return list((self.reply or {}).get("flowControlledStaffIdList") or [])


class RobotAPI(V1API):
    """``client.robot``: the app's robot writing to people one by one."""

    def __init__(
        self,
        client: Any,
        *,
        max_user_ids: int = MAX_USER_IDS,
        max_msg_param_bytes: int = MAX_MSG_PARAM_BYTES,
    ) -> None:
        super().__init__(client)
        if not 1 <= max_user_ids <= CONFIGURABLE_MAX_USER_IDS:
            raise ValueError(f"max_user_ids must be 1-{CONFIGURABLE_MAX_USER_IDS}")
        self.max_user_ids = max_user_ids
        self.max_msg_param_bytes = max_msg_param_bytes

    def batch_send_request(
        self,
        user_ids: Iterable[str] | str,
        msg_key: str,
        msg_param: Mapping[str, Any] | str,
        *,
        robot_code: str | None = None,
        strict: bool = True,
    ) -> Request:
        """The batchSend call ``batch_send`` would make (this client's robot and limits)."""
        return batch_send_request(
            user_ids,
            msg_key,
            msg_param,
            robot_code=robot_code_of(self._client, robot_code),
            max_user_ids=self.max_user_ids,
            max_msg_param_bytes=self.max_msg_param_bytes,
            strict=strict,
        )

    def batch_send_requests(
        self,
        user_ids: Iterable[str] | str,
        msg_key: str,
        msg_param: Mapping[str, Any] | str,
        *,
        robot_code: str | None = None,
    ) -> list[Request]:
        """Any number of people as consecutive batchSend calls of at most 20 each."""
        users = string_list(user_ids, "userIds")
        if not users:
            raise InvalidMessage("userIds", "name at least one user")
        return [
            self.batch_send_request(batch, msg_key, msg_param, robot_code=robot_code)
            for batch in chunks(users, self.max_user_ids)
        ]

    def batch_send(
        self,
        user_ids: Iterable[str] | str,
        msg_key: str,
        msg_param: Mapping[str, Any] | str,
        *,
        robot_code: str | None = None,
    ) -> JSONDict:
        """POST /v1.0/robot/oToMessages/batchSend for at most 20 people.

        Returns ``processQueryKey``, ``invalidStaffIdList``,
        ``flowControlledStaffIdList``. A timeout raises
        ``RequestTimeout(outcome_unknown=True)`` and is never re-sent.
        """
        request = self.batch_send_request(user_ids, msg_key, msg_param, robot_code=robot_code)
        return self._call(request, send=True)

    def send_to_users(
        self,
        user_ids: Iterable[str] | str,
        msg_key: str,
        msg_param: Mapping[str, Any] | str,
        *,
        robot_code: str | None = None,
    ) -> list[BatchOutcome]:
        """Send to any number of people, one batchSend per 20; each call's reply or error.

        A batch refused for its own content (``InvalidRequest``, ``NotFound``) does
        not stop the next ones; after a token, permission or throttling refusal
        the remaining batches are not sent (``sent=False``, the same error). A
        transport failure (outcome unknown) is raised at once, so nothing is sent
        twice. ``InvalidMessage`` is raised before anything is sent.
        """
        outcomes: list[BatchOutcome] = []
        stopped: ApiError | None = None
        for request in self.batch_send_requests(
            user_ids, msg_key, msg_param, robot_code=robot_code
        ):
            users = list(request.body["userIds"]) if request.body else []
            if stopped is not None:
                outcomes.append(BatchOutcome(users, request, None, stopped, sent=False))
                continue
            try:
                outcomes.append(BatchOutcome(users, request, self._call(request, send=True), None))
            except ApiError as exc:
                outcomes.append(BatchOutcome(users, request, None, exc))
                if not isinstance(exc, InvalidRequest | NotFound):
                    stopped = exc
        return outcomes

    def read_status_request(
        self, process_query_key: str, *, robot_code: str | None = None
    ) -> Request:
        query = {
            "robotCode": robot_code_of(self._client, robot_code),
            "processQueryKey": text_field(process_query_key, "processQueryKey"),
        }
        return Request("GET", READ_STATUS, None, query)

    def read_status(self, process_query_key: str, *, robot_code: str | None = None) -> JSONDict:
        """GET /v1.0/robot/oToMessages/readStatus: ``sendStatus`` and ``messageReadInfoList``
        (name, userId, readStatus, readTimestamp) of one batch; within 24 h of sending."""
        return self._call(self.read_status_request(process_query_key, robot_code=robot_code))

    def batch_recall_request(
        self, process_query_keys: Iterable[str] | str, *, robot_code: str | None = None
    ) -> Request:
        keys = string_list(process_query_keys, "processQueryKeys", limit=MAX_RECALL_KEYS)
        if not keys:
            raise InvalidMessage("processQueryKeys", "name at least one processQueryKey")
        body = {"robotCode": robot_code_of(self._client, robot_code), "processQueryKeys": keys}
        return Request("POST", BATCH_RECALL, body)

    def batch_recall(
        self, process_query_keys: Iterable[str] | str, *, robot_code: str | None = None
    ) -> JSONDict:
        """POST /v1.0/robot/otoMessages/batchRecall (at most 20 keys, within 24 h):
        ``successResult`` (keys) and ``failedResult`` (key → reason)."""
        request = self.batch_recall_request(process_query_keys, robot_code=robot_code)
        return self._call(request, send=True)

    def recall(
        self, process_query_keys: Iterable[str] | str, *, robot_code: str | None = None
    ) -> JSONDict:
        """Recall any number of batches, 20 keys per batchRecall, merging the replies.

        A call DingTalk refuses puts its keys in ``failedResult`` with the refusal's
        code, so each key has an answer.
        """
        keys = string_list(process_query_keys, "processQueryKeys")
        merged: JSONDict = {"successResult": [], "failedResult": {}}
        for batch in chunks(keys, MAX_RECALL_KEYS):
            try:
                reply = self.batch_recall(batch, robot_code=robot_code)
            except ApiError as exc:
                reason = exc.api_code or str(exc.code)
                merged["failedResult"].update({key: reason for key in batch})
                continue
            merged["successResult"].extend(reply.get("successResult") or [])
            merged["failedResult"].update(reply.get("failedResult") or {})
        return merged
