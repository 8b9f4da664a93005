"""The members pages (``/admin/members``): the list (HQ every member, an owner their
customers'; filter by level or number / name, paginated, CSV), a member's detail with
the level history and the points history, and (HQ) the points book's trial balance
with each franchisee's points line. Views never commit: services do.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.auth.scope import get_scoped_or_404
from app.clock import shanghai_day
from app.extensions import db
from app.web.form_input import FormInvalid, load_form
from app.web.labels import label
from app.web.listing import Column, csv_response, export_url, filter_args, paginate
from franchise.admin.settlement import picked_franchisee
from franchise.admin.support import (
    date_filter,
    is_hq,
    render_list,
    select_filter,
    text_filter,
)
from franchise.api.members import benefits_of, member_list_stmt
from franchise.member_schemas import (
    MemberListQuerySchema,
    PointItemCreateSchema,
    PointsHistoryFilters,
)
from franchise.models import LEVELS, Customer, Franchisee, PointItem
from franchise.services import members as member_service
from franchise.services import point_items, points, points_book, points_refunds
from franchise.services.points_book import POSTINGS

bp = Blueprint("members_admin", __name__, url_prefix="/admin", template_folder="../templates")

KIND_OPTIONS = [("", _l("All"))] + [(kind, _l(p.label)) for kind, p in POSTINGS.items()]
LEVEL_OPTIONS = [("", _l("All"))] + [(code, member_service.LEVEL_LABELS[code]) for code in LEVELS]


def kind_label(kind: str) -> str:
    posting = POSTINGS.get(kind)
    return str(_l(posting.label)) if posting else kind


def member_columns():
    return [
        Column("number", _l("Member number"), link=lambda m: f"/admin/members/{m.customer_id}"),
        Column("nickname", _l("Name"), value=lambda m: m.customer.nickname if m.customer else ""),
        Column("level", _l("Level"), value=lambda m: member_service.level_label(m.level)),
        Column("points", _l("Points"), numeric=True),
        Column("spend_12m_fen", _l("Spend, last 12 months"), money=True),
    ]


@bp.route("/members")
@page_roles(*ADMIN_UI_ROLES)
def members():
    """Members, filtered by level and a search term (number or name)."""
    fields = [text_filter("q", _l("Search")), select_filter("level", _l("Level"), LEVEL_OPTIONS)]
    return render_list(
        _l("Members"),
        MemberListQuerySchema,
        member_list_stmt,
        member_columns(),
        fields,
        "members.csv",
    )


def history_columns():
    return [
        Column("at", _l("Time"), value=lambda t: t.created_at, time=True),
        Column("kind", _l("Type"), value=lambda t: kind_label(t.kind)),
        Column("points", _l("Points"), value=lambda t: t.member_points, numeric=True),
        Column("memo", _l("Note"), value=lambda t: label(t.memo, "points_event") if t.memo else ""),
    ]


@bp.route("/members/<int:customer_id>")
@page_roles(*ADMIN_UI_ROLES)
def member_detail(customer_id: int):
    """One member: level, points, benefits, level history and points history."""
    customer = get_scoped_or_404(Customer, customer_id)
    stmt = points.history_stmt(customer.id, filter_args(PointsHistoryFilters))
    if request.args.get("format") == "csv":
        return csv_response(f"points-{customer.id}.csv", history_columns(), stmt)
    member = member_service.ensure(customer.id)
    db.session.commit()
    return render_template(
        "franchise/members/detail.html",
        customer=customer,
        member=member,
        level=member_service.level_label(member.level),
        benefits=benefits_of(member.level, customer.id),
        debt=points.debt_of(customer.id),
        is_hq=is_hq(),
        changes=member_service.history(member.id),
        reason_label=member_service.reason_label,
        level_label=member_service.level_label,
        columns=history_columns(),
        page=paginate(stmt),
        fields=[
            select_filter("kind", _l("Type"), KIND_OPTIONS),
            date_filter("date_from", _l("From")),
            date_filter("date_to", _l("To")),
        ],
        export_url=export_url(),
    )


def settlement_columns():
    return [
        Column("date", _l("Date"), value=lambda r: r["date"]),
        Column("earned", _l("Points paid for"), value=lambda r: r["earned"], numeric=True),
        Column("redeemed", _l("Points redeemed"), value=lambda r: r["redeemed"], numeric=True),
        Column("fen", _l("Amount"), value=lambda r: r["fen"], money=True),
    ]


@bp.route("/members/points-settlement")
@page_roles(*ADMIN_UI_ROLES)
def points_settlement():
    """A franchisee's points line per day (an owner: theirs; HQ picks one): negative
    for the points it paid for, positive for those members spent in its stores."""
    franchisees, chosen = picked_franchisee()
    since = shanghai_day() - timedelta(days=90)
    rows = points_book.daily_lines(chosen.id, since) if chosen else []
    if request.args.get("format") == "csv":
        return csv_response("points-settlement.csv", settlement_columns(), rows)
    return render_template(
        "franchise/members/points_settlement.html",
        franchisees=franchisees,
        chosen=chosen,
        columns=settlement_columns(),
        page=paginate(rows),
        export_url=export_url(),
        total=sum(r["fen"] for r in rows),
    )


def item_columns():
    return [
        Column("name", _l("Name")),
        Column("points", _l("Points"), numeric=True),
        Column("stock", _l("Stock"), numeric=True),
    ]


@bp.route("/members/point-items", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def point_items_page():
    """HQ's point items: the list and a form to add one (through the API's schema)."""
    errors: dict = {}
    status = 200
    if request.method == "POST":
        try:
            point_items.create_item(load_form(PointItemCreateSchema(), request.form))
            flash(_("Saved."), "success")
            return redirect(url_for("members_admin.point_items_page"), 303)
        except FormInvalid as exc:
            errors, status = exc.errors, 422
    return render_template(
        "franchise/members/point_items.html",
        columns=item_columns(),
        page=paginate(select(PointItem).order_by(PointItem.points)),
        errors=errors,
        values=request.form,
    ), status


@bp.route("/members/<int:customer_id>/write-off", methods=["POST"])
@page_roles(*HQ_ROLES)
def write_off(customer_id: int):
    """HQ writes off the points a member owes after a refund (HQ's carrier absorbs them)."""
    customer = get_scoped_or_404(Customer, customer_id)
    written = points_refunds.write_off_debt(customer.id)
    flash(_("%(points)s points written off.", points=written), "success")
    return redirect(url_for("members_admin.member_detail", customer_id=customer.id), 303)


@bp.route("/members/points-book")
@page_roles(*HQ_ROLES)
def points_book_page():
    """The points book by account kind, and each franchisee's points line."""
    names = dict(db.session.execute(select(Franchisee.id, Franchisee.name)).all())
    lines = points_book.settlement_lines()
    rows = [
        {"party": names.get(fid, "") if fid else str(_l("HQ")), **line}
        for fid, line in sorted(lines.items(), key=lambda kv: kv[0] or 0)
    ]
    return render_template(
        "franchise/members/points_book.html",
        kinds=points_book.trial_balance(),
        unbalanced=points_book.unbalanced_transactions(),
        orphans=points_book.orphan_entries(),
        rows=rows,
    )
