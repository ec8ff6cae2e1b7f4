"""The JSON API (`POST /api/dingtalkserve/<operation>`), its description, and API tokens."""

from __future__ import annotations

import json
import time
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from dashboard.api import bp
from dashboard.api.auth import (
    authenticate,
    create_token,
    list_tokens,
    rate_limit_key,
    rate_limit_value,
    revoke_token,
)
from dashboard.api.forms import RevokeForm, TokenForm
from dashboard.api.openapi import PLACEHOLDER_TOKEN, build_openapi, curl_example
from dashboard.api.operations import OPERATION_LIST, OPERATIONS
from dashboard.api.service import run_operation
from dashboard.audit import record
from dashboard.auth import permissions
from dashboard.extensions import csrf, limiter

#: The shell variable the curl examples read the token from (``$DINGTALK_API_TOKEN``).
TOKEN_VARIABLE = PLACEHOLDER_TOKEN.lstrip("$")


def json_reply(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None):
    """JSON with Chinese kept readable (UTF-8, not \\u escapes), like the original service."""
    text = json.dumps(body, ensure_ascii=False)
    return Response(text, status=status, headers=headers or {}, mimetype="application/json")


def rate_limited(limit) -> Response:
    retry_after = max(1, int(limit.reset_at - time.time()))
    return json_reply(
        {"success": False, "msg": _("Too many requests. Please wait a moment and try again.")},
        429,
        {"Retry-After": str(retry_after)},
    )


#: Largest request body the API reads. A msg is at most 2 KB; the rest is id lists: a send
#: to 100,000 userids is about 1.2 MB, so 8 MiB leaves room for sends of several hundred
#: thousand people while still refusing absurd bodies before they are read.
MAX_BODY_BYTES = 8 * 1024 * 1024


def request_payload() -> dict[str, Any] | None:
    """The body as a dict: JSON, or form fields; None if unreadable.

    A repeated form field becomes a list, and so does `name[]` (how jQuery and
    qs-style front ends of the original service send arrays).
    """
    configured = current_app.config.get("MAX_CONTENT_LENGTH")
    # larger bodies get a JSON 413 before they are read
    request.max_content_length = min(MAX_BODY_BYTES, configured or MAX_BODY_BYTES)
    if request.form:
        fields: dict[str, list[str]] = {}
        for key, values in request.form.lists():
            name = key[:-2] if key.endswith("[]") and len(key) > 2 else key
            fields.setdefault(name, []).extend(values)
        return {
            key: values[0] if len(values) == 1 and key + "[]" not in request.form else values
            for key, values in fields.items()
        }
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return None
    return data if isinstance(data, dict) else None


@bp.route("/dingtalkserve/<operation>", methods=["POST"])
@bp.route("/dingtalkserve/<operation>/", methods=["POST"])  # Koa's router ignores a trailing slash
@limiter.limit(rate_limit_value, key_func=rate_limit_key, on_breach=rate_limited)
def dingtalkserve(operation: str):
    principal = authenticate()
    if principal is None:
        return json_reply(
            {
                "success": False,
                "msg": _("A valid API token is required (Authorization: Bearer <token>)."),
            },
            401,
            {"WWW-Authenticate": 'Bearer realm="api"'},
        )
    g.api_principal = principal  # the actor of this request (permissions, audit)
    op = OPERATIONS.get(operation)
    if op is None:
        return json_reply(
            {"success": False, "msg": _("Unknown operation %(name)s.", name=operation)}, 404
        )
    if not permissions.operation_allowed(principal, op):
        if op.sends and not principal.may_send:
            msg = _("This API token is read-only; %(name)s sends.", name=op.name)
        else:
            msg = _(
                "This API token's role (%(role)s) may not call %(name)s.",
                role=principal.role,
                name=op.name,
            )
        return json_reply({"success": False, "msg": msg}, 403)
    payload = request_payload()
    if payload is None:
        return json_reply(
            {"success": False, "msg": _("The body must be a JSON object or form fields.")}, 400
        )
    reply = run_operation(op, payload, principal)
    return json_reply(reply.body, reply.status, reply.headers)


csrf.exempt(dingtalkserve)


@bp.route("/openapi.json")
def openapi():
    with force_locale("en"):
        return json_reply(build_openapi(request.host_url.rstrip("/")))


@bp.route("/docs")
@login_required
def docs():
    base_url = request.host_url.rstrip("/")
    examples = {op.name: curl_example(op, base_url) for op in OPERATION_LIST}
    return render_template(
        "api/docs.html", operations=OPERATION_LIST, examples=examples, token_variable=TOKEN_VARIABLE
    )


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm.for_creator(current_user)
    if form.validate_on_submit():
        token, raw = create_token(
            name=form.name.data,
            role=form.token_role(),
            dept_scope=form.dept_scope_ids,
            created_by=current_user.username,
        )
        record(
            "token.create",
            object_type="token",
            object_id=token.id,
            detail={"name": token.name, "role": token.role, "dept_scope": token.dept_scope},
        )
        # Rendered, not redirected: the raw token is shown once and kept nowhere, not even in the session.
        page = render_template(
            "api/token_created.html", token=token, raw_token=raw, token_variable=TOKEN_VARIABLE
        )
        return Response(page, headers={"Cache-Control": "no-store"})
    status = 400 if form.errors else 200
    return render_template(
        "api/tokens.html", form=form, tokens=list_tokens(), revoke_form=RevokeForm()
    ), status


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    if not RevokeForm().validate_on_submit():
        abort(400)
    token = revoke_token(token_id)
    if token is None:
        abort(404)
    flash(_("Token %(name)s revoked; scripts using it now get 401.", name=token.name), "success")
    return redirect(url_for("api.tokens"))
