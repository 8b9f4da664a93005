"""In-store sales a guide records on mobile: member, products, the amount paid and how.

``record_sale`` makes an order with channel ``store``, already ``completed`` (paid and
handed over at the counter), attributed to the guide, their store and the customer's
franchisee, so it counts wherever paid orders count (value tiers, levels, the guide's
results, campaign attribution through the guide) and earns points at once. A coupon
redeemed with the sale is checked against the recorded amount (its threshold) and
linked to the order. The products are priced at list price for the record; a line naming
a registered piece (``piece_serial``, in stock at the guide's store) is priced by that
piece's own weight with its components snapshotted, and the piece is sold with the
order. The amount paid is what the guide entered (at most the list total). No WeChat
payment is involved.
"""

from __future__ import annotations

from app.auth.principal import Principal
from app.auth.scope import get_scoped_or_404
from app.clock import utcnow
from app.errors import DomainError, Forbidden
from app.extensions import db
from app.i18n import tr
from franchise.models import (
    COMPLETED,
    PAID_BY,
    Customer,
    Guide,
    Order,
    OrderEvent,
    StoreSale,
)
from franchise.services import coupons, piece_pricing, pieces, points, pricing
from franchise.services.base import invalid, rollback_and_raise
from franchise.services.order_flow import store_principal
from franchise.services.order_lines import merge_items, new_order_no, priced_lines, take_stocks


def record_sale(
    principal: Principal,
    customer_id: int,
    items: list[dict],
    amount_fen: int,
    paid_by: str,
    coupon_code: str | None = None,
    note: str = "",
) -> Order:
    """Record a guide's in-store sale (commits); 404 for a customer outside the guide's
    store, 422 naming the field for bad lines, amount, payment or coupon."""
    try:
        if principal.guide_id is None:
            raise Forbidden("Only a guide records in-store sales.")
        customer = get_scoped_or_404(Customer, customer_id, store_principal(principal))
        guide = db.session.get(Guide, principal.guide_id)
        assert guide is not None  # the principal's own
        if paid_by not in PAID_BY:
            raise invalid("paid_by", "Choose how the customer paid.")
        lines = priced_lines(merge_items(items))
        picked = piece_pricing.sale_pieces(items, lines, guide.store_id)  # issue 19
        sold = [line for line in lines if line.product_id in picked]
        if sold:  # a registered piece: priced by its own weight, the components kept
            sizes = [{"product_id": p, "variant_id": x.variant_id} for p, x in picked.items()]
            pricing.price_order_lines(sold, sizes, {}, picked)
        total = sum(line.line_total_fen for line in lines)
        if not isinstance(amount_fen, int) or not 0 < amount_fen <= total:
            raise invalid(
                "amount_fen", tr("Between 0.01 and %(yuan)s yuan.", yuan=f"{total / 100:.2f}")
            )
        coupon = None
        if coupon_code:
            coupon = coupons.find_for_staff(coupon_code, principal)
            if coupon.customer_id != customer.id:
                raise invalid("coupon_code", "This coupon is not this customer's.")
            coupons.refuse_unusable(coupon)
            if coupon.template.threshold_fen > amount_fen:
                raise invalid("coupon_code", "The sale does not reach the coupon's threshold.")
        now = utcnow()
        order = Order(
            order_no=new_order_no(),
            channel="store",
            customer_id=customer.id,
            franchisee_id=customer.franchisee_id,
            store_id=guide.store_id,
            guide_id=guide.id,
            coupon_id=coupon.id if coupon else None,
            status=COMPLETED,
            total_fen=total,
            discount_fen=total - amount_fen,
            payable_fen=amount_fen,
            paid_fen=amount_fen,
            paid_at=now,
            lines=lines,
        )
        db.session.add(order)
        db.session.flush()
        db.session.add(StoreSale(order_id=order.id, paid_by=paid_by, guide_id=guide.id, note=note))
        pieces.hold_for_order(order, sold, {}, picked)  # sold at once: the order is paid
        take_stocks(sold)  # the stock counter stays the pieces in stock
        db.session.add(
            OrderEvent(
                order_id=order.id,
                to_status=COMPLETED,
                actor_user_id=principal.user_id,
                actor_role=principal.role,
                note=f"store sale ({paid_by})",
            )
        )
        if coupon is not None:
            coupons._mark_redeemed(
                coupon,
                {
                    "redeemed_channel": "store",
                    "redeemed_guide_id": guide.id,
                    "redeemed_store_id": guide.store_id,
                    "redeemed_franchisee_id": customer.franchisee_id,
                    "redeemed_order_id": order.id,
                },
            )
        points.earn_for_order(order)
    except DomainError as exc:
        rollback_and_raise(exc)
    db.session.commit()
    return order
