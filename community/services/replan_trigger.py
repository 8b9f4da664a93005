"""Re-plans on change: a commit that changes a plan, a post's purpose or status, or a
group's stage, segment, status or owner carries one ``community.replan`` outbox row, so
the planner (``community.services.planner``) runs within seconds of it, after the commit.
"""

from __future__ import annotations

from flask import current_app, has_app_context

from app import outbox
from app.clock import shanghai_day, utcnow
from app.extensions import db

REPLAN_KIND = "community.replan"


def replan_handler(message) -> dict:
    """Outbox handler: re-plan today's horizon."""
    from community.services import planner

    return planner.replan(shanghai_day())


def replan_pending() -> bool:
    """Whether a re-plan is asked for and not run yet (the plan page says its schedule is
    about to change rather than showing the old one as if final)."""
    from sqlalchemy import select

    found = db.session.scalar(
        select(outbox.OutboxMessage.id)
        .where(
            outbox.OutboxMessage.kind == REPLAN_KIND,
            outbox.OutboxMessage.status.in_((outbox.PENDING, outbox.IN_FLIGHT)),
        )
        .limit(1)
    )
    return found is not None


def request_replan() -> None:
    """Ask for a re-plan in the caller's transaction: one per 5-second bucket, run 2 s
    later so a burst of commits (a sync, the nightly stages) asks once."""
    now = utcnow()
    bucket = f"{now:%Y%m%d%H%M}{now.second // 5}"
    outbox.enqueue(REPLAN_KIND, {}, dedupe_key=f"replan:{bucket}", delay_seconds=2)


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


def _touches_plan(session) -> bool:
    from sqlalchemy import inspect

    for obj in (*session.new, *session.deleted):
        if type(obj).__name__ in WATCHED:
            return True
    for obj in session.dirty:
        columns = WATCHED.get(type(obj).__name__, ())
        if columns is None:
            return True
        state = inspect(obj)
        if any(state.attrs[c].history.has_changes() for c in columns):
            return True
    return False


def watch_changes() -> None:
    """Session events: a flush that changes a plan, a post's purpose or status, or a group's
    stage, segment, status or owner marks the session; its commit then carries a
    ``community.replan`` outbox row (so the re-plan follows within seconds)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    def before_flush(session, _context, _instances) -> None:
        if not has_app_context() or not current_app.config.get("COMMUNITY_REPLAN_ON_CHANGE"):
            return
        if session is not db.session():  # the outbox row goes through the app's session
            return
        if _touches_plan(session):
            session.info["siyu_replan"] = True

    def before_commit(session) -> None:
        # SQLAlchemy calls before_commit ahead of the commit's own flush: flush here so
        # changes not flushed yet (an edit followed straight by commit) are seen too.
        if session is db.session() and (session.new or session.dirty or session.deleted):
            session.flush()
        if session.info.pop("siyu_replan", None):
            request_replan()

    def after_rollback(session) -> None:
        session.info.pop("siyu_replan", None)

    for name, listener in (
        ("before_flush", before_flush),
        ("before_commit", before_commit),
        ("after_rollback", after_rollback),
    ):
        if not any(getattr(f, "__name__", "") == name for f in _LISTENERS):
            event.listen(Session, name, listener)
            _LISTENERS.append(listener)


_LISTENERS: list = []  # registered once per process (session events are class-wide)
