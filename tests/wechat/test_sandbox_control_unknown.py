"""The sandbox's control calls about an object it does not hold answer 404 with the
standard envelope naming what is missing (and change nothing)."""

from __future__ import annotations

import pytest

UNKNOWN = [
    ("post", "/_sandbox/pay/nope/succeed", None, "order"),
    ("post", "/_sandbox/control/groups/wrNope/members", {"members": [{"userid": "u"}]}, "group"),
    ("delete", "/_sandbox/control/groups/wrNope/members/u", None, "group member"),
    ("patch", "/_sandbox/control/groups/wrNope", {"name": "x"}, "group"),
    ("post", "/_sandbox/control/groups/wrNope/dismiss", None, "group"),
    ("post", "/_sandbox/control/tasks/msgNope/confirm", None, "group-send task"),
    ("post", "/_sandbox/control/chat-messages", {"chat_id": "wrNope", "userid": "u"}, "group"),
    ("post", "/_sandbox/control/contacts/add", {"config_id": "nope", "name": "x"}, "contact way"),
    (
        "post",
        "/_sandbox/control/contacts/delete-guide",
        {"external_userid": "wmNope", "userid": "u"},
        "contact of that guide",
    ),
    (
        "post",
        "/_sandbox/control/contacts/delete-customer",
        {"external_userid": "wmNope", "userid": "u"},
        "contact of that guide",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "what"), UNKNOWN)
def test_control_call_on_an_unknown_object_is_404(client, method, path, body, what):
    response = getattr(client, method)(path, json=body)
    assert response.status_code == 404
    assert response.get_json() == {
        "code": "not_found",
        "message": f"No such {what} in the sandbox.",
        "errors": {},
    }
