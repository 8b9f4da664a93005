"""HQ's member settings page (``/admin/members/settings``): the five levels (threshold
on 12-month spend, earning rate, benefits) and the points rules (a point's value, who
carries the cost of earning, the checkout cap, expiry and reminder, event rewards, what
a refund after spending leaves). The form loads through ``MemberConfigPageSchema``, the
API's ``MemberConfigSchema`` with its money in yuan (each level's row through
``LevelRulePageSchema`` by its prefix ``levels.<n>.<field>``), so the page and
``PUT /api/v1/members/settings`` check the same rules; coupon templates are picked by
name.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.auth.decorators import page_roles
from app.auth.models import HQ_ROLES
from app.extensions import db
from app.money import format_yuan
from app.validation_messages import flat_errors
from app.web.form_input import FormInvalid, form_values, load_form
from franchise.member_schemas import LevelRulePageSchema, MemberConfigPageSchema
from franchise.models import CouponTemplate
from franchise.services import member_settings, points_expiry
from franchise.services.members import LEVEL_LABELS

bp = Blueprint(
    "member_settings_admin", __name__, url_prefix="/admin", template_folder="../templates"
)

PAGE_KEYS = [
    field.data_key or name
    for name, field in MemberConfigPageSchema().load_fields.items()
    if name not in ("levels", "discount_categories")
]


def _levels_from(form) -> list[dict]:
    """Each level row's inputs (``levels.<n>.<field>``) as the JSON the schema loads."""
    rows = []
    for n in range(len(LEVEL_LABELS)):
        prefix = f"levels.{n}."
        own = MultiDict(
            [(k[len(prefix) :], v) for k, v in form.items(multi=True) if k.startswith(prefix)]
        )
        row = form_values(LevelRulePageSchema(), own)
        for flag in ("priority_slots", "event_invitations"):
            row[flag] = flag in own  # an unticked box is not posted
        rows.append(row)
    return rows


@bp.route("/members/settings", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def settings():
    """HQ edits levels, benefits and the points rules."""
    values, errors, status = member_settings.config(), {}, 200
    if request.method == "POST":
        raw = MultiDict([(k, v) for k, v in request.form.items(multi=True)])
        try:
            loaded = load_form(MemberConfigPageSchema(), raw)
            levels = {"levels": _levels_from(raw)}
            loaded["levels"] = MemberConfigPageSchema().load(levels)["levels"]
            member_settings.save(loaded)
            flash(_("Saved."), "success")
            return redirect(url_for("member_settings_admin.settings"))
        except FormInvalid as exc:
            errors, status = exc.errors, 422
        except ValidationError as exc:  # a level row
            errors, status = flat_errors(exc.messages), 422
    shown = values | {"point_value_yuan": format_yuan(values["point_value_fen"])}
    shown["levels"] = [
        level | {"threshold_yuan": format_yuan(level["threshold_fen"])}
        for level in values["levels"]
    ]
    if status == 422:  # show what was typed
        shown |= {k: request.form.get(k, shown.get(k)) for k in PAGE_KEYS}
    return render_template(
        "franchise/members/settings.html",
        values=shown,
        errors=errors,
        coupon_templates=db.session.scalars(
            select(CouponTemplate).order_by(CouponTemplate.name)
        ).all(),
        labels=LEVEL_LABELS,
        carriers=member_settings.CARRIERS,
        expiry_rules=member_settings.EXPIRY_RULES,
        shortfall_rules=member_settings.SHORTFALL_RULES,
        reminders=points_expiry.reminder_figures(),
    ), status
