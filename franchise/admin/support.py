"""Shared pieces of the organisation admin pages: the list page, forms, columns.

Filters, pages and CSV are ``app.web.listing``'s (``filter_args``, ``paginate``,
``csv_response``).

Nothing here is a route; ``franchise.admin.views`` calls these. Queries go through the
tenant scope (``franchise.queries`` and ``app.auth.scope``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema
from sqlalchemy import select
from wtforms import BooleanField

from app.auth.principal import current_principal
from app.auth.scope import scoped
from app.errors import DomainError
from app.extensions import db
from app.web import labels
from app.web.form_input import load_form, put_errors
from app.web.listing import Column, csv_response, export_url, filter_args, paginate
from franchise.forms import FranchiseeForm, RegionForm, StoreForm, options
from franchise.models import Franchisee, Region, Store
from franchise.queries import visible_regions
from franchise.services.wecom_members import members_stmt


def is_hq() -> bool:
    principal = current_principal()
    return principal is not None and principal.is_hq


def choices(model, label_attr: str = "name", blank: str | None = None) -> list:
    """``(id, label)`` options of the rows of ``model`` the caller may see."""
    stmt = visible_regions() if model is Region else scoped(select(model), model)
    rows = db.session.scalars(stmt.order_by(model.id)).all()
    options = [(row.id, getattr(row, label_attr)) for row in rows]
    return [("", blank)] + options if blank is not None else options


def list_page(
    schema_cls: type[Schema],
    stmt_fn: Callable[[dict], Any],
    filename: str,
    columns: list[Column],
    template: str,
    *,
    csv_columns: list[Column] | None = None,
    context: Callable[[dict], dict] | None = None,
    status: int = 200,
):
    """Every admin list's sequence, once: the filters of ``?…`` through ``schema_cls``
    (the API's query filters), the query ``stmt_fn(filters)``, then its CSV export with
    ``?format=csv`` (``csv_columns``, else ``columns``) or ``template`` with the page,
    the filter values, the columns and the export link. ``context(filters)`` adds the
    template's own values; it runs only for the page, never for the CSV."""
    args = filter_args(schema_cls)
    stmt = stmt_fn(args)
    if request.args.get("format") == "csv":
        return csv_response(filename, columns if csv_columns is None else csv_columns, stmt)
    return render_template(
        template,
        values=request.args,
        columns=columns,
        page=paginate(stmt),
        export_url=export_url(),
        **(context(args) if context is not None else {}),
    ), status


def render_list(
    title,
    schema_cls,
    stmt_fn,
    columns,
    fields,
    filename,
    new_endpoint=None,
    new_for_all=False,
    template="franchise/list.html",
    **extra,
):
    """A filtered, paginated listing page, or its CSV export with ``?format=csv``; the
    "New" button for HQ (for every viewer with ``new_for_all``); ``template`` extends
    ``franchise/list.html`` and ``extra`` goes to it."""

    def context(_filters: dict) -> dict:
        new = new_endpoint and (new_for_all or is_hq())
        new_url = url_for(new_endpoint) if new else None
        return {"title": title, "fields": fields, "new_url": new_url, **extra}

    return list_page(schema_cls, stmt_fn, filename, columns, template, context=context)


def render_form(form, title, submit_label, status=200):
    return render_template(
        "franchise/form.html",
        form=form,
        title=title,
        action=request.path,
        submit_label=submit_label,
    ), status


def save(form, schema: Schema, action, title, submit_label, done_endpoint):
    """On a post, load the form through ``schema`` (the API's, or the API's with money
    typed in yuan) and run ``action(data)``; the schema's and the service's field errors
    are shown on the form (422, or 409). WTForms only renders and guards CSRF."""
    if request.method != "POST":
        return render_form(form, title, submit_label)
    checkboxes = [field.name for field in form if isinstance(field, BooleanField)]
    try:
        data = load_form(schema, request.form, checkboxes)
        obj = action(data)
    except DomainError as exc:
        show_errors(form, exc, schema)
        return render_form(form, title, submit_label, 409 if exc.status == 409 else 422)
    flash(_("Saved."), "success")
    return redirect(url_for(done_endpoint, **({"object_id": obj.id} if obj else {})))


def show_errors(form, exc: DomainError, schema: Schema | None = None) -> None:
    """Put a schema's or a service's field errors on the form's fields (by name, or by
    ``schema``'s key for the field) and flash its message."""
    put_errors(form, exc, schema)
    flash(exc.message, "error")


def render_detail(title, pairs, edit_url=None, related=None):
    return render_template(
        "franchise/detail.html", title=title, pairs=pairs, edit_url=edit_url, related=related or []
    )


def link(endpoint):
    return lambda row: url_for(endpoint, object_id=row.id)


OPEN_OPTIONS = [("", _l("All")), ("1", _l("Open")), ("0", _l("Closed"))]
FRANCHISEE_STATUS_OPTIONS = [("", _l("All")), *labels.words("franchisee_status").items()]
GUIDE_STATUS_OPTIONS = [("", _l("All")), *labels.words("guide_status").items()]


def wecom_link_label(guide) -> str:
    """The linked WeCom member's name and department (the userid stays out of sight)."""
    return guide.wecom_name or str(_l("Not in the WeCom directory"))


def wecom_member_choices(current: str | None = None) -> list[tuple[str, str]]:
    """The guide form's WeCom members: those no other guide holds, by name and department
    (the userid stays the hidden value); ``current`` is the edited guide's own."""
    members = db.session.scalars(members_stmt(linked=False, keep=current)).all()
    return [("", str(_l("Choose a member")))] + [(m.userid, m.label) for m in members]


def coordinate(value: float | None) -> str:
    """A latitude or longitude to six decimals (about 0.1 m), trailing zeros dropped."""
    return "" if value is None else f"{value:.6f}".rstrip("0").rstrip(".")


def region_columns():
    return [
        Column("name", _l("Name"), link=link("franchise_admin.region_edit") if is_hq() else None),
        Column("cities", _l("Cities"), value=lambda r: "、".join(r.city_names)),
        Column(
            "default_franchisee",
            _l("Default franchisee"),
            value=lambda r: r.default_franchisee.name if r.default_franchisee else "",
        ),
    ]


def franchisee_columns():
    return [
        Column("name", _l("Name"), link=link("franchise_admin.franchisee")),
        Column("region_name", _l("Region")),
        Column("contact_name", _l("Contact")),
        Column("phone", _l("Phone")),
        Column("sub_mch_id", _l("WeChat Pay sub-merchant id")),
        Column(
            "profit_share",
            _l("HQ share"),
            numeric=True,
            value=lambda f: f"{f.profit_share_bps / 100:g}%",
        ),
        Column(
            "status", _l("Status"), value=lambda row: labels.label(row.status, "franchisee_status")
        ),
    ]


def store_columns():
    return [
        Column("code", _l("Code"), link=link("franchise_admin.store")),
        Column("name", _l("Name")),
        Column("franchisee_name", _l("Franchisee")),
        Column("region_name", _l("Region")),
        Column("city", _l("City")),
        Column("address", _l("Address")),
        Column("phone", _l("Phone")),
        Column("latitude", _l("Latitude"), value=lambda s: coordinate(s.latitude), css="num"),
        Column("longitude", _l("Longitude"), value=lambda s: coordinate(s.longitude), css="num"),
        Column("is_open", _l("Open")),
    ]


def guide_columns():
    return [
        Column("name", _l("Name"), link=link("franchise_admin.guide")),
        Column("store_name", _l("Store")),
        Column("franchisee_name", _l("Franchisee")),
        Column("phone", _l("Phone")),
        Column("wecom", _l("WeCom"), value=wecom_link_label),
        Column("status", _l("Status"), value=lambda row: labels.label(row.status, "guide_status")),
        Column("left_at", _l("Left at"), time=True),
    ]


def select_filter(name, label, options):
    return {"name": name, "label": label, "type": "select", "options": options}


def text_filter(name, label):
    return {"name": name, "label": label, "type": "text"}


def date_filter(name, label):
    return {"name": name, "label": label, "type": "date"}


# --- form builders: choices from scoped queries ---------------------------------


def region_form(region: Region | None) -> RegionForm:
    form = RegionForm(obj=region)
    choices_ = [("", _l("None"))]
    if region is not None:
        choices_ += [
            (f.id, f.name)
            for f in db.session.scalars(
                scoped(select(Franchisee).where(Franchisee.region_id == region.id), Franchisee)
            )
        ]
        if request.method == "GET":
            form.cities.data = "\n".join(region.city_names)
        form.code.render_kw = {"readonly": True}
    form.default_franchisee_id.choices = options(choices_)
    return form


def franchisee_form(obj=None) -> FranchiseeForm:
    form = FranchiseeForm(obj=obj)
    form.region_id.choices = options(choices(Region))
    return form


def store_form(obj=None) -> StoreForm:
    form = StoreForm(obj=obj)
    form.franchisee_id.choices = options(choices(Franchisee))
    form.region_id.choices = options(choices(Region))
    return form


def store_choices(open_only: bool = False):
    """The stores a guide may be put in (only open ones for a new guide)."""
    stmt = scoped(select(Store), Store).order_by(Store.code)
    if open_only:
        stmt = stmt.where(Store.is_open.is_(True))
    return options([(s.id, f"{s.code} {s.name}") for s in db.session.scalars(stmt)])
