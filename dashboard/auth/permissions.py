"""Who may do what: one table of rules keyed by endpoint, enforced in one place.

Every request of the console passes :func:`authorize` (an app-level ``before_request``),
which looks its endpoint up in :data:`ENDPOINT_RULES`, else in the defaults of its
blueprint and HTTP method (:data:`BLUEPRINT_DEFAULTS`), else refuses everyone but
owners: an endpoint nobody has thought about fails closed. Views of the other areas
carry no decorators of their own beyond ``@login_required``.

The JSON API's operations get their role from :func:`operation_role` (the operation's
scope, or :data:`OPERATION_ROLES`), checked by the API view for the token's role.

A sender (or token) limited to departments may send only to people in those departments
and their sub-departments, resolved from the directory snapshot at send time
(:func:`check_send_scope`, called by the notifications service before anything is
recorded or sent), and follows only the sends it made or that stay inside its scope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import abort, g, has_request_context, request
from flask_babel import gettext as _
from flask_login import current_user

from dashboard.auth.models import (
    RANK,
    ROLE_ADMIN,
    ROLE_OWNER,
    ROLE_SENDER,
    ROLE_VIEWER,
    ROLES,
    role_rank,
)

#: Endpoints open to anyone (sign-in, assets, probes, DingTalk's pushes, the language
#: switch, the JSON API which checks its bearer token itself, its public description).
PUBLIC = "public"


@dataclass(frozen=True)
class Rule:
    """The least role an endpoint needs, and an optional check of the object it touches."""

    role: str
    check: Callable[[Any, dict[str, Any]], bool] | None = None

    def allows(self, actor, view_args: dict[str, Any] | None = None) -> bool:
        if self.role == PUBLIC:
            return True
        if actor is None or role_rank(getattr(actor, "role", None)) < RANK[self.role]:
            return False
        return self.check is None or self.check(actor, view_args or {})


def may_act_on(owner_name: str | None, actor=None) -> bool:
    """Whether the actor may change what ``owner_name`` made (a send, a schedule):
    admins and owners act on everything, senders (people or tokens) on their own."""
    actor = current_actor() if actor is None else actor
    if actor is None:
        return False
    if role_rank(getattr(actor, "role", None)) >= RANK[ROLE_ADMIN]:
        return True
    return owner_name is not None and owner_name == getattr(actor, "username", None)


def _own_send(actor, view_args: dict[str, Any]) -> bool:
    """Senders act on their own sends only; admins and owners on every send."""
    send = _send_of(view_args)
    return send is None or may_act_on(send.sender, actor)


def _own_schedule(actor, view_args: dict[str, Any]) -> bool:
    """Senders edit, pause, resume, run and delete their own schedules; admins and owners all."""
    from dashboard.extensions import db
    from dashboard.schedules.models import Schedule

    schedule_id = view_args.get("schedule_id")
    schedule = db.session.get(Schedule, schedule_id) if schedule_id is not None else None
    return schedule is None or may_act_on(schedule.created_by, actor)


def _visible_send(actor, view_args: dict[str, Any]) -> bool:
    send = _send_of(view_args)
    return send is None or send_visible(send, actor)


def _send_of(view_args: dict[str, Any]):
    from dashboard.extensions import db
    from dashboard.notifications.models import Send

    send_id = view_args.get("send_id")
    return db.session.get(Send, send_id) if send_id is not None else None


#: Rules of single endpoints, beyond their blueprint's defaults.
ENDPOINT_RULES: dict[str, Rule] = {
    "static": Rule(PUBLIC),
    "auth.login": Rule(PUBLIC),
    "auth.dingtalk_login": Rule(PUBLIC),
    "auth.dingtalk_callback": Rule(PUBLIC),
    "auth.logout": Rule(ROLE_VIEWER),
    "ops.healthz": Rule(PUBLIC),
    "ops.readyz": Rule(PUBLIC),
    "main.set_language": Rule(PUBLIC),
    "isv.callback": Rule(PUBLIC),
    "cards.callback": Rule(PUBLIC),  # DingTalk posts card presses, signed (checked in the view)
    # every signed-in person acts for a company they choose (a sender needs one to send)
    "isv.select": Rule(ROLE_VIEWER),
    "api.dingtalkserve": Rule(PUBLIC),  # bearer token; the operation's role in the view
    "api.openapi": Rule(PUBLIC),
    "api.docs": Rule(ROLE_VIEWER),
    "directory.refresh": Rule(ROLE_ADMIN),
    # a card of a send: updated by those who may act on the send
    "cards.update": Rule(ROLE_SENDER, _own_send),
    # following a send: a scoped person follows only the sends they may see
    "notifications.detail": Rule(ROLE_VIEWER, _visible_send),
    "notifications.status": Rule(ROLE_VIEWER, _visible_send),
    "notifications.result": Rule(ROLE_VIEWER, _visible_send),
    "notifications.resend_unknown": Rule(ROLE_SENDER, _visible_send),
    # acting on a send: a sender's own sends only
    "notifications.cancel": Rule(ROLE_SENDER, _own_send),
    "notifications.pause": Rule(ROLE_SENDER, _own_send),
    "notifications.resume": Rule(ROLE_SENDER, _own_send),
    "notifications.recall": Rule(ROLE_SENDER, _own_send),
    # changing a schedule: a sender's own schedules only (reading them stays open)
    "schedules.edit": Rule(ROLE_SENDER, _own_schedule),
    "schedules.pause": Rule(ROLE_SENDER, _own_schedule),
    "schedules.resume": Rule(ROLE_SENDER, _own_schedule),
    "schedules.run_now": Rule(ROLE_SENDER, _own_schedule),
    "schedules.delete": Rule(ROLE_SENDER, _own_schedule),
}

#: Areas where people send: reading is for viewers, every change for senders.
SENDING_AREAS = ("notifications", "chats", "schedules", "msgtemplates", "groups", "robot", "cards")
#: Areas of the people who run the console: admins (and owners) only, reading too.
ADMIN_AREAS = ("api", "isv", "users", "audit", "settings", "events")
#: Areas every signed-in person may use.
READING_AREAS = ("main", "auth", "directory", "ops")

#: Blueprint -> (role for GET/HEAD, role for every other method).
BLUEPRINT_DEFAULTS: dict[str, tuple[str, str]] = {
    **{name: (ROLE_VIEWER, ROLE_SENDER) for name in SENDING_AREAS},
    **{name: (ROLE_ADMIN, ROLE_ADMIN) for name in ADMIN_AREAS},
    **{name: (ROLE_VIEWER, ROLE_VIEWER) for name in READING_AREAS},
}
#: What nobody has written a rule for: owners only.
FAIL_CLOSED = Rule(ROLE_OWNER)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def rule_for(endpoint: str | None, method: str = "GET") -> Rule:
    """The rule of an endpoint and method: explicit, by blueprint, else owners only."""
    if not endpoint:
        return FAIL_CLOSED
    if endpoint in ENDPOINT_RULES:
        return ENDPOINT_RULES[endpoint]
    blueprint = endpoint.rpartition(".")[0]
    defaults = BLUEPRINT_DEFAULTS.get(blueprint)
    if defaults is None:
        return FAIL_CLOSED
    return Rule(defaults[0] if method.upper() in READ_METHODS else defaults[1])


def has_rule(endpoint: str, method: str = "GET") -> bool:
    """Whether an endpoint is named by the table (explicitly or by its blueprint)."""
    return rule_for(endpoint, method) is not FAIL_CLOSED


def can(endpoint: str, method: str = "GET", actor=None, **view_args) -> bool:
    """Whether the actor (default: the signed-in user) may use the endpoint: for menus."""
    actor = current_actor() if actor is None else actor
    return rule_for(endpoint, method).allows(actor, view_args)


def roles_allowed(endpoint: str, method: str = "GET") -> tuple[str, ...]:
    rule = rule_for(endpoint, method)
    if rule.role == PUBLIC:
        return ROLES
    return tuple(r for r in ROLES if RANK[r] >= RANK[rule.role])


# --- the current actor -------------------------------------------------------------------


def current_actor():
    """Who acts in this request: the API token's principal, else the signed-in user, else None."""
    if not has_request_context():
        return None
    principal = g.get("api_principal")
    if principal is not None:
        return principal
    if current_user and current_user.is_authenticated:
        return current_user
    return None


def actor_scope(actor=None) -> tuple[int, ...]:
    actor = current_actor() if actor is None else actor
    if actor is None:
        return ()
    return tuple(getattr(actor, "dept_scope", None) or ())


# --- the one check of every request --------------------------------------------------------


def authorize():
    """``before_request``: refuse what the table does not allow (403, written to the audit)."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no route: the 404/405 handlers answer
    rule = rule_for(endpoint, request.method)
    if rule.role == PUBLIC:
        return None
    if not current_user.is_authenticated:
        from dashboard.extensions import login_manager

        return login_manager.unauthorized()
    if not rule.allows(current_user, request.view_args or {}):
        if role_rank(current_user.role) < RANK[rule.role]:
            forbid(endpoint, needed=rule.role)
        forbid(endpoint, _("This belongs to someone else: you may not do this to it."))
    return None


def forbid(what: str, message: str | None = None, *, needed: str | None = None):
    """Record the forbidden attempt and answer 403 (a page, or the API's JSON)."""
    from dashboard.auth.forms import ROLE_NAMES

    actor = current_actor()
    if message is None and needed is not None:
        message = _(
            "Your role (%(role)s) may not do this; it needs %(needed)s.",
            role=ROLE_NAMES.get(getattr(actor, "role", ""), "-"),
            needed=ROLE_NAMES[needed],
        )
    abort(forbidden_response(what, message))


def forbidden_response(what: str, message):
    """The forbidden attempt recorded, and its 403 (a page, or the API's JSON)."""
    from flask import jsonify, make_response, render_template

    from dashboard.audit import record

    message = message or _("You are not allowed to do that.")
    record("forbidden", object_type="endpoint", object_id=what, outcome="denied",
           detail={"method": request.method, "path": request.path, "message": str(message)})  # fmt: skip
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        response = jsonify(success=False, msg=str(message))
    else:
        response = render_template("errors/error.html", code=403, message=message)
    return make_response(response, 403)


# --- the API -------------------------------------------------------------------------------

#: Operations whose role is more than their scope says (reads of admin areas).
OPERATION_ROLES: dict[str, str] = {"auditList": ROLE_ADMIN}
SCOPE_ROLES = {"read": ROLE_VIEWER, "send": ROLE_SENDER, "admin": ROLE_ADMIN}


def operation_role(op) -> str:
    """The least role of an API operation: named, or by its scope; owners only otherwise."""
    if op.name in OPERATION_ROLES:
        return OPERATION_ROLES[op.name]
    return SCOPE_ROLES.get(op.scope, ROLE_OWNER)


def operation_allowed(principal, op) -> bool:
    return role_rank(principal.role) >= RANK[operation_role(op)]


# --- roles one may hand out ------------------------------------------------------------------


def grantable_roles(actor) -> tuple[str, ...]:
    """Roles the actor may give a user or token: up to its own (owners only make owners)."""
    rank = role_rank(getattr(actor, "role", None))
    return tuple(r for r in ROLES if RANK[r] <= rank)


def may_manage(actor, user) -> bool:
    """Admins manage everyone but owners; owners manage everyone."""
    if role_rank(actor.role) < RANK[ROLE_ADMIN]:
        return False
    return actor.role == ROLE_OWNER or user.role != ROLE_OWNER


def scope_within(scope: Iterable[int] | None, limit: Iterable[int] | None, snapshot=None) -> bool:
    """Whether a department scope stays inside another (None/empty: the whole company)."""
    limit = tuple(limit or ())
    if not limit:
        return True
    scope = tuple(scope or ())
    if not scope:
        return False
    return all(_dept_inside(d, limit, snapshot) for d in scope)


def _dept_inside(dept_id: int, scope: tuple[int, ...], snapshot) -> bool:
    if dept_id in scope:
        return True
    if snapshot is None:
        return False
    return any(d in scope for d in snapshot.path(dept_id))


# --- sending within a scope ----------------------------------------------------------------


class OutOfScope(ValueError):
    """Recipients outside the sender's departments: nothing is recorded or sent."""

    def __init__(self, userids: list[str], dept_ids: list[int], to_all_user: bool):
        self.userids, self.dept_ids, self.to_all_user = userids, dept_ids, to_all_user
        super().__init__(self.message)

    @property
    def message(self) -> str:
        from dashboard.directory.names import display_dept, display_user

        parts = [display_user(u) for u in self.userids[:20]]
        parts += [display_dept(d) for d in self.dept_ids[:20]]
        if self.to_all_user:
            parts.append(_("everyone in the company"))
        more = len(self.userids) + len(self.dept_ids) - min(len(self.userids), 20)
        more -= min(len(self.dept_ids), 20)
        text = _(
            "You may send only to people in your departments; outside them: %(names)s",
            names="、".join(str(p) for p in parts),
        )
        if more > 0:
            text += " " + _("(and %(count)d more)", count=more)
        return text


def outside_scope(
    scope: Iterable[int], userids: Iterable[str], dept_ids: Iterable[int], to_all_user: bool
) -> tuple[list[str], list[int], bool]:
    """The recipients outside a department scope, resolved from the directory snapshot."""
    from dashboard.directory.snapshot import get_snapshot

    scope = tuple(scope)
    snapshot = get_snapshot()
    depts_out = [d for d in dept_ids if not _dept_inside(int(d), scope, snapshot)]
    users_out = []
    for userid in userids:
        person = snapshot.users.get(userid) if snapshot is not None else None
        if person is None or not any(_dept_inside(d, scope, snapshot) for d in person.departments):
            users_out.append(userid)
    root_in_scope = snapshot is not None and any(
        d in scope for d in snapshot.departments if snapshot.departments[d].parentid is None
    )
    return users_out, depts_out, bool(to_all_user) and not (root_in_scope or 1 in scope)


def check_send_scope(userids: list[str], dept_ids: list[int], to_all_user: bool) -> None:
    """Refuse a send to anyone outside the current actor's departments (no-op when unscoped).

    Called by the notifications service before a send is recorded, so a refused send
    reaches no DingTalk send call.
    """
    scope = actor_scope()
    if not scope:
        return
    users_out, depts_out, all_out = outside_scope(scope, userids, dept_ids, to_all_user)
    if users_out or depts_out or all_out:
        raise OutOfScope(users_out, depts_out, all_out)


class NotYours(OutOfScope):
    """Acting on a send or schedule someone else made (a sender's own only): refused, 403."""

    def __init__(self, what: str = "send"):
        self.userids, self.dept_ids, self.to_all_user = [], [], False
        self.what = what
        ValueError.__init__(self, self.message)

    @property
    def message(self) -> str:
        return str(_("This belongs to someone else: you may not do this to it."))


def check_own(owner_name: str | None, what: str = "send") -> None:
    """Refuse (NotYours) unless the current actor may act on what ``owner_name`` made.

    For the paths the endpoint table cannot see: the JSON API's recall and card update."""
    if not may_act_on(owner_name):
        raise NotYours(what)


class GroupOutOfScope(OutOfScope):
    """A scoped sender posting in a group chat whose members are not all inside the scope."""

    def __init__(self, userids: list[str] | None = None):
        self.userids, self.dept_ids, self.to_all_user = list(userids or []), [], False
        ValueError.__init__(self, self.message)

    @property
    def message(self) -> str:
        if not self.userids:
            return str(
                _(
                    "You may send only to people in your departments: this group was not "
                    "created in the console, so its members are unknown."
                )
            )
        return OutOfScope.message.fget(self)


def check_group_scope(*, chatid: str | None = None, open_conversation_id: str | None = None):
    """Refuse a group message of a scoped actor unless every member is inside its scope.

    A group's members are known only for the chats the console created (``Chat``, as
    they were created); any other group (one the robot was added to, a chat made
    elsewhere) is refused to a scoped sender. Unscoped: no-op. No DingTalk call."""
    scope = actor_scope()
    if not scope:
        return
    from dashboard.chats.models import Chat
    from dashboard.extensions import db

    query = db.select(Chat)
    if chatid:
        query = query.where(Chat.chatid == chatid)
    elif open_conversation_id:
        query = query.where(Chat.open_conversation_id == open_conversation_id)
    else:
        raise GroupOutOfScope()
    chat = db.session.execute(query.limit(1)).scalar_one_or_none()
    if chat is None or not chat.members:
        raise GroupOutOfScope()
    users_out, _depts, _all = outside_scope(scope, list(chat.members), [], False)
    if users_out:
        raise GroupOutOfScope(users_out)


def send_visible(send, actor=None) -> bool:
    """Whether the actor may follow a send: unscoped, their own, or inside their scope."""
    actor = current_actor() if actor is None else actor
    scope = actor_scope(actor)
    if not scope or send.sender == getattr(actor, "username", getattr(actor, "name", None)):
        return True
    userids = [u for u in (send.userid_list or "").split(",") if u]
    dept_ids = [int(d) for d in (send.dept_id_list or "").split(",") if d.strip().isdigit()]
    users_out, depts_out, all_out = outside_scope(scope, userids, dept_ids, send.to_all_user)
    return not (users_out or depts_out or all_out)


def visible_sends(query, sender_column):
    """Narrow a query of sends to what the current actor may follow (its own, when scoped)."""
    actor = current_actor()
    if not actor_scope(actor):
        return query
    return query.where(sender_column == getattr(actor, "username", getattr(actor, "name", "")))


def init_app(app) -> None:
    app.before_request(authorize)

    @app.errorhandler(OutOfScope)
    def out_of_scope(exc: OutOfScope):
        from flask import jsonify, render_template

        from dashboard.audit import record

        if isinstance(exc, NotYours):
            return forbidden_response(request.endpoint or "-", exc.message)
        record("send.refused", object_type="endpoint", object_id=request.endpoint,
               outcome="denied", detail=exc.message)  # fmt: skip
        if request.path.startswith("/api/"):
            return jsonify(success=False, msg=exc.message), 403
        return render_template("errors/error.html", code=403, message=exc.message), 403

    @app.context_processor
    def permission_helpers():
        from dashboard.auth.forms import ROLE_NAMES

        return {"can": can, "role_name": lambda role: str(ROLE_NAMES.get(role, role))}
