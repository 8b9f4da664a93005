"""Bulk assignment paths: the backlog (``assign_backlog``, ``flask franchise assign-all``),
a closed store's and a departed guide's customers (继承). See ``assignment`` for the rules.

Customers are read in id-ordered keyset chunks (on PostgreSQL as plain tuples from the
driver's binary cursor) and decided in memory against a ``MemoryView``; each chunk's
changes (``_CHANGE`` tuples) are written as one customers UPDATE and one history INSERT.
On PostgreSQL a chunk is COPYed into a temporary staging table and applied set-based
(``UPDATE ... FROM`` staging, ``INSERT ... SELECT`` from staging) in one transaction
with ``SET LOCAL synchronous_commit = off`` (only that transaction's commit skips the
WAL flush wait: durability, not consistency, is relaxed), up to ``PG_WRITERS`` chunks at
once: the run is idempotent and re-runnable, so a crash loses at most the last commits,
which the next run redoes. No index or constraint is dropped: concurrent logins and
hand-overs keep writing customers and history while a run goes on. Elsewhere (SQLite)
two executemany statements. Every change writes one ``AssignmentHistory`` row; no
change, no row.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import and_, bindparam, func, or_, select

from app.clock import utcnow
from app.extensions import db
from franchise.models import (
    ACTIVE,
    RULE_GUIDE_LEFT,
    RULE_STORE_CLOSED,
    Customer,
    Franchisee,
    Guide,
    Store,
    open_store_clause,
)
from franchise.services.assignment import CHUNK, Target, decide_by_place
from franchise.services.assignment_snapshot import MemoryView

_ROW = (
    Customer.id,
    Customer.franchisee_id,
    Customer.store_id,
    Customer.guide_id,
    Customer.latitude,
    Customer.longitude,
    Customer.city,
)


_HISTORY_COLUMNS = (
    "customer_id, from_franchisee_id, from_store_id, from_guide_id, to_franchisee_id, "
    "to_store_id, to_guide_id, rule, actor_user_id, reason, created_at"
)


_STAGING = "_assign_staging"
# One decided change, as staged and written: customer id, the new franchisee, store and
# guide, the rule, the old franchisee, store and guide, the history reason.
_CHANGE = ("id", "fid", "sid", "gid", "rule", "ff", "fs", "fg", "reason")
# Chunks written at once on PostgreSQL, each by a writer thread on its own connection
# (disjoint id ranges, so they never touch the same customer rows). 2 beat 3 on the
# 2-core bench machine (docs/BENCHMARKS.md): the writers and the deciding thread share it.
PG_WRITERS = 2


def _copy_chunk_pg(conn, changes: list, actor_user_id, when) -> None:
    """PostgreSQL: COPY the decisions into a temporary staging table, then apply them
    set-based in the connection's transaction; the staging table goes at the end.

    ``changes`` are ``_CHANGE`` tuples in id order: the id range lets the UPDATE read only
    the chunk's part of ``customers`` through its primary key instead of a whole-table
    hash join.
    """
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL jit = off")
        cur.execute(
            f"CREATE TEMP TABLE {_STAGING} (id int, fid int, sid int, gid int, rule text, "
            "ff int, fs int, fg int, reason text) ON COMMIT DROP"
        )
        with cur.copy(f"COPY {_STAGING} ({', '.join(_CHANGE)}) FROM STDIN") as copy:
            write = copy.write_row
            for change in changes:
                write(change)
        cur.execute(
            "UPDATE customers SET franchisee_id = s.fid, store_id = s.sid, guide_id = s.gid, "
            f"assignment_rule = s.rule, bound_at = %s FROM {_STAGING} s "
            "WHERE customers.id = s.id AND customers.id BETWEEN %s AND %s",
            (when, changes[0][0], changes[-1][0]),
        )
        cur.execute(
            f"INSERT INTO assignment_history ({_HISTORY_COLUMNS}) SELECT s.id, s.ff, s.fs, "
            f"s.fg, s.fid, s.sid, s.gid, s.rule, %s, s.reason, %s FROM {_STAGING} s",
            (actor_user_id, when),
        )
        cur.execute(f"DROP TABLE {_STAGING}")


def _write_chunk(conn, changes: list, actor_user_id, now) -> None:
    """Write one chunk of ``_CHANGE`` tuples: customers UPDATE and history INSERT,
    driver-level.

    PostgreSQL: COPY into a staging table, then two set-based statements
    (``_copy_chunk_pg``). Others (SQLite): two executemany.
    """
    if not changes:
        return
    if conn.dialect.name == "postgresql":
        _copy_chunk_pg(conn, changes, actor_user_id, now)
        return
    bind = Customer.__table__.c.bound_at.type._cached_bind_processor(conn.dialect)
    when = bind(now) if bind else now
    cols = list(zip(*changes, strict=True))
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(
        f"UPDATE customers SET franchisee_id = {mark}, store_id = {mark}, guide_id = {mark}, "
        f"assignment_rule = {mark}, bound_at = {mark} WHERE id = {mark}",
        [(f, s_, g, r, when, cid) for cid, f, s_, g, r in zip(*cols[:5], strict=True)],
    )
    conn.exec_driver_sql(
        f"INSERT INTO assignment_history ({_HISTORY_COLUMNS}) VALUES ({', '.join([mark] * 11)})",
        [
            (cid, ff, fs, fg, f, s_, g, r, actor_user_id, reason, when)
            for cid, f, s_, g, r, ff, fs, fg, reason in zip(*cols, strict=True)
        ],
    )


def _write_in_own_transaction(engine, changes: list, actor_user_id, now) -> None:
    """Write one chunk on a connection of its own (the writer thread), committing it."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":  # a 256 MB page cache keeps 1M-row indexes in memory
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
        _write_chunk(conn, changes, actor_user_id, now)


def _chunk_reader(where, chunk: int) -> Callable:
    """``read(last_id)``: the next ``chunk`` customers matching ``where`` after ``last_id``
    as tuples of ``_ROW``, in id order, in the session's transaction.

    On PostgreSQL the statement is compiled once and run on the driver cursor in binary
    mode (plain tuples: a third of the cost of ORM rows at a million customers).
    """
    stmt = select(*_ROW).where(where, Customer.id > bindparam("last_id")).order_by(Customer.id)
    stmt = stmt.limit(chunk)
    if db.engine.dialect.name != "postgresql":
        return lambda last_id: db.session.execute(stmt, {"last_id": last_id}).all()
    compiled = stmt.compile(dialect=db.engine.dialect)
    sql, params = str(compiled), dict(compiled.params)

    def read(last_id):
        raw = db.session.connection().connection.driver_connection
        assert raw is not None  # a pooled connection has its driver's
        with raw.cursor(binary=True) as cur:
            return cur.execute(sql, {**params, "last_id": last_id}).fetchall()

    return read


def _run_bulk(where, decide: Callable, *, actor_user_id=None, progress=None, chunk=CHUNK) -> int:
    """Decide and write every customer matching ``where`` in id-ordered chunks; commits each.

    ``decide(row)`` returns ``(Target, rule, reason)``. Returns how many customers changed.
    A single chunk is written in the session's transaction. Longer runs hand each chunk
    to a writer thread with its own connection and transaction (one on SQLite, up to
    ``PG_WRITERS`` at once on PostgreSQL, on disjoint id ranges), so the next chunk is
    decided while the database writes the last (the keyset on id never rereads a written
    row).
    """
    changed, last_id, now = 0, 0, utcnow()
    engine, writer = db.engine, None
    pending: deque[Future] = deque()
    writers = PG_WRITERS if engine.dialect.name == "postgresql" else 1
    read = _chunk_reader(where, chunk)
    try:
        while True:
            rows = read(last_id)
            if not rows:
                break
            changes: list[tuple] = []
            add = changes.append
            for row in rows:
                target, rule, reason = decide(row)
                new = (target.franchisee_id, target.store_id, target.guide_id)
                if new != row[1:4]:
                    add((row[0], *new, rule, *row[1:4], reason[:255]))
            if writer is None and len(rows) < chunk:  # the only chunk: inline
                _write_chunk(db.session.connection(), changes, actor_user_id, now)
                db.session.commit()
            else:
                db.session.rollback()  # end the read transaction; the writer commits
                writer = writer or ThreadPoolExecutor(writers, thread_name_prefix="assign-writer")
                while len(pending) >= writers:
                    pending.popleft().result()
                pending.append(
                    writer.submit(_write_in_own_transaction, engine, changes, actor_user_id, now)
                )
            changed += len(changes)
            last_id = rows[-1][0]
            if progress is not None:
                progress(len(rows))
        while pending:
            pending.popleft().result()
    except Exception:
        db.session.rollback()
        raise
    finally:
        if writer is not None:
            writer.shutdown(wait=True)
    return changed


def _place_decider(view, rule: str | None, reason: str):
    def decide(row):
        target = decide_by_place(view, row[4], row[5], row[6])
        view.moved((row[1], row[2]), (target.franchisee_id, target.store_id))
        return target, rule or target.rule, f"{reason} ({target.rule})" if rule else reason

    return decide


def _guide_decider(view: MemoryView, reason: str):
    """Hand a departed guide's customers to the least-loaded active guide of the same store."""
    guides: dict = {}

    def decide(row):
        sid = row[2]
        if sid not in guides:
            ids = db.session.scalars(
                select(Guide.id).where(Guide.store_id == sid, Guide.status == ACTIVE)
            ).all()
            load = dict(
                db.session.execute(
                    select(Customer.guide_id, func.count())
                    .where(Customer.guide_id.in_(ids))
                    .group_by(Customer.guide_id)
                ).all()
            )
            guides[sid] = {g: load.get(g, 0) for g in ids}
        pool = guides[sid]
        gid = min(pool, key=lambda g: (pool[g], g), default=None)
        if gid is not None:
            pool[gid] += 1
        return Target(row[1], sid, gid, RULE_GUIDE_LEFT), RULE_GUIDE_LEFT, reason

    return decide


def _open_and_active():
    """Ids of open stores of active franchisees, active franchisees and active guides."""
    active_f = select(Franchisee.id).where(Franchisee.status == ACTIVE)
    open_s = select(Store.id).where(open_store_clause())
    active_g = select(Guide.id).where(Guide.status == ACTIVE)
    return active_f, open_s, active_g


def backlog_condition():
    """Customers whose franchisee is not active, or whose store is closed or guide left."""
    active_f, open_s, active_g = _open_and_active()
    return or_(
        Customer.franchisee_id.not_in(active_f),
        (Customer.store_id.is_not(None)) & Customer.store_id.not_in(open_s),
        (Customer.guide_id.is_not(None)) & Customer.guide_id.not_in(active_g),
    )


def count_backlog() -> int:
    return (
        db.session.scalar(select(func.count()).select_from(Customer).where(backlog_condition()))
        or 0
    )


def assign_backlog(
    progress=None, chunk: int = CHUNK, actor_user_id=None, view: MemoryView | None = None
) -> int:
    """Reassign every customer in the backlog in bulk; returns how many changed.

    A customer whose franchisee or store is no longer valid goes through rules 3–5;
    one whose only problem is a departed guide stays in the store with another guide.
    """
    view = view or MemoryView()
    active_f, open_s, active_g = (set(db.session.scalars(s)) for s in _open_and_active())
    by_place = _place_decider(view, None, "backlog")
    by_guide = _guide_decider(view, "backlog: guide left")

    def decide(row):
        if row[1] in active_f and (row[2] is None or row[2] in open_s):
            return by_guide(row)
        return by_place(row)

    return _run_bulk(
        backlog_condition(), decide, actor_user_id=actor_user_id, progress=progress, chunk=chunk
    )


def _not_held(kind: str, object_id: int):
    """Customers no ``HANDOVER_HELD`` listener hands over itself (through WeCom, where the
    assignment follows WeCom's outcome instead)."""
    from app.extensions import hooks
    from franchise.services.base import HANDOVER_HELD

    held = [listener(kind, object_id) for listener in hooks(HANDOVER_HELD)]
    return [Customer.id.not_in(stmt) for stmt in held if stmt is not None]


def inherit_store_customers(store_id: int) -> int:
    """A closed store's customers go to rules 3–5 (the closed store is not a candidate)."""
    store = db.session.get(Store, store_id)
    if store is None or store.is_open:
        return 0
    decide = _place_decider(MemoryView(), RULE_STORE_CLOSED, f"Store {store.code} closed")
    where = (Customer.store_id == store_id, *_not_held("store", store_id))
    return _run_bulk(and_(*where), decide)


def inherit_guide_customers(guide_id: int) -> int:
    """A departed guide's customers go to another active guide of the store (least loaded),
    else stay with the store and no guide; when the store is closed too, rules 3–5."""
    guide = db.session.get(Guide, guide_id)
    if guide is None or guide.status == ACTIVE:
        return 0
    reason = f"Guide {guide.name} left"
    store = db.session.get(Store, guide.store_id)
    view = MemoryView()
    if store is not None and store.is_open and store.franchisee_id in view.region_of:
        decide = _guide_decider(view, reason)
    else:
        decide = _place_decider(view, RULE_GUIDE_LEFT, reason)
    where = (Customer.guide_id == guide_id, *_not_held("guide", guide_id))
    return _run_bulk(and_(*where), decide)
