"""A first login whose welcome fails still logs the customer in; the welcome follows.

The welcome (member, first level change, sign-up posting, new-customer coupon) is one
unit: it is written whole or not at all. ``customer_login._new`` writes it with the
customer (one statement on PostgreSQL, ``welcome_pg``); when that raises — a bug, a
constraint, a rule HQ set that the points book refuses — the transaction is rolled back
and ``commit_customer_first`` writes the customer and its history row again, then the
welcome once more through the Core path inside a savepoint (a carrier account another
login made meanwhile is found there). Should that fail too, the savepoint is rolled back
(no member, no posting, no coupon, no budget unit: the points book stays balanced and
the budget untouched) and a ``franchise.welcome`` outbox row is written in the same
commit as the customer. After the commit the failure becomes a ``welcome_failed`` alert
(the customer, the step as a word) for HQ and the customer's franchise owner.

The outbox dispatcher retries the row with its back-off (``app.outbox``); ``run_welcome``
gives the welcome in one transaction under the customer's row lock, each part once: the
member if missing (``members.ensure``), the sign-up posting under its idempotency key
(``points.reward_event``), the new-customer coupon unless the customer holds one. A
retry after a crash between its commit and the outbox's writes nothing. When the retries
are used up the alert is raised again, naming that they were; HQ can give the welcome
from the customer's page or the API at any time (``give_now``: the retry is marked done
in the same commit). The customer's next login gives it too (``give_at_login``): the
login's one read of the customer says whether a welcome waits (``waiting_column``), so a
login with none waiting sends nothing more. Whichever path gives it closes the alert for
HQ and the owner in the same commit.

Why whole or nothing rather than keeping the parts that worked: on PostgreSQL the parts
are one statement, so nothing of them can survive its failure anyway; the same rule on
SQLite keeps both databases' rows the same; and a failed step leaves no coupon budget
unit taken for a coupon never issued, nor a member whose balance waits for a posting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import String, cast, exists, insert, literal, select

from app.db import lock_row
from app.errors import Conflict
from app.extensions import db
from app.i18n import tr
from app.outbox import (
    DEAD,
    DONE,
    IN_FLIGHT,
    MAX_ATTEMPTS,
    PENDING,
    GiveUp,
    OutboxMessage,
    enqueue,
    mark_done,
)
from app.web.i18n import N_
from franchise.models import AssignmentHistory, Customer
from franchise.services import alerts, coupons, members, points
from franchise.services.members import (
    COUPON_STEP,
    MEMBER_STEP,
    POINTS_STEP,
    WelcomeFailed,
    welcome_step,
)

log = logging.getLogger("siyu.franchise.welcome")

WELCOME_KIND = "franchise.welcome"
ALERT = "welcome_failed"
GAVE_UP = N_("every retry failed; give the welcome by hand")
REASONS = (MEMBER_STEP, POINTS_STEP, COUPON_STEP, GAVE_UP)  # the alert's reasons

KEY_PREFIX = "welcome:"  # the retry's outbox key: the prefix and the customer's id
WAITING = (PENDING, IN_FLIGHT, DEAD)  # a welcome not given yet (HQ or the next login may)

_CUSTOMERS = insert(Customer.__table__).returning(Customer.__table__.c.id)
_HISTORY = insert(AssignmentHistory.__table__)


@dataclass(frozen=True)
class Deferred:
    """A new customer committed without their welcome (the alert's parameters)."""

    customer_id: int
    franchisee_id: int
    step: str
    error: str


def insert_customer(row: dict, history: dict) -> int:
    """Insert the customer (``row``) and its ``history`` row (Core, no commit); its id."""
    customer_id = db.session.execute(_CUSTOMERS, row).scalar_one()
    db.session.execute(_HISTORY, history | {"customer_id": customer_id})
    return customer_id


def commit_customer_first(row: dict, history: dict, welcome: Callable[[int], None]) -> tuple:
    """After the whole first login failed and was rolled back: insert the customer
    (``row``) and its ``history`` again, then ``welcome(customer_id)`` in a savepoint;
    no commit. Returns ``(customer_id, Deferred | None)``: a welcome that fails again is
    rolled back to the savepoint and queued (``WELCOME_KIND``). An error inserting the
    customer (a concurrent first login of the same person) propagates."""
    customer_id = insert_customer(row, history)
    savepoint = db.session.begin_nested()
    try:
        with welcome_step(MEMBER_STEP):  # the steps name themselves (members.welcome_new)
            welcome(customer_id)
        savepoint.commit()
        return customer_id, None
    except WelcomeFailed as exc:
        savepoint.rollback()
        log.exception("welcome of customer %s failed; queued", customer_id)
        enqueue(WELCOME_KIND, {"customer_id": customer_id}, _key(customer_id))
        return customer_id, Deferred(customer_id, row["franchisee_id"], exc.step, _error(exc))


def _key(customer_id: int) -> str:
    return f"{KEY_PREFIX}{customer_id}"


def waiting_column():
    """Whether a welcome of the customer of the enclosing ``customers`` row waits (its
    retry's outbox row not done), labelled ``welcome_waiting``: the login reads it with
    the customer, in the same statement (one probe of the outbox's unique key)."""
    key = literal(KEY_PREFIX, String) + cast(Customer.id, String)
    # != DONE is WAITING (the outbox's other states), without an expanding IN to render
    waiting = exists().where(OutboxMessage.dedupe_key == key, OutboxMessage.status != DONE)
    return waiting.label("welcome_waiting")


def _error(exc: WelcomeFailed) -> str:
    return f"{exc.cause.__class__.__name__}: {exc.cause}"[:200]


def raise_alert(deferred: Deferred, nickname: str | None = None) -> None:
    """The ``welcome_failed`` alert of a customer (after the commit: ``alerts.record``
    runs its own transaction); one alert per customer however often it recurs."""
    alerts.record(
        ALERT,
        data={
            "customer_id": deferred.customer_id,
            "customer": nickname,
            "reason": deferred.step,
            "error": deferred.error,
        },
        franchisee_id=deferred.franchisee_id,
    )


def welcome_once(customer_id: int) -> dict:
    """Give the customer's welcome in the caller's transaction, each part once (no
    commit): the member when missing, the sign-up posting under its key, the new-customer
    coupon unless one is held. The customer's row is locked first, so two runs queue."""
    if not lock_row(db.session, Customer, customer_id):
        raise GiveUp(f"customer {customer_id} is gone")
    franchisee_id = db.session.get(Customer, customer_id).franchisee_id  # type: ignore[union-attr]
    with welcome_step(MEMBER_STEP):
        members.ensure(customer_id)
    with welcome_step(POINTS_STEP):
        posted = points.reward_event(customer_id, "signup")
    issued = False
    with welcome_step(COUPON_STEP):
        if not coupons.holds_new_customer_coupon(customer_id):
            issued = coupons.new_customer_coupon_in_transaction(customer_id, franchisee_id)
    return {"points": posted, "coupon": issued}


def run_welcome(message: OutboxMessage) -> dict:
    """The ``franchise.welcome`` handler: the welcome of ``payload.customer_id``, in one
    transaction (the dispatcher commits it). A failure is retried with the outbox's
    back-off; the last one raises the alert again."""
    customer_id = int(message.payload["customer_id"])
    try:
        given = welcome_once(customer_id)
        alerts.resolve(ALERT, {"customer_id": customer_id})
        return given
    except WelcomeFailed as exc:
        if (message.attempts or 0) >= MAX_ATTEMPTS:
            db.session.rollback()
            customer = db.session.get(Customer, customer_id)
            franchisee_id = customer.franchisee_id if customer else 0
            nickname = customer.nickname if customer else None
            raise_alert(Deferred(customer_id, franchisee_id, GAVE_UP, _error(exc)), nickname)
        raise


def welcome_state(customer_id: int) -> str | None:
    """The retry's state (an outbox status) when the customer's first login could not
    give the welcome; None when it did."""
    return db.session.scalar(
        select(OutboxMessage.status).where(OutboxMessage.dedupe_key == _key(customer_id))
    )


def give_now(customer_id: int) -> dict:
    """HQ gives a deferred welcome now (commits): ``welcome_once`` and the retry marked
    done in the same transaction, so the dispatcher gives nothing more. 409 naming the
    step when it fails again (nothing written), or when no welcome of theirs waits."""
    if welcome_state(customer_id) not in WAITING:
        db.session.rollback()
        raise Conflict(N_("No welcome of this customer waits."), code="welcome_given")
    try:
        given = welcome_once(customer_id)
        _given(customer_id, given)
        db.session.commit()
    except WelcomeFailed as exc:
        db.session.rollback()
        reason = tr(exc.step)
        message = tr(N_("The welcome could not be given: %(reason)s."), reason=reason)
        raise Conflict(message, code="welcome_failed") from exc
    except Exception:
        db.session.rollback()
        raise
    return given


def give_at_login(customer_id: int) -> dict | None:
    """A returning customer's waiting welcome, given in the login's transaction (no
    commit) inside a savepoint: ``welcome_once`` under their row lock, the retry marked
    done and the alert closed. What was given, or None when it failed again: the
    savepoint is rolled back (nothing of it stays), the login goes on, and the retry
    still waits for the outbox, HQ or the next login."""
    savepoint = db.session.begin_nested()
    try:
        given = welcome_once(customer_id)
        _given(customer_id, given)
    except Exception:  # noqa: BLE001 - a welcome never keeps the customer out
        savepoint.rollback()
        log.exception("welcome of customer %s failed again at their login", customer_id)
        return None
    savepoint.commit()
    return given


def _given(customer_id: int, given: dict) -> None:
    """The welcome was given outside the outbox's run (caller's transaction): its retry
    marked done, so no dispatcher gives anything more, and the alert closed."""
    mark_done(_key(customer_id), given)
    alerts.resolve(ALERT, {"customer_id": customer_id})
