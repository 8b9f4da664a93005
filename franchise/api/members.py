"""Members and points API.

Mini-program (customer token): ``GET /api/v1/mp/points/history`` (CONTRACT: paginated
``{"points", "kind", "order_id"?, "at"}``, newest first), ``GET /api/v1/mp/points/items``
and ``POST /api/v1/mp/points/redeem``; ``GET /api/v1/mp/me`` carries ``member``
(``member_payload``). HQ: ``GET|PUT /api/v1/members/settings``, ``GET /api/v1/members``
(HQ every member, an owner theirs), ``GET /api/v1/members/trial-balance`` (the points
book by account kind and each franchisee's points line).
"""

from __future__ import annotations

from datetime import date

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import func, select

from app.auth.decorators import api_roles
from app.auth.models import ADMIN_UI_ROLES, CUSTOMER, HQ_ROLES
from app.auth.principal import current_principal
from app.auth.scope import scoped
from app.clock import shanghai_day, shanghai_midnight
from app.extensions import db
from app.schemas import page_of
from franchise.member_schemas import (
    MemberConfigSchema,
    MemberListQuerySchema,
    MemberPageSchema,
    MemberSchema,
    PointItemCreateSchema,
    PointItemSchema,
    PointsHistoryPageSchema,
    PointsHistoryQuerySchema,
    PointsRedeemSchema,
)
from franchise.models import Appointment, Customer, Member
from franchise.services import member_settings, members, point_items, points, points_book
from franchise.services.points_expiry import expiring

blp = Blueprint(
    "franchise_members_api",
    __name__,
    url_prefix="/api/v1",
    description="Members, levels and points",
)


def cleanings_used(customer_id: int) -> int:
    """Maintenance (cleaning) visits booked this Shanghai year, cancelled ones aside."""
    start = shanghai_midnight(date(shanghai_day().year, 1, 1))
    return int(
        db.session.scalar(
            select(func.count()).where(
                Appointment.customer_id == customer_id,
                Appointment.kind == "maintenance",
                Appointment.status != "cancelled",
                Appointment.slot_start >= start,
            )
        )
        or 0
    )


def benefits_of(level: str, customer_id: int | None = None) -> dict:
    """What the level gives (HQ's settings): discount, cleanings (and how many are left
    this year, through maintenance appointments), priority, invitations, and whether a
    birthday coupon comes."""
    rule = member_settings.level_rules().get(level, {})
    allowance = int(rule.get("free_cleanings", 0))
    used = cleanings_used(customer_id) if customer_id else 0
    return {
        "discount_pct": rule.get("discount_pct", 0),
        "free_cleanings": allowance,
        "free_cleanings_left": max(0, allowance - used),
        "priority_slots": bool(rule.get("priority_slots")),
        "event_invitations": bool(rule.get("event_invitations")),
        "birthday_coupon": bool(rule.get("birthday_coupon_template_id")),
    }


def member_payload(customer_id: int) -> dict:
    """The CONTRACT ``member`` of ``/mp/me``; earns any paid order not earned yet
    first (commits), so a payment shows here as soon as it is posted."""
    member = members.ensure(customer_id)
    db.session.commit()
    points.catch_up(customer_id)
    db.session.refresh(member)
    return MemberSchema().dump(
        {
            "number": member.number,
            "level": member.level,
            "level_label": members.level_label(member.level),
            "points": member.points,
            "points_expiring": expiring(member),
            "debt_points": points.debt_of(customer_id),
            "benefits": benefits_of(member.level, customer_id),
        }
    )


def _customer_id() -> int:
    principal = current_principal()
    assert principal is not None and principal.customer_id is not None  # a customer's
    return principal.customer_id


@blp.route("/mp/points/history")
class PointsHistory(MethodView):
    @api_roles(CUSTOMER)
    @blp.arguments(PointsHistoryQuerySchema, location="query")
    @blp.response(200, PointsHistoryPageSchema)
    def get(self, args):
        """My points history, newest first (+ added, − taken); ``kind`` and
        ``date_from`` / ``date_to`` (Shanghai days) narrow it."""
        cid = _customer_id()
        points.catch_up(cid)
        return page_of(points.history_stmt(cid, args), args)


@blp.route("/mp/points/items")
class PointItems(MethodView):
    @blp.response(200, PointItemSchema(many=True))
    def get(self):
        """What points can be exchanged for (no token needed)."""
        return point_items.active_items()


class RedemptionSchema(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    points = fields.Integer()
    created_at = fields.DateTime()


@blp.route("/mp/points/redeem")
class PointsRedeem(MethodView):
    @api_roles(CUSTOMER)
    @blp.arguments(PointsRedeemSchema)
    @blp.response(201, RedemptionSchema)
    @blp.alt_response(422, description="Too few points (points) or no stock (item_id)")
    def post(self, body):
        """Exchange points for an item, collected at my store."""
        return point_items.redeem(_customer_id(), body["item_id"])


@blp.route("/members/point-items")
class HqPointItems(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(PointItemCreateSchema)
    @blp.response(201, PointItemSchema)
    def post(self, body):
        """Add a point item (HQ)."""
        return point_items.create_item(body)


@blp.route("/members/settings")
class MemberSettings(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(200, MemberConfigSchema)
    def get(self):
        """HQ's member settings (levels, points rules)."""
        return member_settings.config()

    @api_roles(*HQ_ROLES)
    @blp.arguments(MemberConfigSchema)
    @blp.response(200, MemberConfigSchema)
    def put(self, body):
        """Change HQ's member settings (fields given replace the stored ones)."""
        return member_settings.save(body)


def member_list_stmt(args: dict):
    """Members visible to the caller (through their customer's scope), filtered."""
    stmt = scoped(select(Member).join(Customer, Customer.id == Member.customer_id), Customer)
    if args.get("level"):
        stmt = stmt.where(Member.level == args["level"])
    if args.get("q"):
        like = f"%{args['q']}%"
        stmt = stmt.where(Member.number.like(like) | Customer.nickname.like(like))
    return stmt.order_by(Member.id.desc())


@blp.route("/members")
class MemberList(MethodView):
    @api_roles(*ADMIN_UI_ROLES)
    @blp.arguments(MemberListQuerySchema, location="query")
    @blp.response(200, MemberPageSchema)
    def get(self, args):
        """Members (HQ: all; an owner: their customers'), filter by level or number."""
        return page_of(member_list_stmt(args), args)


@blp.route("/members/trial-balance")
class PointsTrialBalance(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(200)
    def get(self):
        """The points book per account kind, and each party's points line in fen."""
        lines = points_book.settlement_lines()
        return {
            "kinds": points_book.trial_balance(),
            "unbalanced": points_book.unbalanced_transactions(),
            "lines": [
                {"franchisee_id": fid, **line}
                for fid, line in sorted(lines.items(), key=lambda kv: kv[0] or 0)
            ],
        }
