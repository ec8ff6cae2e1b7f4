"""Run one API operation and shape the reply the original Koa service gave.

success → 200 {"success": true, "data": <DingTalk's body>};
bad input → 400 {"success": false, "msg": ...};
DingTalk error → {"success": false, "msg", "errcode", "data"} with a fitting status.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from dashboard.api.auth import ApiPrincipal, bearer_token
from dashboard.api.operations import CallContext, FieldError, Operation
from dashboard.api.sends import SendFailed
from dashboard.dingtalk.errors import (
    ApiError,
    DingTalkError,
    InvalidMessage,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RequestTimeout,
    Throttled,
)
from dashboard.services.dingtalk import (
    NoCompanySelected,
    NotConfigured,
    UnknownCompany,
    act_for_company,
    get_client,
)

log = logging.getLogger("dashboard.api")

#: Configuration values that must never reach a reply, whatever DingTalk echoes.
SECRET_SETTINGS = (
    "SECRET_KEY",
    "DINGTALK_APP_SECRET",
    "DINGTALK_CORP_SECRET",
    "DINGTALK_SUITE_SECRET",
    "DINGTALK_SUITE_TICKET",
    "DINGTALK_CALLBACK_TOKEN",
    "DINGTALK_CALLBACK_AES_KEY",
    "DASHBOARD_ENCRYPTION_KEY",
    "DASHBOARD_API_TOKEN",
)
MIN_SECRET_LENGTH = 6


@dataclass
class ApiReply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def failure(status: int, msg: str, **extra: Any) -> ApiReply:
    return ApiReply(status, {"success": False, "msg": msg, **extra})


def run_operation(op: Operation, payload: Mapping[str, Any], principal: ApiPrincipal) -> ApiReply:
    """Parse the fields, make the call, and turn every outcome into a reply."""
    corpid = payload.get("corpid")
    corpid = str(corpid).strip() if isinstance(corpid, str | int) and str(corpid).strip() else None
    act_for_company(corpid)  # the services behind sends and chats fetch their own client
    ctx = CallContext(principal=principal, client_factory=get_client)
    try:
        args = op.parse(payload)
        data = op.call(ctx, args)
    except FieldError as exc:
        reply = failure(400, exc.message)
    except SendFailed as exc:
        reply = dingtalk_failure(exc.error, data=exc.data)
    except DingTalkError as exc:
        reply = dingtalk_failure(exc)
    except NoCompanySelected:
        reply = failure(400, _("corpid is required: name the authorised company to act for."))
    except UnknownCompany:
        reply = failure(403, _("This company has not authorised the suite."))
    except NotConfigured:
        reply = failure(503, _("DingTalk is not configured on this server."))
    except InvalidMessage as exc:
        reply = failure(
            400, _("Invalid field %(field)s: %(reason)s", field=exc.field, reason=exc.reason)
        )
    except ValueError as exc:
        # the client library's local limits (page sizes, list lengths) and the services' rules
        reply = failure(400, str(exc))
    else:
        reply = ApiReply(200, {"success": True, "data": data})
    log.info(
        "api %s by %s: %s",
        op.name,
        principal.name,
        reply.status,
        extra={"api_token": principal.name},
    )
    reply.body = scrub(reply.body, secrets_to_hide(ctx))
    return reply


def status_for(error: DingTalkError) -> int:
    """HTTP status for a DingTalk error: 4xx for the caller's fault, 5xx for upstream trouble."""
    if isinstance(error, Throttled):
        return 503
    if isinstance(error, RequestTimeout):
        return 504
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, InvalidRequest):
        return 400
    return 502


def dingtalk_failure(error: DingTalkError, *, data: dict[str, Any] | None = None) -> ApiReply:
    """The original error shape: msg = DingTalk's errmsg, errcode, data = DingTalk's body."""
    status = status_for(error)
    if isinstance(error, ApiError):
        envelope = {
            key: value
            for key, value in (
                ("errcode", error.errcode),
                ("errmsg", error.errmsg),
                ("sub_code", error.sub_code),
                ("sub_msg", error.sub_msg),
                ("request_id", error.request_id),
            )
            if value is not None
        }
        msg = error.errmsg or error.sub_msg or _("DingTalk answered an error.")
        body_data: dict[str, Any] | None = envelope | (data or {})
    else:
        msg = transport_message(error)
        body_data = data
    reply = failure(status, msg, errcode=error.errcode, data=body_data)
    if isinstance(error, Throttled):
        reply.headers["Retry-After"] = str(max(1, math.ceil(error.retry_after or 1)))
    return reply


def transport_message(error: DingTalkError) -> str:
    if isinstance(error, RequestTimeout):
        if error.outcome_unknown:
            return _(
                "DingTalk did not answer in time; the request may still have been carried out. "
                "Check before retrying."
            )
        return _("DingTalk did not answer in time.")
    return _("DingTalk could not be reached or gave no usable answer.")


def secrets_to_hide(ctx: CallContext) -> list[str]:
    """Every secret this request could know: settings, the bearer token, the access token."""
    values = [current_app.config.get(name) for name in SECRET_SETTINGS]
    values.append(bearer_token())
    if "client" in ctx.__dict__:
        client = ctx.client
        try:
            values.append(client.token_store.get(client.token_key))
        except Exception:  # noqa: BLE001 - a cache hiccup must not turn a reply into a 500
            log.debug("could not read the cached access token for scrubbing")
    return [str(v) for v in values if v and len(str(v)) >= MIN_SECRET_LENGTH]


def scrub(value: Any, secrets: list[str]) -> Any:
    """Replace any secret found in the reply's strings (defence in depth)."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, "***")
        return value
    if isinstance(value, dict):
        return {k: scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    return value
