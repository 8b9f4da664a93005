"""The scoped, filtered read queries of the organisation and of orders, shared by the API and pages.

Every statement starts from ``app.auth.scope.scoped`` (regions: from the franchisees
the caller may see), so no caller can forget the tenant filter. Read only.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.principal import Principal, current_principal
from app.auth.scope import scoped
from app.clock import shanghai_day_bounds
from app.errors import NotFound
from app.extensions import db
from app.list_query import search, where_given
from app.schemas import MAX_ID
from franchise.models import Franchisee, Guide, Order, Region, Store


def visible_regions():
    """Regions the caller may read: all for HQ, else those of their visible franchisees."""
    stmt = select(Region)
    principal = current_principal()
    if principal is None or not principal.is_hq:
        stmt = stmt.where(Region.id.in_(scoped(select(Franchisee.region_id), Franchisee)))
    return stmt


def region_stmt(args: dict):
    """The filtered region listing for ``GET /regions`` (and the admin page)."""
    stmt = visible_regions().order_by(Region.code)
    return search(stmt, args.get("q"), Region.name, Region.code)


def franchisee_stmt(args: dict):
    """The filtered, scoped franchisee listing."""
    stmt = scoped(select(Franchisee), Franchisee).order_by(Franchisee.id)
    stmt = where_given(stmt, Franchisee, args, ("region_id", "status"))
    columns = (Franchisee.name, Franchisee.sub_mch_id, Franchisee.contact_name)
    stmt = search(stmt, args.get("q"), *columns)
    return stmt


def store_stmt(args: dict):
    """The filtered, scoped store listing."""
    stmt = scoped(select(Store), Store).order_by(Store.code)
    stmt = where_given(stmt, Store, args, ("region_id", "franchisee_id", "city"))
    if args.get("is_open") is not None:
        stmt = stmt.where(Store.is_open == args["is_open"])
    stmt = search(stmt, args.get("q"), Store.name, Store.code, Store.address)
    return stmt


def guide_stmt(args: dict):
    """The filtered, scoped guide listing."""
    stmt = scoped(select(Guide), Guide).order_by(Guide.id)
    stmt = where_given(stmt, Guide, args, ("store_id", "franchisee_id", "status"))
    if args.get("region_id"):
        stmt = stmt.where(
            Guide.store_id.in_(select(Store.id).where(Store.region_id == args["region_id"]))
        )
    stmt = search(stmt, args.get("q"), Guide.name, Guide.wecom_userid, Guide.phone)
    return stmt.options(selectinload(Guide.wecom_member))


def get_region_or_404(region_id: int) -> Region:
    """A region the caller may read, or 404."""
    if not 1 <= region_id <= MAX_ID:
        raise NotFound("Region not found")
    region = db.session.scalars(visible_regions().where(Region.id == region_id)).first()
    if region is None:
        raise NotFound("Region not found")
    return region


def order_stmt(args: dict, principal: Principal | None = None):
    """The filtered order listing through the tenant scope (newest first).

    Filters: ``status``, ``franchisee_id``, ``store_id``, ``guide_id``, ``campaign_id``,
    ``customer_id``, ``date_from`` / ``date_to`` (Asia/Shanghai days of ``created_at``),
    ``q`` (order number). An owner sees their franchise's orders, a guide their own.
    """
    stmt = scoped(select(Order), Order, principal).order_by(Order.id.desc())
    stmt = where_given(
        stmt,
        Order,
        args,
        ("status", "franchisee_id", "store_id", "guide_id", "campaign_id", "customer_id"),
    )
    start, end = shanghai_day_bounds(args.get("date_from"), args.get("date_to"))
    if start is not None:
        stmt = stmt.where(Order.created_at >= start)
    if end is not None:
        stmt = stmt.where(Order.created_at < end)
    if args.get("q"):
        stmt = stmt.where(Order.order_no.startswith(str(args["q"]).strip(), autoescape=True))
    return stmt
