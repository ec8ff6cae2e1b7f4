"""A strict fake of api.dingtalk.com v1.0, written from shared/dingtalk-v1.md (not the sandbox).

A WSGI app served on 127.0.0.1 by the tests: it answers like the reference says
(bare payloads on success, HTTP 4xx/5xx + ``code``/``message``/``requestid`` on
failure, HTTP 200 ``{"errcode":404}`` for an unknown or wrongly cased path), takes
the token only from ``x-acs-dingtalk-access-token``, refuses anything but a JSON
body, and checks every field's type. ``faults`` lets a test script replies per path.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request as WRequest
from werkzeug.wrappers import Response as WResponse

APP_KEY = "dingv1fakekey"
APP_SECRET = "v1-fake-app-secret"
SUITE_KEY = "suitev1fake"
SUITE_SECRET = "v1-fake-suite-secret"
SUITE_TICKET = "v1-fake-ticket"
CORP_ID = "dingcorpv1fake"
USERS = {f"user{i:02d}" for i in range(60)} | {"manager4220", "zhangsan"}
GROUP = "cidFake+Group/01=="
MSG_KEYS = {
    "sampleText": {"content"},
    "sampleMarkdown": {"title", "text"},
    "sampleImageMsg": {"photoURL"},
    "sampleLink": {"text", "title", "picUrl", "messageUrl"},
    "sampleActionCard": {"title", "text", "singleTitle", "singleURL"},
    **{
        f"sampleActionCard{n}": {"title", "text"}
        | {f"actionTitle{i}" for i in range(1, n + 1)}
        | {f"actionURL{i}" for i in range(1, n + 1)}
        for n in (2, 3, 4, 5)
    },
    "sampleActionCard6": {
        "title",
        "text",
        "buttonTitle1",
        "buttonUrl1",
        "buttonTitle2",
        "buttonUrl2",
    },
    "sampleAudio": {"mediaId", "duration"},
    "sampleFile": {"mediaId", "fileName", "fileType"},
    "sampleVideo": {"duration", "videoMediaId", "videoType", "picMediaId"},
}

Reply = tuple[int, Any]


class V1Error(Exception):
    def __init__(self, status: int, code: str, message: str = "error") -> None:
        self.status, self.code, self.message = status, code, message


class FakeV1:
    """State and routes of the fake; ``app`` is the WSGI callable."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.tokens: set[str] = set()
        self.app_token: str | None = None
        self.faults: dict[str, list[Reply]] = {}
        self.sent: dict[str, dict[str, Any]] = {}
        self.cards: dict[str, dict[str, Any]] = {}
        self.callbacks: dict[str, dict[str, Any]] = {}
        self.token_fetches = 0
        self.routes: dict[tuple[str, str], Callable[[dict[str, Any], Any], Any]] = {
            ("POST", "/v1.0/robot/oToMessages/batchSend"): self.batch_send,
            ("GET", "/v1.0/robot/oToMessages/readStatus"): self.read_status,
            ("POST", "/v1.0/robot/otoMessages/batchRecall"): self.batch_recall,
            ("POST", "/v1.0/robot/groupMessages/send"): self.group_send,
            ("POST", "/v1.0/robot/groupMessages/query"): self.group_query,
            ("POST", "/v1.0/robot/groupMessages/recall"): self.group_recall,
            ("POST", "/v1.0/robot/installed/groups/query"): self.installed_groups,
            ("POST", "/v1.0/card/instances/createAndDeliver"): self.create_and_deliver,
            ("PUT", "/v1.0/card/instances"): self.update_card,
            ("POST", "/v1.0/card/callbacks/register"): self.register_callback,
            ("POST", "/v1.0/im/group/create"): self.group_create,
            ("POST", "/v1.0/im/sceneGroup/create"): self.scene_group_create,
        }

    # -- plumbing ------------------------------------------------------------------

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()
            self.app_token = None

    def calls(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]

    def __call__(self, environ, start_response):
        request = WRequest(environ)
        status, body = self.handle(request)
        response = WResponse(
            json.dumps(body, ensure_ascii=False) if not isinstance(body, str) else body,
            status=status,
            content_type="application/json;charset=utf-8"
            if not isinstance(body, str)
            else "text/html",
        )
        return response(environ, start_response)

    def handle(self, request: WRequest) -> Reply:
        raw = request.get_data()
        record = {
            "method": request.method,
            "path": request.path,
            "query": dict(request.args),
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "raw": raw,
            "body": None,
        }
        with self.lock:
            self.requests.append(record)
            scripted = self.faults.get(request.path)
            if scripted:
                return scripted.pop(0)
        try:
            body = self._json_body(request, raw)
            record["body"] = body
            if request.path == "/v1.0/oauth2/accessToken" and request.method == "POST":
                return 200, self.access_token(body)
            if request.path == "/v1.0/oauth2/corpAccessToken" and request.method == "POST":
                return 200, self.corp_access_token(body)
            route = self.routes.get((request.method, request.path))
            path = request.path
            if path.startswith("/v1.0/im/chat/") and path.endswith("/convertToOpenConversationId"):
                route = self.convert_chat_id if request.method == "POST" else None
            if route is None:
                return 200, {"errcode": 404, "errmsg": "请求的URI地址不存在"}
            self._authenticate(request)
            return 200, route(dict(request.args), body)
        except V1Error as exc:
            return exc.status, {
                "code": exc.code,
                "requestid": str(uuid.uuid4()).upper(),
                "message": exc.message,
            }

    def _json_body(self, request: WRequest, raw: bytes) -> Any:
        if request.method == "GET":
            return None
        if not (request.mimetype == "application/json" and raw):
            raise V1Error(400, "Missingbody", "body is mandatory for this action.")
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise V1Error(400, "Missingbody", "body is mandatory for this action.") from None

    def _authenticate(self, request: WRequest) -> None:
        token = request.headers.get("x-acs-dingtalk-access-token")
        if not token:
            raise V1Error(
                400,
                "AuthenticationFailed.MissingParameter",
                "缺少参数：x-acs-dingtalk-access-token",
            )
        if token not in self.tokens:
            raise V1Error(400, "InvalidAuthentication", "不合法的access_token")

    # -- tokens (§1) -------------------------------------------------------------------

    def access_token(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or set(body) != {"appKey", "appSecret"}:
            raise V1Error(400, "MissingappKey", "appKey/appSecret required")
        if body["appKey"] != APP_KEY or body["appSecret"] != APP_SECRET:
            raise V1Error(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
        with self.lock:
            self.token_fetches += 1
            if self.app_token is None:
                self.app_token = f"v1tok-{uuid.uuid4().hex}"
                self.tokens.add(self.app_token)
            return {"accessToken": self.app_token, "expireIn": 7200}

    def corp_access_token(self, body: Any) -> dict[str, Any]:
        keys = {"authCorpId", "suiteKey", "suiteSecret", "suiteTicket"}
        if not isinstance(body, dict) or set(body) != keys:
            raise V1Error(400, "MissingauthCorpId", "fields required")
        if body["suiteKey"] != SUITE_KEY or body["suiteSecret"] != SUITE_SECRET:
            raise V1Error(400, "invalidSuiteKey", "suitekey不合法")
        if body["suiteTicket"] != SUITE_TICKET:
            raise V1Error(400, "invalidSuiteTicket", "suiteTicket不合法")
        with self.lock:
            self.token_fetches += 1
            token = f"v1corp-{body['authCorpId']}-{uuid.uuid4().hex}"  # a new one each call
            self.tokens.add(token)
        return {"accessToken": token, "expireIn": 7200}

    # -- strict field checks ---------------------------------------------------------------

    @staticmethod
    def _string(body: dict[str, Any], key: str, code: str) -> str:
        value = body.get(key)
        if not isinstance(value, str) or not value:
            raise V1Error(400, code, f"{key} invalid")
        return value

    @staticmethod
    def _strings(body: dict[str, Any], key: str, code: str, limit: int) -> list[str]:
        value = body.get(key)
        if not isinstance(value, list) or not value:
            raise V1Error(400, f"{code}.empty", f"{key} empty")
        if not all(isinstance(v, str) for v in value):
            raise V1Error(400, "invalidParameter.param.invalid", f"{key} must be strings")
        if len(value) > limit:
            raise V1Error(400, f"{code}.overMax", f"{key} over max")
        return value

    def _robot(self, body: dict[str, Any]) -> None:
        code = body.get("robotCode")
        if not isinstance(code, str) or not code:
            raise V1Error(400, "invalidParameter.robotCode.empty", "robotCode empty")
        if code != APP_KEY:
            raise V1Error(400, "invalidParameter.robotCode.auth", "robotCode mismatch")

    def _msg(self, body: dict[str, Any], max_bytes: int = 15000) -> None:
        key = body.get("msgKey")
        if key not in MSG_KEYS:
            raise V1Error(400, "invalidParameter.msgKey.invalid", "msgKey invalid")
        param = body.get("msgParam")
        if not isinstance(param, str):
            raise V1Error(400, "invalidParameter.msgParam.invalid", "msgParam must be a string")
        try:
            decoded = json.loads(param)
        except ValueError:
            raise V1Error(400, "invalidParameter.msgParam.invalid", "not JSON") from None
        if not isinstance(decoded, dict) or not MSG_KEYS[key] <= set(decoded):
            raise V1Error(400, "invalidParameter.msgParam.invalid", "keys missing")
        if not all(isinstance(v, str) for v in decoded.values()):
            raise V1Error(400, "invalidParameter.msgParam.invalid", "values must be strings")
        if len(param.encode("utf-8")) > max_bytes:
            raise V1Error(400, "invalidParameter.msgParam.tooLong", "too long")

    # -- robot 1:1 (§3) ------------------------------------------------------------------

    def batch_send(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if set(body) - {"robotCode", "userIds", "msgKey", "msgParam"}:
            raise V1Error(400, "invalidParameter.param.invalid", "unknown field")
        self._robot(body)
        users = self._strings(body, "userIds", "invalidParameter.userIds", 20)
        self._msg(body)
        key = f"oto-{uuid.uuid4().hex}="
        valid = [u for u in users if u in USERS]
        with self.lock:
            self.sent[key] = {"users": valid, "kind": "oto", "recalled": False}
        return {
            "processQueryKey": key,
            "invalidStaffIdList": [u for u in users if u not in USERS],
            "flowControlledStaffIdList": [],
        }

    def read_status(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if set(query) != {"robotCode", "processQueryKey"}:
            raise V1Error(400, "invalidParameter.param.invalid", "query keys")
        self._robot(query)
        sent = self.sent.get(query["processQueryKey"])
        if sent is None or sent["kind"] != "oto":
            raise V1Error(400, "invalidParameter.processQueryKey.invalid", "unknown key")
        return {
            "sendStatus": "RECALLED" if sent["recalled"] else "SUCCESS",
            "messageReadInfoList": [
                {"name": u, "userId": u, "readStatus": "UNREAD", "readTimestamp": 0}
                for u in sent["users"]
            ],
        }

    def batch_recall(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if set(body) != {"robotCode", "processQueryKeys"}:
            raise V1Error(400, "invalidParameter.param.invalid", "fields")
        self._robot(body)
        keys = self._strings(body, "processQueryKeys", "invalidParameter.processQueryKeys", 20)
        ok, failed = [], {}
        for key in keys:
            sent = self.sent.get(key)
            if sent and sent["kind"] == "oto":
                sent["recalled"] = True
                ok.append(key)
            else:
                failed[key] = "system error"
        return {"successResult": ok, "failedResult": failed}

    # -- robot group messages (§4) ------------------------------------------------------------

    def _group(self, body: dict[str, Any]) -> str:
        cid = body.get("openConversationId")
        if not isinstance(cid, str) or cid != GROUP:
            raise V1Error(400, "invalid.openConversationId", "openConversationId invalid")
        return cid

    def group_send(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        allowed = {"robotCode", "openConversationId", "msgKey", "msgParam", "coolAppCode"}
        if set(body) - allowed:
            raise V1Error(400, "invalidParameter.param.invalid", "unknown field")
        self._robot(body)
        self._group(body)
        self._msg(body)
        key = f"grp-{uuid.uuid4().hex}="
        with self.lock:
            self.sent[key] = {"kind": "group", "read": sorted(USERS), "recalled": False}
        return {"processQueryKey": key}

    def group_query(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        allowed = {"processQueryKey", "openConversationId", "robotCode", "maxResults", "nextToken"}
        if set(body) - allowed:
            raise V1Error(400, "invalidParameter.param.invalid", "unknown field")
        sent = self.sent.get(body.get("processQueryKey"))
        if sent is None or sent["kind"] != "group":
            raise V1Error(400, "invalidParameter.processQueryKey.invalid", "unknown key")
        size = body.get("maxResults", 200)
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 200:
            raise V1Error(400, "invalidParameter.maxResults.invalid", "maxResults")
        start = int(body.get("nextToken") or 0)
        page = sent["read"][start : start + size]
        more = start + size < len(sent["read"])
        reply: dict[str, Any] = {"sendStatus": "SUCCESS", "readUserIds": page, "hasMore": more}
        if more:
            reply["nextToken"] = str(start + size)
        return reply

    def group_recall(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if set(body) != {"openConversationId", "robotCode", "processQueryKeys"}:
            raise V1Error(400, "invalidParameter.param.invalid", "fields")
        self._robot(body)
        self._group(body)
        keys = self._strings(body, "processQueryKeys", "invalidParameter.processQueryKeys", 20)
        ok = [k for k in keys if k in self.sent]
        return {
            "successResult": ok,
            "failedResult": {k: "SYSTEM_ERROR" for k in keys if k not in ok},
        }

    def installed_groups(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        self._robot(body)
        token = body.get("nextToken")
        if token is None:
            return {"openConversationIds": [GROUP], "hasMore": True, "nextToken": "p2"}
        return {"openConversationIds": ["cidOther=="], "hasMore": False}

    # -- cards (§6) -----------------------------------------------------------------------

    def create_and_deliver(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        for key, code in (
            ("cardTemplateId", "param.cardTemplateIdEmpty"),
            ("outTrackId", "param.outTrackIdEmpty"),
            ("openSpaceId", "param.openSpaceIdEmpty"),
        ):
            self._string(body, key, code)
        data = body.get("cardData")
        if not isinstance(data, dict) or not isinstance(data.get("cardParamMap"), dict):
            raise V1Error(400, "param.cardPublicDataEmpty", "cardData")
        if not all(isinstance(v, str) for v in data["cardParamMap"].values()):
            raise V1Error(400, "param.invalid", "cardParamMap values must be strings")
        if body.get("callbackType") not in (None, "STREAM", "HTTP"):
            raise V1Error(400, "param.invalid", "callbackType")
        space = body["openSpaceId"]
        if not space.startswith("dtv1.card//"):
            raise V1Error(400, "param.openSpaceIdInvalid", "openSpaceId")
        if body["outTrackId"] in self.cards:
            raise V1Error(400, "param.cardAlreadyExist", "exists")
        results = []
        for part in space[len("dtv1.card//") :].split(";"):
            space_type, _, space_id = part.partition(".")
            model = {
                "IM_GROUP": "imGroupOpenDeliverModel",
                "IM_ROBOT": "imRobotOpenDeliverModel",
            }.get(space_type)
            if model is None or not space_id:
                raise V1Error(400, "param.openSpaceIdInvalid", "space")
            deliver = body.get(model)
            if not isinstance(deliver, dict) or deliver.get("robotCode") != APP_KEY:
                raise V1Error(400, "param.openDeliverModelEmpty", model)
            space_model = body.get(model.replace("Deliver", "Space"))
            if space_model is not None and not isinstance(space_model.get("supportForward"), bool):
                raise V1Error(400, "param.openSpaceModelInvalid", "supportForward")
            ok = space_id == GROUP if space_type == "IM_GROUP" else space_id in USERS
            results.append(
                {
                    "spaceType": space_type,
                    "spaceId": space_id,
                    "success": ok,
                    "carrierId": uuid.uuid4().hex if ok else "",
                    "errorMsg": "" if ok else "space not found",
                }
            )
        with self.lock:
            self.cards[body["outTrackId"]] = {"data": dict(data["cardParamMap"]), "body": body}
        return {
            "success": True,
            "result": {"outTrackId": body["outTrackId"], "deliverResults": results},
        }

    def update_card(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        track = self._string(body, "outTrackId", "param.outTrackIdEmpty")
        card = self.cards.get(track)
        if card is None:
            raise V1Error(400, "param.cardNotExist", "card")
        data = (body.get("cardData") or {}).get("cardParamMap")
        if data is None and not body.get("privateData"):
            raise V1Error(400, "param.cardDataAndPrivateDataBothEmpty", "empty")
        if data is not None:
            if not all(isinstance(v, str) for v in data.values()):
                raise V1Error(400, "param.invalid", "strings only")
            by_key = (body.get("cardUpdateOptions") or {}).get("updateCardDataByKey", False)
            card["data"] = {**card["data"], **data} if by_key else dict(data)
        return {"success": True, "result": True}

    def register_callback(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        key = self._string(body, "callbackRouteKey", "param.invalid")
        url = self._string(body, "callbackUrl", "param.invalid")
        force = body.get("forceUpdate", False)
        if not isinstance(force, bool):
            raise V1Error(400, "param.invalid", "forceUpdate")
        with self.lock:
            if key not in self.callbacks or force:
                self.callbacks[key] = {"callbackUrl": url, "apiSecret": body.get("apiSecret")}
            return {"success": True, "result": dict(self.callbacks[key])}

    # -- groups (§5) ----------------------------------------------------------------------

    def group_create(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        name = self._string(body, "name", "param.invalid")
        if not 1 <= len(name) <= 20:
            raise V1Error(400, "param.invalid", "name")
        self._string(body, "owner", "param.invalid")
        members = body.get("useridlist")
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise V1Error(400, "param.invalid", "useridlist")
        if any(isinstance(body.get(k), str) for k in ("conversationTag", "ownerType")):
            raise V1Error(400, "param.invalid", "ints")
        return {
            "chatid": f"chat{uuid.uuid4().hex}",
            "openConversationId": GROUP,
            "conversationTag": body.get("conversationTag", 2),
        }

    def convert_chat_id(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if body != {}:
            raise V1Error(400, "param.invalid", "no body fields")
        return {"openConversationId": GROUP}

    def scene_group_create(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if any(k != k.lower() for k in body):
            raise V1Error(400, "parameter.invalid", "snake_case body")
        title = self._string(body, "title", "parameter.invalid")
        if len(title) > 30:
            raise V1Error(400, "parameter.invalid", "title")
        self._string(body, "template_id", "parameter.invalid")
        self._string(body, "owner_user_id", "parameter.invalid")
        for key in ("user_ids", "subadmin_ids"):
            if key in body and not (
                isinstance(body[key], list) and all(isinstance(v, str) for v in body[key])
            ):
                raise V1Error(400, "parameter.invalid", key)
        return {"open_conversation_id": "cidScene==", "chat_id": "chatScene"}
