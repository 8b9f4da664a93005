"""A WeCom customer group nobody named (WeCom gives no name) reads as "Unnamed group" in
the viewer's language wherever a group is named: the admin list (its link) and detail,
the guide's groups list and detail, and the guide's send tasks; never as its ``chat_id``
(a WeCom code)."""

from __future__ import annotations

import re

from app.extensions import db
from community.models.groups import WecomGroup
from tests.fixtures.auth import login

UNNAMED = "未命名客户群"


def _text(html: str) -> str:
    """What a reader sees: the page without its tags' attributes (URLs, data values)."""
    return re.sub(r"<[^>]*>", " ", html)


def _unname(app, group_id: int) -> str:
    with app.app_context():
        group = db.session.get(WecomGroup, group_id)
        group.name = ""
        db.session.commit()
        return group.chat_id


def test_an_unnamed_group_is_a_word_on_every_page(app, client, world):
    groups, _msgids, _sandbox = world
    group_id = groups["ann"]
    chat_id = _unname(app, group_id)
    login(client, "guide-a", path="/m/login")
    for path in ("/m/groups", f"/m/groups/{group_id}", "/m/tasks"):
        seen = _text(client.get(path).get_data(as_text=True))
        assert UNNAMED in seen and chat_id not in seen, path
    hq = app.test_client()
    login(hq, "hq")
    listing = hq.get("/admin/groups").get_data(as_text=True)
    assert f'/admin/groups/{group_id}">{UNNAMED}</a>' in listing  # a link with words to click
    for path in ("/admin/groups", f"/admin/groups/{group_id}", "/admin/groups?format=csv"):
        seen = _text(hq.get(path).get_data(as_text=True))
        assert UNNAMED in seen and chat_id not in seen, path
    english = _text(hq.get(f"/admin/groups/{group_id}?lang=en").get_data(as_text=True))
    assert "Unnamed group" in english
