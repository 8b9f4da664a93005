"""code2session over the process's connection pool (issue 20, login round), against the
emulator served over real HTTP as it runs beside a production Siyu, and mounted in the
app as in the tests (issue 13: one path): WeChat's documented GET with the four
parameters, the same answers and errors as through wechatpy, one pool per process and
configuration."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs

import pytest
from werkzeug.serving import make_server

from app.wechat.clients import InProcessPool
from app.wechat.code2session import pool_for
from app.wechat.errors import WeChatAPIError, WeChatRateLimited, WeChatUnavailable
from app.wechat.miniprogram import code_to_session
from app.wechat.sandbox.miniprogram import identity_for_code


class _Recorder:
    """WSGI middleware noting each request's method, path and query."""

    def __init__(self, app):
        self.app, self.seen = app, []

    def __call__(self, environ, start_response):
        self.seen.append(
            (environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("QUERY_STRING", ""))
        )
        return self.app(environ, start_response)


@pytest.fixture
def served(app, sandbox):
    """The emulator of ``app`` served over HTTP on a free port, as ``SANDBOX_URL``."""
    recorder = _Recorder(app)
    server = make_server("127.0.0.1", 0, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    before = app.config.get("SANDBOX_URL")
    app.config["SANDBOX_URL"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield recorder
    finally:
        app.config["SANDBOX_URL"] = before
        server.shutdown()
        thread.join()


@pytest.fixture
def mounted(app, sandbox, monkeypatch):
    """The emulator mounted in ``app``, reached by the exchange's in-process pool, with
    what it receives recorded."""
    pool = pool_for(app).pool
    assert isinstance(pool, InProcessPool)
    recorder = _Recorder(pool.app)
    monkeypatch.setattr(pool, "app", recorder)
    return recorder


@pytest.fixture(params=["served", "mounted"])
def route(request):
    """Each way the emulator is reached: over HTTP, and mounted in the app."""
    return request.getfixturevalue(request.param)


def test_the_exchange_is_wechats_documented_get_through_one_pool(app, route):
    served = route
    exchange = pool_for(app)
    assert exchange is not None and pool_for(app) is exchange  # built once
    assert code_to_session("code-pool-alice") == identity_for_code("code-pool-alice")
    method, path, query = served.seen[-1]
    assert (method, path) == ("GET", "/_sandbox/api/sns/jscode2session")
    assert parse_qs(query) == {
        "appid": [app.config["MP_APPID"]],
        "secret": [app.config["MP_SECRET"]],
        "js_code": ["code-pool-alice"],
        "grant_type": ["authorization_code"],
    }
    assert (
        code_to_session("code-pool-bob")["openid"] != identity_for_code("code-pool-alice")["openid"]
    )
    assert pool_for(app) is exchange


def test_wechats_refusals_are_the_same_errors_as_through_wechatpy(app, route, sbx):
    code_to_session("code-pool-once")
    with pytest.raises(WeChatAPIError) as info:
        code_to_session("code-pool-once")
    assert info.value.errcode == 40163  # used
    with pytest.raises(WeChatAPIError) as info:
        code_to_session("garbage")
    assert info.value.errcode == 40029
    sbx.post("faults", {"api": "sns/jscode2session", "errcode": 45009})
    with pytest.raises(WeChatRateLimited):
        code_to_session("code-pool-limited")
    sbx.post("faults", {"api": "sns/jscode2session", "errcode": -1})
    with pytest.raises(WeChatUnavailable):
        code_to_session("code-pool-busy")


def test_a_changed_setting_builds_a_new_pool_that_sends_it(app, served):
    exchange = pool_for(app)
    timeout = app.config["WECHAT_HTTP_TIMEOUT"]
    app.config["WECHAT_HTTP_TIMEOUT"] = timeout + 1
    try:
        changed = pool_for(app)
        assert changed is not exchange and changed.timeout.read_timeout == timeout + 1
    finally:
        app.config["WECHAT_HTTP_TIMEOUT"] = timeout
    secret = app.config["MP_SECRET"]
    app.config["MP_SECRET"] = "another-secret"
    try:
        assert pool_for(app) is not exchange
        code_to_session("code-pool-new-secret")
        assert parse_qs(served.seen[-1][2])["secret"] == ["another-secret"]
    finally:
        app.config["MP_SECRET"] = secret


def test_wechat_out_of_reach_is_unavailable(app, ctx):
    with make_server("127.0.0.1", 0, app) as closed:
        port = closed.server_port  # bound, then closed: nothing listens there
    before = app.config.get("SANDBOX_URL")
    app.config["SANDBOX_URL"] = f"http://127.0.0.1:{port}"
    try:
        with pytest.raises(WeChatUnavailable):
            code_to_session("code-pool-nowhere")
    finally:
        app.config["SANDBOX_URL"] = before


def test_the_mounted_emulator_is_reached_through_the_same_exchange(app, sandbox):
    """No second client for the tests: the mounted emulator is the exchange's pool's
    address, answered in process (no network), so the request building, the errors and
    the parsing that run in production run here."""
    exchange = pool_for(app)
    assert isinstance(exchange.pool, InProcessPool) and exchange.pool.app is app
    assert exchange.url == "http://sandbox.siyu.local/_sandbox/api/sns/jscode2session"
    assert code_to_session("code-pool-mounted") == identity_for_code("code-pool-mounted")
    assert pool_for(app) is exchange
