"""Recipient group pages: list, new, edit, delete, and one group with whom it reaches now."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from dashboard.directory.snapshot import SnapshotBusy, get_snapshot
from dashboard.groups import bp, service
from dashboard.groups.forms import GroupForm
from dashboard.groups.service import GroupError
from dashboard.services.dingtalk import NoCompanySelected

#: People listed on a group's page (the count is always whole).
PEOPLE_SHOWN = 500


def _get(group_id: int):
    try:
        return service.get_group(group_id)
    except GroupError:
        abort(404)


@bp.route("/")
@login_required
def index():
    return render_template("groups/index.html", groups=service.list_groups())


@bp.route("/options.json")
@login_required
def options():
    """The groups for the recipient pickers: id, name, what they hold and whom they reach now.

    ``count`` is how many people a group reaches per the directory snapshot now
    (``null`` while the directory cannot be read: a state, said in ``problem``);
    ``label`` and ``strings`` are the picker's words in the UI language.
    """
    snapshot, problem = None, None
    try:
        snapshot = get_snapshot()
    except SnapshotBusy:
        problem = _("The directory is being read right now; reload in a moment.")
    except NoCompanySelected:
        problem = _("Choose a company in the switcher first.")
    rows = []
    for group in service.list_groups():
        row = service.group_summary(group)
        row["count"] = None
        if snapshot is not None:
            row["count"] = service.resolve_group(group, snapshot=snapshot).count
            row["label"] = ngettext("%(num)d person", "%(num)d people", row["count"])
        else:
            row["label"] = _("not known now")
        rows.append(row)
    return jsonify(
        groups=rows,
        problem=problem,
        strings={
            "group": _("Recipient group"),
            "remove": _("Remove group %(name)s", name="{name}"),
        },
    )


def _save(form: GroupForm, group):
    try:
        return service.save_group(
            group,
            name=form.name.data,
            description=form.description.data,
            userids=form.userid_list.data,
            dept_ids=form.dept_id_list.data,
            include_sub_departments=bool(form.include_sub_departments.data),
            user=current_user.username,
        )
    except (GroupError, ValueError) as exc:
        form.name.errors.append(str(exc))
        return None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = GroupForm()
    if form.validate_on_submit():
        group = _save(form, None)
        if group is not None:
            flash(_("Group “%(name)s” saved.", name=group.name), "success")
            return redirect(url_for(".show", group_id=group.id))
    return render_template("groups/edit.html", form=form, group=None)


@bp.route("/<int:group_id>/edit", methods=["GET", "POST"])
@login_required
def edit(group_id: int):
    group = _get(group_id)
    if request.method == "GET":
        form = GroupForm(
            data={
                "name": group.name,
                "description": group.description,
                "userid_list": "\n".join(group.userids or []),
                "dept_id_list": ", ".join(str(d) for d in group.dept_ids or []),
                "include_sub_departments": group.include_sub_departments,
            }
        )
    else:
        form = GroupForm()
    if request.method == "POST" and form.validate() and _save(form, group) is not None:
        flash(_("Group “%(name)s” saved.", name=group.name), "success")
        return redirect(url_for(".show", group_id=group.id))
    return render_template("groups/edit.html", form=form, group=group)


@bp.route("/<int:group_id>/delete", methods=["POST"])
@login_required
def delete(group_id: int):
    group = _get(group_id)
    name = group.name
    service.delete_group(group, user=current_user.username)
    flash(_("Group “%(name)s” deleted; its history is kept.", name=name), "success")
    return redirect(url_for(".index"))


@bp.route("/<int:group_id>")
@login_required
def show(group_id: int):
    """Whom the group reaches now (from the directory snapshot), how many, and its history."""
    group = _get(group_id)
    resolved, snapshot, problem = None, None, None
    try:
        snapshot = get_snapshot()
        resolved = service.resolve_group(group, snapshot=snapshot)
    except SnapshotBusy:
        problem = _("The directory is being read right now; reload in a moment.")
    except NoCompanySelected:
        problem = _("Choose a company in the switcher first.")
    people = []
    if resolved is not None:
        for userid in resolved.people[:PEOPLE_SHOWN]:
            user = snapshot.users.get(userid)
            people.append((userid, user.name if user else userid))
    return render_template(
        "groups/show.html",
        group=group,
        resolved=resolved,
        snapshot=snapshot,
        people=people,
        problem=problem,
        revisions=service.revisions(group.id),
        shown=PEOPLE_SHOWN,
    )
