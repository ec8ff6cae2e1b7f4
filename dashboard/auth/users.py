"""The users page (owners and admins): add a person, change role and departments, disable,
reset the password. Every change ends the person's sessions and is written to the audit."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from dashboard.audit import record
from dashboard.auth.forms import ROLE_NAMES, ConfirmForm, UserForm
from dashboard.auth.models import ROLE_OWNER, User, find_user, normalise_scope
from dashboard.auth.permissions import grantable_roles, may_manage
from dashboard.directory.names import warm_names
from dashboard.extensions import db

bp = Blueprint("users", __name__, cli_group=None)


@bp.context_processor
def labels():
    return {"role_names": ROLE_NAMES}


@bp.route("/")
@login_required
def index():
    users = db.session.execute(db.select(User).order_by(User.username)).scalars().all()
    if any(u.dept_scope for u in users):
        warm_names()  # department names, not bare ids
    return render_template(
        "users/index.html", users=users, may_manage=may_manage, confirm_form=ConfirmForm()
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = UserForm(roles=grantable_roles(current_user))
    if request.method == "GET":
        form.role.data = "viewer"
    if form.validate_on_submit():
        if find_user(form.username.data.strip()) is not None:
            form.username.errors.append(_("There is already a user of this name."))
        elif not form.password.data:
            form.password.errors.append(_("A new user needs a password."))
        else:
            user = User(
                username=form.username.data.strip(),
                role=form.role.data,
                dept_scope=normalise_scope(form.dept_scope.data),
                dingtalk_userid=(form.dingtalk_userid.data or "").strip() or None,
                disabled=bool(form.disabled.data),
            )
            user.set_password(form.password.data)
            db.session.add(user)
            db.session.commit()
            record("user.create", object_type="user", object_id=user.id, detail=_describe(user))
            flash(_("User %(name)s added.", name=user.username), "success")
            return redirect(url_for(".index"))
    status = 400 if form.errors else 200
    return render_template("users/edit.html", form=form, user=None), status


def _describe(user: User) -> dict:
    return {
        "username": user.username,
        "role": user.role,
        "dept_scope": user.dept_scope,
        "dingtalk_userid": user.dingtalk_userid,
        "disabled": user.disabled,
    }


def _managed(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not may_manage(current_user, user):
        from dashboard.auth.permissions import forbid

        forbid("users.edit", _("Only owners change owners."))
    return user


def _last_owner(user: User) -> bool:
    owners = db.session.execute(
        db.select(db.func.count())
        .select_from(User)
        .where(User.role == ROLE_OWNER, User.disabled.is_(False))
    ).scalar_one()
    return user.role == ROLE_OWNER and not user.disabled and owners <= 1


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit(user_id: int):
    user = _managed(user_id)
    form = UserForm(obj=user, roles=grantable_roles(current_user))
    if form.validate_on_submit():
        error = _refusal(user, form)
        if error:
            form.form_errors.append(error)
        else:
            before = _describe(user)
            user.username = form.username.data.strip()
            user.role = form.role.data
            user.dept_scope = normalise_scope(form.dept_scope.data)
            user.dingtalk_userid = (form.dingtalk_userid.data or "").strip() or None
            user.disabled = bool(form.disabled.data)
            password_changed = bool(form.password.data)
            if password_changed:
                user.set_password(form.password.data)
            after = _describe(user)
            ends = password_changed or any(
                before[k] != after[k] for k in ("role", "dept_scope", "disabled")
            )
            if ends:
                user.end_sessions()
            db.session.commit()
            changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
            action = "user.update"
            if before["disabled"] != after["disabled"]:
                action = "user.disable" if after["disabled"] else "user.enable"
            elif password_changed and not changes:
                action = "user.password"
            record(action, object_type="user", object_id=user.id,
                   detail={"changes": changes, "password_changed": password_changed,
                           "sessions_ended": ends})  # fmt: skip
            flash(_("User %(name)s saved.", name=user.username), "success")
            if user.id == current_user.id and ends:
                return redirect(url_for("auth.login"))
            return redirect(url_for(".index"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("users/edit.html", form=form, user=user), status


def _refusal(user: User, form: UserForm) -> str | None:
    name = form.username.data.strip()
    if name != user.username and find_user(name) is not None:
        return _("There is already a user of this name.")
    demoted = form.role.data != ROLE_OWNER or bool(form.disabled.data)
    if _last_owner(user) and demoted:
        return _("This is the last owner: make someone else an owner first.")
    if user.id == current_user.id and form.disabled.data:
        return _("You cannot disable yourself.")
    return None


@bp.route("/<int:user_id>/end-sessions", methods=["POST"])
@login_required
def end_sessions(user_id: int):
    user = _managed(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user.end_sessions()
    db.session.commit()
    record("user.sessions_ended", object_type="user", object_id=user.id)
    flash(_("%(name)s is signed out on every device.", name=user.username), "success")
    return redirect(url_for(".index"))
