"""Re-plans on change: a commit that changes a plan, a post's purpose or status, or a
group's stage, segment, status or owner (or adds a group) carries a ``community.replan``
outbox row, so the planner (``community.services.planner``) runs within seconds of it,
after the commit. A change to groups only names them in the row's payload and the
handler re-plans just those groups (a group's schedule depends only on the plans, the
policy and its own rows); a plan, post or policy change re-plans every group.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import inspect, select, update

from app import outbox
from app.clock import shanghai_day, utcnow
from app.db import is_postgres
from app.extensions import db

REPLAN_KIND = "community.replan"
BUCKET_SECONDS = 5
RUN_AFTER_SECONDS = 2
MAX_GROUPS = 1000  # a bucket naming more groups re-plans everything


def replan_handler(message) -> dict:
    """Outbox handler: re-plan today's horizon — only the groups the payload names, or
    everything (``{"all": true}``, or a row from before payloads named groups)."""
    from community.services import planner

    payload = message.payload or {}
    ids = payload.get("groups")
    if payload.get("all") or ids is None:
        return planner.replan(shanghai_day())
    return planner.replan(shanghai_day(), group_ids=ids) | {"groups": len(ids)}


def replan_pending() -> bool:
    """Whether a re-plan is asked for and not run yet (the plan page says its schedule is
    about to change rather than showing the old one as if final)."""
    found = db.session.scalar(
        select(outbox.OutboxMessage.id)
        .where(
            outbox.OutboxMessage.kind == REPLAN_KIND,
            outbox.OutboxMessage.status.in_((outbox.PENDING, outbox.IN_FLIGHT)),
        )
        .limit(1)
    )
    return found is not None


def _payload(group_ids: Iterable[int] | None) -> dict:
    """``{"groups": [...]}`` for these groups, ``{"all": true}`` for everything (or for more
    than ``MAX_GROUPS`` groups: a sync touching thousands re-plans them all at once)."""
    if group_ids is None:
        return {"all": True}
    ids = sorted(set(group_ids))
    return {"groups": ids} if len(ids) <= MAX_GROUPS else {"all": True}


def _merged(old: dict, new: dict) -> dict:
    """One bucket's payload after another request joins it: everything wins, else the union."""
    if "groups" not in old or "groups" not in new:
        return {"all": True}
    return _payload([*old["groups"], *new["groups"]])


def request_replan(group_ids: Iterable[int] | None = None) -> None:
    """Ask, in the caller's transaction, for a re-plan of ``group_ids`` (``None``: of every
    group). One row per 5-second bucket, run 2 s after the bucket closes, so a burst of
    commits (a sync, the nightly stages) asks once: the first request inserts the bucket's
    row, later ones merge their groups into its payload while it is still pending (the row
    is locked for that on PostgreSQL; the dispatcher's claim skips a locked row). Once the
    bucket's row has been claimed, the request goes into the next bucket's row."""
    now = utcnow()
    wanted = _payload(group_ids)
    bucket = int(now.timestamp()) // BUCKET_SECONDS
    model = outbox.OutboxMessage
    for n in range(bucket, bucket + 3):  # the next bucket's row is never claimed yet
        closes = datetime.fromtimestamp((n + 1) * BUCKET_SECONDS, UTC)
        key = f"replan:{closes - timedelta(seconds=BUCKET_SECONDS):%Y%m%d%H%M%S}"
        delay = max(0.0, (closes - now).total_seconds()) + RUN_AFTER_SECONDS
        outbox.enqueue(REPLAN_KIND, wanted, dedupe_key=key, delay_seconds=delay)
        query = select(model.status, model.payload).where(model.dedupe_key == key)
        if is_postgres(db.engine):
            query = query.with_for_update()
        row = db.session.execute(query).one()
        if row.status != outbox.PENDING:
            continue
        payload = _merged(row.payload or {}, wanted)
        if payload != row.payload:
            db.session.execute(update(model).where(model.dedupe_key == key).values(payload=payload))
        return


# what a re-plan depends on: a change to any of these asks for one (``watch_changes``)
WATCHED = {
    "PushPlan": None,  # any column
    "ContentPost": ("purpose", "status"),
    "WecomGroup": (
        "stage",
        "segment",
        "status",
        "guide_id",
        "store_id",
        "franchisee_id",
        "region_id",
        "wecom_created_at",
    ),
}


def _changes(session) -> tuple[bool, set[int]]:
    """What a flush changed that a re-plan depends on: ``(everything, group ids)`` — a
    plan or post change concerns every group, a group's only itself. Run after the flush
    (new groups have their ids; the attribute history is still there)."""
    everything, groups = False, set()
    changed = [*session.new, *session.deleted]
    for obj in session.dirty:
        columns = WATCHED.get(type(obj).__name__, ())
        state = inspect(obj)
        if columns is None or any(state.attrs[c].history.has_changes() for c in columns):
            changed.append(obj)
    for obj in changed:
        name = type(obj).__name__
        if name == "WecomGroup":
            groups.add(obj.id)
        elif name in WATCHED:
            everything = True
    return everything, groups


def watch_changes() -> None:
    """Session events: a flush that changes a plan, a post's purpose or status, or a group's
    stage, segment, status or owner notes it on the session (everything, or which groups);
    its commit then carries the ``community.replan`` request (the re-plan follows within
    seconds)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    def after_flush(session, _context) -> None:
        if not has_app_context() or not current_app.config.get("COMMUNITY_REPLAN_ON_CHANGE"):
            return
        if session is not db.session():  # the outbox row goes through the app's session
            return
        everything, groups = _changes(session)
        if everything or groups:
            noted = session.info.setdefault("siyu_replan", {"all": False, "groups": set()})
            noted["all"] = noted["all"] or everything
            noted["groups"] |= groups

    def before_commit(session) -> None:
        # SQLAlchemy calls before_commit ahead of the commit's own flush: flush here so
        # changes not flushed yet (an edit followed straight by commit) are seen too.
        if session is db.session() and (session.new or session.dirty or session.deleted):
            session.flush()
        noted = session.info.pop("siyu_replan", None)
        if noted:
            request_replan(None if noted["all"] else noted["groups"])

    def after_rollback(session) -> None:
        session.info.pop("siyu_replan", None)

    for name, listener in (
        ("after_flush", after_flush),
        ("before_commit", before_commit),
        ("after_rollback", after_rollback),
    ):
        if not any(getattr(f, "__name__", "") == name for f in _LISTENERS):
            event.listen(Session, name, listener)
            _LISTENERS.append(listener)


_LISTENERS: list = []  # registered once per process (session events are class-wide)
