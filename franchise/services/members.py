"""Members and levels: every mini-program customer is a member of the brand.

``ensure`` makes the member row the first time it is needed (insert … on conflict do
nothing, so two requests cannot make two); ``welcome`` runs once after a first login
(the member, the sign-up reward, the new-customer coupon). The level follows the
rolling 12-month spend (paid − refunded, orders of every channel) against HQ's
thresholds: ``review`` upgrades at once when the spend reaches a higher level (called
after points are earned) and lowers a level only in the yearly review
(``yearly_review``), each change a ``MemberLevelChange`` with its reason; an upgrade
issues the level's coupon when HQ set one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select

from app.clock import utcnow
from app.db import committing, insert_ignoring
from app.errors import DomainError
from app.extensions import db
from app.i18n import tr
from app.web.i18n import N_
from franchise.models import LEVELS, CouponTemplate, Member, MemberLevelChange, Order, Product
from franchise.services import coupons, member_events, member_settings

log = logging.getLogger("siyu.franchise.members")

LEVEL_LABELS = {
    "regular": _l("Regular card"),
    "silver": _l("Silver card"),
    "gold": _l("Gold card"),
    "platinum": _l("Platinum card"),
    "diamond": _l("Diamond card"),
}
REASON_LABELS = {
    "joined": _l("Joined"),
    "upgrade": _l("Spend reached the level"),
    "yearly_review": _l("Yearly review"),
}


def level_label(code: str | None) -> str:
    label = LEVEL_LABELS.get(code or "")
    return str(label) if label is not None else (code or "")


NUMBER_PREFIX, NUMBER_DIGITS = "M", 9  # the member number: the rule, stated once


def number_of(customer_id: int) -> str:
    """The member number: ``M`` and the customer id, nine digits (stable, unique)."""
    return f"{NUMBER_PREFIX}{customer_id:0{NUMBER_DIGITS}d}"


def number_sql(id_sql: str) -> str:
    """``number_of`` as a PostgreSQL expression over the id ``id_sql`` (the one-statement
    welcome's, ``welcome_pg``): padded to the digits, never cut (``repeat`` of a negative
    count is empty)."""
    digits = f"{id_sql}::text"
    return f"'{NUMBER_PREFIX}' || repeat('0', {NUMBER_DIGITS} - length({digits})) || {digits}"


def new_member_row(customer_id: int | None) -> dict:
    """A new member's row: the first level, nothing spent, no points (its customer and
    number filled in by the database when ``customer_id`` is None)."""
    now = utcnow()
    return {
        "customer_id": customer_id,
        "number": None if customer_id is None else number_of(customer_id),
        "level": LEVELS[0],
        "level_since": now,
        "spend_12m_fen": 0,
        "points": 0,
        "points_consumed": 0,
        "created_at": now,
        "updated_at": now,
    }


def joined_row(member_id: int | None) -> dict:
    """The new member's first level change (joined at the first level)."""
    return {
        "member_id": member_id,
        "to_level": LEVELS[0],
        "reason": "joined",
        "spend_fen": 0,
        "created_at": utcnow(),
    }


def _joined(member_id: int) -> None:
    db.session.execute(insert(MemberLevelChange.__table__), joined_row(member_id))


def ensure(customer_id: int) -> Member:
    """The customer's member row, made now when missing (no commit)."""
    member = db.session.scalars(select(Member).where(Member.customer_id == customer_id)).first()
    if member is not None:
        return member
    inserted = db.session.execute(
        insert_ignoring(db.engine, Member, "customer_id").returning(Member.__table__.c.id),
        [new_member_row(customer_id)],
    ).scalar()
    if inserted is not None:
        _joined(inserted)
    member = db.session.scalars(select(Member).where(Member.customer_id == customer_id)).one()
    return member


_INSERT_MEMBER = insert(Member.__table__).returning(Member.__table__.c.id)


def welcome(customer_id: int) -> None:
    """After a first login: the member, the sign-up reward (commits), then the
    new-customer coupon (its own commit; none when HQ has no active template)."""
    from franchise.services import points

    with committing(db.session):
        ensure(customer_id)
        points.reward_event(customer_id, "signup")
    coupons.issue_new_customer_coupon(customer_id)


# a welcome step that failed, as the alert shows it (translated at display)
MEMBER_STEP = N_("the member could not be made")
POINTS_STEP = N_("the sign-up points could not be posted")
COUPON_STEP = N_("the new-customer coupon could not be issued")


class WelcomeFailed(Exception):
    """A welcome step raised: ``step`` says which (``*_STEP``), ``cause`` what."""

    def __init__(self, step: str, cause: BaseException):
        super().__init__(f"{step}: {cause.__class__.__name__}: {cause}")
        self.step = step
        self.cause = cause


@contextmanager
def welcome_step(name: str) -> Iterator[None]:
    """Run one welcome step; an error it raises becomes ``WelcomeFailed(name, error)``."""
    try:
        yield
    except WelcomeFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - named and re-raised for the caller
        raise WelcomeFailed(name, exc) from exc


def welcome_new(customer_id: int, franchisee_id: int) -> None:
    """The welcome of a customer made in the caller's transaction (no commit): the
    member, the sign-up reward and the new-customer coupon, each row inserted once with
    nothing read back. No other transaction can see the customer yet, so it has no member,
    no points and no coupon: a plain insert, no debt to repay, no lock to take. A step
    that raises raises ``WelcomeFailed`` naming it."""
    from franchise.services import points

    with welcome_step(MEMBER_STEP):
        member_id = db.session.execute(_INSERT_MEMBER, new_member_row(customer_id)).scalar_one()
        _joined(member_id)
    with welcome_step(POINTS_STEP):
        points.reward_new_member(member_id, customer_id, franchisee_id)
    with welcome_step(COUPON_STEP):
        coupons.new_customer_coupon_in_transaction(customer_id, franchisee_id)


def reward_completed_profile(customer) -> None:
    """HQ's profile reward once the nickname, birthday, city and phone are all filled
    (no commit; ``event:profile:<customer>`` makes it once)."""
    from franchise.services import points

    if customer.nickname and customer.birthday and customer.city and customer.phone:
        ensure(customer.id)
        points.reward_event(customer.id, "profile")


def birthday_gifts(customer_id: int, year: int) -> None:
    """A birthday: HQ's points (once a year) and the level's birthday coupon (no
    commit for the points; a coupon refused by its budget is logged)."""
    from franchise.services import points

    member = ensure(customer_id)
    if points.reward_event(customer_id, "birthday", year):
        template_id = (
            member_settings.level_rules().get(member.level, {}).get("birthday_coupon_template_id")
        )
        _issue_quietly(member, template_id)


PRIORITY_PLACES = 1  # places beyond a slot's capacity for a level with priority slots


def priority_places(customer_id: int) -> int:
    """Extra places in a full appointment slot the customer's level gives (0 or 1)."""
    level = db.session.scalar(select(Member.level).where(Member.customer_id == customer_id))
    rule = member_settings.level_rules().get(level or "", {})
    return PRIORITY_PLACES if rule.get("priority_slots") else 0


def level_discount(customer_id: int, lines, most_fen: int) -> int:
    """The level's discount in fen on the order's eligible lines (products of HQ's
    discount categories), at most ``most_fen``; 0 for a customer without a member. The
    settings come from the process's snapshot, and the member's level is read only when
    HQ named discount categories (without them no level discounts anything)."""
    cfg = member_settings.current()
    categories = set(cfg.get("discount_categories") or [])
    if not categories:
        return 0
    level = db.session.scalar(select(Member.level).where(Member.customer_id == customer_id))
    pct = int(member_settings.level_rules(cfg).get(level or "", {}).get("discount_pct", 0))
    if pct <= 0:
        return 0
    ids = [line.product_id for line in lines]
    eligible_ids = set(
        db.session.scalars(
            select(Product.id).where(Product.id.in_(ids), Product.category.in_(categories))
        )
    )
    eligible = sum(line.line_total_fen for line in lines if line.product_id in eligible_ids)
    return max(0, min(eligible * pct // 100, most_fen))


def spend_12m(customer_id: int) -> int:
    """Paid − refunded over the last 365 days, every channel."""
    since = utcnow() - timedelta(days=365)
    value = db.session.scalar(
        select(func.coalesce(func.sum(Order.paid_fen - Order.refunded_fen), 0)).where(
            Order.customer_id == customer_id,
            Order.paid_at >= since,  # online and store sales
        )
    )
    return int(value or 0)


def _change(member: Member, to: str, reason: str, spend: int) -> None:
    db.session.add(
        MemberLevelChange(
            member_id=member.id,
            from_level=member.level,
            to_level=to,
            reason=reason,
            spend_fen=spend,
        )
    )
    member.level = to
    member.level_since = utcnow()


def review(member: Member, *, yearly: bool = False) -> str | None:
    """Refresh the member's 12-month spend and level (no commit); the new level when
    it changed. Outside the yearly review a level only goes up."""
    spend = spend_12m(member.customer_id)
    member.spend_12m_fen = spend
    target = member_settings.level_for_spend(spend)
    rank = {code: n for n, code in enumerate(LEVELS)}
    if rank[target] > rank.get(member.level, 0):
        _change(member, target, "upgrade", spend)
        _upgrade_coupon(member, target)
        member_events.invite_on_upgrade(member)
        return target
    if yearly and rank[target] < rank.get(member.level, 0):
        _change(member, target, "yearly_review", spend)
        return target
    return None


def _upgrade_coupon(member: Member, level: str) -> None:
    """The level's upgrade coupon, when HQ set one."""
    rules = member_settings.level_rules().get(level, {})
    _issue_quietly(member, rules.get("upgrade_coupon_template_id"))


def _issue_quietly(member: Member, template_id: int | None) -> None:
    """Issue a coupon of ``template_id`` to the member (a refusal is logged, undoing
    only the coupon)."""
    if not template_id:
        return
    template = db.session.get(CouponTemplate, template_id)
    if template is None:
        return
    try:
        with db.session.begin_nested():  # a refusal undoes only the coupon
            coupons._issue(template, member.customer)  # the no-commit issue
    except DomainError as exc:
        log.info("no level-up coupon for member %s: %s", member.id, exc)


def yearly_review(limit: int = 100_000) -> int:
    """Re-decide every member's level on the last 12 months (down as well as up);
    commits every 500; returns how many changed."""
    changed = 0
    ids = list(db.session.scalars(select(Member.id).order_by(Member.id).limit(limit)))
    for start in range(0, len(ids), 500):
        for member in db.session.scalars(
            select(Member).where(Member.id.in_(ids[start : start + 500]))
        ):
            if review(member, yearly=True):
                changed += 1
        db.session.commit()
    return changed


def history(member_id: int) -> list[MemberLevelChange]:
    return list(
        db.session.scalars(
            select(MemberLevelChange)
            .where(MemberLevelChange.member_id == member_id)
            .order_by(MemberLevelChange.id.desc())
        )
    )


def reason_label(code: str) -> str:
    label = REASON_LABELS.get(code)
    return str(label) if label is not None else tr(code)
