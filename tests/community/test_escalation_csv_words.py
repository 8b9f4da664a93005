"""The overdue sends' CSV (``/admin/escalations?format=csv``) reads as the page: its
headings in the viewer's language, the guide by name (the WeCom member's name when the
send is linked to no guide, not their WeCom userid) and whose list it is on as a word
(not the escalation level's number)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import update

from app.extensions import db
from community.models import SendBatch
from tests.community.factories_delivery import escalated_to_owners
from tests.fixtures.auth import login
from tests.franchise.factories import gen_member


def test_the_csv_names_the_guide_and_the_list_in_words(app, client, org, sandbox):
    with app.app_context():
        escalated_to_owners(org, sandbox)  # both on their owners' lists
        db.session.execute(  # Ann's send linked to no guide: her WeCom member's name
            update(SendBatch).where(SendBatch.sender_userid == "ann").values(guide_id=None)
        )
        db.session.commit()
        gen_member("ann", "安妮（企微）")
    login(client, "hq")
    text = client.get("/admin/escalations?level=1&format=csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["日期", "导购", "门店", "内容", "提醒次数", "当前跟进人", "企业微信凭据"]
    assert sorted(row[1] for row in rows[1:]) == ["Bob", "安妮（企微）"]
    assert {row[5] for row in rows[1:]} == {"店主"}
    english = client.get("/admin/escalations?level=1&format=csv&lang=en").get_data(as_text=True)
    assert english.lstrip("\ufeff").startswith("Day,Guide,Store,Post,Reminders,On whose list,")
    assert ",Store owner," in english
