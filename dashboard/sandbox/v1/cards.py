"""Interactive cards (§6): createAndDeliver, create + deliver, update, HTTP callback routes.

Card templates live on DingTalk's card platform; the sandbox accepts any template id
(`card_templates` restricts them) and gives the press page the buttons of `TEMPLATES`
below, or `DEFAULT_ACTIONS` for any other template. Presses are made on the sandbox page
and called back by `press_card` (signed as §6.4 says) or queued for the Stream gateway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Blueprint

from dashboard.sandbox.state import SandboxState
from dashboard.sandbox.v1.errors import bad_request
from dashboard.sandbox.v1.routing import V1Call, v1_route
from dashboard.sandbox.v1.state import Card, CardCallbackRoute, CardPress, RobotMessage, V1State

bp = Blueprint("sandbox_v1_cards", __name__)

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
SPACE_PREFIX = "dtv1.card//"
SPACE_TYPES = ("IM_GROUP", "IM_ROBOT", "IM_SINGLE", "ONE_BOX")
DELIVER_MODELS = {
    "IM_GROUP": "imGroupOpenDeliverModel",
    "IM_ROBOT": "imRobotOpenDeliverModel",
    "IM_SINGLE": "imSingleOpenDeliverModel",
    "ONE_BOX": "topOpenDeliverModel",
}
SPACE_MODELS = {
    "IM_GROUP": "imGroupOpenSpaceModel",
    "IM_ROBOT": "imRobotOpenSpaceModel",
    "IM_SINGLE": "imSingleOpenSpaceModel",
}
#: Demo templates and their buttons (actionId, label) for the sandbox page.
TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "sandbox-ack.schema": [("read", "已阅"), ("confirm", "确认")],
    "sandbox-approval.schema": [("agree", "同意"), ("reject", "拒绝")],
}
DEFAULT_ACTIONS: list[tuple[str, str]] = [("read", "已阅"), ("confirm", "确认")]


def actions_of(template_id: str) -> list[tuple[str, str]]:
    return TEMPLATES.get(template_id, DEFAULT_ACTIONS)


def param_map(call: V1Call, value: Any, name: str) -> dict[str, str]:
    """A cardParamMap: string keys ≤ 100 B and string values ≤ 1 KB (§6.1, §10.4)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request("param.invalid", f"{name} 必须是对象")
    settings = call.settings
    for key, item in value.items():
        if not isinstance(item, str):
            raise bad_request("param.invalid", f"{name}.{key} 的值必须是字符串")
        if len(key.encode()) > settings.card_key_max_bytes:
            raise bad_request(
                "param.invalid", f"{name} 的键 {key[:20]}… 超过{settings.card_key_max_bytes}字节"
            )
        if len(item.encode()) > settings.card_value_max_bytes:
            raise bad_request(
                "param.invalid", f"{name}.{key} 超过{settings.card_value_max_bytes}字节"
            )
    return dict(value)


def card_data(call: V1Call, field: str) -> dict[str, str] | None:
    value = call.value(field)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("param.invalid", f"{field} 必须是对象")
    return param_map(call, value.get("cardParamMap"), f"{field}.cardParamMap")


def private_data(call: V1Call, field: str = "privateData") -> dict[str, dict[str, str]] | None:
    value = call.value(field)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("param.invalid", f"{field} 必须是对象")
    result = {}
    for userid, data in value.items():
        if not isinstance(data, dict):
            raise bad_request("param.invalid", f"{field}.{userid} 必须是对象")
        result[userid] = param_map(call, data.get("cardParamMap"), f"{field}.{userid}.cardParamMap")
    return result


def parse_spaces(call: V1Call) -> list[tuple[str, str]]:
    """openSpaceId `dtv1.card//<TYPE>.<id>[;<TYPE>.<id>…]` (ids may contain '.', '+', '=')."""
    raw = call.string("openSpaceId", required=True, code="param.openSpaceIdEmpty")
    if not raw.startswith(SPACE_PREFIX):
        raise bad_request("param.openSpaceIdInvalid", "openSpaceId格式不正确")
    spaces = []
    for part in raw[len(SPACE_PREFIX) :].split(";"):
        kind, _, space_id = part.partition(".")
        if kind not in SPACE_TYPES or not space_id:
            raise bad_request("param.openSpaceIdInvalid", f"openSpaceId格式不正确: {part}")
        spaces.append((kind, space_id))
    return spaces


def user_id_type(call: V1Call) -> int:
    value = call.value("userIdType")
    if value is None:
        return 1
    if value not in (1, 2) or isinstance(value, bool):
        raise bad_request("param.invalid", "userIdType只能是1或2")
    return int(value)


def check_template(call: V1Call, template_id: str) -> None:
    settings = call.settings
    if settings.card_templates and template_id not in settings.card_templates:
        raise bad_request("param.templateNotExist", "卡片模板不存在")
    if template_id in settings.card_unpublished_templates:
        raise bad_request("param.templateUnpublished", "卡片模板未发布")


def create_card(call: V1Call) -> Card:
    """Validate and store a card (the fields shared by createAndDeliver and create)."""
    template_id = call.string("cardTemplateId", required=True, code="param.cardTemplateIdEmpty")
    out_track_id = call.string("outTrackId", required=True, code="param.outTrackIdEmpty")
    settings = call.settings
    if len(out_track_id) > settings.card_out_track_id_max:
        raise bad_request("param.invalid", f"outTrackId超过{settings.card_out_track_id_max}个字符")
    data = card_data(call, "cardData")
    if data is None:
        raise bad_request("param.cardPublicDataEmpty", "cardData不能为空")
    check_template(call, template_id)
    callback_type = call.string("callbackType") or "STREAM"
    if callback_type not in ("STREAM", "HTTP"):
        raise bad_request("param.invalid", "callbackType只能是STREAM或HTTP")
    card = Card(
        out_track_id=out_track_id,
        app_id=call.app_id or "",
        template_id=template_id,
        card_data=data,
        private_data=private_data(call) or {},
        callback_type=callback_type,
        callback_route_key=call.string("callbackRouteKey"),
        user_id_type=user_id_type(call),
        created_at=call.now,
    )
    return card


def store_card(call: V1Call, card: Card) -> bool:
    """Keep a new card; a reused outTrackId is an error (or ignored, `card_reuse_error`)."""
    existing = call.v1.cards.get(card.out_track_id)
    if existing is not None and existing.app_id == card.app_id:
        if call.settings.card_reuse_error:
            raise bad_request("param.cardAlreadyExist", "卡片已存在")
        return False
    call.v1.cards[card.out_track_id] = card
    return True


def deliver(call: V1Call, card: Card, spaces: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """One deliverResult per space (§6.1): failures stay inside the HTTP 200."""
    for kind, _ in spaces:
        model_name = DELIVER_MODELS[kind]
        model = call.value(model_name)
        if model is None:
            raise bad_request("param.openDeliverModelEmpty", f"{model_name}不能为空")
        if not isinstance(model, dict):
            raise bad_request("param.openDeliverModelError", f"{model_name}格式不正确")
        if kind == "IM_GROUP" and not model.get("robotCode"):
            raise bad_request(
                "param.openDeliverModelError", "imGroupOpenDeliverModel.robotCode不能为空"
            )
        if kind == "ONE_BOX" and not model.get("expiredTimeMillis"):
            raise bad_request(
                "param.openDeliverModelError", "topOpenDeliverModel.expiredTimeMillis不能为空"
            )
        space_model = call.value(SPACE_MODELS.get(kind, ""))
        if space_model is not None and (
            not isinstance(space_model, dict)
            or not isinstance(space_model.get("supportForward"), bool)
        ):
            raise bad_request(
                "param.openSpaceModelInvalid", f"{SPACE_MODELS[kind]}.supportForward不能为空"
            )
    results = []
    for kind, space_id in spaces:
        results.append(deliver_one(call, card, kind, space_id, call.value(DELIVER_MODELS[kind])))
    card.spaces.extend(results)
    return results


def deliver_one(
    call: V1Call, card: Card, kind: str, space_id: str, model: dict[str, Any]
) -> dict[str, Any]:
    from dashboard.sandbox.v1.state import robot_codes

    result: dict[str, Any] = {
        "spaceType": kind,
        "spaceId": space_id,
        "success": False,
        "carrierId": "",
        "errorMsg": "",
    }
    company = call.company
    codes = robot_codes(call.state, call.app_id)
    if kind in ("IM_GROUP", "ONE_BOX", "IM_SINGLE"):
        chat = next(
            (c for c in call.state.chats.values() if c.open_conversation_id == space_id), None
        )
        if chat is None or chat.status != 1:
            result["errorMsg"] = "openConversationId不存在"
            return result
        robot_code = str(model.get("robotCode") or "")
        if kind == "IM_GROUP" and (
            robot_code not in codes or not call.v1.robot_in_group(space_id, robot_code, call.now)
        ):
            result["errorMsg"] = "机器人不在群中"
            return result
        recipients = list(chat.members)
        chosen = model.get("recipients")
        if kind == "IM_GROUP" and isinstance(chosen, list) and chosen:
            recipients = [u for u in recipients if u in chosen]  # only they see the card
        message_kind, cid = "group", space_id
    else:  # IM_ROBOT: a userId (or unionId with userIdType 2)
        if card.user_id_type == 2:
            user = company.user_by_unionid(space_id)
        else:
            user = company.users.get(space_id)
        if user is None:
            result["errorMsg"] = "param.userIdNotExist"
            return result
        robot_code = str(model.get("robotCode") or next(iter(codes)))
        recipients = [user.userid]
        message_kind, cid = "oto", ""
    message = call.v1.add_message(
        RobotMessage(
            key=call.v1.new_key(f"card:{card.out_track_id}:{space_id}"),
            kind=message_kind,
            robot_code=robot_code,
            app_id=card.app_id,
            sent_at=call.now,
            recipients=recipients,
            msg_key="interactiveCard",
            msg_param={"outTrackId": card.out_track_id},
            open_conversation_id=cid,
        )
    )
    for userid in recipients:
        if userid not in card.recipients:
            card.recipients.append(userid)
    result.update(success=True, carrierId=message.key)
    return result


@v1_route(bp, "/v1.0/card/instances/createAndDeliver", "POST")
def create_and_deliver(call: V1Call) -> dict[str, Any]:
    """§6.1: create a card and deliver it to every space of openSpaceId."""
    card = create_card(call)
    spaces = parse_spaces(call)
    if not store_card(call, card):
        card = call.v1.cards[card.out_track_id]
        return {
            "success": True,
            "result": {"outTrackId": card.out_track_id, "deliverResults": card.spaces},
        }
    results = deliver(call, card, spaces)
    return {"success": True, "result": {"outTrackId": card.out_track_id, "deliverResults": results}}


@v1_route(bp, "/v1.0/card/instances", "POST")
def create(call: V1Call) -> dict[str, Any]:
    """The two-step form's first step (stream-py CardReplier)."""
    card = create_card(call)
    store_card(call, card)
    return {"success": True, "result": card.out_track_id}


@v1_route(bp, "/v1.0/card/instances/deliver", "POST")
def deliver_view(call: V1Call) -> dict[str, Any]:
    """The two-step form's second step: {outTrackId, openSpaceId, *OpenDeliverModel}."""
    out_track_id = call.string("outTrackId", required=True, code="param.outTrackIdEmpty")
    card = find_card(call, out_track_id)
    if call.value("userIdType") is not None:
        card.user_id_type = user_id_type(call)
    return {"success": True, "result": deliver(call, card, parse_spaces(call))}


def find_card(call: V1Call, out_track_id: str) -> Card:
    card = call.v1.cards.get(out_track_id)
    if card is None or card.app_id != (call.app_id or ""):
        raise bad_request("param.cardNotExist", "卡片不存在")
    return card


def apply_update(card: Card, data, private, options: dict[str, Any]) -> None:
    """cardUpdateOptions: false (default) replaces the whole map, true merges by key."""
    if data is not None:
        if options.get("updateCardDataByKey") is True:
            card.card_data.update(data)
        else:
            card.card_data = dict(data)
    for userid, values in (private or {}).items():
        if options.get("updatePrivateDataByKey") is True:
            card.private_data.setdefault(userid, {}).update(values)
        else:
            card.private_data[userid] = dict(values)
    card.updates += 1


@v1_route(bp, "/v1.0/card/instances", "PUT")
def update(call: V1Call) -> dict[str, Any]:
    """§6.2: new public and/or private data, replaced or merged per cardUpdateOptions."""
    out_track_id = call.string("outTrackId", required=True, code="param.outTrackIdEmpty")
    data = card_data(call, "cardData")
    private = private_data(call)
    if data is None and not private:
        raise bad_request(
            "param.cardDataAndPrivateDataBothEmpty", "cardData和privateData不能同时为空"
        )
    card = find_card(call, out_track_id)
    users = call.company.users
    for userid in private or {}:
        exists = (
            call.company.user_by_unionid(userid) if card.user_id_type == 2 else users.get(userid)
        )
        if exists is None:
            raise bad_request("param.userIdNotExist", f"用户 {userid} 不存在")
    options = call.value("cardUpdateOptions") or {}
    if not isinstance(options, dict):
        raise bad_request("param.invalid", "cardUpdateOptions必须是对象")
    apply_update(card, data, private, options)
    return {"success": True, "result": True}


@v1_route(bp, "/v1.0/card/streaming", "PUT")
def streaming_update(call: V1Call) -> dict[str, Any]:
    """§6.3 AI card streaming: `isFull` replaces the variable, else the content is appended."""
    out_track_id = call.string("outTrackId", required=True, code="param.outTrackIdEmpty")
    call.string("guid", required=True)
    key = call.string("key", required=True)
    content = call.value("content")
    if content is not None and not isinstance(content, str):
        raise bad_request("param.invalid", "content必须是字符串")
    card = find_card(call, out_track_id)
    if call.value("isFull") is True:
        card.card_data[key] = content or ""
    else:
        card.card_data[key] = card.card_data.get(key, "") + (content or "")
    card.updates += 1
    return {"success": True, "result": True}


@v1_route(bp, "/v1.0/card/callbacks/register", "POST")
def register_callback(call: V1Call) -> dict[str, Any]:
    """§6.4: without forceUpdate an existing key keeps its registration, which is returned."""
    route_key = call.string("callbackRouteKey", required=True)
    url = call.string("callbackUrl", required=True)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("param.invalid", "callbackUrl不合法")
    api_secret = call.string("apiSecret")
    force = call.value("forceUpdate") is True
    key = (call.app_id or "", route_key)
    existing = call.v1.routes.get(key)
    if existing is None or force:
        existing = CardCallbackRoute(route_key, url, api_secret)
        call.v1.routes[key] = existing
    return {
        "success": True,
        "result": {"callbackUrl": existing.url, "apiSecret": existing.api_secret},
    }


# -- presses (made on the sandbox page) ---------------------------------------------------


def signature(api_secret: str, timestamp: str) -> str:
    """§6.4: Base64(HmacSHA256(key=apiSecret, msg=timestamp))."""
    digest = hmac.new(api_secret.encode(), timestamp.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def callback_body(state: SandboxState, card: Card, userid: str, action: str) -> dict[str, Any]:
    """The actionCallback JSON (§6.4); `content` (and `extension`) are JSON strings."""
    company = state.company_of(card.app_id)
    user = company.users.get(userid)
    callback_user = user.unionid if (user is not None and card.user_id_type == 2) else userid
    content = {"cardPrivateData": {"actionIds": [action], "params": {"action": action}}}
    body: dict[str, Any] = {
        "type": "actionCallback",
        "outTrackId": card.out_track_id,
        "corpId": corp_id_of(state, card.app_id),
        "userId": callback_user,
        "content": json.dumps(content, ensure_ascii=False),
    }
    if state.settings.card_callback_extra_keys:
        space = card.spaces[0] if card.spaces else {}
        body.update(
            spaceType=space.get("spaceType", ""),
            spaceId=space.get("spaceId", ""),
            userIdType=card.user_id_type,
            extension="{}",
        )
    return body


def corp_id_of(state: SandboxState, app_id: str) -> str:
    settings = state.settings
    return settings.corp_id if app_id in (settings.app_key, settings.corp_id, "") else app_id


def press_card(
    state: SandboxState, v1: V1State, out_track_id: str, userid: str, action: str
) -> CardPress:
    """Record a press and call it back; the callback's reply updates the card (§6.4).

    Called with the state lock held; the lock is released around the HTTP call so the
    console may call the sandbox meanwhile.
    """
    card = v1.cards.get(out_track_id)
    if card is None:
        raise KeyError(out_track_id)
    if userid not in card.recipients:
        raise ValueError(f"{userid} cannot see card {out_track_id}")
    body = callback_body(state, card, userid, action)
    press = CardPress(out_track_id, userid, action, state.clock.now(), "none", request_body=body)
    card.presses.append(press)
    if card.callback_type == "STREAM":
        press.delivery = "stream"
        v1.stream_outbox.append(
            {
                "topic": "/v1.0/card/instances/callback",
                "appId": card.app_id,
                "data": body,
                "pressIndex": len(card.presses) - 1,  # the gateway records the outcome here
            }
        )
        return press
    route = v1.routes.get((card.app_id, card.callback_route_key))
    if route is None:
        press.error = "未注册该 callbackRouteKey 的回调地址 / no callback route registered for this callbackRouteKey"
        return press
    press.delivery, press.url = "http", route.url
    settings = state.settings
    host = urlsplit(route.url).hostname
    if settings.card_callback_local_only and host not in LOCAL_HOSTS:
        press.error = "沙箱只回调本机地址 / the sandbox only calls back URLs on this machine"
        return press
    headers = {"Content-Type": "application/json"}
    if route.api_secret:
        # Signed with wall-clock time: the receiver checks it against its own clock.
        timestamp = str(int(time.time() * 1000))
        headers["x-ddpaas-signature-timestamp"] = timestamp
        headers["x-ddpaas-signature"] = signature(route.api_secret, timestamp)
    timeout = settings.card_callback_timeout
    state.lock.release()
    try:
        reply = requests.post(
            route.url,
            data=json.dumps(body, ensure_ascii=False).encode(),
            headers=headers,
            timeout=timeout,
        )
    except requests.RequestException as exc:
        press.error = f"回调失败 / callback failed: {type(exc).__name__}"
        return press
    finally:
        state.lock.acquire()
    press.status = reply.status_code
    try:
        press.response = reply.json()
    except ValueError:
        press.response = reply.text[:500]
    if reply.status_code == 200 and isinstance(press.response, dict):
        apply_callback_reply(card, userid, press.response)
    elif reply.status_code != 200:
        press.error = f"HTTP {reply.status_code}"
    return press


def apply_callback_reply(card: Card, userid: str, reply: dict[str, Any]) -> None:
    """{cardData, userPrivateData, cardUpdateOptions}: userPrivateData is the presser's."""
    options = (
        reply.get("cardUpdateOptions") if isinstance(reply.get("cardUpdateOptions"), dict) else {}
    )
    data = reply.get("cardData")
    private = reply.get("userPrivateData")
    public_map = data.get("cardParamMap") if isinstance(data, dict) else None
    private_map = private.get("cardParamMap") if isinstance(private, dict) else None
    public_map = (
        {k: str(v) for k, v in public_map.items()} if isinstance(public_map, dict) else None
    )
    private_maps = (
        {userid: {k: str(v) for k, v in private_map.items()}}
        if isinstance(private_map, dict)
        else None
    )
    if public_map is not None or private_maps:
        apply_update(card, public_map, private_maps, options)
