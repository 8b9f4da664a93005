"""The mini-program login's transaction: find or make the customer, assign them, welcome
a new one, in one commit and a handful of statements.

``customers.login`` exchanges the ``wx.login`` code first (outside any transaction), then
calls ``sign_in``. A returning customer is one statement that reads the row with what
the assignment rules need of its owner (whether the franchisee is active, the store open,
the guide still there), the settings when the binding's protection period decides, and
one ``UPDATE`` only when something changed. A new customer is inserted with the owner the
rules chose (``INSERT … RETURNING id``), then the history row, the member, the sign-up
points and the new-customer coupon, all in the same transaction: nothing is read back
after the commit, and the answer (``LoggedIn``) is what was written. A welcome that
raises does not keep the customer out: it is rolled back whole and the customer is
committed without it, with an alert and an outbox retry (``welcome_retry``); their next
login gives it when it still waits (the find reads whether it does). The statements are
built once per app, with the columns other domains read with the customer
(``CUSTOMER_FIND_COLUMNS``). On PostgreSQL the find goes before any transaction begins
(``app.direct_read.read_rows(..., alone=True)``), a login by place reads the open stores near a
customer it does not find in the same statement, and a new customer's one welcome
statement is its own transaction when nothing can follow it (``welcome_pg``): a new
login is three round trips with the contacts hook's read, a returning one one.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlalchemy import Select, bindparam, exists, insert, literal_column, or_, select, true, update

from app.clock import utcnow
from app.context import app_now
from app.db import is_postgres
from app.direct_read import read_rows
from app.errors import DomainError
from app.extensions import db, hooks
from app.kept import kept
from franchise.models import (
    ACTIVE,
    RULE_SHARE_CODE,
    AssignmentHistory,
    Customer,
    Franchisee,
    Guide,
    ShareCode,
    Store,
)
from franchise.services import coupons, members, points, settings
from franchise.services.assignment import (
    NEAR_STORES,
    Binding,
    LiveView,
    Target,
    decide_by_place,
    history_row,
)
from franchise.services.welcome_pg import WELCOME_RULES, write_new_customer
from franchise.services.welcome_retry import (
    Deferred,
    commit_customer_first,
    give_at_login,
    insert_customer,
    raise_alert,
    waiting_column,
)

REASON = "mini-program login"


@dataclass(frozen=True)
class LoggedIn:
    """The customer a login found or made, as written (the answer and the hooks' input)."""

    id: int
    unionid: str | None
    franchisee_id: int
    store_id: int | None
    guide_id: int | None
    created: bool
    # the ``CUSTOMER_FIND_COLUMNS`` values read with a returning customer whose unionid was
    # stored before this login (None otherwise): what a listener may trust as read in
    # the same snapshot as a customer row already committed
    read: Mapping[str, object] | None = None


_customers = Customer.__table__
_IDENTIFIED = or_(Customer.openid == bindparam("openid"), Customer.unionid == bindparam("unionid"))
_FIND = (
    select(
        Customer.id,
        Customer.unionid,
        Customer.latitude,
        Customer.longitude,
        Customer.city,
        Customer.franchisee_id,
        Customer.store_id,
        Customer.guide_id,
        Customer.bound_at,
        (Franchisee.status == ACTIVE).label("franchisee_active"),
        Store.is_open.label("store_open"),
        (Guide.status == ACTIVE).label("guide_active"),
        waiting_column(),  # a welcome the first login could not give (welcome_retry)
    )
    .outerjoin(Franchisee, Franchisee.id == Customer.franchisee_id)
    .outerjoin(Store, Store.id == Customer.store_id)
    .outerjoin(Guide, Guide.id == Customer.guide_id)
    .where(_IDENTIFIED)
    .limit(1)
)
# the open stores near a customer the login does not find (none when it finds one: the
# condition is one check of the same keys, evaluated once for the statement)
_NEAR_NEW = NEAR_STORES.where(~exists().where(_IDENTIFIED))
_SHARE_CODE = (
    select(
        Store.franchisee_id.label("code_franchisee_id"),
        Store.id.label("code_store_id"),
        Store.is_open.label("code_store_open"),
        Franchisee.status.label("code_franchisee_status"),
        Guide.id.label("code_guide_id"),
        Guide.status.label("code_guide_status"),
        Guide.store_id.label("code_guide_store_id"),
    )
    .select_from(ShareCode)
    .join(Store, Store.id == ShareCode.store_id)
    .join(Franchisee, Franchisee.id == Store.franchisee_id)
    .outerjoin(Guide, Guide.id == ShareCode.guide_id)
    .where(ShareCode.code == bindparam("code"))
)
# Columns another domain reads with a returning customer, in the same statement:
# ``listener() -> a labelled scalar expression`` over the bound ``unionid`` (community
# answers whether a WeCom contact with it waits for its customer). Their values reach
# the ``CUSTOMER_LOGGED_IN`` listeners as ``read`` (``LoggedIn.read``).
CUSTOMER_FIND_COLUMNS = "franchise.customer_find_columns"
_KEPT = "siyu_login_find"  # app.extensions key: ((), _Finds)


@dataclass(frozen=True)
class _Finds:
    """The login's three reads with the listeners' columns, and the shape of their rows."""

    find: Select  # the customer
    with_code: Select  # the customer (when found) and the share code's owner in one row
    # the customer (when found), else a row per open store near the place (``_NEAR_NEW``)
    with_near: Select
    labels: tuple[str, ...]  # the listeners' columns
    found_row: type  # a named tuple of ``find``'s columns
    code_row: type  # a named tuple of ``with_code``'s columns


def _finds() -> _Finds:
    """``_Finds``, built once per app."""
    app = app_now()
    return kept(app, _KEPT, (), _build_finds)  # the listeners are added as the app is built


def _build_finds() -> _Finds:
    """``_finds``' statements from the ``CUSTOMER_FIND_COLUMNS`` listeners' columns."""
    extra = [listener() for listener in hooks(CUSTOMER_FIND_COLUMNS)]
    find = _FIND.add_columns(*extra)
    found = find.subquery("found")

    def beside(other: Select, name: str) -> Select:
        """``find``'s row (or NULLs) beside each row of ``other`` (or one of NULLs)."""
        joined = other.subquery(name)
        return (
            select(found, joined)
            .select_from(select(literal_column("1").label("one")).subquery("one"))
            .outerjoin(found, true())
            .outerjoin(joined, true())
        )

    with_code = beside(_SHARE_CODE, "code")
    return _Finds(
        find,
        with_code,
        beside(_NEAR_NEW, "near"),
        tuple(c.name for c in extra),
        namedtuple("FoundRow", find.selected_columns.keys()),
        namedtuple("CodeRow", with_code.selected_columns.keys()),
    )


def _first(stmt: Select, params: dict, shape: type):
    """``stmt``'s first row as ``shape``, or None: a statement built once, read straight
    on psycopg's cursor after its first execution (``app.direct_read.read_rows``: the
    same text and values, the statement events called, past SQLAlchemy's execution),
    before the transaction begins (``read_rows(..., alone=True)``: a returning customer with
    nothing to write is this one round trip, no ``BEGIN`` or ``COMMIT``)."""
    rows = read_rows(db.session.connection(), stmt, params, alone=True)
    return shape._make(rows[0]) if rows else None  # type: ignore[attr-defined]


_UPDATE_CUSTOMER = update(_customers).where(_customers.c.id == bindparam("customer_id"))
_INSERT_HISTORY = insert(AssignmentHistory.__table__)


def _code_target(row) -> Target | None:
    """Rule 1 from a row of ``_SHARE_CODE``'s columns: the owner the code names, when its
    store is open and franchisee active (a departed guide's code still brings the
    customer to the store: guide None)."""
    if row is None or row.code_store_id is None:
        return None
    if not row.code_store_open or row.code_franchisee_status != ACTIVE:
        return None
    guide_id = (
        row.code_guide_id
        if row.code_guide_status == ACTIVE and row.code_guide_store_id == row.code_store_id
        else None
    )
    return Target(row.code_franchisee_id, row.code_store_id, guide_id, RULE_SHARE_CODE)


def share_code_target(code: str | None) -> Target | None:
    """Rule 1: the owner a share code names (one statement: the code, its store,
    franchisee and guide); None without a code or when it names no open store."""
    if not code:
        return None
    return _code_target(db.session.execute(_SHARE_CODE, {"code": code}).first())


def sign_in(identity: dict, share_code, latitude, longitude, city) -> LoggedIn:
    """Find (``openid``, else ``unionid``) or make the customer of a code2session
    ``identity`` and assign them; commits. A concurrent first login of the same person
    raises ``IntegrityError`` (the caller tries again and finds the row)."""
    openid, unionid = identity["openid"], identity.get("unionid")
    place = (latitude, longitude) if latitude is not None and longitude is not None else None
    keys = {"openid": openid, "unionid": unionid}
    finds = _finds()
    deferred = None
    try:
        view, target = None, None
        if share_code:  # one statement reads the customer and the code's owner
            row = _first(finds.with_code, keys | {"code": share_code}, finds.code_row)
            found, target = (row if row.id is not None else None), _code_target(row)
        elif place is not None:  # the customer, else the open stores near them
            view = _NearbyRead()
            found = view.read(finds, keys, place)
        else:
            found = _first(finds.find, keys, finds.found_row)
        if found is None:
            result, deferred = _new(openid, unionid, target, place, city or None, view)
        else:
            result = _returning(found, unionid, target, place, city or None)
            if found.welcome_waiting:  # the first login's welcome failed: give it now
                give_at_login(found.id)
            if found.unionid and found.unionid == unionid:
                result = replace(result, read={k: getattr(found, k) for k in finds.labels})
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    if deferred is not None:  # committed without the welcome: HQ sees it, the outbox retries
        raise_alert(deferred)
    return result


class _NearbyRead(LiveView):
    """Rules 3–5 for a customer the login did not find, whose nearby open stores its first
    statement read (``_Finds.with_near``): the nearest is chosen among those rows as
    ``LiveView.nearest`` chooses among its own read's; the other rules read as
    ``LiveView`` does."""

    def __init__(self) -> None:
        super().__init__(nothing_pending=True)
        self.rows: list = []

    def read(self, finds: _Finds, keys: dict, place: tuple) -> tuple | None:
        """The customer (as ``finds.found_row``) or None, keeping the stores read."""
        rows = read_rows(
            db.session.connection(), finds.with_near, keys | self.box(*place), alone=True
        )
        width = len(finds.found_row._fields)  # type: ignore[attr-defined]
        self.rows = [row[width:] for row in rows if row[width] is not None]
        return finds.found_row._make(rows[0][:width]) if rows[0][0] is not None else None  # type: ignore[attr-defined]

    def nearest(self, lat: float, lng: float) -> tuple[int, int, float] | None:
        return self.nearest_of(self.rows, lat, lng)


def _new(
    openid: str, unionid, code_target: Target | None, place, city, view=None
) -> tuple[LoggedIn, Deferred | None]:
    """Insert the customer with the owner the rules choose (``code_target``: rule 1, the
    share code's, already read; ``view``: rules 3–5 with the nearby stores already read),
    its history row and its welcome (member, sign-up points, new-customer coupon); no
    commit. A welcome that raises is rolled back with everything and the customer written
    again without it (``welcome_retry.commit_customer_first``: the second answer says what
    was deferred)."""
    lat, lng = place or (None, None)
    target = code_target or decide_by_place(view or LiveView(nothing_pending=True), lat, lng, city)
    owner = (target.franchisee_id, target.store_id, target.guide_id)
    now = utcnow()
    row = {
        "openid": openid,
        "unionid": unionid,
        "latitude": lat,
        "longitude": lng,
        "city": city,
        "franchisee_id": owner[0],
        "store_id": owner[1],
        "guide_id": owner[2],
        "assignment_rule": target.rule,
        "bound_at": now,
    }
    history = history_row(None, (None, None, None), owner, target.rule, reason=REASON, now=now)
    deferred = None

    def welcome(customer_id: int) -> None:
        members.welcome_new(customer_id, target.franchisee_id)

    try:
        if is_postgres(db.engine):  # one statement: franchise.services.welcome_pg
            rules = WELCOME_RULES.value()  # HQ's settings and templates, kept in memory
            reward = points.new_member_reward(target.franchisee_id, rules.member_config)
            templates = coupons.current_new_customer_templates(now, rules.templates)
            customer_id = write_new_customer(row, history, reward, templates, now)
        else:
            customer_id = insert_customer(row, history)
            welcome(customer_id)
    except Exception:  # noqa: BLE001 - the customer is let in; the welcome follows
        db.session.rollback()
        customer_id, deferred = commit_customer_first(row, history, welcome)
    return LoggedIn(customer_id, unionid, *owner, created=True), deferred


def _returning(found, unionid, target: Target | None, place, city) -> LoggedIn:
    """Keep the customer's identity and place current and re-apply rules 1–5 from the row
    already read; one ``UPDATE`` when anything changed (no commit)."""
    changes: dict = {}
    if unionid and not found.unionid:
        changes["unionid"] = unionid
    lat, lng = found.latitude, found.longitude
    if place is not None:
        if place != (lat, lng):
            changes["latitude"], changes["longitude"] = place
        lat, lng = place
    if city and city != found.city:
        changes["city"] = city
    old = (found.franchisee_id, found.store_id, found.guide_id)
    if target is None:  # no share code naming an open store (rule 1): rules 2–5
        binding = Binding(
            found.bound_at,
            *old,
            franchisee_active=bool(found.franchisee_active),
            store_open=bool(found.store_open),
            guide_active=bool(found.guide_active),
        )
        if not binding.holds(settings.lock_days()):
            target = decide_by_place(LiveView(nothing_pending=True), lat, lng, city or found.city)
    owner = old
    if target is not None and (target.franchisee_id, target.store_id, target.guide_id) != old:
        owner = (target.franchisee_id, target.store_id, target.guide_id)
        now = utcnow()
        changes.update(
            franchisee_id=owner[0],
            store_id=owner[1],
            guide_id=owner[2],
            assignment_rule=target.rule,
            bound_at=now,
        )
        db.session.execute(
            _INSERT_HISTORY,
            history_row(found.id, old, owner, target.rule, reason=REASON, now=now),
        )
    if changes:
        db.session.execute(_UPDATE_CUSTOMER, {"customer_id": found.id, **changes})
    return LoggedIn(found.id, changes.get("unionid", found.unionid), *owner, created=False)
