"""Moving a row from one state to the next with one conditional UPDATE, so that of two
requests racing to make the same move exactly one makes it (an order's transition, a
store-side record's step, redeeming a coupon, settling a trade-in, an appointment's
outcome). The caller says what losing the race means (a 409, a 422) and how it reloads
the row.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import update
from sqlalchemy.engine import CursorResult

from app.extensions import db


def move_status(row: Any, from_status: str, to_status: str, **values: Any) -> bool:
    """``UPDATE … SET status = to_status, <values> WHERE id = row.id AND status =
    from_status`` in the caller's transaction; True when this call moved it (False: the
    row was not in ``from_status`` any more). The session's copy of ``row`` is left as
    it was: the caller expires or refreshes it."""
    model = type(row)
    result = db.session.execute(
        update(model)
        .where(model.id == row.id, model.status == from_status)
        .values(status=to_status, **values)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult, result).rowcount == 1
