"""The guide's WeCom actions on a customer, shown on the guide's one customer page.

``customer_sections(customer)`` (the listener of the franchise hook
``franchise.guide_customer_sections``) renders them into ``/m/customers/<id>``: tags with
WeCom's answer, notes; actions — open the WeCom chat (WeCom's JS-SDK
``wx.openEnterpriseChat`` with the contact's external userid, run by
``static/js/wecom_chat.js``), add a note, tag (``tag_links.set_tags``: ``mark_tag``
follows), issue a coupon (``franchise.services.coupons.issue_coupon``) and book an
in-store visit (``franchise.services.appointments.book``). The forms post to
``/m/wecom/customers/<id>``, which acts and goes back to the customer page (a GET there
goes to it too). One of the guide's own customers only (another guide's is 404). Views
never commit.
"""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404
from app.clock import shanghai_day
from app.errors import DomainError
from app.extensions import db
from app.web.form_input import load_form
from app.web.pages import pages_blueprint
from community.models.contacts import ContactFollow, WecomContact
from community.models.wecom_customers import CustomerNote, CustomerTag
from community.schemas import (
    GuideAppointmentFormSchema,
    GuideCouponFormSchema,
    GuideNoteFormSchema,
    GuideTagsFormSchema,
)
from community.services import tag_links, tags
from franchise.models import CouponTemplate, Customer, Store

bp = pages_blueprint("community_wecom_customers", __name__, "/m/wecom")
KINDS = ("try_on", "maintenance", "inspection")


def _contact(customer: Customer) -> str | None:
    """The external userid of the customer as a WeCom contact of this guide, if any."""
    return db.session.scalar(
        select(ContactFollow.external_userid)
        .join(WecomContact, WecomContact.id == ContactFollow.contact_id)
        .where(
            WecomContact.customer_id == customer.id,
            ContactFollow.guide_id == required_principal().guide_id,
            ContactFollow.deleted_by_customer.is_(False),
        )
        .limit(1)
    )


def _act(customer: Customer, action: str) -> str:
    principal = required_principal()
    if action == "tags":
        wanted = set(load_form(GuideTagsFormSchema(), request.form)["tag_ids"])
        by_rule = set(
            db.session.scalars(select(CustomerTag.id).where(CustomerTag.rule.is_not(None)))
        )
        wanted -= by_rule  # rules put and take their own tags
        have = {t["id"] for t in tag_links.tags_of(customer.id)} - by_rule
        tag_links.set_tags(
            customer=customer, add=sorted(wanted - have), remove=sorted(have - wanted)
        )
        return _("Tags saved.")
    if action == "note":
        text = load_form(GuideNoteFormSchema(), request.form)["text"]
        db.session.add(
            CustomerNote(
                customer_id=customer.id,
                guide_id=principal.guide_id,
                franchisee_id=customer.franchisee_id,
                store_id=customer.store_id,
                text=text,
            )
        )
        db.session.commit()
        return _("Note saved.")
    if action == "coupon":
        from franchise.services.coupons import issue_coupon

        issue_coupon(load_form(GuideCouponFormSchema(), request.form)["template_id"], customer.id)
        return _("Coupon issued.")
    if action == "visit":
        from franchise.services.appointments import book

        if not customer.store_id:
            raise DomainError(_("This customer has no store to visit."), status=422)
        visit = load_form(GuideAppointmentFormSchema(), request.form)
        book(customer, {**visit, "store_id": customer.store_id})
        return _("Visit booked.")
    raise DomainError(_("Unknown action."), status=422)


def _slots(customer: Customer) -> list:
    """The next three days' free slots of the customer's store."""
    from franchise.services.appointments import day_slots

    store = db.session.get(Store, customer.store_id) if customer.store_id else None
    if store is None:
        return []
    today = shanghai_day()
    return [
        s for d in range(3) for s in day_slots(store, today + timedelta(days=d)) if s["available"]
    ]


@bp.route("/customers/<int:customer_id>", methods=["GET", "POST"])
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def customer(customer_id: int):
    """Act on one of my customers (POST), then back to the customer page."""
    customer = get_scoped_or_404(Customer, customer_id)
    anchor = ""
    if request.method == "POST":
        action = request.form.get("action", "")
        anchor = action if action in ("tags", "note", "coupon", "visit") else ""
        try:
            flash(_act(customer, action), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
    page = url_for("franchise_guide_customers.customer", object_id=customer_id)
    return redirect(page + (f"#{anchor}" if anchor else ""), 303)


def customer_sections(customer: Customer) -> Markup:
    """The WeCom actions on ``customer`` for the guide's customer page (hook listener)."""
    notes = db.session.scalars(
        select(CustomerNote)
        .where(CustomerNote.customer_id == customer.id)
        .order_by(CustomerNote.id.desc())
        .limit(20)
    ).all()
    templates = db.session.scalars(
        select(CouponTemplate).where(CouponTemplate.is_active.is_(True)).order_by(CouponTemplate.id)
    ).all()
    from franchise.guide.customers import KIND_LABELS

    return Markup(
        render_template(
            "community/guide/_wecom_customer_actions.html",
            customer=customer,
            external_userid=_contact(customer),
            mine={t["id"]: t for t in tag_links.tags_of(customer.id)},
            library=tags.library(),
            notes=notes,
            templates=templates,
            slots=_slots(customer),
            kinds=[(k, KIND_LABELS[k]) for k in KINDS],
        )
    )
