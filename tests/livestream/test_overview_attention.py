"""The overview is the day's work: each domain's counts of what waits (alerts by level,
refused refunds, late campaign steps, blocked gates, late unconfirmed sends) link to a
list filtered to exactly those rows, for HQ and for an owner within their franchise."""

from __future__ import annotations

import re
from datetime import timedelta

from app.clock import shanghai_day, utcnow
from app.extensions import db
from community.models import SendBatch
from franchise.services import alerts
from livestream.models import TimelineStep
from tests.community.factories_delivery import gen_post
from tests.fixtures.auth import login
from tests.livestream.factories import gen_campaign


def _counts(html: str) -> dict[str, int]:
    """``{link: count}`` of the overview's attention card."""
    card = html.split('id="attention"', 1)[1].split("</section>", 1)[0]
    found = re.findall(r'data-count="(\d+)">\s*<a href="([^"]+)"', card)
    return {href.replace("&amp;", "&"): int(n) for n, href in found}


def test_hq_and_owner_see_what_waits_with_links_that_list_it(app, client, live_org):
    with app.app_context():
        late = gen_campaign(store_ids=[live_org.a1], name="逾期步骤的直播", live_in_days=20)
        db.session.add(
            TimelineStep(
                campaign_id=late.id,
                kind="custom",
                title="核对库存",
                starts_on=shanghai_day() - timedelta(days=3),
                due_on=shanghai_day() - timedelta(days=1),
            )
        )
        gen_campaign(store_ids=[live_org.c1], name="北方直播", live_in_days=40)
        gated = gen_campaign(store_ids=[live_org.c1], name="三天后开播", live_in_days=3)
        gated_id = gated.id
        db.session.commit()
        alerts.record(
            "refund_failed",
            data={"out_refund_no": "RF1", "errcode": "NOTENOUGH", "refund_id": 1},
            franchisee_id=live_org.fa,
        )
        post = gen_post(title="周末新品")
        db.session.add(
            SendBatch(
                dedupe_key="late-1",
                day=shanghai_day(),
                sender_userid="sh-a1-1",
                guide_id=live_org.ga1,
                franchisee_id=live_org.fa,
                post_id=post.id,
                chat_ids=["wrA", "wrB"],
                status="created",
                created_at=utcnow() - timedelta(hours=3),
            )
        )
        db.session.commit()

    login(client, "hq")
    counts = _counts(client.get("/admin/").get_data(as_text=True))
    assert counts["/admin/alerts?code=refund_failed&open=1"] == 1
    assert counts["/admin/live/campaigns?attention=steps"] >= 1
    assert counts["/admin/live/campaigns?attention=gate"] >= 1
    assert counts["/admin/delivery/unconfirmed"] == 1
    steps = client.get("/admin/live/campaigns?attention=steps").get_data(as_text=True)
    assert "逾期步骤的直播" in steps and "北方直播" not in steps
    gate = client.get("/admin/live/campaigns?attention=gate").get_data(as_text=True)
    assert "三天后开播" in gate and "北方直播" not in gate and str(gated_id)
    sends = client.get("/admin/delivery/unconfirmed").get_data(as_text=True)
    assert "周末新品" in sends and "SH-A1-1" in sends
    refunds = client.get("/admin/alerts?code=refund_failed&open=1").get_data(as_text=True)
    assert "RF1" in refunds

    client.post("/logout")
    login(client, "owner-c")
    counts = _counts(client.get("/admin/").get_data(as_text=True))
    assert counts["/admin/alerts?code=refund_failed&open=1"] == 0  # franchise A's refund
    assert counts["/admin/delivery/unconfirmed"] == 0
    assert counts["/admin/live/campaigns?attention=steps"] == 0
    assert "周末新品" not in client.get("/admin/delivery/unconfirmed").get_data(as_text=True)


def test_nothing_waiting_says_so(app, client, live_org):
    login(client, "hq")
    html = client.get("/admin/").get_data(as_text=True)
    assert 'id="all-clear"' in html and set(_counts(html).values()) == {0}
