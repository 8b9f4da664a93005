"""Organisation admin routes under ``/admin/org/``: lists, CSV export, details and forms.

HQ sees and edits everything. A franchise owner sees their own franchisee, stores,
guides and region, and may edit only the phone and business hours of their own stores;
another franchise's object answers 404. Guides have no business here (403).

Listings reuse the scoped, filtered queries of ``franchise.queries``; forms go through
``franchise.services``, whose field errors are shown on the form. Views never commit.
"""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.auth.scope import get_scoped_or_404
from app.web.labels import label
from app.web.listing import paginate
from franchise import services
from franchise.admin.support import (
    FRANCHISEE_STATUS_OPTIONS,
    GUIDE_STATUS_OPTIONS,
    OPEN_OPTIONS,
    choices,
    franchisee_columns,
    franchisee_form,
    guide_columns,
    is_hq,
    region_columns,
    region_form,
    render_detail,
    render_list,
    save,
    select_filter,
    store_choices,
    store_columns,
    store_form,
    text_filter,
    wecom_link_label,
    wecom_member_choices,
)
from franchise.forms import (
    GuideForm,
    OwnerStoreForm,
)
from franchise.models import Franchisee, Guide, Region, Store
from franchise.queries import (
    franchisee_stmt,
    get_region_or_404,
    guide_stmt,
    region_stmt,
    store_stmt,
)
from franchise.schemas import (
    FranchiseeCreateSchema,
    FranchiseeQuerySchema,
    FranchiseeUpdateSchema,
    GuideCreateSchema,
    GuideQuerySchema,
    GuideUpdateSchema,
    OwnerStoreUpdateSchema,
    RegionCreateSchema,
    RegionQuerySchema,
    RegionUpdateSchema,
    StoreCreateSchema,
    StoreQuerySchema,
    StoreUpdateSchema,
)

bp = Blueprint("franchise_admin", __name__, url_prefix="/admin/org", template_folder="../templates")


# --- regions ----------------------------------------------------------------------


@bp.route("/regions")
@page_roles(*ADMIN_UI_ROLES)
def regions():
    """Regions (a franchise owner sees the region of their franchisee)."""
    return render_list(
        _l("Regions"),
        RegionQuerySchema,
        region_stmt,
        region_columns(),
        [text_filter("q", _l("Search"))],
        "regions.csv",
        "franchise_admin.region_new",
    )


@bp.route("/regions/new", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def region_new():
    form = region_form(None)
    return save(
        form,
        RegionCreateSchema(),
        services.create_region,
        _l("New region"),
        _l("Create"),
        "franchise_admin.region_edit",
    )


@bp.route("/regions/<int:object_id>/edit", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def region_edit(object_id):
    region = get_region_or_404(object_id)
    form = region_form(region)
    form.code.data = region.code
    return save(
        form,
        RegionUpdateSchema(),
        lambda data: services.update_region(region, data),
        _l("Edit region"),
        _l("Save"),
        "franchise_admin.region_edit",
    )


# --- franchisees ------------------------------------------------------------------


@bp.route("/franchisees")
@page_roles(*ADMIN_UI_ROLES)
def franchisees():
    """Franchisees, filtered by region, status and a search term."""
    fields = [
        text_filter("q", _l("Search")),
        select_filter("region_id", _l("Region"), choices(Region, blank=_l("All"))),
        select_filter("status", _l("Status"), FRANCHISEE_STATUS_OPTIONS),
    ]
    return render_list(
        _l("Franchisees"),
        FranchiseeQuerySchema,
        franchisee_stmt,
        franchisee_columns(),
        fields,
        "franchisees.csv",
        "franchise_admin.franchisee_new",
    )


@bp.route("/franchisees/<int:object_id>")
@page_roles(*ADMIN_UI_ROLES)
def franchisee(object_id):
    f = get_scoped_or_404(Franchisee, object_id)
    pairs = [
        (_l("Name"), f.name),
        (_l("Region"), f.region_name),
        (_l("Contact"), f.contact_name),
        (_l("Phone"), f.phone),
        (_l("WeChat Pay sub-merchant id"), f.sub_mch_id),
        (_l("HQ share"), f"{f.profit_share_bps / 100:g}%"),
        (_l("Status"), label(f.status, "franchisee_status")),
    ]
    stores = paginate(store_stmt({"franchisee_id": f.id}))
    return render_detail(
        f.name,
        pairs,
        url_for("franchise_admin.franchisee_edit", object_id=f.id) if is_hq() else None,
        [(_l("Stores"), store_columns(), stores)],
    )


@bp.route("/franchisees/new", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def franchisee_new():
    form = franchisee_form()
    return save(
        form,
        FranchiseeCreateSchema(),
        services.create_franchisee,
        _l("New franchisee"),
        _l("Create"),
        "franchise_admin.franchisee",
    )


@bp.route("/franchisees/<int:object_id>/edit", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def franchisee_edit(object_id):
    f = get_scoped_or_404(Franchisee, object_id)
    form = franchisee_form(f)
    return save(
        form,
        FranchiseeUpdateSchema(),
        lambda data: services.update_franchisee(f, data),
        _l("Edit franchisee"),
        _l("Save"),
        "franchise_admin.franchisee",
    )


# --- stores -----------------------------------------------------------------------


@bp.route("/stores")
@page_roles(*ADMIN_UI_ROLES)
def stores():
    """Stores, filtered by region, franchisee, city, open or closed and a search term."""
    fields = [
        text_filter("q", _l("Search")),
        select_filter("region_id", _l("Region"), choices(Region, blank=_l("All"))),
        select_filter("franchisee_id", _l("Franchisee"), choices(Franchisee, blank=_l("All"))),
        text_filter("city", _l("City")),
        select_filter("is_open", _l("Open"), OPEN_OPTIONS),
    ]
    return render_list(
        _l("Stores"),
        StoreQuerySchema,
        store_stmt,
        store_columns(),
        fields,
        "stores.csv",
        "franchise_admin.store_new",
    )


@bp.route("/stores/<int:object_id>")
@page_roles(*ADMIN_UI_ROLES)
def store(object_id):
    s = get_scoped_or_404(Store, object_id)
    pairs = [
        (_l("Code"), s.code),
        (_l("Name"), s.name),
        (_l("Franchisee"), s.franchisee_name),
        (_l("Region"), s.region_name),
        (_l("City"), s.city),
        (_l("Address"), s.address),
        (_l("Phone"), s.phone),
        (_l("Business hours"), s.business_hours),
        (_l("Latitude"), s.latitude),
        (_l("Longitude"), s.longitude),
        (_l("Open"), _("Yes") if s.is_open else _("No")),
    ]
    guides = paginate(guide_stmt({"store_id": s.id}))
    return render_detail(
        s.name,
        pairs,
        url_for("franchise_admin.store_edit", object_id=s.id),
        [(_l("Guides"), guide_columns(), guides)],
    )


@bp.route("/stores/new", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def store_new():
    form = store_form()
    return save(
        form,
        StoreCreateSchema(),
        services.create_store,
        _l("New store"),
        _l("Create"),
        "franchise_admin.store",
    )


@bp.route("/stores/<int:object_id>/edit", methods=["GET", "POST"])
@page_roles(*ADMIN_UI_ROLES)
def store_edit(object_id):
    """HQ edits every field; a franchise owner only the phone and business hours."""
    s = get_scoped_or_404(Store, object_id)
    if is_hq():
        form = store_form(s)
        return save(
            form,
            StoreUpdateSchema(),
            lambda data: services.update_store(s, data),
            _l("Edit store"),
            _l("Save"),
            "franchise_admin.store",
        )
    form = OwnerStoreForm(obj=s)
    return save(
        form,
        OwnerStoreUpdateSchema(),
        lambda data: services.update_store_details(s, data),
        _l("Edit store"),
        _l("Save"),
        "franchise_admin.store",
    )


# --- guides -----------------------------------------------------------------------


@bp.route("/guides")
@page_roles(*ADMIN_UI_ROLES)
def guides():
    """Guides, filtered by store, franchisee, status and a search term."""
    fields = [
        text_filter("q", _l("Search")),
        select_filter("franchisee_id", _l("Franchisee"), choices(Franchisee, blank=_l("All"))),
        select_filter("store_id", _l("Store"), choices(Store, blank=_l("All"))),
        select_filter("status", _l("Status"), GUIDE_STATUS_OPTIONS),
    ]
    return render_list(
        _l("Guides"),
        GuideQuerySchema,
        guide_stmt,
        guide_columns(),
        fields,
        "guides.csv",
        "franchise_admin.guide_new",
    )


@bp.route("/guides/<int:object_id>")
@page_roles(*ADMIN_UI_ROLES)
def guide(object_id):
    g = get_scoped_or_404(Guide, object_id)
    pairs = [
        (_l("Name"), g.name),
        (_l("Store"), g.store_name),
        (_l("Franchisee"), g.franchisee_name),
        (_l("Phone"), g.phone),
        (_l("WeCom"), wecom_link_label(g)),
        (_l("Status"), label(g.status, "guide_status")),
    ]
    return render_detail(
        g.name, pairs, url_for("franchise_admin.guide_edit", object_id=g.id) if is_hq() else None
    )


@bp.route("/guides/new", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def guide_new():
    form = GuideForm()
    form.store_id.choices = store_choices(open_only=True)
    form.wecom_userid.choices = wecom_member_choices()
    del form.status
    return save(
        form,
        GuideCreateSchema(),
        services.create_guide,
        _l("New guide"),
        _l("Create"),
        "franchise_admin.guide",
    )


@bp.route("/guides/<int:object_id>/edit", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def guide_edit(object_id):
    g = get_scoped_or_404(Guide, object_id)
    form = GuideForm(obj=g)
    form.store_id.choices = store_choices()
    form.wecom_userid.choices = wecom_member_choices(g.wecom_userid)
    return save(
        form,
        GuideUpdateSchema(),
        lambda data: services.update_guide(g, data),
        _l("Edit guide"),
        _l("Save"),
        "franchise_admin.guide",
    )
