"""A new customer's first login on PostgreSQL: every row in one statement.

``customer_login.sign_in`` decides the owner, then a new customer is the customer row,
its assignment history row, the member, the member's first level change, the sign-up
posting of the points book (transaction, the member's new account, the carriers'
accounts when missing, the entries, the lot) and the new-customer coupon with its
budget unit. On SQLite those are Core inserts one by one (``members.welcome_new``); on
PostgreSQL they are one statement of data-modifying CTEs (the pattern of
``franchise.services.order_writes``): the customer's ``RETURNING id`` feeds every row
that names the customer, the member's the rows that name the member. One round trip
where there were fourteen; the region's budget row is locked by the statement just
before the commit, not three statements earlier. When no other template could be tried
after it (one current template or none), the statement is the login's whole transaction
and is sent outside one (``app.direct_read.unbegun``, the customer's find having begun
none): atomic on its own, no ``BEGIN`` or ``COMMIT`` round trip around it.

What depends on the customer's id is computed by the database, with the expressions the
Python rules give for themselves: the member number (``members.number_sql``, the SQL of
``members.number_of``), the posting's key (``points.SIGNUP_KEY`` + id) and the member's
account (``points_book.account_code_sql``, of ``account_code``).
A new member holds nothing yet, so the member row is inserted holding the sign-up
points (the Core path inserts 0 and then moves the balance) and the lot is a plain
insert. A carrier account another transaction made after this statement's snapshot is
neither inserted (``ON CONFLICT DO NOTHING``) nor seen, so its entry's ``account_id`` is
NULL and the NOT NULL constraint refuses the statement: the login rolls back and writes
the customer again with the Core welcome in a savepoint, which finds the account
(``welcome_retry.commit_customer_first``; any other refusal ends the same way, the
welcome then deferred to the outbox).

The coupon: the budget of the newest current template is taken in the statement and the
coupon inserted only when it was; when that budget is used up, the next templates are
tried as before (``coupons.new_customer_coupon_in_transaction``). The statement is built
once per shape (carrier lines, coupon or not) from the tables' columns: those the caller
gives values for and those with a Python-side default (the rest are NULL, as the Core
insert leaves them), short casts, on one line — under psycopg's 4,096-character parse
cache. What HQ set that the welcome reads (the member settings, the new-customer
templates) is kept in memory per process (``WELCOME_RULES``, ``app/snapshots.py``).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Column, Table

from app.direct_read import unbegun
from app.extensions import db
from app.snapshots import SnapshotKind
from franchise.models import (
    AssignmentHistory,
    Coupon,
    CouponTemplate,
    Customer,
    FranchiseSetting,
    Member,
    MemberLevelChange,
    PointAccount,
    PointLot,
    PointTransaction,
)
from franchise.services import coupons, member_settings, members
from franchise.services.assignment import history_row
from franchise.services.order_writes import column_default, column_names, insert_columns, param_cast
from franchise.services.points import SIGNUP_KEY, NewMemberReward
from franchise.services.points_book import account_code_sql, account_row


@dataclass(frozen=True)
class WelcomeRules:
    """What HQ set that a welcome reads: the member settings (sign-up points, who carries
    them, a point's value, expiry; read only, never changed by a caller) and the active
    new-customer coupon templates, newest first (``coupons.new_customer_template_rows``;
    whether one is current is decided at each login)."""

    member_config: dict
    templates: tuple


def _read_rules() -> WelcomeRules:
    return WelcomeRules(
        member_settings.config(), tuple(tuple(r) for r in coupons.new_customer_template_rows())
    )


# Kept in memory per process like the store directory (app/snapshots.py): a change HQ
# commits is seen by this process at once, by the others within a second (a minute after
# raw SQL); the coupon budgets are not in it (the statement takes a unit in SQL).
WELCOME_RULES = SnapshotKind(
    "login-welcome",
    _read_rules,
    (FranchiseSetting, CouponTemplate),
    holds=lambda row: not isinstance(row, FranchiseSetting) or row.key == member_settings.KEY,
)

CUSTOMERS: Table = Customer.__table__
HISTORY: Table = AssignmentHistory.__table__
MEMBERS: Table = Member.__table__
JOINED: Table = MemberLevelChange.__table__
TRANSACTIONS: Table = PointTransaction.__table__
ACCOUNTS: Table = PointAccount.__table__
LOTS: Table = PointLot.__table__
COUPONS: Table = Coupon.__table__

_SKIP: dict[str, tuple[str, ...]] = {
    "c": (),
    "h": ("customer_id",),
    "m": ("customer_id", "number"),
    "j": ("member_id",),
    "t": ("idempotency_key", "customer_id"),
    "k": ("customer_id",),
}
# the keys each row's values come with (a new key must be named here: ``_filled`` checks)
_GIVEN = {
    "c": frozenset(
        [
            "openid",
            "unionid",
            "latitude",
            "longitude",
            "city",
            "franchisee_id",
            "store_id",
            "guide_id",
            "assignment_rule",
            "bound_at",
        ]
    ),
    "h": frozenset(history_row(None, (None,) * 3, (None,) * 3, "", now=None)),
    "m": frozenset(members.new_member_row(None)),
    "j": frozenset(members.joined_row(None)),
    "t": frozenset(
        [
            "kind",
            "franchisee_id",
            "points",
            "member_points",
            "value_fen",
            "business_date",
            "memo",
            "created_at",
        ]
    ),
    "k": frozenset(coupons.coupon_values(0, None, None, 0, 0, None)),
}
_MEMBER_ACCOUNT = account_code_sql("member", "c.id")  # points_book.account_code, in SQL
_MEMBER_ACCOUNT_ROW = {  # points_book.account_row of the new member's account, in SQL
    "code": _MEMBER_ACCOUNT,
    "kind": "'member'",
    "franchisee_id": "NULL::int",
    "customer_id": "c.id",
    "created_at": "%(t_created_at)s::timestamptz",
}


def _params(alias: str, columns: list[Column], cast: bool = True) -> str:
    """The row's parameters (cast, unless the target columns type them: ``VALUES`` of
    an ``INSERT``)."""
    return ", ".join(
        f"%({alias}_{c.key})s" + (f"::{param_cast(c)}" if cast else "") for c in columns
    )


@cache
def _written(alias: str, table: Table) -> tuple[Column, ...]:
    """The columns of ``table`` the statement writes from parameters: those the caller
    gives (``_GIVEN``) and those with a Python-side default; the others are NULL, as the
    Core insert of the same values leaves them. Worked out once per row kind (it was
    done again for each row of every new customer's login)."""
    given = _GIVEN[alias]
    columns = insert_columns(table, _SKIP[alias])
    return tuple(c for c in columns if c.key in given or c.default is not None)


def _insert_from(alias: str, table: Table, parent: str, keys: str, exprs: str) -> str:
    """``INSERT`` of one row of ``table`` whose ``keys`` come from the CTE ``parent``
    (``exprs``) and the written columns from the ``<alias>_<column>`` parameters."""
    cols = list(_written(alias, table))
    return (
        f"INSERT INTO {table.name} ({keys}, {column_names(cols)})\n"
        f"  SELECT {exprs}, {_params(alias, cols)} FROM {parent}"
    )


@cache
def welcome_sql(carriers: int | None, coupon: bool) -> str:
    """The statement (built once per shape): ``carriers`` debit lines of the sign-up
    posting (None: no posting), ``coupon`` whether a template's budget is tried. Answers
    the customer's id and whether the coupon was issued."""
    customer_cols = list(_written("c", CUSTOMERS))
    number = members.number_sql("c.id")
    parts = [
        f"c AS (\n  INSERT INTO {CUSTOMERS.name} ({column_names(customer_cols)})"
        f" VALUES ({_params('c', customer_cols, cast=False)})\n  RETURNING id\n)",
        f"h AS (\n  {_insert_from('h', HISTORY, 'c', 'customer_id', 'c.id')}\n)",
        f"m AS (\n  {_insert_from('m', MEMBERS, 'c', 'customer_id, number', 'c.id, ' + number)}"
        "\n  RETURNING id\n)",
        f"j AS (\n  {_insert_from('j', JOINED, 'm', 'member_id', 'm.id')}\n)",
    ]
    if carriers is not None:
        carrier_lines = range(carriers)
        account_cols = insert_columns(ACCOUNTS, ())
        accounts = [f"%(a{i}_code)s" for i in carrier_lines]
        other_rows = "".join(
            f"\n  UNION ALL VALUES ({_params(f'a{i}', account_cols)})" for i in range(carriers)
        )
        lines = ",\n    ".join(
            [f"(%(a{i}_code)s::varchar, %(e{i}_debit)s::int8, 0::int8)" for i in range(carriers)]
            + ["(NULL::varchar, 0::int8, %(l_points)s::int8)"]
        )
        key = "%(t_key_prefix)s || c.id, c.id"
        parts += [
            f"t AS (\n  {_insert_from('t', TRANSACTIONS, 'c', 'idempotency_key, customer_id', key)}"
            "\n  RETURNING id\n)",
            f"an AS (\n  INSERT INTO {ACCOUNTS.name} ({column_names(account_cols)})\n"
            f"  SELECT {', '.join(_MEMBER_ACCOUNT_ROW[c.key] for c in account_cols)}"
            f" FROM c{other_rows}\n"
            "  ON CONFLICT (code) DO NOTHING RETURNING code, id\n)",
            "a AS (\n  SELECT code, id FROM an UNION ALL SELECT code, id FROM"
            f" {ACCOUNTS.name} WHERE code IN ({', '.join(accounts) or 'NULL'})\n)",
            "e AS (\n  INSERT INTO point_entries (transaction_id, account_id, debit, credit)\n"
            "  SELECT t.id, a.id, v.debit, v.credit FROM t CROSS JOIN c CROSS JOIN (VALUES\n"
            f"    {lines}\n  ) AS v(code, debit, credit)"
            f" LEFT JOIN a ON a.code = COALESCE(v.code, {_MEMBER_ACCOUNT})\n)",
            f"l AS (\n  INSERT INTO {LOTS.name} (member_id, expires_on, points)\n"
            "  SELECT m.id, %(l_expires_on)s::date, %(l_points)s::int8 FROM m\n)",
        ]
    issued = "false"
    if coupon:
        parts += [
            "b AS (\n  UPDATE coupon_budgets SET issued_count = issued_count + 1\n"
            "  WHERE template_id = %(k_template_id)s::int AND region_id ="
            " (SELECT region_id FROM franchisees WHERE id = %(k_franchisee_id)s::int)\n"
            "    AND issued_count < budget_count\n  RETURNING 1\n)",
            f"k AS (\n  {_insert_from('k', COUPONS, 'c', 'customer_id', 'c.id')}\n"
            "  WHERE EXISTS (SELECT 1 FROM b)\n  RETURNING 1\n)",
        ]
        issued = "EXISTS (SELECT 1 FROM k)"
    sql = "WITH " + ",\n".join(parts) + f"\nSELECT c.id, {issued} FROM c"
    return " ".join(sql.split())  # one line: no literal holds a space


def _filled(alias: str, table: Table, given: dict) -> dict:
    """The ``<alias>_<column>`` parameters of a row: ``given``, else each written
    column's Python-side default (what the Core insert would have sent)."""
    unknown = given.keys() - _GIVEN[alias] - set(_SKIP[alias])
    if unknown:  # a value the statement would not write: name it in _GIVEN
        raise ValueError(f"welcome_pg writes no {alias} column {sorted(unknown)}")
    return {
        f"{alias}_{c.key}": given[c.key] if c.key in given else column_default(c)
        for c in _written(alias, table)
    }


def write_new_customer(
    customer: dict,
    history: dict,
    reward: NewMemberReward | None,
    templates: list,
    now,
) -> int:
    """Insert the customer (``customer``: its columns), its ``history`` row and its
    welcome in one statement (no commit); the customer's id. ``templates`` are the current
    new-customer coupon templates (``coupons.current_new_customer_templates``)."""
    franchisee_id = customer["franchisee_id"]
    member = members.new_member_row(None) | {"points": reward.points if reward else 0}
    params = (
        _filled("c", CUSTOMERS, customer)
        | _filled("h", HISTORY, history)
        | _filled("m", MEMBERS, member)
        | _filled("j", JOINED, members.joined_row(None))
    )
    if reward is not None:
        params |= _filled(
            "t",
            TRANSACTIONS,
            {
                "kind": "event",
                "franchisee_id": franchisee_id,
                "points": reward.points,
                "member_points": reward.points,
                "value_fen": reward.value_fen,
                "business_date": reward.business_date,
                "memo": "signup",
                "created_at": now,
            },
        )
        params |= {"t_key_prefix": SIGNUP_KEY, "l_points": reward.points}
        params["l_expires_on"] = reward.expires_on
        for i, (code, points) in enumerate(reward.carriers):
            params |= {f"a{i}_{k}": v for k, v in account_row(code).items()}
            params[f"e{i}_debit"] = points
    if templates:
        template_id, _from, valid_until, valid_days = templates[0]
        row = coupons.coupon_values(template_id, valid_until, valid_days, 0, franchisee_id, now)
        params |= _filled("k", COUPONS, row)
        params |= {"k_template_id": template_id, "k_franchisee_id": franchisee_id}
    sql = welcome_sql(len(reward.carriers) if reward else None, bool(templates))
    connection = db.session.connection()
    # with no other template to try, the statement is the whole transaction: sent outside
    # one when none has begun (no BEGIN and COMMIT round trips; app.direct_read.unbegun)
    with unbegun(connection) if len(templates) <= 1 else nullcontext():
        customer_id, issued = connection.exec_driver_sql(sql, params).one()
    if templates and not issued:
        coupons.budget_used_up(customer_id, templates[0][0])
        coupons.new_customer_coupon_in_transaction(customer_id, franchisee_id, templates[1:], now)
    return customer_id
