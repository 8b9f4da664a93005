"""What every organisation service shares: errors, uniqueness checks, commit and hooks.

The hooks ``STORE_CLOSED`` and ``GUIDE_LEFT`` (``app.extensions.add_hook``) get the closed
store's / departed guide's id, *after* the commit (customer hand-over plugs in here).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.errors import Conflict, DomainError, constraint_error
from app.extensions import db, hooks
from app.i18n import tr
from franchise.models import Guide

log = logging.getLogger("siyu.franchise")

STORE_CLOSED = "franchise.store_closed"
GUIDE_LEFT = "franchise.guide_left"
# listener(store_id) after the commit: the store's active guides changed (a guide joined,
# left, returned, moved in or out, or changed WeCom account), e.g. for the store's 联系我
STORE_GUIDES_CHANGED = "franchise.store_guides_changed"
# listener(kind, object_id) with kind "guide" or "store": a select of the ids of customers
# another domain hands over itself (through WeCom), left out of the immediate hand-over
HANDOVER_HELD = "franchise.handover_held"


class Invalid(DomainError):
    """A field breaks a rule the schema cannot see (a missing reference, a closed store)."""

    status = 422
    code = "validation_error"


def invalid(field: str, message: str) -> Invalid:
    """A 422 naming one bad field, its message in the request's language.

    ``message`` is an English msgid (translated here) or a text a caller already built
    with ``tr(..., **params)`` (found in no catalogue, so it passes through unchanged).
    The top-level message is translated by the error handler.
    """
    return Invalid("The request has invalid fields.", errors={field: [tr(message)]})


def taken(field: str, what: str) -> Conflict:
    """A 409 naming the field whose value another row already holds.

    ``what`` is a lower-case English noun ("store code") with its own catalogue entry
    (listed in ``app/web/display_messages.py``), so the sentence reads whole in Chinese.
    """
    return Conflict(
        tr("That %(what)s is already in use.", what=tr(what)),
        errors={field: [tr("Already in use.")]},
    )


def ensure_unique(model, column: str, value, field: str, what: str, exclude_id=None) -> None:
    """Raise ``taken`` when another row of ``model`` has ``value`` in ``column``."""
    stmt = select(model.id).where(getattr(model, column) == value)
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    if db.session.scalars(stmt).first() is not None:
        raise taken(field, what)


def get_or_invalid(model, object_id: int | None, field: str):
    """The referenced row, or a 422 on ``field`` (a bad reference is bad input, not 404)."""
    obj = db.session.get(model, object_id) if object_id is not None else None
    if obj is None:
        # one msgid per model ("No such store."), listed in app/web/display_messages.py
        raise invalid(field, f"No such {model.__name__.lower()}.")
    return obj


@contextmanager
def loaded_after_commit():
    """Inside, a commit leaves the rows just written loaded instead of expiring them.

    For a caller that answers with what it wrote: no second round of SELECTs to read back
    values it already holds (anything it did not load is still fetched on access).
    """
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = expire


def commit_then_notify(after: Iterable[tuple[str, int]] = (), *, keep_loaded: bool = False) -> None:
    """Commit, then run the listeners of each ``(hook name, object id)`` in ``after``. A
    constraint the database enforces (a race on a unique key, a reference deleted
    meanwhile) becomes the error naming the field (``app.errors.constraint_error``: 409 for
    a key taken, 422 for a reference).

    ``keep_loaded``: see ``loaded_after_commit``.
    """
    try:
        with loaded_after_commit() if keep_loaded else nullcontext():
            db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise constraint_error(exc) from exc
    for name, object_id in after:
        for listener in list(hooks(name)):
            try:
                listener(object_id)
            except Exception:  # noqa: BLE001 - the change is committed; report and go on
                log.exception("listener %r failed for id %s", listener, object_id)


@contextmanager
def committed(
    after: Iterable[tuple[str, int]] = (), *, keep_loaded: bool = False
) -> Iterator[list[tuple[str, int]]]:
    """A service's write: the ``with`` body's changes committed at its end through
    ``commit_then_notify``; a ``DomainError`` in the body rolls them back and propagates
    (other errors propagate as they are). The ``as`` target is the list of ``(hook name,
    object id)`` to notify after the commit (``after``, then what the body appends)."""
    notify = list(after)
    try:
        yield notify
    except DomainError:
        db.session.rollback()
        raise
    commit_then_notify(notify, keep_loaded=keep_loaded)


def rollback_and_raise(exc: Exception) -> NoReturn:
    """Undo the session's pending changes and raise ``exc``."""
    db.session.rollback()
    raise exc


def sync_guide_user(guide: Guide) -> None:
    """Point the guide's account scope keys at the guide, its store and franchisee."""
    if guide.user_id is None:
        return
    user = db.session.get(User, guide.user_id)
    if user is not None:
        user.guide_id = guide.id
        user.store_id = guide.store_id
        user.franchisee_id = guide.franchisee_id
