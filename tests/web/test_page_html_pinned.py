"""The guide's Today page and the HQ overview, byte for byte as drawn before the
rendering cuts of issue 20's last round (kept signers, the day's heading, the navigation
kept per page, the account read once a request).

Each page is drawn for a fixed world (the Today page's, ``tests/fixtures/today_world``) in
Chinese and English and compared with the HTML kept in ``tests/web/pinned/*.snap``
(snapshots: data, not templates), after masking only what changes from one view or
minute to the next: the CSRF token (signed
with this moment's time), today's date, the greeting (by the hour) and the times and
dates the notes and alerts read from the clock. Everything else (the layout, the
navigation with its active entry, the account bar, every card and panel, the escaping
and the whitespace) must not move. ``SIYU_PIN_HTML=1`` writes the files afresh (only for
a deliberate change of the pages).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.fixtures.auth import login

PINNED = Path(__file__).parent / "pinned"

# (pattern, replacement): the parts of a page that depend on the moment it is drawn
_VOLATILE = (
    (re.compile(r'(name="csrf_token" value=")[^"]+'), r"\1CSRF"),
    (re.compile(r'(<div class="date">)[^<]*'), r"\1DATE"),
    (re.compile(r"(<h2>)[^<,，]*([,，])"), r"\1GREETING\2"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "YYYY-MM-DD"),
    (re.compile(r"\d{1,2}:\d{2}"), "HH:MM"),
    (re.compile(r"\d{1,2}月\d{1,2}日"), "M月D日"),
    (re.compile(r"星期[一二三四五六日]|(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"), "WEEKDAY"),
)


def _masked(html: str) -> str:
    for pattern, replacement in _VOLATILE:
        html = pattern.sub(replacement, html)
    return html


def _pinned(name: str, html: str) -> None:
    path = PINNED / f"{name}.snap"
    html = _masked(html)
    if os.environ.get("SIYU_PIN_HTML") == "1":
        PINNED.mkdir(exist_ok=True)
        path.write_text(html, encoding="utf-8")
    assert html == path.read_text(encoding="utf-8"), f"{name} differs from {path}"


@pytest.mark.parametrize("query", ["", "?lang=en"])
def test_the_today_page_is_byte_for_byte_as_before(client, world, query):
    login(client, "guide-a", path="/m/login")
    client.get("/m/" + query)  # the first view builds what is kept; the second reads it
    response = client.get("/m/" + query)
    assert response.status_code == 200
    _pinned(f"today{query.replace('?lang=', '-')}", response.get_data(as_text=True))


@pytest.mark.parametrize("query", ["", "?lang=en"])
def test_the_overview_is_byte_for_byte_as_before(client, world, query):
    login(client, "hq")
    client.get("/admin/" + query)
    response = client.get("/admin/" + query)
    assert response.status_code == 200
    _pinned(f"overview{query.replace('?lang=', '-')}", response.get_data(as_text=True))
