"""The emulator's 1:1 sends (``add_msg_template`` with ``chat_type=single``, WeCom doc
92135): a customer who is not the sender's contact is in ``fail_list`` (no task when
none is left: 41048), each customer's receiving limit is counted per customer at
confirmation (status 3 over it), and the read-back turns status 3 into a missed send
with the reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.wechat import wecom
from app.wechat.errors import WeChatAPIError
from app.wechat.sandbox.wecom_contacts import new_contact
from community.models.journeys import JourneySend
from community.services import journey_sends
from tests.community.factories_journeys import (
    paid_contact,
    run_first_purchase_journey,
)
from tests.fixtures.sandbox import sandbox_fixture

sandbox = sandbox_fixture(restore_flags=("receiving_limit",))


def _single(sender: str, externals: list[str]) -> dict:
    return {"chat_type": "single", "sender": sender, "external_userid": externals,
            "text": {"content": "生日快乐"}}  # fmt: skip


def test_single_sends_count_per_customer_and_name_strangers(ctx, sandbox, client):
    assert (
        client.post("/_sandbox/control/flags", json={"receiving_limit": "day"}).status_code == 200
    )
    friend, _ = new_contact(sandbox, "ann", "林女士")
    stranger, _ = new_contact(sandbox, "bob", "王先生")
    first = wecom.add_msg_template(_single("ann", [friend, stranger]))
    assert first["fail_list"] == [stranger]
    with pytest.raises(WeChatAPIError) as refused:
        wecom.add_msg_template(_single("ann", [stranger]))
    assert refused.value.errcode == 41048
    second = wecom.add_msg_template(_single("ann", [friend]))
    statuses = []
    for msgid in (first["msgid"], second["msgid"]):
        assert client.post(f"/_sandbox/control/tasks/{msgid}/confirm").status_code == 200
        statuses.append(sandbox.data["tasks"][msgid]["results"][friend]["status"])
    assert statuses == [1, 3]  # one a day: the second is over the customer's limit
    rows = wecom.get_groupmsg_send_result_all(second["msgid"], "ann")
    assert rows == [{"external_userid": friend, "userid": "ann", "status": 3, "send_time": 0}]


def test_wecoms_status_3_reads_back_as_missed_with_the_reason(app, org, sandbox, client):
    client.post("/_sandbox/control/flags", json={"receiving_limit": "day"})
    with app.app_context():
        _customer, external = paid_contact(org, sandbox, org.ga)
        db.session.commit()
        run_first_purchase_journey()
        msgid = db.session.scalars(select(JourneySend.msgid)).one()
        other = wecom.add_msg_template(_single("ann", [external]))["msgid"]  # the guide's own
    client.post(f"/_sandbox/control/tasks/{other}/confirm")
    client.post(f"/_sandbox/control/tasks/{msgid}/confirm")
    with app.app_context():
        assert journey_sends.read_back()["confirmed"] == 1
        send = db.session.scalars(select(JourneySend)).one()
        assert (send.status, send.reason) == ("missed", "receiving_limit")


def test_an_unconfirmed_send_is_reminded_at_most_three_times(app, org, sandbox):
    from datetime import timedelta

    from tests.community.factories_journeys import sent_first_purchases

    with app.app_context():
        sent_first_purchases(org, sandbox, {"丁女士": org.ga})
        assert journey_sends.remind_unconfirmed() == {"reminded": 1}
        assert journey_sends.remind_unconfirmed() == {"reminded": 0}  # 2 hours apart
        for _ in range(4):
            send = db.session.scalars(select(JourneySend)).one()
            send.last_reminded_at = utcnow() - timedelta(hours=3)
            db.session.commit()
            journey_sends.remind_unconfirmed()
        send = db.session.scalars(select(JourneySend)).one()
        assert send.remind_count == 3
        assert len(sandbox.data["tasks"][send.msgid]["reminders"]) == 3
