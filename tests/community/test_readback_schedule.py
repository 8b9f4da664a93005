"""A send WeCom has not reported yet says so, and by when it is checked again: on the
guide's tasks page (and after "I sent it") and on the admin delivery monitor."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.clock import shanghai_day
from community.services import delivery
from community.services.readback_schedule import READBACK_EVERY, next_check
from tests.fixtures.auth import csrf_token_from, login

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


@given(st.one_of(st.none(), st.integers(-86400, 86400)))
def test_the_next_check_is_never_past_nor_beyond_one_interval(offset):
    last = None if offset is None else NOW + timedelta(seconds=offset)
    due = next_check(last, NOW)
    assert NOW <= due <= NOW + READBACK_EVERY
    if last is not None and NOW <= last + READBACK_EVERY <= NOW + READBACK_EVERY:
        assert due == last + READBACK_EVERY  # a recent check: one interval after it


def test_the_guide_sees_that_wecom_has_not_reported(client, world):  # noqa: F811
    login(client, "guide-a", path="/m/login")
    html = client.get("/m/tasks").get_data(as_text=True)
    note = re.search(r'data-awaiting-report="\d+">([^<]*)<', html)
    assert note and re.search(r"\d\d:\d\d", note.group(1))
    batch_id = re.search(r'data-batch="(\d+)"', html).group(1)
    answer = client.post(
        f"/m/tasks/{batch_id}/check",
        data={"csrf_token": csrf_token_from(html)},
        follow_redirects=True,
    )
    text = answer.get_data(as_text=True)
    assert "try again in a few minutes" in text or "请几分钟后再点一次" in text


def test_the_monitor_counts_the_sends_wecom_has_not_reported(client, world):  # noqa: F811
    _groups, msgids, sandbox = world
    login(client, "hq")
    html = client.get("/admin/delivery").get_data(as_text=True)
    waiting = re.search(r'id="awaiting-wecom">([^<]*)<', html)
    assert waiting and waiting.group(1).lstrip().startswith("3")  # Ann, Amy and Bob
    for msgid in msgids.values():
        sandbox.confirm_task(msgid)
    with client.application.app_context():
        delivery.read_back(shanghai_day())
    assert 'id="awaiting-wecom"' not in client.get("/admin/delivery").get_data(as_text=True)
