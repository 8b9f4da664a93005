"""Orders: placing them at list price with a coupon, and moving them through ORDER_FLOW.

``create_order`` prices the lines from active products (duplicate product lines are
merged), applies the customer's coupon (discount = min(amount off, total)), takes the
stock with conditional updates (the lines, their limits and the stock are
``order_lines``), attributes the order (franchisee = the customer's at order time, the
payee; store = the customer's; guide = the share code's guide when the code belongs to
the same franchise, else the customer's) and commits once.

ORDER_FLOW (who may move an order to a state)::

    created  → paid (payments only) | cancelled (customer, owner, HQ) | closed (payments)
    paid     → shipped   (HQ: the central warehouse ships to the franchisee)
    shipped  → received  (owner, or a guide of the order's store)
    received → delivered | picked_up (owner, or a guide of the order's store)
    delivered | picked_up → completed (owner, guide of the store, HQ, or the auto job)

Campaign orders: a share code that carries a livestream campaign puts the campaign on
the order when the caller named none. The hook ``CAMPAIGN_PRICING`` holds listeners the
livestream domain adds (franchise never imports it): ``hook(campaign_id, merged)``
gets ``{product_id: quantity}`` and returns ``{product_id: unit_price_fen}`` for the
products sold at a live price, or raises a ``DomainError`` (unknown campaign).
``CAMPAIGN_RESERVATIONS`` run last, with the order's lines already written and just
before stock is taken: ``hook(campaign_id, merged)`` locks what it limits (a line-up's
stock cap) and raises a ``DomainError`` when the order would pass it, so that lock, like
the product's, is held for the end of the transaction only. ``CAMPAIGN_RELEASES`` get
the same ``hook(campaign_id, {product_id: quantity})`` when a campaign order is cancelled
or closed, before its stock is given back (the same lock order as placing). All run
inside the caller's transaction.

Every change writes an ``OrderEvent`` (from, to, actor, role, note). A move that is not
allowed from the current state answers 409 with the allowed next states in
``errors.allowed``; a move the caller's role may not make answers 403 (same shape).
Repeating a move that already happened is not allowed from the new state, so it is a
409 too: the client re-reads the order instead of assuming it did something.
Cancelling or closing an unpaid order gives the stock back and re-issues its coupon.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import CUSTOMER, FRANCHISE_OWNER, GUIDE
from app.auth.principal import Principal
from app.clock import utcnow
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.extensions import db, hooks
from app.i18n import tr
from app.row_state import move_status
from franchise.models import (
    CANCELLED,
    CLOSED,
    COMPLETED,
    CREATED,
    DELIVERED,
    PICKED_UP,
    Coupon,
    Customer,
    Order,
    OrderEvent,
    ShareCode,
)
from franchise.services import (  # pieces, piece_pricing, pricing, trade_in: issue 19
    coupons,
    members,
    order_lines,
    order_read,
    order_writes,
    piece_pricing,
    pieces,
    pricing,
    trade_in,
)
from franchise.services import fulfilment as fulfilment_service  # issue 19
from franchise.services import points as member_points
from franchise.services.base import commit_then_notify, invalid, rollback_and_raise
from franchise.services.order_flow import (
    ORDER_FLOW,
    SYSTEM,
    TRANSITION_ROLES,
    allowed_next,
    status_label,
)

MAX_CAMPAIGN_ID = 2**31 - 1

# livestream registers its live prices and stock-cap check here (see the module docstring)
# Hooks (``app.extensions.add_hook``), each called with (campaign id, {product id: units}).
CAMPAIGN_PRICING = "franchise.campaign_pricing"  # returns {product id: price in fen}
CAMPAIGN_RESERVATIONS = "franchise.campaign_reservations"
CAMPAIGN_RELEASES = "franchise.campaign_releases"


# --- placing an order -------------------------------------------------------------


def _guide_for(
    customer: Customer, code: ShareCode | None
) -> tuple[int | None, str | None, int | None]:
    """(guide, code, campaign): the share code's guide when the code is of the customer's
    franchise, else theirs; the code's campaign when it carries one."""
    if code is not None:
        if code.franchisee_id == customer.franchisee_id and code.guide_id is not None:
            return code.guide_id, code.code, code.campaign_id
        return customer.guide_id, code.code, code.campaign_id
    return customer.guide_id, None, None


def _checked_body(customer_id: int, items: list[dict], fulfilment: dict | None):
    """The merged lines and the fulfilment choice (422 naming the field); a customer who
    does not exist is still a 404 first (it was read before the body was checked)."""
    try:
        return order_lines.merge_items(items), fulfilment_service.check_choice(fulfilment)
    except DomainError:
        if db.session.get(Customer, customer_id) is None:
            raise NotFound("Customer not found") from None
        raise


def create_order(
    customer_id: int,
    items: list[dict],
    coupon_code: str | None = None,
    share_code: str | None = None,
    campaign_id: int | None = None,
    points: int = 0,
    fulfilment: dict | None = None,  # issue 19: {"mode", "address"?}, pickup by default
) -> Order:
    """Place an order for a customer (commits); see the module docstring for the rules.

    ``points``: points to spend on it (``franchise.services.points``: 422 on ``points``
    when not held or above HQ's cap); the payable is reduced by their value.

    ``items``: ``[{"product_id", "quantity"}]``. 422 for bad lines, inactive products,
    missing stock, or a coupon that is not the customer's, used, expired or above the
    total; 404 when the customer does not exist.

    Two statements on PostgreSQL for an order with nothing to hold or spend besides the
    stock (no campaign, points, coupon or registered piece): ``order_read`` (the
    customer, the code, the products, their pricing and metal prices) and the write
    (``order_writes.write_placed``, the stock taken in the same statement).
    """
    try:
        if campaign_id is not None and (
            not isinstance(campaign_id, int)
            or isinstance(campaign_id, bool)
            or not 1 <= campaign_id <= MAX_CAMPAIGN_ID
        ):
            raise invalid("campaign_id", "A campaign id is a positive whole number.")
        merged, chosen = _checked_body(customer_id, items, fulfilment)
        read = order_read.read_for_order(customer_id, share_code, list(merged))
        customer = read.customer
        if customer is None:
            raise NotFound("Customer not found")
        guide_id, used_code, code_campaign = _guide_for(customer, read.code)
        campaign_id = campaign_id or code_campaign
        prices: dict[int, int] = {}
        if campaign_id is not None:
            for hook in hooks(CAMPAIGN_PRICING):
                prices.update(hook(campaign_id, dict(merged)))
        lines = order_lines.priced_lines(merged, prices, read.products)
        picked = piece_pricing.pick_for_lines(lines, items, customer.store_id, read.rows)
        # sizes, by weight, snapshot; the products sold piece by piece from the same rows
        tracked = pricing.price_order_lines(
            lines, items, prices, picked, (read.rows, read.variants), read.boards
        )
        total = sum(line.line_total_fen for line in lines)
        coupon = coupons.claim_for_order(coupon_code, customer.id, total) if coupon_code else None
        discount = min(coupon.template.amount_off_fen, total) if coupon else 0
        discount += members.level_discount(customer.id, lines, total - discount)  # --- members
        points_fen = member_points.quote(customer.id, points, total - discount)  # --- members
        order = Order(
            order_no=order_lines.new_order_no(),
            customer_id=customer.id,
            franchisee_id=customer.franchisee_id,
            store_id=customer.store_id,
            guide_id=guide_id,
            campaign_id=campaign_id,
            share_code=used_code,
            coupon_id=coupon.id if coupon else None,
            status=CREATED,
            fulfilment=chosen["mode"],
            total_fen=total,
            discount_fen=discount,
            payable_fen=total - discount - points_fen,
            points_used=points if points_fen else 0,
            points_fen=points_fen,
            lines=lines,
        )
        event = OrderEvent(to_status=CREATED, actor_role=CUSTOMER, note="")
        # the stock is the last thing taken: with nothing else to hold before the commit,
        # in the order's own statement (issue 20)
        stock_last = campaign_id is None and coupon is None and not points_fen
        stock_last = stock_last and not picked and not tracked.intersection(merged)
        # one statement on PostgreSQL: order, lines, snapshots, event, fulfilment (issue 20)
        taken = order_writes.write_placed(
            order, event, fulfilment_service.new_row(chosen), take_stock=stock_last
        )
        member_points.burn_for_order(order)  # --- members: spend the points (locked)
        if coupon is not None:
            coupons.attribute_online(coupon, order)
        if campaign_id is not None:
            for hook in hooks(CAMPAIGN_RESERVATIONS):
                hook(campaign_id, dict(merged))
        pieces.hold_for_order(order, lines, pricing.chosen_variants(items), picked, tracked)
        order_lines.take_stocks(lines, taken)
    except DomainError as exc:
        rollback_and_raise(exc)
    commit_then_notify(keep_loaded=True)  # the answer is the order as written
    return order


# --- moving an order --------------------------------------------------------------


def _release(order: Order) -> None:
    """Give back the campaign's counted units, the stock (in product id order, as it was
    taken) and the coupon of an order that will not be paid."""
    lines = sorted(order.lines, key=lambda line: line.product_id)
    releases = hooks(CAMPAIGN_RELEASES)
    if order.campaign_id is not None and releases:
        given_back: dict[int, int] = {}
        for line in lines:
            given_back[line.product_id] = given_back.get(line.product_id, 0) + line.quantity
        for hook in releases:
            hook(order.campaign_id, given_back)
    pieces.release(order)  # issue 19: registered pieces go back to the store
    trade_in.release(order)  # issue 19: an old-gold credit is given back
    order_lines.give_back_stocks(lines)
    if order.coupon_id is not None:
        coupon = db.session.get(Coupon, order.coupon_id)
        if coupon is not None and coupon.redeemed_order_id == order.id:
            coupons.reissue(coupon)
    member_points.on_order_released(order)  # --- members: give the points back


def _move(order: Order, to: str, role: str, user_id: int | None, note: str) -> None:
    """Check the flow, lock the row by a conditional update, log the event (no commit)."""
    allowed = ORDER_FLOW.get(order.status, ())
    if to not in allowed:
        raise Conflict(
            "This move is not allowed from the order's current state.",
            code="invalid_transition",
            errors={
                "to": [
                    tr(
                        "Not allowed from %(status)s to %(to)s.",
                        status=status_label(order.status),
                        to=status_label(to),
                    )
                ],
                "allowed": list(allowed),  # state codes: data, never translated
            },
        )
    if role not in TRANSITION_ROLES.get(to, ()):
        raise Forbidden(
            "Your role cannot make this move.",
            code="transition_not_permitted",
            errors={"to": [tr("Not for your role.")], "allowed": allowed_next(order, role)},
        )
    previous = order.status
    if not move_status(order, previous, to, updated_at=utcnow()):
        raise Conflict("The order changed meanwhile; reload it.", code="stale_order")
    db.session.expire(order, ["status", "updated_at"])
    if to in (CANCELLED, CLOSED):
        _release(order)
    db.session.add(
        OrderEvent(
            order_id=order.id,
            from_status=previous,
            to_status=to,
            actor_user_id=user_id,
            actor_role=role,
            note=(note or "")[:255],
        )
    )


def transition(order: Order, to: str, principal: Principal, note: str = "") -> Order:
    """Move ``order`` (already loaded through the caller's scope) to ``to`` (commits).

    The role rules of TRANSITION_ROLES apply; a guide acts only on their store's orders
    and an owner on their franchise's (else 404, as for reading).
    """
    try:
        if principal.role == GUIDE and order.store_id != principal.store_id:
            raise NotFound("Order not found")
        if principal.role == FRANCHISE_OWNER and order.franchisee_id != principal.franchisee_id:
            raise NotFound("Order not found")
        if principal.role == CUSTOMER and order.customer_id != principal.customer_id:
            raise NotFound("Order not found")
        _move(order, to, principal.role, principal.user_id, note)
    except DomainError as exc:
        rollback_and_raise(exc)
    commit_then_notify()
    return order


def system_transition(order_id: int, to: str, note: str = "") -> Order:
    """A move made by the system (payments closing an unpaid order, the auto-complete job)."""
    try:
        order = db.session.get(Order, order_id)
        if order is None:
            raise NotFound("Order not found")
        _move(order, to, SYSTEM, None, note)
    except DomainError as exc:
        rollback_and_raise(exc)
    commit_then_notify()
    return order


def close_unpaid_order(order_id: int, note: str = "unpaid timeout") -> Order:
    """created → closed (payments: no payment in time); gives back stock and coupon."""
    return system_transition(order_id, CLOSED, note)


def auto_complete(days: int = 7, limit: int = 500) -> int:
    """Complete orders delivered / picked up more than ``days`` ago; returns how many."""
    cutoff = utcnow() - timedelta(days=days)
    ids = db.session.scalars(
        select(Order.id)
        .where(Order.status.in_((DELIVERED, PICKED_UP)), Order.updated_at < cutoff)
        .order_by(Order.id)
        .limit(limit)
    ).all()
    done = 0
    for order_id in ids:
        try:
            system_transition(order_id, COMPLETED, "auto-completed")
            done += 1
        except DomainError:
            continue
    return done
