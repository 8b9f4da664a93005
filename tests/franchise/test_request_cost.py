"""Per-request cost (issue 20): request hooks that cost nothing where unused, order answers
that load each line's price breakdown with the lines (no statement per line)."""

from __future__ import annotations

from franchise.services import alerts


def test_the_refused_notify_hook_runs_on_the_notify_route_only(app):
    """Registered on the notify blueprint: no other request calls it (it was app-wide)."""
    assert alerts.alert_refused_notify not in app.after_request_funcs.get(None, [])
    assert alerts.alert_refused_notify in app.after_request_funcs["pay_notify"]
