"""The organisation: overview, department tree, departments, people, unionid lookup, search."""

from __future__ import annotations

import re

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from dashboard.composer.recipients import parse_userids
from dashboard.dingtalk.errors import InvalidRequest, NotFound
from dashboard.directory import bp, service
from dashboard.directory.forms import RefreshForm, SearchForm, UnionidLookupForm
from dashboard.directory.names import ui_locale
from dashboard.directory.snapshot import (
    MAX_QUERY_LENGTH,
    SnapshotBusy,
    get_snapshot,
    refresh_snapshot,
)
from dashboard.services.dingtalk import NoCompanySelected

SEARCH_TYPES = ("users", "depts")
SEARCH_LIMIT_MAX = 50
USERID_PATTERN = re.compile(r"^[\w.@+\-]{1,64}$")
NUMBER = re.compile(r"[0-9]{1,18}")  # ASCII digits: "²" is a digit to str.isdigit, not to int()


def _no_company():
    """ISV mode and no company chosen: the pickers' JSON says so (picker.js reads `state`)."""
    return jsonify(state="no_company", error=_("Choose a company in the switcher first.")), 409


def _not_found(message: str):
    return render_template("errors/error.html", code=404, message=message), 404


def _out_of_scope(kind: str, ident):
    """A department or person the app may not read: a state to show, not an error."""
    return render_template("directory/out_of_scope.html", kind=kind, ident=ident)


@bp.route("/org/")
@login_required
def overview():
    form = SearchForm(request.args)
    results = None
    if "q" in request.args and form.validate():
        snapshot = get_snapshot()
        results = (
            snapshot.search(form.q.data, limit=SEARCH_LIMIT_MAX, locale=ui_locale())
            if snapshot
            else []
        )
    return render_template(
        "directory/overview.html",
        data=service.read_overview(),
        form=form,
        results=results,
        refresh_form=RefreshForm(),
    )


@bp.post("/org/refresh")
@login_required
def refresh():
    if not getattr(current_user, "is_admin", False):
        abort(403)
    form = RefreshForm()
    if form.validate_on_submit():
        try:
            snapshot = refresh_snapshot()
        except SnapshotBusy:
            flash(
                _("A refresh is already running. The new snapshot will be ready shortly."),
                "warning",
            )
        else:
            flash(
                _(
                    "Snapshot refreshed: %(people)d people in %(depts)d departments.",
                    people=len(snapshot.users),
                    depts=len(snapshot.departments),
                ),
                "success",
            )
    return redirect(url_for("directory.overview"))


@bp.route("/departments/")
@login_required
def departments():
    snapshot = get_snapshot()  # first, so the tree shows head counts
    return render_template("directory/tree.html", top=service.tree_top(), snapshot=snapshot)


@bp.route("/departments/<int64:dept_id>/children")
@login_required
def department_children(dept_id: int):
    """The sub-departments of a department: the HTML fragment tree.js puts under its node."""
    try:
        nodes = service.tree_children(dept_id)
    except service.OutOfScope:
        return render_template("directory/_tree_children.html", out_of_scope=True)
    except NotFound:
        return render_template("directory/_tree_children.html", missing=True), 404
    return render_template("directory/_tree_children.html", nodes=nodes)


@bp.route("/departments/<int64:dept_id>")
@login_required
def department(dept_id: int):
    try:
        page = service.read_department(dept_id, request.args.get("page", 1, type=int))
    except NotFound:
        return _not_found(_("There is no department %(id)s.", id=dept_id))
    except service.OutOfScope:
        return _out_of_scope("dept", dept_id)
    return render_template(
        "directory/department.html", dept_id=dept_id, d=page, snapshot=get_snapshot()
    )


@bp.route("/users/lookup")
@login_required
def user_lookup():
    form = UnionidLookupForm(request.args)
    result = None
    if "unionid" in request.args and form.validate():
        try:
            result = service.lookup_unionid(form.unionid.data)
            if result is None:
                form.unionid.errors.append(_("No one in this organisation has this unionid."))
            else:
                get_snapshot()
        except InvalidRequest:
            form.unionid.errors.append(_("DingTalk does not accept this unionid."))
        except service.OutOfScope:
            form.unionid.errors.append(_("This person is outside this app's contact scope."))
    return render_template("directory/lookup.html", form=form, result=result)


@bp.route("/users/<userid>")
@login_required
def user(userid: str):
    if not USERID_PATTERN.match(userid):
        return _not_found(_("There is no user %(id)s.", id=userid))
    try:
        page = service.read_user(userid)
    except NotFound:
        return _not_found(_("There is no user %(id)s.", id=userid))
    except service.OutOfScope:
        return _out_of_scope("user", userid)
    return render_template("directory/user.html", userid=userid, u=page, snapshot=get_snapshot())


@bp.route("/directory/search")
@login_required
def search():
    """Search the snapshot: JSON rows for the pickers and the search box."""
    query = request.args.get("q", "")
    types = [
        t.strip() for t in request.args.get("types", ",".join(SEARCH_TYPES)).split(",") if t.strip()
    ]
    limit_text = request.args.get("limit", "20").strip()
    limit = int(limit_text) if NUMBER.fullmatch(limit_text) else None
    if len(query) > MAX_QUERY_LENGTH:
        return jsonify(
            error=_(
                "The search text is too long (at most %(max)d characters).", max=MAX_QUERY_LENGTH
            )
        ), 400
    if not types or any(t not in SEARCH_TYPES for t in types):
        return jsonify(error=_("types must be users, depts or both.")), 400
    if limit is None or not 1 <= limit <= SEARCH_LIMIT_MAX:
        return jsonify(
            error=_("limit must be a number from 1 to %(max)d.", max=SEARCH_LIMIT_MAX)
        ), 400
    if not query.strip():
        return jsonify([])
    try:
        snapshot = get_snapshot()
    except NoCompanySelected:
        return _no_company()
    if not snapshot:
        return jsonify([])
    return jsonify(snapshot.search(query, types=types, limit=limit, locale=ui_locale()))


@bp.route("/directory/names")
@login_required
def names():
    """Names of userids and department ids from the snapshot (the pickers' initial chips)."""
    try:
        snapshot = get_snapshot()
    except NoCompanySelected:
        return _no_company()
    users = parse_userids(request.args.get("users", ""))[:500]
    depts = [d for d in parse_userids(request.args.get("depts", "")) if NUMBER.fullmatch(d)]
    return jsonify(
        users={u: snapshot.user_name(u) for u in users if snapshot and snapshot.user_name(u)},
        depts={
            d: snapshot.dept_name(int(d), ui_locale())
            for d in depts[:500]
            if snapshot and snapshot.dept_name(int(d))
        },
    )
