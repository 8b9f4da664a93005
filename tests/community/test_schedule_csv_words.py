"""The planning calendar's CSV (``/admin/schedule?format=csv``) reads as the calendar
does: headings, each post's status and the reason it was missed as words in the viewer's
language, not the stored codes; the ids stay beside the names for matching with the API."""

from __future__ import annotations

import csv
import io

from app.clock import shanghai_day
from community.services import planner, receiving_limit
from tests.community.factories_delivery import gen_plan, gen_post, setup_groups
from tests.fixtures.auth import login

STATUS_WORDS = {
    "zh": {"已排期", "待发送", "已发送", "已错过"},
    "en": {"Scheduled", "Pending", "Sent", "Missed"},
}
RAW = {"scheduled", "missed", "pending", "sent"}


def test_the_csv_says_status_and_reason_in_words(client, app, org):
    with app.app_context():
        setup_groups(org)
        gen_plan(gen_post(), name="每日新品", priority=90)
        gen_plan(gen_post(), name="珍珠保养", weekdays=[0, 3], priority=10)
        receiving_limit.update("day", 1)  # one a day: the second plan misses
        planner.replan(shanghai_day())
    login(client, "hq")
    for lang, heading in (("zh", "日期"), ("en", "Date")):
        text = client.get(f"/admin/schedule?format=csv&lang={lang}").get_data(as_text=True)
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert rows[0][0] == heading and len(rows) > 1
        assert {row[6] for row in rows[1:]} <= STATUS_WORDS[lang]
        missed = [row for row in rows[1:] if row[6] in ("已错过", "Missed")]
        assert missed and all(row[7] for row in missed)  # a reason, in words
        assert ("优先级" if lang == "zh" else "priority") in missed[0][7]
        assert not RAW & {cell for row in rows[1:] for cell in row}
