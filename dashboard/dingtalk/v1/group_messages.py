"""Robot messages in groups, reference §4: ``client.group_messages``.

``POST /v1.0/robot/groupMessages/send`` (msgParam at most 15 000 bytes),
``/query`` (who read it, pages of at most 200), ``/recall``; and where the
robot is: ``POST /v1.0/robot/installed/groups/query``,
``POST /v1.0/robot/groups/robots/query``, ``POST /v1.0/robot/groups/orgRobots/add``.
The robot must be in the group (§4.4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import InvalidMessage, PaginationError
from .base import V1API, JSONDict, Request, drop_none, string_list, text_field
from .msgkeys import MAX_MSG_PARAM_BYTES, msg_param_json
from .robot import robot_code_of

GROUP_SEND = "/v1.0/robot/groupMessages/send"
GROUP_QUERY = "/v1.0/robot/groupMessages/query"
GROUP_RECALL = "/v1.0/robot/groupMessages/recall"
INSTALLED_GROUPS = "/v1.0/robot/installed/groups/query"
GROUP_ROBOTS = "/v1.0/robot/groups/robots/query"
ADD_ORG_ROBOT = "/v1.0/robot/groups/orgRobots/add"
#: Read-list page size (§4.2, §9).
MAX_RESULTS = 200
MAX_RECALL_KEYS = 20
#: Pages read before a listing is taken as not advancing.
MAX_PAGES = 500


def group_send_request(
    open_conversation_id: str,
    msg_key: str,
    msg_param: Mapping[str, Any] | str,
    *,
    robot_code: str,
    cool_app_code: str | None = None,
    strict: bool = True,
) -> Request:
    """The groupMessages/send call, as it is sent (a preview may build it without a client)."""
    body = drop_none(
        {
            "robotCode": text_field(robot_code, "robotCode"),
            "openConversationId": text_field(open_conversation_id, "openConversationId"),
            "msgKey": msg_key,
            "msgParam": msg_param_json(
                msg_key, msg_param, max_bytes=MAX_MSG_PARAM_BYTES, strict=strict
            ),
            "coolAppCode": cool_app_code or None,
        }
    )
    return Request("POST", GROUP_SEND, body)


class GroupMessageAPI(V1API):
    """``client.group_messages``: the app's robot writing in groups it is a member of."""

    def send_request(
        self,
        open_conversation_id: str,
        msg_key: str,
        msg_param: Mapping[str, Any] | str,
        *,
        robot_code: str | None = None,
        cool_app_code: str | None = None,
        strict: bool = True,
    ) -> Request:
        return group_send_request(
            open_conversation_id,
            msg_key,
            msg_param,
            robot_code=robot_code_of(self._client, robot_code),
            cool_app_code=cool_app_code,
            strict=strict,
        )

    def send(
        self,
        open_conversation_id: str,
        msg_key: str,
        msg_param: Mapping[str, Any] | str,
        *,
        robot_code: str | None = None,
        cool_app_code: str | None = None,
    ) -> JSONDict:
        """POST /v1.0/robot/groupMessages/send: ``processQueryKey``; never re-sent on timeout."""
        request = self.send_request(
            open_conversation_id,
            msg_key,
            msg_param,
            robot_code=robot_code,
            cool_app_code=cool_app_code,
        )
        return self._call(request, send=True)

    def query_request(
        self,
        open_conversation_id: str,
        process_query_key: str,
        *,
        max_results: int = MAX_RESULTS,
        next_token: str | None = None,
        robot_code: str | None = None,
    ) -> Request:
        if (
            isinstance(max_results, bool)
            or not isinstance(max_results, int)
            or not 1 <= max_results <= MAX_RESULTS
        ):
            raise InvalidMessage("maxResults", f"must be an integer from 1 to {MAX_RESULTS}")
        body = drop_none(
            {
                "processQueryKey": text_field(process_query_key, "processQueryKey"),
                "openConversationId": text_field(open_conversation_id, "openConversationId"),
                "robotCode": robot_code_of(self._client, robot_code),
                "maxResults": max_results,
                "nextToken": next_token or None,
            }
        )
        return Request("POST", GROUP_QUERY, body)

    def query(
        self,
        open_conversation_id: str,
        process_query_key: str,
        *,
        max_results: int = MAX_RESULTS,
        next_token: str | None = None,
        robot_code: str | None = None,
    ) -> JSONDict:
        """POST /v1.0/robot/groupMessages/query, one page: ``sendStatus``, ``readUserIds``,
        ``hasMore``, ``nextToken``."""
        request = self.query_request(
            open_conversation_id,
            process_query_key,
            max_results=max_results,
            next_token=next_token,
            robot_code=robot_code,
        )
        return self._call(request)

    def read_user_ids(
        self,
        open_conversation_id: str,
        process_query_key: str,
        *,
        robot_code: str | None = None,
        max_pages: int = MAX_PAGES,
    ) -> JSONDict:
        """Every page of groupMessages/query: ``{"sendStatus", "readUserIds"}`` of the message.

        Raises ``PaginationError`` when ``nextToken`` does not advance.
        """
        read: list[str] = []
        token: str | None = None
        seen: set[str] = set()
        send_status = None
        for _ in range(max_pages):
            page = self.query(
                open_conversation_id, process_query_key, next_token=token, robot_code=robot_code
            )
            send_status = page.get("sendStatus", send_status)
            read.extend(str(user) for user in page.get("readUserIds") or [])
            if not page.get("hasMore"):
                return {"sendStatus": send_status, "readUserIds": list(dict.fromkeys(read))}
            token = page.get("nextToken")
            if not token or token in seen:
                raise PaginationError(f"{GROUP_QUERY}: nextToken did not advance", path=GROUP_QUERY)
            seen.add(token)
        raise PaginationError(f"{GROUP_QUERY}: more than {max_pages} pages", path=GROUP_QUERY)

    def recall_request(
        self,
        open_conversation_id: str,
        process_query_keys: Iterable[str] | str,
        *,
        robot_code: str | None = None,
    ) -> Request:
        keys = string_list(process_query_keys, "processQueryKeys", limit=MAX_RECALL_KEYS)
        if not keys:
            raise InvalidMessage("processQueryKeys", "name at least one processQueryKey")
        body = {
            "openConversationId": text_field(open_conversation_id, "openConversationId"),
            "robotCode": robot_code_of(self._client, robot_code),
            "processQueryKeys": keys,
        }
        return Request("POST", GROUP_RECALL, body)

    def recall(
        self,
        open_conversation_id: str,
        process_query_keys: Iterable[str] | str,
        *,
        robot_code: str | None = None,
    ) -> JSONDict:
        """POST /v1.0/robot/groupMessages/recall: ``successResult``, ``failedResult``."""
        request = self.recall_request(
            open_conversation_id, process_query_keys, robot_code=robot_code
        )
        return self._call(request, send=True)

    # -- where the robot is (§4.4) ------------------------------------------------------

    def installed_groups_page(
        self, *, max_result: int = 50, next_token: str | None = None, robot_code: str | None = None
    ) -> JSONDict:
        """POST /v1.0/robot/installed/groups/query: ``openConversationIds``, ``hasMore``,
        ``nextToken``."""
        body = drop_none(
            {
                "robotCode": robot_code_of(self._client, robot_code),
                "maxResult": max_result,
                "nextToken": next_token or None,
            }
        )
        return self._call(Request("POST", INSTALLED_GROUPS, body))

    def list_installed_groups(
        self, *, robot_code: str | None = None, max_pages: int = MAX_PAGES
    ) -> list[str]:
        """Every group (openConversationId) the robot is a member of, all pages."""
        groups: list[str] = []
        token: str | None = None
        seen: set[str] = set()
        for _ in range(max_pages):
            page = self.installed_groups_page(next_token=token, robot_code=robot_code)
            groups.extend(str(cid) for cid in page.get("openConversationIds") or [])
            if not page.get("hasMore"):
                return list(dict.fromkeys(groups))
            token = page.get("nextToken")
            if not token or token in seen:
                raise PaginationError(
                    f"{INSTALLED_GROUPS}: nextToken did not advance", path=INSTALLED_GROUPS
                )
            seen.add(token)
        raise PaginationError(
            f"{INSTALLED_GROUPS}: more than {max_pages} pages", path=INSTALLED_GROUPS
        )

    def group_robots(self, open_conversation_id: str) -> JSONDict:
        """POST /v1.0/robot/groups/robots/query: ``chatbotInstanceVOList`` of the group."""
        body = {"openConversationId": text_field(open_conversation_id, "openConversationId")}
        return self._call(Request("POST", GROUP_ROBOTS, body))

    def add_robot_to_group(
        self, open_conversation_id: str, *, robot_code: str | None = None
    ) -> JSONDict:
        """POST /v1.0/robot/groups/orgRobots/add: ``{"result": true}`` (preconditions unverified)."""
        body = {
            "openConversationId": text_field(open_conversation_id, "openConversationId"),
            "robotCode": robot_code_of(self._client, robot_code),
        }
        return self._call(Request("POST", ADD_ORG_ROBOT, body), send=True)
