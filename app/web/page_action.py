"""A page's action button, its outcome flashed: one shape for every posted action.

A button on a page (rule on a dispute, acknowledge an alert, move an order) runs one
service call, flashes the service's refusal as an error or the page's words as a success,
and redirects back. ``flashed(done)`` is that try / except / else::

    with flashed(_("Ruling recorded.")):
        disputes.rule(...)
    return redirect(back, 303)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import flash

from app.errors import DomainError


def _message(exc: DomainError) -> str:
    return exc.message


@contextmanager
def flashed(done: str, describe: Callable[[DomainError], str] = _message) -> Iterator[None]:
    """Run the ``with`` body; a ``DomainError`` it raises is flashed as an error (its
    message, or what ``describe`` makes of it) and goes no further, otherwise ``done`` is
    flashed as a success."""
    try:
        yield
    except DomainError as exc:
        flash(describe(exc), "error")
    else:
        flash(done, "success")
