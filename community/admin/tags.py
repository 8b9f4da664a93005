"""Admin pages for customer tags (``/admin/tags``) and the customers of a tag.

* ``/admin/tags``: the library by group with each tag's WeCom sync state (WeCom's
  reason when it refused), its rule and its customers; HQ creates groups and tags, sets
  a tag's rule, renames or deletes a tag (WeCom follows), pulls WeCom's library now;
  the tags WeCom refused to put on a customer, with WeCom's reason.
* ``/admin/tags/customers?tag_id=&q=``: the customers carrying a tag (scoped: an owner
  sees their franchise), paginated, with CSV (``?format=csv``).

Views never commit: services do.
"""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES
from app.auth.principal import required_principal
from app.auth.scope import scoped
from app.errors import DomainError
from app.extensions import db
from app.web.form_input import load_form
from app.web.listing import Column, csv_response, export_url, filter_args, paginate
from app.web.pages import pages_blueprint
from app.wechat.errors import WeChatError
from community.models.wecom_customers import LINK_REFUSED, CustomerTag, CustomerTagLink
from community.schemas import TagCustomerQuerySchema, TagGroupFormSchema, TagRuleFormSchema
from community.services import tag_rules, tags
from franchise.models import Customer, Product

bp = pages_blueprint("community_tags", __name__, "/admin")

SOURCE_LABELS = {"manual": _l("By a guide"), "rule": _l("By a rule"), "wecom": _l("In WeCom")}
LINK_LABELS = {
    "local": _l("Siyu only"),
    "pending": _l("Waiting for WeCom"),
    "synced": _l("In WeCom"),
    "refused": _l("WeCom refused"),
}


def _act() -> None:
    action = request.form.get("action")
    if action == "group":
        form = load_form(TagGroupFormSchema(), request.form)
        names = [n for n in re.split(r"[,，\n]", form["tags"]) if n.strip()]
        tags.create_group(form["name"], names)
        flash(_("Tag group saved; WeCom follows."), "success")
    elif action == "pull":
        result = tags.pull()
        flash(_("%(tags)s tags read from WeCom.", tags=result["tags"]), "success")
    elif action in ("rule", "delete", "rename"):
        form = load_form(TagRuleFormSchema(), request.form)
        tag = db.session.get(CustomerTag, form["tag_id"])
        if tag is None or tag.deleted:
            abort(404)
        if action == "delete":
            tags.delete_tag(tag)
        elif action == "rename":
            tags.rename(tag, form["name"])
        else:
            tag.rule = form["rule"] or None
            if tag.rule and tag_rules.rule_stmt(tag.rule) is None:
                raise DomainError(_("Unknown rule."), status=422)
            db.session.commit()
            tag_rules.apply_rules()
        flash(_("Saved."), "success")


@bp.route("/tags", methods=["GET", "POST"])
@page_roles(*ADMIN_UI_ROLES)
def tags_page():
    """The tag library, its WeCom state and the tags WeCom refused."""
    is_hq = required_principal().is_hq
    if request.method == "POST":
        if not is_hq:
            abort(403)
        try:
            _act()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        except WeChatError as exc:
            db.session.rollback()
            flash(_("WeCom did not answer: %(error)s", error=str(exc)), "error")
        return redirect(url_for("community_tags.tags_page"), 303)
    counts = dict(
        db.session.execute(
            scoped(
                select(CustomerTagLink.tag_id, func.count()).group_by(CustomerTagLink.tag_id),
                CustomerTagLink,
            )
        ).all()
    )
    refused = db.session.execute(
        scoped(
            select(CustomerTagLink, Customer.nickname)
            .outerjoin(Customer, Customer.id == CustomerTagLink.customer_id)
            .where(CustomerTagLink.status == LINK_REFUSED)
            .order_by(CustomerTagLink.id.desc())
            .limit(100),
            CustomerTagLink,
        )
    ).all()
    categories = sorted(
        set(db.session.scalars(select(Product.category).where(Product.category != "")))
    )
    groups = tags.library()
    return render_template(
        "community/tags/list.html",
        groups=groups,
        rows=[(g, t) for g in groups for t in g.tags if not t.deleted],
        counts=counts,
        refused=refused,
        rules=tag_rules.rule_choices(categories),
        is_hq=is_hq,
    )


def _customer_columns() -> list[Column]:
    return [
        Column(
            "nickname",
            _l("Customer"),
            value=lambda r: r.nickname or _("Unnamed customer"),
            link=lambda r: url_for("franchise_customers.customer", object_id=r.id),
        ),
        Column("tier_label", _l("Value tier")),
        Column("source", _l("Tagged"), value=lambda r: str(SOURCE_LABELS.get(r.source, ""))),
        Column("status", _l("WeCom"), value=lambda r: str(LINK_LABELS.get(r.status, ""))),
        Column("error", _l("WeCom's reason")),
    ]


@bp.get("/tags/customers")
@page_roles(*ADMIN_UI_ROLES)
def tag_customers():
    """The customers carrying a tag, within the caller's scope, with CSV."""
    args = filter_args(TagCustomerQuerySchema)
    live = db.session.scalars(select(CustomerTag).where(CustomerTag.deleted.is_(False))).all()
    stmt = (
        scoped(
            select(
                Customer.id,
                Customer.nickname,
                Customer.tier_label,
                CustomerTagLink.source,
                CustomerTagLink.status,
                CustomerTagLink.error,
            ).join(CustomerTagLink, CustomerTagLink.customer_id == Customer.id),
            Customer,
        )
        .where(CustomerTagLink.tag_id == (args.get("tag_id") or 0))
        .order_by(Customer.id)
    )
    if args.get("q"):
        stmt = stmt.where(Customer.nickname.ilike(f"%{args['q'].strip()}%"))
    if request.args.get("format") == "csv":
        return csv_response("tag-customers.csv", _customer_columns(), stmt)
    fields = [
        {
            "name": "tag_id",
            "label": _("Tag"),
            "type": "select",
            "options": [(t.id, f"{t.group.name} · {t.name}") for t in live],
        },
        {"name": "q", "label": _("Search"), "type": "text", "placeholder": _("Name")},
    ]
    return render_template(
        "community/tags/customers.html",
        fields=fields,
        columns=_customer_columns(),
        page=paginate(stmt),
        export_url=export_url("community_tags.tag_customers"),
    )
