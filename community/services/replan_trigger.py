"""Re-plans on change: a commit that changes a plan, a post's purpose or status, or a
group's stage, segment, status or owner (or adds a group) carries a ``community.replan``
outbox row, so the planner (``community.services.planner``) runs within seconds of it,
after the commit. The row names what to re-plan, and the handler re-plans just that (a
group's schedule depends only on the plans, the policy and its own rows):

* a change to groups names them: ``{"groups": [ids]}``;
* a change to a plan (created, edited, deleted) names its target filter before the change
  and after it, a change to a post the target filters of the plans sending it:
  ``{"groups": [...], "targets": [{"stages": [...], ...}, ...]}`` (``replan_scope``: the
  planner loads the groups these filters match in one query, however many they are);
* a change to the receiving-limit policy, a plan aimed at every group, more than
  ``MAX_GROUPS`` named groups or ``MAX_TARGETS`` filters: ``{"all": true}`` (as is a row
  from before payloads named anything).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import inspect, select, update

from app import outbox
from app.clock import shanghai_day, utcnow
from app.db import is_postgres
from app.extensions import db
from community.models import ContentPost, PushPlan, WecomGroup
from community.services.replan_scope import distinct_targets, plan_targets, target_of

REPLAN_KIND = "community.replan"
BUCKET_SECONDS = 5
RUN_AFTER_SECONDS = 2
MAX_GROUPS = 1000  # a bucket naming more groups re-plans everything
MAX_TARGETS = 200  # a bucket naming more plan target filters re-plans everything


def _everything(payload: Mapping) -> bool:
    """Whether a payload asks for every group (or names nothing: a row from before)."""
    return bool(payload.get("all")) or not ({"groups", "targets"} & payload.keys())


def replan_handler(message) -> dict:
    """Outbox handler: re-plan today's horizon — only the groups the payload names or its
    plan target filters match, or everything (``{"all": true}``, or an old row)."""
    from community.services import planner

    payload = message.payload or {}
    if _everything(payload):
        return planner.replan(shanghai_day())
    ids, targets = payload.get("groups") or [], payload.get("targets") or []
    result = planner.replan(shanghai_day(), group_ids=ids, targets=targets or None)
    return result | {"groups": len(ids), "targets": len(targets)}


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


def _payload(group_ids: Iterable[int] | None, targets: Iterable[Mapping] | None = None) -> dict:
    """``{"groups": [...]}`` (with ``"targets"`` when plan filters are named) for these,
    ``{"all": true}`` for nothing named, a filter over every group, or more than
    ``MAX_GROUPS`` groups / ``MAX_TARGETS`` filters (a sync touching thousands re-plans
    them all at once)."""
    if group_ids is None and targets is None:
        return {"all": True}
    ids = sorted(set(group_ids or ()))
    found = distinct_targets(targets or ())
    if len(ids) > MAX_GROUPS or len(found) > MAX_TARGETS or any(not t for t in found):
        return {"all": True}
    return {"groups": ids, "targets": found} if found else {"groups": ids}


def _merged(old: dict, new: dict) -> dict:
    """One bucket's payload after another request joins it: everything wins, else the
    union of the groups and of the filters."""
    if _everything(old) or _everything(new):
        return {"all": True}
    groups = [*old.get("groups", []), *new.get("groups", [])]
    return _payload(groups, [*old.get("targets", []), *new.get("targets", [])])


def request_replan(
    group_ids: Iterable[int] | None = None, targets: Iterable[Mapping] | None = None
) -> None:
    """Ask, in the caller's transaction, for a re-plan of ``group_ids`` and of the groups
    plan target filters ``targets`` match (``replan_scope.target_of``; neither: of every
    group). One row per 5-second bucket, run 2 s after the bucket closes, so a burst of
    commits (a sync, the nightly stages) asks once: the first request inserts the bucket's
    row, later ones merge their groups into its payload while it is still pending (the row
    is locked for that on PostgreSQL; the dispatcher's claim skips a locked row). Once the
    bucket's row has been claimed, the request goes into the next bucket's row."""
    now = utcnow()
    wanted = _payload(group_ids, targets)
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
WATCHED: dict[type, tuple[str, ...] | None] = {
    PushPlan: None,  # any column
    ContentPost: ("purpose", "status"),
    WecomGroup: (
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


def _is_plan(obj) -> bool:
    return isinstance(obj, PushPlan)


def _stored_targets(session) -> list[dict]:
    """Before a flush: the stored target filters of the plans it edits or deletes (what
    they targeted before the change; read from the database, so an edit of an attribute
    not loaded before is covered too)."""
    ids = []
    for obj in (*session.dirty, *session.deleted):
        identity = inspect(obj).identity
        if _is_plan(obj) and identity and (obj in session.deleted or session.is_modified(obj)):
            ids.append(identity[0])
    return plan_targets(session, plan_ids=ids) if ids else []


def _changes(session) -> tuple[set[int], list[dict], set[int]]:
    """What a flush changed that a re-plan depends on: ``(group ids, plan targets, post
    ids)`` — a group concerns itself, a new or edited plan the groups it targets now, a
    post the groups of the plans sending it. Run after the flush (new rows have their ids;
    the attribute history is still there); a plan's targets before the change were read
    before the flush (``_stored_targets``)."""
    groups, targets, posts = set(), [], set()
    changed = [*session.new, *session.deleted]
    for obj in session.dirty:
        columns = WATCHED.get(type(obj), ())
        state = inspect(obj)
        if columns is None or any(state.attrs[c].history.has_changes() for c in columns):
            changed.append(obj)
    for obj in changed:
        if isinstance(obj, WecomGroup):
            groups.add(obj.id)
        elif isinstance(obj, ContentPost):
            posts.add(obj.id)
        elif _is_plan(obj) and obj not in session.deleted:
            targets.append(target_of(obj))
    return groups, targets, posts


def _watching(session) -> bool:
    """Whether this session's changes ask for re-plans (the app's session, when on)."""
    if not has_app_context() or not current_app.config.get("COMMUNITY_REPLAN_ON_CHANGE"):
        return False
    return session is db.session()  # the outbox row goes through the app's session


def _noted(session) -> dict:
    """What the session's flushes so far ask to re-plan (until its commit or rollback)."""
    return session.info.setdefault("siyu_replan", {"groups": set(), "targets": [], "posts": set()})


def watch_changes() -> None:
    """Session events: a flush that changes a plan, a post's purpose or status, or a group's
    stage, segment, status or owner notes it on the session (which groups, which plan
    targets before and after, which posts); its commit then carries the
    ``community.replan`` request (the re-plan follows within seconds)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    def before_flush(session, _context, _instances) -> None:
        stored = _stored_targets(session) if _watching(session) else []
        if stored:
            _noted(session)["targets"].extend(stored)

    def after_flush(session, _context) -> None:
        if not _watching(session):
            return
        groups, targets, posts = _changes(session)
        if groups or targets or posts:
            noted = _noted(session)
            noted["groups"] |= groups
            noted["targets"].extend(targets)
            noted["posts"] |= posts

    def before_commit(session) -> None:
        # SQLAlchemy calls before_commit ahead of the commit's own flush: flush here so
        # changes not flushed yet (an edit followed straight by commit) are seen too.
        if session is db.session() and (session.new or session.dirty or session.deleted):
            session.flush()
        noted = session.info.pop("siyu_replan", None)
        if noted:
            targets = noted["targets"] + plan_targets(session, post_ids=noted["posts"])
            if noted["groups"] or targets:  # a post no plan sends concerns no group
                request_replan(noted["groups"], targets)

    def after_rollback(session) -> None:
        session.info.pop("siyu_replan", None)

    for name, listener in (
        ("before_flush", before_flush),
        ("after_flush", after_flush),
        ("before_commit", before_commit),
        ("after_rollback", after_rollback),
    ):
        if not any(getattr(f, "__name__", "") == name for f in _LISTENERS):
            event.listen(Session, name, listener)
            _LISTENERS.append(listener)


_LISTENERS: list = []  # registered once per process (session events are class-wide)
