"""The steps of a service ticket or a trade-in as people read them (issue 19).

The services write each step's note in a fixed English shape ("intake at the store",
"from appointment 12", "3100 mg × 750‰ at the day's price", "order SO…") and keep who
took it as a user id. Pages show them through ``step_note`` (the note in the viewer's
language: the visit by its time, the weight in grams, the order by its number; a note
typed by a person is shown as typed) and ``user_name`` (the staff member's name, "the
system" for a step nobody took).
"""

from __future__ import annotations

import re

from app.auth.models import User
from app.extensions import db
from app.i18n import tr
from app.web.formatting import shanghai
from franchise.models import Appointment

FIXED = {
    "requested in the mini-program": "Requested in the mini-program",
    "intake at the store": "Taken in at the store",
    "covered by a member benefit": "Covered by a member benefit",
}
_VISIT = re.compile(r"^from appointment (?P<id>\d+)$")
_VALUED = re.compile(r"^(?P<mg>\d+) mg × (?P<permille>\d+)‰ at the day's price$")
_UNPAID = re.compile(r"^order (?P<no>\S+) not paid$")
_ORDER = re.compile(r"^order (?P<no>\S+)$")


def user_name(user_id: int | None) -> str:
    """A staff member as the pages name them: display name, else the login name; a step
    nobody took (a job, the mini-program) is the system's."""
    user = db.session.get(User, user_id) if user_id else None
    if user is None:
        return tr("System")
    return user.display_name or user.username


def _visit(appointment_id: int) -> str:
    visit = db.session.get(Appointment, appointment_id)
    when = shanghai(visit.slot_start, "%m-%d %H:%M") if visit else "—"
    return tr("From the visit of %(when)s", when=when)


def step_note(note: str | None) -> str:
    """A step's note in the viewer's language (see the module docstring)."""
    if not note:
        return ""
    if note in FIXED:
        return tr(FIXED[note])
    if match := _VISIT.match(note):
        return _visit(int(match["id"]))
    if match := _VALUED.match(note):
        grams = f"{int(match['mg']) / 1000:.3f}"
        return tr(
            "%(grams)s g × %(purity)s‰ at the day's buy-back price",
            grams=grams,
            purity=match["permille"],
        )
    if match := _UNPAID.match(note):
        return tr("Order %(no)s was not paid: released", no=match["no"])
    if match := _ORDER.match(note):
        return tr("Order %(no)s", no=match["no"])
    return note
