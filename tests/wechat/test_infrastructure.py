"""Token lock, state persistence, the standalone sandbox app and the background worker."""

from __future__ import annotations

import time
from types import SimpleNamespace

from app.extensions import get_redis
from app.wechat import wecom
from app.wechat.clients import sandbox_base, wecom_client
from app.wechat.sandbox import create_sandbox_app
from app.wechat.sandbox.state import SandboxState
from app.wechat.sandbox.wecom_contacts import seed_contacts


def test_a_process_that_waited_for_the_lock_reuses_the_fresh_token(app, sandbox, monkeypatch):
    mine, other = wecom_client(), wecom_client()
    redis = get_redis()
    real_lock = redis.lock
    interleaved = []

    def lock(*args, **kwargs):
        handle = real_lock(*args, **kwargs)
        if not interleaved:  # while we wait, another process refreshes the token
            interleaved.append(True)
            other.fetch_access_token()
        return handle

    monkeypatch.setattr(redis, "lock", lock)
    mine.fetch_access_token()
    tokens = [t for t in sandbox.data["tokens"].values() if t["kind"] == "wecom"]
    assert len(tokens) == 1
    assert mine.session.get(mine.access_token_key) == other.session.get(other.access_token_key)


def test_sandbox_base_urls(app, monkeypatch):
    assert sandbox_base(app) == "http://sandbox.siyu.local/_sandbox/"
    monkeypatch.setitem(app.config, "SANDBOX_URL", "http://127.0.0.1:5100")
    assert sandbox_base(app) == "http://127.0.0.1:5100/_sandbox/"
    monkeypatch.setitem(app.config, "SANDBOX_URL", "http://127.0.0.1:5100/_sandbox/")
    assert sandbox_base(app) == "http://127.0.0.1:5100/_sandbox/"
    monkeypatch.setitem(app.config, "WECHAT_MODE", "live")
    assert sandbox_base(app) is None
    assert wecom_client(app).API_BASE_URL == "https://qyapi.weixin.qq.com/cgi-bin/"


def test_state_survives_a_restart_through_the_state_file(app, tmp_path):
    path = tmp_path / "sandbox.json"
    fake_app = SimpleNamespace(config={**app.config, "SANDBOX_STATE_FILE": str(path)})
    first = SandboxState(fake_app)
    ids = first.seed_groups(["g1"], 3, members_per_group=2)
    first.advance(120)
    assert path.exists()
    second = SandboxState(fake_app)
    assert sorted(second.data["groups"]) == sorted(ids)
    assert second.data["clock_offset"] == 120


def test_delay_fault_then_success(sandbox, sbx):
    sbx.post("faults", {"api": "groupchat/list", "delay_seconds": 0.2})
    started = time.monotonic()
    assert wecom.groupchat_list_all() == []
    assert time.monotonic() - started >= 0.2


def test_standalone_sandbox_app_and_worker(app, tmp_path):
    config = {**app.config, "SANDBOX_TIME_SCALE": 600.0, "SANDBOX_STATE_FILE": ""}
    standalone = create_sandbox_app(config)
    state = standalone.extensions["siyu_sandbox"]
    web = standalone.test_client()
    res = web.get(
        "/_sandbox/qyapi/cgi-bin/gettoken",
        query_string={"corpid": config["WECOM_CORP_ID"], "corpsecret": config["WECOM_SECRET"]},
    )
    assert res.get_json()["errcode"] == 0
    # with the clock running, the worker re-delivers on schedule without a flush
    item = state.queue_delivery("pay_notify", "/nowhere", "<xml/>", "application/xml")
    state.ensure_worker()
    try:
        deadline = time.monotonic() + 5
        while item["attempts"] < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert item["attempts"] >= 3  # 404 answers are failures; 15 s waits pass quickly
    finally:
        state.stop_worker()


def test_contacts_and_contact_ways_survive_a_restart_over_http(app, tmp_path):
    """``scripts/run`` seeds in one process and serves in another: the served emulator must
    still know the seeded guides' contacts and 联系我 ways (parts the route modules add
    with ``setdefault``), or a customer scanning a guide's code gets 404."""
    config = {**app.config, "SANDBOX_STATE_FILE": str(tmp_path / "sandbox.json")}

    def client_and_token():
        web = create_sandbox_app(config).test_client()
        token = web.get(
            "/_sandbox/qyapi/cgi-bin/gettoken",
            query_string={"corpid": config["WECOM_CORP_ID"], "corpsecret": config["WECOM_SECRET"]},
        ).get_json()["access_token"]
        return web, {"access_token": token}

    seeding, token = client_and_token()
    way = seeding.post(
        "/_sandbox/qyapi/cgi-bin/externalcontact/add_contact_way",
        query_string=token,
        json={"type": 1, "scene": 2, "user": ["guide01"], "state": "siyu:g1"},
    ).get_json()
    assert way["errcode"] == 0
    first = create_sandbox_app(config).extensions["siyu_sandbox"]
    seed_contacts(first, "guide01", [{"name": "美玲", "unionid": "ou-meiling"}])
    first.save()

    serving, token = client_and_token()  # a new process reads the state file
    got = serving.post(
        "/_sandbox/qyapi/cgi-bin/externalcontact/get_contact_way",
        query_string=token,
        json={"config_id": way["config_id"]},
    ).get_json()
    assert got["errcode"] == 0 and got["contact_way"]["state"] == "siyu:g1"
    page = serving.post(
        "/_sandbox/qyapi/cgi-bin/externalcontact/batch/get_by_user",
        query_string=token,
        json={"userid_list": ["guide01"]},
    ).get_json()
    assert [c["external_contact"]["name"] for c in page["external_contact_list"]] == ["美玲"]
