"""Fixtures for the WeChat layer: a clean sandbox per test and the official vectors."""

from __future__ import annotations

import pytest

from app.wechat.sandbox import sandbox_state
from tests.fixtures.vectors import wechat_vectors


@pytest.fixture(scope="session")
def vectors() -> dict:
    return wechat_vectors()


@pytest.fixture
def sandbox(app, ctx):
    """The mounted sandbox, emptied before and after the test (clock back to real time)."""
    state = sandbox_state(app)
    state.reset()
    yield state
    state.reset()


@pytest.fixture
def sbx(client):
    """POST/GET helpers for the sandbox control endpoints."""

    class Control:
        def post(self, path: str, body: dict | None = None):
            res = client.post(f"/_sandbox/control/{path}", json=body or {})
            assert res.status_code < 500, res.get_data(as_text=True)
            return res

        def get(self, path: str):
            return client.get(f"/_sandbox/control/{path}")

    return Control()
