"""Coupons: issuing to customers, redeeming online and in store.

* A template is an amount off above a threshold, valid for a period (``valid_from`` /
  ``valid_until``, or ``valid_days`` from issue), of kind ``new_customer`` or ``campaign``,
  with a budget per region (``CouponBudget``); HQ creates and changes templates through
  ``franchise.services.coupon_templates``.
* Issuing takes one unit of the budget of the region of the customer's franchisee with
  one conditional ``UPDATE ... SET issued_count = issued_count + 1 WHERE issued_count <
  budget_count``: the database refuses the unit past the budget, even under concurrency.
  A customer gets at most one new-customer coupon: the check runs under the customer's
  row lock (``app.db.lock_row``, a real lock on SQLite too), so two first logins at
  once cannot both pass it. Codes are 12 random characters from
  an unambiguous alphabet (31^12 ≈ 8·10^17), so they cannot be guessed.
* Redemption online happens in ``franchise.services.orders.create_order`` (through
  ``claim_for_order``); in store a guide or owner redeems by code
  (``redeem_in_store``), attributed to them, their store and franchise. Either way the
  flip issued → redeemed is one conditional ``UPDATE … WHERE status = 'issued'``: of
  parallel redemptions exactly one changes the row, the others are refused as if they
  came after it.

"Expired" is not stored: an issued coupon whose ``expires_at`` has passed is expired.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import CursorResult

from app.auth.models import FRANCHISE_OWNER
from app.auth.principal import Principal
from app.auth.scope import scoped
from app.clock import utcnow
from app.db import lock_row
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.list_query import where_given
from app.row_state import move_status
from franchise.models import (
    COUPON_ISSUED,
    COUPON_REDEEMED,
    COUPON_VOID,
    Coupon,
    CouponBudget,
    CouponTemplate,
    Customer,
    Franchisee,
    Guide,
    Store,
)
from franchise.services.base import committed, invalid

log = logging.getLogger("siyu.franchise.coupons")

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
EXPIRED = "expired"  # a derived state, never stored


def new_code() -> str:
    """An unguessable 12-character coupon code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def coupon_state(coupon: Coupon, now: datetime | None = None) -> str:
    """``issued`` / ``redeemed`` / ``void`` / ``expired`` (issued but past ``expires_at``)."""
    now = now or utcnow()
    if coupon.status == COUPON_ISSUED and coupon.expires_at and coupon.expires_at <= now:
        return EXPIRED
    return coupon.status


# --- issuing ----------------------------------------------------------------------


_budgets = CouponBudget.__table__
# one unit of the budget of the region of the customer's franchisee, refused past it
_TAKE_BUDGET_UNIT = (
    update(_budgets)
    .where(
        _budgets.c.template_id == bindparam("template"),
        _budgets.c.region_id
        == select(Franchisee.region_id)
        .where(Franchisee.id == bindparam("franchisee"))
        .scalar_subquery(),
        _budgets.c.issued_count < _budgets.c.budget_count,
    )
    .values(issued_count=_budgets.c.issued_count + 1)
)


def _take_budget_unit(template_id: int, franchisee_id: int | None) -> bool:
    """Atomically count one coupon against the budget of the region of the customer's
    franchisee (found in the same statement); False when exhausted or no region."""
    result = db.session.execute(
        _TAKE_BUDGET_UNIT, {"template": template_id, "franchisee": franchisee_id}
    )
    return cast(CursorResult, result).rowcount == 1


def coupon_values(
    template_id: int, valid_until, valid_days, customer_id: int, franchisee_id: int, now
) -> dict:
    """A coupon's row: a new code, issued now, expiring at the template's end or after
    its days, whichever comes first."""
    expires = valid_until
    if valid_days:
        by_days = now + timedelta(days=valid_days)
        expires = min(expires, by_days) if expires else by_days
    return {
        "code": new_code(),
        "template_id": template_id,
        "customer_id": customer_id,
        "franchisee_id": franchisee_id,
        "status": COUPON_ISSUED,
        "issued_at": now,
        "expires_at": expires,
    }


def holds_new_customer_coupon(customer_id: int) -> bool:
    """Whether the customer was ever issued a new-customer coupon (one per customer;
    the caller holds the customer's row lock)."""
    return bool(
        db.session.scalar(
            select(Coupon.id)
            .join(CouponTemplate, CouponTemplate.id == Coupon.template_id)
            .where(Coupon.customer_id == customer_id, CouponTemplate.kind == "new_customer")
            .limit(1)
        )
    )


def _issue(template: CouponTemplate, customer: Customer) -> Coupon:
    """Add one coupon for ``customer`` to the session (no commit)."""
    now = utcnow()
    if not template.is_active:
        raise Conflict("This coupon template is not active.", code="template_inactive")
    if template.valid_until and template.valid_until <= now:
        raise Conflict("This coupon template has ended.", code="template_ended")
    if template.kind == "new_customer":
        # one per customer: lock the customer row so two first logins cannot both issue
        lock_row(db.session, Customer, customer.id)
        if holds_new_customer_coupon(customer.id):
            raise Conflict("The customer already has a new-customer coupon.", code="already_issued")
    if not _take_budget_unit(template.id, customer.franchisee_id):
        raise Conflict("The region's budget for this coupon is used up.", code="budget_exhausted")
    coupon = Coupon(
        **coupon_values(
            template.id,
            template.valid_until,
            template.valid_days,
            customer.id,
            customer.franchisee_id,
            now,
        )
    )
    db.session.add(coupon)
    return coupon


def issue_coupon(template_id: int, customer_id: int) -> Coupon:
    """Issue one coupon of a template to a customer (commits).

    409 when the template is inactive or ended, the region's budget is used up, or the
    customer already holds a new-customer coupon; 422 for an unknown template/customer.
    """
    with committed():
        template = db.session.get(CouponTemplate, template_id)
        if template is None:
            raise invalid("template_id", "No such coupon template.")
        customer = db.session.get(Customer, customer_id)
        if customer is None:
            raise invalid("customer_id", "No such customer.")
        coupon = _issue(template, customer)
    return coupon


def issue_new_customer_coupon(customer_id: int) -> Coupon | None:
    """Give a customer the current new-customer coupon, if any (commits; never raises).

    Called after a customer's first login. Returns ``None`` when there is no active
    new-customer template, the customer already has one, or the budget is used up.
    """
    now = utcnow()
    templates = db.session.scalars(
        select(CouponTemplate)
        .where(CouponTemplate.kind == "new_customer", CouponTemplate.is_active.is_(True))
        .order_by(CouponTemplate.id.desc())
    ).all()
    for template in templates:
        if template.valid_from and template.valid_from > now:
            continue
        try:
            return issue_coupon(template.id, customer_id)
        except DomainError as exc:
            log.info("no new-customer coupon for %s: %s", customer_id, exc.message)
            if exc.code == "already_issued":
                return None
    return None


_NEW_CUSTOMER_TEMPLATES = (
    select(
        CouponTemplate.id,
        CouponTemplate.valid_from,
        CouponTemplate.valid_until,
        CouponTemplate.valid_days,
    )
    .where(CouponTemplate.kind == "new_customer", CouponTemplate.is_active.is_(True))
    .order_by(CouponTemplate.id.desc())
)
_INSERT_COUPON = insert(Coupon.__table__)


def new_customer_template_rows() -> list:
    """The active new-customer templates, newest first: rows of (id, valid_from,
    valid_until, valid_days), the order a new customer is offered them."""
    return list(db.session.execute(_NEW_CUSTOMER_TEMPLATES).all())


def current_new_customer_templates(now: datetime, rows=None) -> list:
    """Those of ``rows`` (else read now: ``new_customer_template_rows``) current at
    ``now``, in the same order."""
    return [
        row
        for row in (new_customer_template_rows() if rows is None else rows)
        if not (row[1] and row[1] > now) and not (row[2] and row[2] <= now)
    ]


def new_customer_coupon_in_transaction(
    customer_id: int, franchisee_id: int, templates: list | None = None, now=None
) -> bool:
    """The new-customer coupon of a customer made in the caller's transaction (no
    commit, never raises): the same templates, order and budget rule as
    ``issue_new_customer_coupon``, without its lock and its "already has one" read (no
    other transaction can see the customer yet). A template that is not current or
    whose region's budget is used up writes nothing; True when a coupon was issued.
    ``templates`` (from ``current_new_customer_templates``) when the caller read them."""
    now = now or utcnow()
    if templates is None:
        templates = current_new_customer_templates(now)
    for template_id, _valid_from, valid_until, valid_days in templates:
        if _take_budget_unit(template_id, franchisee_id):
            db.session.execute(
                _INSERT_COUPON,
                coupon_values(
                    template_id, valid_until, valid_days, customer_id, franchisee_id, now
                ),
            )
            return True
        budget_used_up(customer_id, template_id)
    return False


def budget_used_up(customer_id: int | None, template_id: int) -> None:
    """Log a new-customer coupon the region's budget refused."""
    log.info("no new-customer coupon for %s: template %s budget used up", customer_id, template_id)


def bulk_issue(template_id: int, filters: dict, limit: int) -> dict:
    """Issue a template to up to ``limit`` customers matching ``filters`` (commits per 200).

    ``filters``: ``franchisee_id``, ``store_id``, ``region_id``, ``value_tier``; customers
    who already hold a coupon of this template are skipped. Returns
    ``{"issued", "skipped", "exhausted"}`` (``exhausted``: budget ran out on the way).
    """
    template = db.session.get(CouponTemplate, template_id)
    if template is None:
        raise invalid("template_id", "No such coupon template.")
    holders = select(Coupon.customer_id).where(Coupon.template_id == template_id)
    stmt = select(Customer.id).where(Customer.id.not_in(holders)).order_by(Customer.id)
    stmt = where_given(stmt, Customer, filters, ("franchisee_id", "store_id", "value_tier"))
    if filters.get("region_id"):
        stmt = stmt.where(
            Customer.franchisee_id.in_(
                select(Franchisee.id).where(Franchisee.region_id == filters["region_id"])
            )
        )
    ids = list(db.session.scalars(stmt.limit(limit)))
    issued = skipped = 0
    exhausted = False
    for n, customer_id in enumerate(ids, start=1):
        try:
            _issue(template, cast(Customer, db.session.get(Customer, customer_id)))
            issued += 1
        except Conflict as exc:
            if exc.code == "budget_exhausted":
                exhausted = True  # another region may still have budget
            skipped += 1
        if n % 200 == 0:
            db.session.commit()
    db.session.commit()
    return {"issued": issued, "skipped": skipped, "exhausted": exhausted}


# --- redeeming --------------------------------------------------------------------


def find_for_staff(code: str, principal: Principal) -> Coupon:
    """A coupon by code among the customers of the caller's franchise (HQ: any), or 404."""
    code = (code or "").strip().upper()
    stmt = select(Coupon).join(Customer, Customer.id == Coupon.customer_id)
    stmt = stmt.where(Coupon.code == code)
    if not principal.is_hq:  # a guide redeems for any customer of their franchise
        franchise_wide = Principal(FRANCHISE_OWNER, franchisee_id=principal.franchisee_id)
        stmt = scoped(stmt, Customer, franchise_wide)
    coupon = db.session.scalars(stmt).first() if code else None
    if coupon is None:
        raise NotFound("No coupon with this code among your customers.")
    return coupon


def refuse_unusable(coupon: Coupon) -> None:
    """409 with a clear message when the coupon is already redeemed, void or expired."""
    state = coupon_state(coupon)
    if state == COUPON_REDEEMED:
        raise Conflict("This coupon was already redeemed.", code="coupon_redeemed")
    if state == COUPON_VOID:
        raise Conflict("This coupon is void.", code="coupon_void")
    if state == EXPIRED:
        raise Conflict("This coupon has expired.", code="coupon_expired")
    start = coupon.template.valid_from if coupon.template else None
    if start and start > utcnow():
        raise Conflict("This coupon is not valid yet.", code="coupon_not_yet_valid")


def _mark_redeemed(coupon: Coupon, values: dict) -> None:
    """Flip issued → redeemed with one conditional update; 409 when someone was faster."""
    if not move_status(coupon, COUPON_ISSUED, COUPON_REDEEMED, redeemed_at=utcnow(), **values):
        raise Conflict("This coupon was already redeemed.", code="coupon_redeemed")
    db.session.expire(coupon)


def redeem_in_store(code: str, principal: Principal) -> Coupon:
    """A guide (or owner) redeems a customer's coupon in store (commits).

    Attribution: the guide, their store and franchise (an owner: the customer's store
    when it is theirs). 404 for a code outside the caller's franchise; 409 when
    redeemed, void or expired.
    """
    with committed():
        coupon = find_for_staff(code, principal)
        refuse_unusable(coupon)
        store_id = principal.store_id
        guide_id = principal.guide_id
        if guide_id is not None:
            store_id = db.session.scalar(select(Guide.store_id).where(Guide.id == guide_id))
        if store_id is None and coupon.customer is not None:
            store_id = coupon.customer.store_id
        franchisee_id = principal.franchisee_id or coupon.customer.franchisee_id
        if store_id is not None:
            store = db.session.get(Store, store_id)
            if store is None or store.franchisee_id != franchisee_id:
                store_id = None
        _mark_redeemed(
            coupon,
            {
                "redeemed_channel": "store",
                "redeemed_guide_id": guide_id,
                "redeemed_store_id": store_id,
                "redeemed_franchisee_id": franchisee_id,
                "redeemed_order_id": None,
            },
        )
    return coupon


def claim_for_order(code: str, customer_id: int, total_fen: int) -> Coupon:
    """Check a coupon for an online order and mark it redeemed (no commit; 422 on misuse).

    Another customer's code answers like an unknown one. The caller fills the order
    attribution with ``attribute_online`` once the order has an id.
    """
    coupon = db.session.scalars(
        select(Coupon).where(Coupon.code == code.strip().upper(), Coupon.customer_id == customer_id)
    ).first()
    if coupon is None:
        raise invalid("coupon_code", "No such coupon.")
    try:
        refuse_unusable(coupon)
    except Conflict as exc:
        raise invalid("coupon_code", exc.message) from exc
    if coupon.template.threshold_fen > total_fen:
        raise invalid("coupon_code", "The order does not reach the coupon's threshold.")
    try:
        _mark_redeemed(coupon, {"redeemed_channel": "online"})
    except Conflict as exc:  # a parallel order took it: the same answer as after it
        raise invalid("coupon_code", exc.message) from exc
    return coupon


def attribute_online(coupon: Coupon, order) -> None:
    """Record the order and its guide / store / franchise on a coupon redeemed online."""
    coupon.redeemed_order_id = order.id
    coupon.redeemed_guide_id = order.guide_id
    coupon.redeemed_store_id = order.store_id
    coupon.redeemed_franchisee_id = order.franchisee_id


def reissue(coupon: Coupon) -> None:
    """Give a coupon back to its customer after the order that used it was cancelled."""
    coupon.status = COUPON_ISSUED
    coupon.redeemed_at = None
    coupon.redeemed_channel = None
    coupon.redeemed_order_id = None
    coupon.redeemed_guide_id = None
    coupon.redeemed_store_id = None
    coupon.redeemed_franchisee_id = None
