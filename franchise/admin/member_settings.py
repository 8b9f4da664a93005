"""HQ's member settings page (``/admin/members/settings``): the five levels (threshold
on 12-month spend, earning rate, benefits) and the points rules (a point's value, who
carries the cost of earning, the checkout cap, expiry and reminder, event rewards, what
a refund after spending leaves). The form loads through the API's
``MemberConfigSchema``: each level's row through ``LevelRuleSchema`` by its prefix
(``levels.<n>.<field>``), so the page and ``PUT /api/v1/members/settings`` accept the
same values and answer the same per-field messages.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from app.auth.decorators import page_roles
from app.auth.models import HQ_ROLES
from app.validation_messages import flat_errors
from app.web.form_input import FormInvalid, form_values, load_form
from franchise.member_schemas import LevelRuleSchema, MemberConfigSchema
from franchise.services import member_settings
from franchise.services.members import LEVEL_LABELS

bp = Blueprint(
    "member_settings_admin", __name__, url_prefix="/admin", template_folder="../templates"
)

SCALARS = [k for k in MemberConfigSchema().load_fields if k != "levels"]


def _levels_from(form) -> list[dict]:
    """Each level row's inputs (``levels.<n>.<field>``) as the JSON the schema loads."""
    rows = []
    for n in range(len(LEVEL_LABELS)):
        prefix = f"levels.{n}."
        own = MultiDict(
            [(k[len(prefix) :], v) for k, v in form.items(multi=True) if k.startswith(prefix)]
        )
        row = form_values(LevelRuleSchema(), own)
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
            loaded = load_form(MemberConfigSchema(), raw)
            loaded["levels"] = MemberConfigSchema().load({"levels": _levels_from(raw)})["levels"]
            member_settings.save(loaded)
            flash(_("Saved."), "success")
            return redirect(url_for("member_settings_admin.settings"))
        except FormInvalid as exc:
            errors, status = exc.errors, 422
        except ValidationError as exc:  # a level row
            errors, status = flat_errors(exc.messages), 422
        values = values | {
            k: request.form.get(k, values.get(k)) for k in SCALARS if k != "discount_categories"
        }
    return render_template(
        "franchise/members/settings.html",
        values=values,
        errors=errors,
        labels=LEVEL_LABELS,
        carriers=member_settings.CARRIERS,
        expiry_rules=member_settings.EXPIRY_RULES,
        shortfall_rules=member_settings.SHORTFALL_RULES,
    ), status
