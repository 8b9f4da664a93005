"""Customer and assignment admin pages: ``/admin/customers`` (list, CSV, detail with the
assignment timeline and HQ's reassign form), ``/admin/assignments`` (history, CSV) and
``/admin/assignment-settings`` (HQ edits radius, lock days, pool balancing, RFM cut-offs).

Owners see their own franchise's customers; another franchise's customer is 404.
Listings reuse the scoped queries of ``franchise.api.customers``; views never commit.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import Schema, fields
from sqlalchemy import func, select
from wtforms import BooleanField, SelectField, StringField

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404, scoped
from app.errors import DomainError
from app.extensions import db
from app.money import MAX_FEN, Yuan
from app.web.form_input import RequiredMark, YuanField, load_form
from app.web.formatting import yuan
from app.web.labels import customer_name, label, options
from app.web.listing import Column
from app.web.page_action import flashed
from franchise.admin.support import (
    choices,
    is_hq,
    render_list,
    save,
    select_filter,
    show_errors,
    text_filter,
)
from franchise.api.customers import (
    CustomerQuerySchema,
    HistoryQuerySchema,
    ReassignSchema,
    customer_stmt,
    history_stmt,
)
from franchise.guide.customers import KIND_LABELS
from franchise.models import (
    ASSIGNMENT_RULES,
    Appointment,
    Customer,
    Franchisee,
    Guide,
    Order,
    Store,
)
from franchise.services import customers as customer_services
from franchise.services import settings as settings_service
from franchise.services import welcome_retry

bp = Blueprint("franchise_customers", __name__, url_prefix="/admin", template_folder="../templates")

TIER_OPTIONS = [
    ("", _l("All")),
    ("high", _l("High value")),
    ("mid", _l("Mid value")),
    ("low", _l("Low value")),
]


class Names:
    """Id → name of the franchisees, stores and guides, loaded once per request."""

    def __init__(self):
        self.franchisee = dict(db.session.execute(select(Franchisee.id, Franchisee.name)).all())
        self.store = dict(db.session.execute(select(Store.id, Store.name)).all())
        self.guide = dict(db.session.execute(select(Guide.id, Guide.name)).all())


def customer_columns(names: Names):
    return [
        Column(
            "nickname",
            _l("Customer"),
            value=customer_name,
            link=lambda c: url_for("franchise_customers.customer", object_id=c.id),
        ),
        Column("phone", _l("Phone")),
        Column("city", _l("City")),
        Column(
            "franchisee", _l("Franchisee"), value=lambda c: names.franchisee.get(c.franchisee_id)
        ),
        Column("store", _l("Store"), value=lambda c: names.store.get(c.store_id)),
        Column("guide", _l("Guide"), value=lambda c: names.guide.get(c.guide_id)),
        Column("tier_label", _l("Value tier")),
        Column(
            "rule",
            _l("Assigned by"),
            value=lambda c: label(c.assignment_rule, "assignment_rule"),
        ),
        Column("last_order_at", _l("Last order"), time=True),
        Column("created_at", _l("Joined"), time=True),
    ]


def history_columns(names: Names, with_customer: bool = True):
    def move(kind):
        table = getattr(names, kind)
        return lambda h: "{} → {}".format(
            table.get(getattr(h, f"from_{kind}_id")) or "—",
            table.get(getattr(h, f"to_{kind}_id")) or "—",
        )

    columns = [Column("created_at", _l("When"), time=True)]
    if with_customer:
        columns.append(
            Column(
                "customer_id",
                _l("Customer"),
                value=lambda h: customer_name(h.customer),
                link=lambda h: url_for("franchise_customers.customer", object_id=h.customer_id),
            )
        )
    return columns + [
        Column("franchisee", _l("Franchisee"), value=move("franchisee")),
        Column("store", _l("Store"), value=move("store")),
        Column("guide", _l("Guide"), value=move("guide")),
        Column("rule", _l("Rule"), value=lambda h: label(h.rule, "assignment_rule")),
        Column("reason", _l("Reason"), value=lambda h: label(h.reason, "assignment_reason")),
    ]


@bp.route("/customers")
@page_roles(*ADMIN_UI_ROLES)
def customers():
    """Customers, filtered by franchisee, store, guide, tier and a search term."""
    fields = [
        text_filter("q", _l("Search")),
        select_filter("franchisee_id", _l("Franchisee"), choices(Franchisee, blank=_l("All"))),
        select_filter("store_id", _l("Store"), choices(Store, blank=_l("All"))),
        select_filter("guide_id", _l("Guide"), choices(Guide, blank=_l("All"))),
        select_filter("value_tier", _l("Value tier"), TIER_OPTIONS),
    ]
    return render_list(
        _l("Customers"),
        CustomerQuerySchema,
        customer_stmt,
        customer_columns(Names()),
        fields,
        "customers.csv",
    )


@bp.route("/assignments")
@page_roles(*ADMIN_UI_ROLES)
def assignments():
    """Assignment history, filtered by franchisee, rule and customer."""
    fields = [
        select_filter("franchisee_id", _l("Franchisee"), choices(Franchisee, blank=_l("All"))),
        select_filter(
            "rule", _l("Rule"), [("", _l("All")), *options("assignment_rule", ASSIGNMENT_RULES)]
        ),
        text_filter("customer_id", _l("Customer id")),
    ]
    return render_list(
        _l("Assignment history"),
        HistoryQuerySchema,
        history_stmt,
        history_columns(Names()),
        fields,
        "assignments.csv",
    )


class ReassignForm(FlaskForm):
    """Renders HQ's reassign form; the API's ``ReassignSchema`` checks what is posted."""

    franchisee_id = SelectField(
        _l("Franchisee"), validators=[RequiredMark()], validate_choice=False
    )
    store_id = SelectField(_l("Store"), validate_choice=False)
    guide_id = SelectField(_l("Guide"), validate_choice=False)
    reason = StringField(_l("Reason"), validators=[RequiredMark()])


def reassign_form() -> ReassignForm:
    form = ReassignForm()
    form.franchisee_id.choices = [
        (f.id, f.name)
        for f in db.session.scalars(
            select(Franchisee).where(Franchisee.status == "active").order_by(Franchisee.id)
        )
    ]
    stores = db.session.scalars(
        select(Store)
        .where(Store.is_open.is_(True))
        .order_by(Store.franchisee_id, Store.code)
        .limit(500)
    )
    # each option names its parents, so dependent-selects.js shows only those that fit
    form.store_id.choices = [("", _("Least-loaded store"))] + [
        (s.id, s.name, {"data-franchisee_id": s.franchisee_id}) for s in stores
    ]
    form.store_id.render_kw = {"data-filter-by": "franchisee_id"}
    guides = db.session.scalars(
        select(Guide).where(Guide.status == "active").order_by(Guide.store_id, Guide.id).limit(500)
    )
    form.guide_id.choices = [("", _("No guide"))] + [
        (
            g.id,
            f"{g.name} ({g.store_name})",
            {"data-franchisee_id": g.franchisee_id, "data-store_id": g.store_id},
        )
        for g in guides
    ]
    form.guide_id.render_kw = {"data-filter-by": "franchisee_id store_id"}
    return form


@bp.route("/customers/<int:object_id>", methods=["GET", "POST"])
@page_roles(*ADMIN_UI_ROLES)
def customer(object_id):
    """A customer: profile, tier, orders, appointments, assignment timeline; HQ reassigns."""
    c = get_scoped_or_404(Customer, object_id)
    form = reassign_form() if is_hq() else None
    if form is not None and request.method == "GET":  # start from where the customer is
        form.franchisee_id.data = str(c.franchisee_id)
    status = 200
    if request.method == "POST":
        if form is None:
            return render_template("errors/error.html", status=403, message=_("Forbidden")), 403
        try:
            body = load_form(ReassignSchema(), request.form)  # the API's reassign schema
            customer_services.reassign(
                c,
                body["franchisee_id"],
                body.get("store_id"),
                body.get("guide_id"),
                reason=body["reason"],
                actor_user_id=required_principal().user_id,
            )
        except DomainError as exc:
            show_errors(form, exc)
            c = get_scoped_or_404(Customer, object_id)
        else:
            flash(_("Customer reassigned."), "success")
            return redirect(url_for("franchise_customers.customer", object_id=c.id))
        status = 422
    names = Names()
    orders = (
        db.session.scalar(select(func.count()).select_from(Order).where(Order.customer_id == c.id))
        or 0
    )
    visits = db.session.scalars(
        scoped(select(Appointment), Appointment)
        .where(Appointment.customer_id == c.id)
        .order_by(Appointment.slot_start.desc())
        .limit(50)
    ).all()
    timeline = db.session.scalars(history_stmt({"customer_id": c.id}).limit(100)).all()
    pairs = [
        (_l("Nickname"), c.nickname),
        (_l("Phone"), c.phone),
        (_l("Birthday"), c.birthday),
        (_l("City"), c.city),
        (_l("Franchisee"), names.franchisee.get(c.franchisee_id)),
        (_l("Store"), names.store.get(c.store_id)),
        (_l("Guide"), names.guide.get(c.guide_id)),
        (_l("Assigned by"), label(c.assignment_rule, "assignment_rule")),
        (_l("Value tier"), c.tier_label),
        (_l("Orders"), orders),
        (_l("Paid in the last year"), yuan(c.monetary_fen)),
        (_l("Days since last order"), c.recency_days),
    ]
    welcome = welcome_retry.welcome_state(c.id)
    if welcome is not None:  # the first login could not give the welcome
        pairs.append((_l("Welcome"), label(welcome, "welcome_retry")))
    return render_template(
        "franchise/customers/detail.html",
        customer=c,
        pairs=pairs,
        visits=visits,
        timeline=timeline,
        names=names,
        kind_labels=KIND_LABELS,
        form=form,
        welcome_waits=is_hq() and welcome in welcome_retry.WAITING,
    ), status


@bp.route("/customers/<int:object_id>/welcome", methods=["POST"])
@page_roles(*HQ_ROLES)
def give_welcome(object_id):
    """HQ gives now the welcome the customer's first login could not give."""
    c = get_scoped_or_404(Customer, object_id)
    with flashed(_("Welcome given.")):
        welcome_retry.give_now(c.id)
    return redirect(url_for("franchise_customers.customer", object_id=object_id), 303)


def _box(key: str) -> str:
    """A setting's form box name (``.`` in keys becomes ``__``)."""
    return key.replace(".", "__")


def settings_form_class():
    """A form with one box per setting; it renders, ``settings_schema`` checks."""
    attrs = {}
    for key, setting in settings_service.SETTINGS.items():
        if setting.kind is bool:
            attrs[_box(key)] = BooleanField(setting.label)
        elif key.endswith("_fen"):  # money: entered in yuan, stored (and in the API) as fen
            attrs[_box(key)] = YuanField(setting.label, validators=[RequiredMark()])
        else:
            attrs[_box(key)] = StringField(setting.label, validators=[RequiredMark()])
    return type("AssignmentSettingsForm", (FlaskForm,), attrs)


def settings_schema() -> Schema:
    """What the settings page posts: a number per setting (money in yuan, within the
    setting's bounds), a tick per switch; the service checks the bounds and the
    cut-offs' order."""
    boxes: dict[str, fields.Field] = {}
    for key, setting in settings_service.SETTINGS.items():
        if setting.kind is bool:
            boxes[_box(key)] = fields.Boolean(load_default=False)
        elif key.endswith("_fen"):
            lo, hi = int(setting.minimum or 0), int(setting.maximum or MAX_FEN)
            boxes[_box(key)] = Yuan(required=True, lo=lo, hi=hi)
        elif setting.kind is float:
            boxes[_box(key)] = fields.Float(required=True)
        else:
            boxes[_box(key)] = fields.Integer(required=True, strict=True)
    return Schema.from_dict(boxes, name="AssignmentSettingsFormSchema")()


@bp.route("/assignment-settings", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def assignment_settings():
    """HQ edits the assignment radius, lock days, pool balancing and RFM cut-offs."""
    values = settings_service.all_settings()
    form = settings_form_class()(data={_box(k): v for k, v in values.items()})

    def update(data: dict) -> None:
        try:
            settings_service.update_settings({k: data[_box(k)] for k in values})
        except DomainError as exc:  # the service names the setting keys: name the boxes
            exc.errors = {_box(k): v for k, v in exc.errors.items()}
            raise

    return save(
        form,
        settings_schema(),
        update,
        _l("Assignment settings"),
        _l("Save"),
        "franchise_customers.assignment_settings",
    )
