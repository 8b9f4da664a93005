"""Admin pages for WeCom contacts (``/admin/contacts``).

* ``/admin/contacts``: every guide ↔ customer relationship the caller may see (HQ all, an
  owner their franchise), filters guide / tag / status / q, pagination, CSV
  (``?format=csv``);
* ``/admin/contacts/guides``: per guide: contacts, new this week, deleted by customers
  (all time and this week), CSV.

Views never commit: services do.
"""

from __future__ import annotations

from flask import g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES
from app.extensions import db
from app.web.listing import Column, csv_response, export_url, filter_args, paginate
from app.web.pages import pages_blueprint
from community.models.contacts import ContactFollow
from community.schemas import ContactQuerySchema
from community.services.contact_list import contact_stmt, guide_figures, status_of
from community.services.contact_ways import way_by_state
from community.services.contacts import contact_tags
from franchise.admin.support import choices
from franchise.models import Guide, Store

bp = pages_blueprint("community_contacts", __name__, "/admin")

STATUS_LABELS = {
    "active": _l("Friends"),
    "deleted_by_customer": _l("Deleted by the customer"),
    "deleted_by_guide": _l("Deleted by the guide"),
}
WELCOME_LABELS = {"sent": _l("Sent"), "stale": _l("Too late"), "failed": _l("Failed")}


def channel_label(follow: ContactFollow) -> str:
    """Which code brought the contact, in words (the raw ``state`` when not a Siyu code);
    each state is looked up once per request (a CSV repeats them)."""
    cache = g.setdefault("contact_channels", {})
    if follow.state not in cache:
        cache[follow.state] = _channel_words(follow.state)
    return cache[follow.state]


def _channel_words(state: str | None) -> str:
    way = way_by_state(state)
    if way is None:
        return state or ""
    if way.kind == "store":
        store = db.session.get(Store, way.store_id) if way.store_id else None
        return _("Store code: %(store)s", store=store.name if store else "")
    guide = db.session.get(Guide, way.guide_id) if way.guide_id else None
    name = guide.name if guide else ""
    if way.kind == "campaign":
        return _("%(guide)s's live campaign code", guide=name)
    return _("%(guide)s's code", guide=name)


def _tags(follow: ContactFollow) -> str:
    return "、".join(contact_tags([follow.contact_id]).get(follow.contact_id, []))


def _columns() -> list[Column]:
    return [
        Column("name", _l("Customer"), value=lambda f: f.contact.name if f.contact else ""),
        Column("remark", _l("Remark")),
        Column("guide", _l("Guide"), value=lambda f: f.guide.name if f.guide else f.userid),
        Column("store", _l("Store"), value=lambda f: f.guide.store_name if f.guide else None),
        Column("tags", _l("Tags"), value=_tags),
        Column("add_time", _l("Added"), time=True),
        Column("state", _l("Channel"), value=channel_label),
        Column("status", _l("Status"), value=lambda f: str(STATUS_LABELS[status_of(f)])),
        Column(
            "linked",
            _l("Mini-program customer"),
            value=lambda f: _("Linked") if f.contact and f.contact.customer_id else _("Not yet"),
        ),
        Column(
            "welcome",
            _l("Welcome message"),
            value=lambda f: str(WELCOME_LABELS.get(f.welcome_status or "", "")),
        ),
        Column("external_userid", _l("External user id")),
    ]


def _filter_fields() -> list[dict]:
    return [
        {"name": "q", "label": _("Search"), "type": "text", "placeholder": _("Name or remark")},
        {"name": "guide_id", "label": _("Guide"), "type": "select", "options": choices(Guide)},
        {"name": "tag", "label": _("Tag"), "type": "text"},
        {
            "name": "status",
            "label": _("Status"),
            "type": "select",
            "options": STATUS_LABELS.items(),
        },
    ]


@bp.get("/contacts")
@page_roles(*ADMIN_UI_ROLES)
def contacts():
    """The contacts list with filters and CSV export."""
    args = filter_args(ContactQuerySchema)
    stmt = contact_stmt(args)
    if request.args.get("format") == "csv":
        return csv_response("contacts.csv", _columns(), stmt)
    return render_template(
        "community/contacts/list.html",
        fields=_filter_fields(),
        columns=_columns(),
        page=paginate(stmt),
        export_url=export_url("community_contacts.contacts"),
    )


def _figure_columns() -> list[Column]:
    return [
        Column("guide_name", _l("Guide")),
        Column("store_name", _l("Store")),
        Column("franchisee_name", _l("Franchisee")),
        Column("contacts", _l("Contacts"), numeric=True),
        Column("new_this_week", _l("New this week"), numeric=True),
        Column("deleted_by_customers", _l("Deleted by customers"), numeric=True),
        Column("deleted_this_week", _l("Deleted this week"), numeric=True),
    ]


@bp.get("/contacts/guides")
@page_roles(*ADMIN_UI_ROLES)
def guide_contacts():
    """Per guide: contacts, new this week, deleted by customers; CSV export."""
    rows = guide_figures()
    if request.args.get("format") == "csv":
        return csv_response("guide-contacts.csv", _figure_columns(), rows)
    return render_template(
        "community/contacts/guides.html",
        columns=_figure_columns(),
        page=paginate(rows),
        export_url=export_url("community_contacts.guide_contacts"),
    )
