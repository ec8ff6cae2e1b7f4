"""Templates pages: list, new, edit, duplicate, delete, and one template with its preview and history."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from dashboard.composer.preview import pretty_json
from dashboard.extensions import db
from dashboard.msgtemplates import bp, service
from dashboard.msgtemplates.forms import TemplateForm
from dashboard.msgtemplates.models import MessageTemplate
from dashboard.msgtemplates.sends import client_rate
from dashboard.msgtemplates.service import TemplateError

REVISION_LABELS = {
    "created": _l("Created"),
    "updated": _l("Changed"),
    "duplicated": _l("Copied"),
    "deleted": _l("Deleted"),
}


def _get(template_id: int) -> MessageTemplate:
    template = db.session.get(MessageTemplate, template_id)
    if template is None:
        abort(404)
    return template


def param_values(args) -> dict[str, str]:
    """Placeholder values of a form or query string: fields named ``param.<name>``."""
    return {k.removeprefix("param."): v for k, v in args.items() if k.startswith("param.")}


@bp.route("/")
@login_required
def index():
    return render_template("msgtemplates/index.html", templates=service.list_templates())


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            template = service.create_template(
                name=form.name.data,
                description=form.description.data,
                fields=form.message_fields(),
                user=current_user.username,
            )
        except TemplateError as exc:
            form.name.errors.append(str(exc))
        else:
            flash(_("Template “%(name)s” saved.", name=template.name), "success")
            return redirect(url_for(".show", template_id=template.id))
    return render_template("msgtemplates/edit.html", form=form, template=None)


@bp.route("/<int:template_id>/edit", methods=["GET", "POST"])
@login_required
def edit(template_id: int):
    template = _get(template_id)
    if request.method == "GET":
        form = TemplateForm(
            data={**template.fields, "name": template.name, "description": template.description}
        )
    else:
        form = TemplateForm()
    if request.method == "POST" and form.validate():
        try:
            changed = service.update_template(
                template,
                name=form.name.data,
                description=form.description.data,
                fields=form.message_fields(),
                user=current_user.username,
            )
        except TemplateError as exc:
            form.name.errors.append(str(exc))
        else:
            if changed:
                flash(_("Template “%(name)s” saved.", name=template.name), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for(".show", template_id=template.id))
    return render_template("msgtemplates/edit.html", form=form, template=template)


@bp.route("/<int:template_id>/duplicate", methods=["POST"])
@login_required
def duplicate(template_id: int):
    copy = service.duplicate_template(_get(template_id), user=current_user.username)
    flash(_("Copied as “%(name)s”.", name=copy.name), "success")
    return redirect(url_for(".edit", template_id=copy.id))


@bp.route("/<int:template_id>/delete", methods=["POST"])
@login_required
def delete(template_id: int):
    template = _get(template_id)
    name = template.name
    service.delete_template(template, user=current_user.username)
    flash(_("Template “%(name)s” deleted; its history is kept.", name=name), "success")
    return redirect(url_for(".index"))


@bp.route("/<int:template_id>")
@login_required
def show(template_id: int):
    """The template, its preview with the values given (built-ins filled now), its history."""
    template = _get(template_id)
    params = param_values(request.args)
    sample = None
    if service.per_recipient(template):
        sample = service.Recipient(
            "",
            request.args.get("sample_name") or _("Zhang San"),
            request.args.get("sample_department") or _("R&D"),
        )
    preview = service.preview(
        template, params, when=datetime.now(UTC), lang=str(get_locale()), sample=sample
    )
    return render_template(
        "msgtemplates/show.html",
        template=template,
        params=params,
        free=service.free_placeholders(template),
        per_recipient=service.per_recipient(template),
        preview=preview,
        preview_json=pretty_json(preview["msg"]),
        cost=service.per_recipient_cost(10_000, client_rate()),
        rate=client_rate(),
        revisions=service.revisions(template.id),
        sample=sample,
    )


@bp.app_template_filter("template_changes")
def template_changes(changed: list[str]) -> str:
    """The fields a revision changed, as a short list."""
    return ", ".join(changed or [])


@bp.context_processor
def template_helpers():
    return {
        "template_placeholders": service.placeholders,
        "template_per_recipient": service.per_recipient,
        "revision_labels": REVISION_LABELS,
    }


@bp.app_template_filter("format_placeholder")
def format_placeholder(name: str) -> str:
    """A placeholder as written: {name}."""
    return "{" + name + "}"
