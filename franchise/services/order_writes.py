"""Writing a placed order: the order, its lines, their price snapshots, its first event and
its fulfilment row, without the ORM's unit of work.

``orders.create_order`` builds the rows as ORM objects (the answer and the hooks read
them) and hands them to ``write_placed``. On PostgreSQL that is one statement
(data-modifying CTEs: the order's ``RETURNING id`` feeds the lines, the lines' ``RETURNING
id, product_id`` feed the snapshots; the event and the fulfilment row read the order's
id), one round trip where the unit of work made five flushes' worth; on SQLite it is the
same rows through Core inserts (statements there cost no round trip). Either way the
objects then join the session as persistent and clean — their ids set, every column
filled (Python-side defaults included), nothing left to flush or read back.

The statement is generated from the tables' columns, once per number of lines, so a
column added to a model is written here without a change. A line's product is unique in
an order (``order_lines.merge_items`` merges duplicates), which is how a snapshot finds its
line's id. ``take_stocks`` takes a several-line order's units in one statement too.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Column, Table, event, insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, make_transient_to_detached

from app.db import is_postgres
from app.direct_read import send_sql
from app.extensions import db
from app.snapshots import tables_written
from franchise.models import (
    Order,
    OrderEvent,
    OrderFulfilment,
    OrderLine,
    OrderLinePricing,
    Product,
)

ORDERS: Table = Order.__table__
LINES: Table = OrderLine.__table__
SNAPSHOTS: Table = OrderLinePricing.__table__
EVENTS: Table = OrderEvent.__table__
FULFILMENTS: Table = OrderFulfilment.__table__
PRODUCTS: Table = Product.__table__

_PG = postgresql.dialect()


def column_default(column: Column):
    """The value the ORM would have inserted for an unset ``column`` (its Python-side
    default, called when callable; else None — server defaults are mirrored by
    ``default=`` on every column this module writes)."""
    default = column.default
    if default is None or not getattr(default, "is_scalar", False) and not default.is_callable:
        return None
    return default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]


def column_values(obj, table: Table, skip: tuple[str, ...] = ()) -> dict:
    """Every column of ``obj`` but its generated key and ``skip``, defaults filled in on
    the object too (so it holds what the row holds and nothing is read back).

    ``obj`` is transient (made by the caller, never flushed): a default goes straight
    into its ``__dict__``, where the instrumented attribute keeps it, without the set
    event's history bookkeeping (no model here listens to set events); ``keep_written``
    then makes every value the object holds its loaded state."""
    state = obj.__dict__  # where the instrumented attributes keep their values
    values = {}
    for name, column in _written_columns(table, skip):
        if name not in state:
            state[name] = column_default(column)
        values[name] = state[name]
    return values


@cache
def _written_columns(table: Table, skip: tuple[str, ...]) -> tuple[tuple[str, Column], ...]:
    """``insert_columns`` with their attribute names, worked out once per table."""
    return tuple((column.key, column) for column in insert_columns(table, skip))


_SHORT_TYPES = {"VARCHAR": "varchar", "TIMESTAMP WITH TIME ZONE": "timestamptz", "INTEGER": "int"}
_SHORT_TYPES |= {"BIGINT": "int8", "FLOAT": "float8", "DATE": "date", "BOOLEAN": "bool"}


def param_cast(column: Column) -> str:
    """The column's type for a parameter's cast, as short as PostgreSQL reads it (a
    statement stays under psycopg's 4,096-character parse cache; a varchar's length is
    the column's to check: a cast to varchar(n) would cut a longer text silently)."""
    full = column.type.compile(dialect=_PG)
    return _SHORT_TYPES.get(full.split("(")[0], full)


def insert_columns(table: Table, skip: tuple[str, ...]) -> list[Column]:
    return [c for c in table.columns if c.key not in skip and c is not table.autoincrement_column]


def param_row(prefix: str, columns: list[Column]) -> str:
    """A ``VALUES`` row of ``columns`` as parameters ``<prefix><column>``, each cast."""
    return "(" + ", ".join(f"%({prefix}{c.key})s::{param_cast(c)}" for c in columns) + ")"


def column_names(columns: list[Column]) -> str:
    return ", ".join(c.name for c in columns)


@cache
def placed_sql(lines: int, take_stock: bool = False) -> str:
    """The PostgreSQL statement writing an order of ``lines`` lines (built once per count):
    parameters ``o_<column>``, ``l<i>_<column>``, ``s<i>_<column>``, ``e_<column>``,
    ``f_<column>``; answers the order's id and each line's (id, product id, and — with
    ``take_stock``, parameters ``t_ids`` and ``t_qty`` in product id order — the product's
    id again when the same statement took the line's units, else NULL)."""
    order_cols = insert_columns(ORDERS, ())
    line_cols = insert_columns(LINES, ("order_id",))
    snap_cols = insert_columns(SNAPSHOTS, ("line_id",))
    event_cols = insert_columns(EVENTS, ("order_id",))
    fulfil_cols = insert_columns(FULFILMENTS, ("order_id",))
    event_names, fulfil_names = column_names(event_cols), column_names(fulfil_cols)
    line_rows = ",\n      ".join(param_row(f"l{i}_", line_cols) for i in range(lines))
    snap_rows = ",\n      ".join(
        param_row(f"s{i}_", [LINES.c.product_id, *snap_cols]) for i in range(lines)
    )
    stock, taken, join_taken = "", "NULL", ""
    if take_stock:
        stock = ",\n" + stock_sql("%(t_ids)s", "%(t_qty)s", lock=lines > 1, cte="t")
        taken, join_taken = "t.id", " LEFT JOIN t ON t.id = l.product_id"
    return f"""
WITH o AS (
  INSERT INTO {ORDERS.name} ({column_names(order_cols)})
  VALUES {param_row("o_", order_cols)}
  RETURNING id
),
l AS (
  INSERT INTO {LINES.name} (order_id, {column_names(line_cols)})
  SELECT o.id, v.* FROM o CROSS JOIN (VALUES
      {line_rows}
  ) AS v({column_names(line_cols)})
  RETURNING id, product_id
),
s AS (
  INSERT INTO {SNAPSHOTS.name} (line_id, {column_names(snap_cols)})
  SELECT l.id, {", ".join("v." + c.name for c in snap_cols)} FROM l JOIN (VALUES
      {snap_rows}
  ) AS v(product_id, {column_names(snap_cols)}) ON v.product_id = l.product_id
),
e AS (
  INSERT INTO {EVENTS.name} (order_id, {event_names})
  SELECT o.id, v.* FROM o CROSS JOIN (VALUES {param_row("e_", event_cols)}) AS v({event_names})
),
f AS (
  INSERT INTO {FULFILMENTS.name} (order_id, {fulfil_names})
  SELECT o.id, v.* FROM o CROSS JOIN (VALUES {param_row("f_", fulfil_cols)}) AS v({fulfil_names})
){stock}
SELECT o.id, l.id, l.product_id, {taken} FROM o CROSS JOIN l{join_taken}
"""


def _prefixed(prefix: str, values: dict) -> dict:
    return {f"{prefix}{name}": value for name, value in values.items()}


def write_placed(
    order: Order, event: OrderEvent, fulfilment: OrderFulfilment, take_stock: bool = False
) -> set[int]:
    """Insert ``order`` with its lines (each with its ``price_snapshot``), ``event`` and
    ``fulfilment`` in the session's transaction; ``order`` and its lines and snapshots
    are then persistent in the session (``event`` and ``fulfilment`` are written only).

    ``take_stock`` (the caller has nothing left to do before its commit): on PostgreSQL the
    same statement takes the lines' units too, as ``take_stocks`` would; returns the ids of
    the products whose units it took (empty on SQLite, or without ``take_stock``: the
    caller takes them with ``order_lines.take_stocks``, which takes or refuses the rest)."""
    lines: list[OrderLine] = list(order.lines)
    taken: set[int] = set()
    snapshots = [line.price_snapshot for line in lines]  # type: ignore[attr-defined]
    values = column_values(order, ORDERS)
    line_values = [column_values(line, LINES, ("order_id",)) for line in lines]
    snap_values = [column_values(snap, SNAPSHOTS, ("line_id",)) for snap in snapshots]
    event_values = column_values(event, EVENTS, ("order_id",))
    fulfil_values = column_values(fulfilment, FULFILMENTS, ("order_id",))
    if is_postgres(db.engine):
        params = _prefixed("o_", values) | _prefixed("e_", event_values)
        params |= _prefixed("f_", fulfil_values)
        rows_in = zip(lines, line_values, snap_values, strict=True)
        for i, (line, line_row, snap_row) in enumerate(rows_in):
            params |= _prefixed(f"l{i}_", line_row)
            params |= _prefixed(f"s{i}_", snap_row | {"product_id": line.product_id})
        if take_stock:
            ordered = sorted(lines, key=lambda line: line.product_id)
            params["t_ids"] = [line.product_id for line in ordered]
            params["t_qty"] = [line.quantity for line in ordered]
            tables_written(db.session(), PRODUCTS)
        sql = placed_sql(len(lines), take_stock)
        rows = send_sql(db.session.connection(), sql, params)  # straight on the cursor
        order.id = rows[0][0]
        line_ids = {product_id: line_id for _order_id, line_id, product_id, _taken in rows}
        taken = {row[3] for row in rows if row[3] is not None}
        for line in lines:
            line.id = line_ids[line.product_id]
    else:
        order.id = db.session.execute(insert(ORDERS).returning(ORDERS.c.id), values).scalar_one()
        for line, line_row in zip(lines, line_values, strict=True):
            line.id = db.session.execute(
                insert(LINES).returning(LINES.c.id), line_row | {"order_id": order.id}
            ).scalar_one()
        db.session.execute(
            insert(SNAPSHOTS),
            [row | {"line_id": line.id} for line, row in zip(lines, snap_values, strict=True)],
        )
        db.session.execute(insert(EVENTS), event_values | {"order_id": order.id})
        db.session.execute(insert(FULFILMENTS), fulfil_values | {"order_id": order.id})
    event.order_id = fulfilment.order_id = order.id
    for line, snapshot in zip(lines, snapshots, strict=True):
        line.order_id = order.id
        snapshot.line_id = line.id
    keep_written(order, *lines, *snapshots)
    return taken


def keep_written(*objs) -> None:
    """Make ``objs`` — rows just inserted by Core, their ids set and every column filled —
    persistent and clean in the session, as if loaded (nothing to flush or read back); a
    rollback of the transaction forgets them as the unit of work forgets its inserts."""
    for obj in objs:
        make_transient_to_detached(obj)
    session = db.session()
    for obj in objs:
        if obj not in session:  # an order's lines and snapshots join with it (cascade)
            session.add(obj)
    session.info.setdefault(_PLACED, []).extend(objs)


def insert_row(obj) -> None:
    """Insert ``obj``'s row with one Core ``INSERT … RETURNING id`` instead of the unit of
    work's flush (defaults filled in on the object too), then keep it (``keep_written``)."""
    table: Table = type(obj).__table__
    values = column_values(obj, table)
    obj.id = db.session.execute(insert(table).returning(table.c.id), values).scalar_one()
    keep_written(obj)


def stock_sql(ids: str, qty: str, *, lock: bool, cte: str | None = None) -> str:
    """PostgreSQL: take each product's units only where it is active and enough is left,
    answering the ids taken. ``ids`` and ``qty`` are the placeholders of two integer arrays
    in product id order. ``lock`` (several lines): lock the products' rows in id order
    first (the CTE is materialised before the UPDATE reads it, so two orders cannot
    deadlock), in the UPDATE's own mode: ``FOR NO KEY UPDATE`` leaves alone the key-share
    locks the order lines' foreign keys take on the same products (``FOR UPDATE`` waited
    for them, and two orders' lines of the same products deadlocked). ``cte``: the name
    of the ``UPDATE`` as a data-modifying CTE of a larger statement (``placed_sql``),
    else a statement of its own."""
    locked = (
        "locked AS MATERIALIZED (\n"
        f"  SELECT id FROM products WHERE id = ANY(CAST({ids} AS integer[])) ORDER BY id"
        " FOR NO KEY UPDATE\n)"
    )
    update = (
        "UPDATE products SET stock = products.stock - w.qty\n"
        f"FROM unnest(CAST({ids} AS integer[]), CAST({qty} AS integer[])) AS w(id, qty)\n"
        "WHERE products.id = w.id"
        + (" AND products.id IN (SELECT id FROM locked)" if lock else "")
        + "\n  AND products.is_active AND products.stock >= w.qty\nRETURNING products.id"
    )
    if cte is None:
        return (f"WITH {locked}\n" if lock else "") + update
    return (f"{locked},\n" if lock else "") + f"{cte} AS (\n{update}\n)"


_TAKE_STOCKS_PG = text(stock_sql(":ids", ":qty", lock=True))


def take_stocks(lines: list[OrderLine]) -> set[int]:
    """The product ids whose units were taken for ``lines`` (in product id order) by one
    statement on PostgreSQL when there are several; an empty set otherwise, and for the
    lines it did not take (``order_lines.take_stocks`` takes or refuses those one by one)."""
    if len(lines) < 2 or not is_postgres(db.engine):
        return set()
    ids = [line.product_id for line in lines]
    quantities = [line.quantity for line in lines]
    tables_written(db.session(), PRODUCTS)  # SQL text: the product list's snapshot follows
    return set(db.session.scalars(_TAKE_STOCKS_PG, {"ids": ids, "qty": quantities}))


# Rows written here join the session as if loaded, so a rollback would keep them (expired)
# where the unit of work drops the rows it inserted: drop them the same way (else the
# next order given the same id on SQLite finds its key taken in the identity map).
_PLACED = "siyu_placed_rows"


@event.listens_for(Session, "after_soft_rollback")
def _forget_placed(session: Session, previous) -> None:
    if previous.nested:  # a savepoint: the order's rows are still there
        return
    for obj in session.info.pop(_PLACED, ()):
        if obj in session:
            session.expunge(obj)


@event.listens_for(Session, "after_commit")
def _keep_placed(session: Session) -> None:
    session.info.pop(_PLACED, None)
