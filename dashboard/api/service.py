"""Run one API operation: parse its fields, make the call, shape every outcome as a reply.

The shapes are in `dashboard.api.replies`; every reply is scrubbed by the client
library's redaction (`dashboard.dingtalk.redact`) before it leaves.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from dashboard.api.auth import ApiPrincipal, bearer_token
from dashboard.api.fields import FieldError
from dashboard.api.operations import CallContext, Operation
from dashboard.api.replies import ApiReply, SendFailed, dingtalk_failure, failure
from dashboard.auth.permissions import OutOfScope
from dashboard.dingtalk.errors import DingTalkError, InvalidMessage
from dashboard.dingtalk.redact import scrub
from dashboard.services.dingtalk import (
    NoCompanySelected,
    NotConfigured,
    UnknownCompany,
    act_for_company,
    get_client,
)

log = logging.getLogger("dashboard.api")


def run_operation(op: Operation, payload: Mapping[str, Any], principal: ApiPrincipal) -> ApiReply:
    """Parse the fields, make the call, and turn every outcome into a reply."""
    corpid = payload.get("corpid")
    corpid = str(corpid).strip() if isinstance(corpid, str | int) and str(corpid).strip() else None
    act_for_company(corpid)  # the services behind sends and chats fetch their own client
    ctx = CallContext(principal=principal, client_factory=get_client)
    try:
        args = op.parse(payload)
        data = op.run(ctx, args)
    except FieldError as exc:
        reply = failure(400, exc.message)
    except OutOfScope as exc:  # a scoped token's send beyond its departments: nothing sent
        reply = failure(403, exc.message)
    except SendFailed as exc:
        reply = dingtalk_failure(exc.error, data=exc.data, note=exc.note)
    except DingTalkError as exc:
        reply = dingtalk_failure(exc, note=op.failure_note)
    except NoCompanySelected:
        reply = failure(400, _("corpid is required: name the authorised company to act for."))
    except UnknownCompany as exc:
        reply = failure(403, unknown_company_message(exc))
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
        reply = (
            data if isinstance(data, ApiReply) else ApiReply(200, {"success": True, "data": data})
        )
    log.info(
        "api %s by %s: %s",
        op.name,
        principal.name,
        reply.status,
        extra={"api_token": principal.name},
    )
    reply.body = scrub(reply.body, request_secrets(ctx))
    return reply


def unknown_company_message(exc: UnknownCompany) -> str:
    """The refusal of a corpid, with DingTalk's own answer when it was asked."""
    if exc.message:
        return _(
            "This company has not authorised the suite (DingTalk answered: %(message)s).",
            message=exc.message,
        )
    return _("This company has not authorised the suite.")


def request_secrets(ctx: CallContext) -> list[str | None]:
    """The secrets of this request beyond the registered ones: the bearer token, the access token."""
    values = [bearer_token()]
    if "client" in ctx.__dict__:
        client = ctx.client
        try:
            values.append(client.token_store.get(client.token_key))
        except Exception:  # noqa: BLE001 - a cache hiccup must not turn a reply into a 500
            log.debug("could not read the cached access token for scrubbing")
    return values
