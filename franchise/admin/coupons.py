"""Coupon admin pages (``/admin/coupons``): templates with budgets per region, issued
coupons with filters and CSV, redemption statistics per franchisee (bar chart).

HQ creates and edits templates (one budget field per region) and issues in bulk; a
franchise owner sees the templates and the coupons and statistics of their own
franchise (the tenant scope of ``Coupon``). Views never commit.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import fields, post_load, validate
from sqlalchemy import case, func, select
from wtforms import BooleanField, DateField, SelectField, StringField

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.auth.principal import required_principal
from app.auth.scope import scoped
from app.clock import SHANGHAI
from app.errors import DomainError
from app.extensions import db
from app.money import Yuan
from app.web.form_input import RequiredMark, YuanField, load_form
from app.web.labels import customer_name, words
from app.web.listing import Column
from franchise.admin.credit_display import display_name
from franchise.admin.support import choices, render_list, save, select_filter, text_filter
from franchise.api.coupons import (
    BulkIssueSchema,
    IssuedFilterSchema,
    TemplateCreateSchema,
    coupon_stmt,
    template_or_404,
)
from franchise.forms import options
from franchise.models import (
    COUPON_STATUSES,
    Coupon,
    CouponTemplate,
    Franchisee,
    Guide,
    Region,
    Store,
)
from franchise.services import coupon_templates
from franchise.services import coupons as coupon_service

bp = Blueprint(
    "commerce_coupons", __name__, url_prefix="/admin/coupons", template_folder="../templates"
)

KIND_LABELS = {"new_customer": _l("New customer"), "campaign": _l("Campaign")}
STATE_LABELS = words("coupon_status")
CHANNEL_LABELS = {"online": _l("Online"), "store": _l("In store")}


class TemplateFormSchema(TemplateCreateSchema):
    """The template page's form: the API's template, amounts typed in yuan, the validity
    as days in Asia/Shanghai and one ``budget_<region id>`` box per region (the subclass
    ``template_form_schema`` builds per request names them)."""

    class Meta:
        register = False  # built per request with the regions' boxes

    # the same keys, other field kinds: marshmallow allows it, the checker cannot see it
    amount_off_fen = Yuan(data_key="amount_off_yuan", required=True, lo=1, hi=10**9)  # type: ignore[assignment]
    threshold_fen = Yuan(data_key="threshold_yuan", load_default=0, hi=10**10)  # type: ignore[assignment]
    valid_from = fields.Date(allow_none=True)  # type: ignore[assignment]
    valid_until = fields.Date(allow_none=True)  # type: ignore[assignment]

    @post_load
    def _as_api(self, data: dict, **kwargs) -> dict:
        """Days → UTC instants (the first and last moment of the day in Shanghai); the
        budget boxes → the API's ``budgets`` (a region left empty or 0 has none)."""
        for key, end in (("valid_from", False), ("valid_until", True)):
            day = data.get(key)
            if day is not None:
                moment = datetime.combine(day, time.max if end else time.min, tzinfo=SHANGHAI)
                data[key] = moment.astimezone(UTC)
        budgets = [
            {"region_id": int(key.removeprefix(BUDGET)), "budget_count": data.pop(key)}
            for key in [k for k in data if k.startswith(BUDGET)]
        ]
        data["budgets"] = [b for b in budgets if b["budget_count"]]
        return data


BUDGET = "budget_"


def template_form_schema(regions) -> TemplateFormSchema:
    """``TemplateFormSchema`` with a budget box (0..10**8 coupons) per region."""
    boxes = {
        f"{BUDGET}{region.id}": fields.Integer(
            strict=True, allow_none=True, validate=validate.Range(0, 10**8)
        )
        for region in regions
    }
    return type("RegionTemplateFormSchema", (TemplateFormSchema,), boxes)()


def template_form(template: CouponTemplate | None) -> FlaskForm:
    """The template form with one budget field per region (built per request); it
    renders, ``template_form_schema`` checks."""
    regions = db.session.scalars(select(Region).order_by(Region.code)).all()

    class TemplateForm(FlaskForm):
        name = StringField(_l("Name"), validators=[RequiredMark()])
        kind = SelectField(_l("Kind"), choices=options(KIND_LABELS.items()), validate_choice=False)
        amount_off_yuan = YuanField(
            _l("Amount off (yuan)"), validators=[RequiredMark()], lo=1, hi=10**9
        )
        threshold_yuan = YuanField(_l("Threshold (yuan)"), default=0, hi=10**10)
        valid_from = DateField(_l("Valid from"))
        valid_until = DateField(_l("Valid until"))
        valid_days = StringField(_l("Valid days after issue"), render_kw=NUMERIC)
        campaign_id = StringField(_l("Campaign id"), render_kw=NUMERIC)
        is_active = BooleanField(_l("Active"), default=True)

    budgets = {b.region_id: b for b in (template.budgets if template else [])}
    for region in regions:
        budget = budgets.get(region.id)
        issued = budget.issued_count if budget else 0
        setattr(
            TemplateForm,
            f"{BUDGET}{region.id}",
            StringField(
                _l("Budget: %(region)s", region=region.name),
                default=budget.budget_count if budget else 0,
                description=_l("%(n)s issued so far", n=issued),
                render_kw=NUMERIC,
            ),
        )
    form = TemplateForm(obj=template)
    if template is not None and not form.is_submitted():
        form.amount_off_yuan.data = template.amount_off_fen
        form.threshold_yuan.data = template.threshold_fen
        for attr in ("valid_from", "valid_until"):
            value = getattr(template, attr)
            getattr(form, attr).data = value.astimezone(SHANGHAI).date() if value else None
    form.regions = regions
    return form


NUMERIC = {"inputmode": "numeric"}


def redemption_stats() -> list[dict]:
    """Issued and redeemed coupons per franchisee the viewer may see."""
    redeemed = func.sum(case((Coupon.status == "redeemed", 1), else_=0))
    stmt = scoped(
        select(Franchisee.name, func.count(Coupon.id), redeemed)
        .join(Franchisee, Franchisee.id == Coupon.franchisee_id)
        .group_by(Franchisee.id, Franchisee.name)
        .order_by(Franchisee.id),
        Coupon,
    )
    return [
        {"name": name, "issued": int(issued or 0), "redeemed": int(red or 0)}
        for name, issued, red in db.session.execute(stmt)
    ]


def template_rows() -> list[dict]:
    rows = []
    for t in db.session.scalars(select(CouponTemplate).order_by(CouponTemplate.id.desc())):
        rows.append(
            {
                "template": t,
                "kind": KIND_LABELS.get(t.kind, t.kind),
                "budget": sum(b.budget_count for b in t.budgets),
                "issued": sum(b.issued_count for b in t.budgets),
            }
        )
    return rows


@bp.route("")
@page_roles(*ADMIN_UI_ROLES)
def coupons():
    """Templates with their budgets, and redemption per franchisee as a bar chart."""
    stats = redemption_stats()
    return render_template(
        "franchise/commerce/coupons.html",
        templates=template_rows(),
        stats=stats,
        labels=[s["name"] for s in stats],
        series={
            _("Issued"): [s["issued"] for s in stats],
            _("Redeemed"): [s["redeemed"] for s in stats],
        },
        is_hq=required_principal().is_hq,
        franchisees=choices(Franchisee),
    )


def coupon_columns():
    return [
        Column("code", _l("Code")),
        Column("template", _l("Template"), value=lambda c: c.template.name),
        Column("customer", _l("Customer"), value=lambda c: customer_name(c.customer)),
        Column(
            "state", _l("State"), value=lambda c: STATE_LABELS.get(coupon_service.coupon_state(c))
        ),
        Column("issued_at", _l("Issued at"), time=True),
        Column("expires_at", _l("Expires at"), time=True),
        Column("redeemed_at", _l("Redeemed at"), time=True),
        Column(
            "channel",
            _l("Channel"),
            value=lambda c: CHANNEL_LABELS.get(c.redeemed_channel or "", ""),
        ),
        Column("guide", _l("Guide"), value=lambda c: display_name(Guide, c.redeemed_guide_id)),
        Column("store", _l("Store"), value=lambda c: display_name(Store, c.redeemed_store_id)),
    ]


@bp.route("/issued")
@page_roles(*ADMIN_UI_ROLES)
def issued():
    """Issued coupons with filters (template, franchisee, status, channel, code) and CSV."""
    template_opts = [("", _l("All"))] + [
        (t.id, t.name)
        for t in db.session.scalars(select(CouponTemplate).order_by(CouponTemplate.id))
    ]
    fields_ = [
        text_filter("q", _l("Code")),
        select_filter("template_id", _l("Template"), template_opts),
        select_filter("franchisee_id", _l("Franchisee"), choices(Franchisee, blank=_l("All"))),
        select_filter(
            "status",
            _l("Status"),
            [("", _l("All"))] + [(k, STATE_LABELS[k]) for k in COUPON_STATUSES],
        ),
        select_filter("channel", _l("Channel"), [("", _l("All"))] + list(CHANNEL_LABELS.items())),
    ]
    return render_list(
        _l("Issued coupons"),
        IssuedFilterSchema,
        coupon_stmt,
        coupon_columns(),
        fields_,
        "coupons.csv",
    )


@bp.route("/templates/new", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def template_new():
    form = template_form(None)
    return save(
        form,
        template_form_schema(form.regions),
        coupon_templates.create_template,
        _l("New coupon template"),
        _l("Create"),
        "commerce_coupons.template_edit",
    )


@bp.route("/templates/<int:object_id>/edit", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def template_edit(object_id):
    template = template_or_404(object_id)
    form = template_form(template)
    return save(
        form,
        template_form_schema(form.regions),
        lambda data: coupon_templates.update_template(template, data),
        _l("Edit coupon template"),
        _l("Save"),
        "commerce_coupons.template_edit",
    )


@bp.route("/templates/<int:object_id>/issue", methods=["POST"])
@page_roles(*HQ_ROLES)
def template_issue(object_id):
    """Bulk-issue a template to a franchisee's customers (form on the coupons page)."""
    try:
        body = load_form(BulkIssueSchema(), request.form)  # the API's bulk-issue schema
        limit = body.pop("limit")
        result = coupon_service.bulk_issue(object_id, body, limit)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(
            _("%(n)s coupons issued, %(s)s skipped.", n=result["issued"], s=result["skipped"]),
            "success",
        )
    return redirect(url_for("commerce_coupons.coupons"), 303)
