"""Interactive cards (互动卡片), reference §6: ``client.cards``.

``POST /v1.0/card/instances/createAndDeliver`` (to a group, or to people through
the robot), ``PUT /v1.0/card/instances`` (update), and
``POST /v1.0/card/callbacks/register`` (the HTTP callback's route and secret).
``cardParamMap`` values go out as strings only: ``1000`` → ``"1000"``,
``True`` → ``"true"``, lists and objects as JSON text (§6.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import InvalidMessage
from .base import V1API, JSONDict, Request, drop_none, string_list, text_field
from .msgkeys import as_wire_string
from .robot import robot_code_of

CREATE_AND_DELIVER = "/v1.0/card/instances/createAndDeliver"
UPDATE_CARD = "/v1.0/card/instances"
REGISTER_CALLBACK = "/v1.0/card/callbacks/register"
SPACE_PREFIX = "dtv1.card//"
IM_GROUP = "IM_GROUP"
IM_ROBOT = "IM_ROBOT"
CALLBACK_TYPES = ("STREAM", "HTTP")
#: cardParamMap: key ≤ 100 bytes, value ≤ 1 KB (§6.1, §9).
MAX_KEY_BYTES = 100
MAX_VALUE_BYTES = 1024
#: outTrackId longer than this reportedly errors (§6.1, unverified: a setting).
MAX_OUT_TRACK_ID = 64


def card_param_map(params: Mapping[str, Any] | None, field: str = "cardParamMap") -> dict[str, str]:
    """``params`` with every value a string, within the key and value sizes."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise InvalidMessage(field, "must be an object of names and values")
    result: dict[str, str] = {}
    for key, value in params.items():
        if not isinstance(key, str) or not key:
            raise InvalidMessage(field, "names must be non-empty strings")
        if len(key.encode("utf-8")) > MAX_KEY_BYTES:
            raise InvalidMessage(field, f"name {key[:20]!r}… is over {MAX_KEY_BYTES} bytes")
        text = as_wire_string(value)
        if len(text.encode("utf-8")) > MAX_VALUE_BYTES:
            raise InvalidMessage(field, f"value of {key!r} is over {MAX_VALUE_BYTES} bytes")
        result[key] = text
    return result


def open_space_id(space_type: str, space_ids: Iterable[str]) -> str:
    """``dtv1.card//IM_GROUP.<cid>`` or ``dtv1.card//IM_ROBOT.<u1>;IM_ROBOT.<u2>`` (§6.1)."""
    ids = list(space_ids)
    for space_id in ids:
        if ";" in space_id:
            raise InvalidMessage("openSpaceId", "an id must not contain ';'")
    return SPACE_PREFIX + ";".join(f"{space_type}.{space_id}" for space_id in ids)


def _private_data(private: Mapping[str, Mapping[str, Any]] | None) -> JSONDict | None:
    if not private:
        return None
    return {
        str(user): {"cardParamMap": card_param_map(params, "privateData")}
        for user, params in private.items()
    }


class CardAPI(V1API):
    """``client.cards``: cards from a card template, delivered to a group or to people."""

    def __init__(self, client: Any, *, max_out_track_id: int = MAX_OUT_TRACK_ID) -> None:
        super().__init__(client)
        self.max_out_track_id = max_out_track_id

    def _base(
        self,
        card_template_id: str,
        out_track_id: str,
        card_params: Mapping[str, Any] | None,
        *,
        callback_type: str | None,
        callback_route_key: str | None,
        private_data: Mapping[str, Mapping[str, Any]] | None,
    ) -> JSONDict:
        if callback_type is not None and callback_type not in CALLBACK_TYPES:
            raise InvalidMessage("callbackType", "must be STREAM or HTTP")
        if callback_route_key and callback_type != "HTTP":
            raise InvalidMessage("callbackRouteKey", "needs callbackType HTTP")
        return {
            "cardTemplateId": text_field(card_template_id, "cardTemplateId"),
            "outTrackId": text_field(out_track_id, "outTrackId", max_length=self.max_out_track_id),
            "cardData": {"cardParamMap": card_param_map(card_params)},
            "callbackType": callback_type,
            "callbackRouteKey": callback_route_key or None,
            "privateData": _private_data(private_data),
        }

    def group_card_request(
        self,
        card_template_id: str,
        out_track_id: str,
        card_params: Mapping[str, Any] | None,
        open_conversation_id: str,
        *,
        callback_type: str | None = None,
        callback_route_key: str | None = None,
        private_data: Mapping[str, Mapping[str, Any]] | None = None,
        at_user_ids: Mapping[str, str] | None = None,
        recipients: Iterable[str] | None = None,
        support_forward: bool = True,
        robot_code: str | None = None,
    ) -> Request:
        """The createAndDeliver call of a card in one group, sent by the robot."""
        body = self._base(
            card_template_id,
            out_track_id,
            card_params,
            callback_type=callback_type,
            callback_route_key=callback_route_key,
            private_data=private_data,
        )
        cid = text_field(open_conversation_id, "openConversationId")
        deliver = drop_none(
            {
                "robotCode": robot_code_of(self._client, robot_code),
                "atUserIds": dict(at_user_ids) if at_user_ids else None,
                "recipients": string_list(recipients, "recipients") or None,
            }
        )
        body.update(
            openSpaceId=open_space_id(IM_GROUP, [cid]),
            imGroupOpenSpaceModel={"supportForward": bool(support_forward)},
            imGroupOpenDeliverModel=deliver,
        )
        return Request("POST", CREATE_AND_DELIVER, drop_none(body))

    def robot_card_request(
        self,
        card_template_id: str,
        out_track_id: str,
        card_params: Mapping[str, Any] | None,
        user_ids: Iterable[str] | str,
        *,
        callback_type: str | None = None,
        callback_route_key: str | None = None,
        private_data: Mapping[str, Mapping[str, Any]] | None = None,
        support_forward: bool = True,
        robot_code: str | None = None,
    ) -> Request:
        """The createAndDeliver call of a card to people, each in their chat with the robot."""
        users = string_list(user_ids, "userIds")
        if not users:
            raise InvalidMessage("userIds", "name at least one user")
        body = self._base(
            card_template_id,
            out_track_id,
            card_params,
            callback_type=callback_type,
            callback_route_key=callback_route_key,
            private_data=private_data,
        )
        body.update(
            openSpaceId=open_space_id(IM_ROBOT, users),
            imRobotOpenSpaceModel={"supportForward": bool(support_forward)},
            imRobotOpenDeliverModel={
                "spaceType": IM_ROBOT,
                "robotCode": robot_code_of(self._client, robot_code),
            },
        )
        return Request("POST", CREATE_AND_DELIVER, drop_none(body))

    def create_and_deliver(self, request: Request) -> JSONDict:
        """POST /v1.0/card/instances/createAndDeliver with a prepared request.

        ``result.deliverResults[]`` says per space whether it arrived (``success``,
        ``errorMsg``; ``carrierId`` is the message's processQueryKey in IM spaces).
        """
        if request.path != CREATE_AND_DELIVER:
            raise ValueError("not a createAndDeliver request")
        return self._call(request, send=True)

    def send_to_group(
        self,
        card_template_id: str,
        out_track_id: str,
        card_params: Mapping[str, Any] | None,
        open_conversation_id: str,
        **options: Any,
    ) -> JSONDict:
        """createAndDeliver a card to a group (see ``group_card_request`` for the options)."""
        return self.create_and_deliver(
            self.group_card_request(
                card_template_id, out_track_id, card_params, open_conversation_id, **options
            )
        )

    def send_to_users(
        self,
        card_template_id: str,
        out_track_id: str,
        card_params: Mapping[str, Any] | None,
        user_ids: Iterable[str] | str,
        **options: Any,
    ) -> JSONDict:
        """createAndDeliver a card to people (see ``robot_card_request`` for the options)."""
        return self.create_and_deliver(
            self.robot_card_request(
                card_template_id, out_track_id, card_params, user_ids, **options
            )
        )

    def update_request(
        self,
        out_track_id: str,
        card_params: Mapping[str, Any] | None = None,
        *,
        private_data: Mapping[str, Mapping[str, Any]] | None = None,
        by_key: bool = True,
    ) -> Request:
        """The PUT /v1.0/card/instances call. ``by_key``: merge the values by name
        (``cardUpdateOptions`` true); False replaces the card's whole map (DingTalk's default)."""
        if card_params is None and not private_data:
            raise InvalidMessage("cardParamMap", "give cardParamMap or privateData")
        body = drop_none(
            {
                "outTrackId": text_field(out_track_id, "outTrackId"),
                "cardData": None
                if card_params is None
                else {"cardParamMap": card_param_map(card_params)},
                "privateData": _private_data(private_data),
                "cardUpdateOptions": {
                    "updateCardDataByKey": bool(by_key),
                    "updatePrivateDataByKey": bool(by_key),
                },
            }
        )
        return Request("PUT", UPDATE_CARD, body)

    def update(
        self,
        out_track_id: str,
        card_params: Mapping[str, Any] | None = None,
        *,
        private_data: Mapping[str, Mapping[str, Any]] | None = None,
        by_key: bool = True,
    ) -> JSONDict:
        """PUT /v1.0/card/instances: ``{"success": true, "result": true}``.

        Not from inside a card callback (the doc): answer the callback instead.
        """
        request = self.update_request(
            out_track_id, card_params, private_data=private_data, by_key=by_key
        )
        return self._call(request)

    def register_callback_request(
        self,
        callback_route_key: str,
        callback_url: str,
        *,
        api_secret: str | None = None,
        force_update: bool = False,
    ) -> Request:
        """The callbacks/register call. Its body holds ``apiSecret``: never show it as is."""
        url = text_field(callback_url, "callbackUrl")
        if not url.startswith(("https://", "http://")):
            raise InvalidMessage("callbackUrl", "must be an http(s) URL")
        body = drop_none(
            {
                "callbackRouteKey": text_field(callback_route_key, "callbackRouteKey"),
                "callbackUrl": url,
                "apiSecret": api_secret or None,
                "forceUpdate": bool(force_update),
            }
        )
        return Request("POST", REGISTER_CALLBACK, body)

    def register_callback(
        self,
        callback_route_key: str,
        callback_url: str,
        *,
        api_secret: str | None = None,
        force_update: bool = False,
    ) -> JSONDict:
        """POST /v1.0/card/callbacks/register: ``result {callbackUrl, apiSecret}``.

        Without ``force_update`` an existing key keeps its registration, which is
        returned: compare it with what was asked.
        """
        request = self.register_callback_request(
            callback_route_key, callback_url, api_secret=api_secret, force_update=force_update
        )
        return self._call(request)
