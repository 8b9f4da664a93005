"""Order event notes in the viewer's language.

The services write a note in a fixed English shape when WeChat moves an order
(``WeChat Pay <transaction id> (<source>)``, ``refund <out_refund_no>: <amount> fen``) and
the demo marks its own events ``demo``. Pages show them through ``event_note``: the
transaction and refund numbers as they are, the source as a word, the amount in yuan.
Any other note (typed by a person) is shown unchanged.
"""

from __future__ import annotations

import re

from app.i18n import tr
from app.web.formatting import yuan
from app.web.labels import label

_PAYMENT = re.compile(r"^WeChat Pay (?P<tid>\S+) \((?P<source>[a-z_]+)\)$")
_REFUND = re.compile(r"^refund (?P<no>\S+): (?P<fen>-?\d+) fen$")


def event_note(note: str | None) -> str:
    """The note of an order event as the viewer should read it."""
    if not note:
        return ""
    if note == "demo":
        return label("demo", "payment_source")
    match = _PAYMENT.match(note)
    if match:
        return tr(
            "WeChat Pay %(tid)s (%(source)s)",
            tid=match["tid"],
            source=label(match["source"], "payment_source"),
        )
    match = _REFUND.match(note)
    if match:
        return tr("Refund %(no)s: %(amount)s", no=match["no"], amount=yuan(int(match["fen"])))
    return note
