"""Production never trusts the emulator, and refuses a notify URL WeChat cannot use.

Issue 12, items 1 and 10: in production ``SIYU_WECHAT_MODE`` has no default, ``sandbox``
needs ``SIYU_ALLOW_SANDBOX=1`` (then a warning in the log and on ``/healthz``), the
sandbox is never mounted, live keys equal to a published sandbox default stop start-up
naming the setting, and ``SIYU_PAY_NOTIFY_URL`` is required and must be https on a
public host. Each refusal is checked through ``load_config``, ``build_app`` or the CLI.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xmltodict

from app.config import SANDBOX_DEFAULTS, WECHAT_SETTINGS, ConfigError, load_config
from app.wechat.pay import sign_md5
from app.wechat.sandbox.delivery import wecom_callback_xml
from tests.fixtures.production import LIVE_KEYS, build_from_env, refusal

ROOT = Path(__file__).resolve().parents[2]
VAR_OF = dict(WECHAT_SETTINGS)


def test_live_production_starts(live_env):
    config = load_config()
    assert config["WECHAT_MODE"] == "live" and config["SANDBOX_MOUNT"] is False
    assert config["STARTUP_WARNINGS"] == []


def test_production_has_no_default_wechat_mode(live_env):
    assert "SIYU_WECHAT_MODE" in refusal(SIYU_WECHAT_MODE=None)


def test_production_refuses_the_sandbox_unless_allowed(staging_env):
    message = refusal(SIYU_ALLOW_SANDBOX=None)
    assert "SIYU_WECHAT_MODE=sandbox is refused" in message and "SIYU_ALLOW_SANDBOX" in message
    assert "SIYU_ALLOW_SANDBOX" in refusal(SIYU_ALLOW_SANDBOX="0")
    assert "SIYU_SANDBOX_URL" in refusal(SIYU_SANDBOX_URL=None)  # never in-process


@pytest.mark.parametrize("mode", ["live", "sandbox"])
def test_production_never_mounts_the_sandbox(staging_env, mode):
    message = refusal(SIYU_WECHAT_MODE=mode, SIYU_SANDBOX_MOUNT="1")
    assert "SIYU_SANDBOX_MOUNT is refused in production" in message


def test_a_production_app_has_no_sandbox_route(staging_env):
    app = build_from_env()
    assert not [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/_sandbox")]
    client = app.test_client()
    assert client.post("/_sandbox/pay/T1/succeed").status_code == 404
    assert client.get("/_sandbox/control/state").status_code == 404
    with pytest.raises(ConfigError, match="never mounted"):
        build_from_env(SANDBOX_MOUNT=True)  # not even when set in code


@pytest.mark.parametrize("key", sorted(SANDBOX_DEFAULTS))
def test_each_published_sandbox_key_stops_live_start_up_naming_it(live_env, key):
    message = refusal(**{VAR_OF[key]: SANDBOX_DEFAULTS[key]})
    assert VAR_OF[key] in message and "sandbox default" in message
    assert [var for var in LIVE_KEYS if var in message] == [VAR_OF[key]]


def test_build_app_with_sandbox_keys_refuses_to_start(live_env, monkeypatch):
    monkeypatch.setenv("SIYU_PAY_KEY", SANDBOX_DEFAULTS["PAY_KEY"])
    monkeypatch.setenv("SIYU_WECOM_TOKEN", SANDBOX_DEFAULTS["WECOM_TOKEN"])
    with pytest.raises(ConfigError, match="SIYU_WECOM_TOKEN, SIYU_PAY_KEY"):
        build_from_env()


def test_the_cli_refuses_to_start_with_sandbox_keys_and_names_the_setting(live_env):
    env = dict(os.environ, SIYU_MP_SECRET=SANDBOX_DEFAULTS["MP_SECRET"], FLASK_APP="wsgi")
    flask = str(Path(sys.executable).parent / "flask")
    done = subprocess.run(
        [flask, "scheduler", "jobs"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "SIYU_MP_SECRET" in done.stderr and "sandbox default" in done.stderr


def test_live_production_needs_the_merchant_certificate(live_env, tmp_path, monkeypatch):
    monkeypatch.setenv("SIYU_PAY_API", "v2")  # v2: mutual TLS for refunds and sharing
    assert "SIYU_PAY_CERT_KEY_PATH" in refusal(SIYU_PAY_CERT_KEY_PATH=None)
    missing = str(tmp_path / "nowhere.pem")
    assert "SIYU_PAY_CERT_PATH is not a readable file" in refusal(SIYU_PAY_CERT_PATH=missing)


@pytest.mark.parametrize(
    "url, words",
    [
        (None, "missing setting(s) SIYU_PAY_NOTIFY_URL"),
        ("http://siyu.example.com/api/v1/pay/notify", "must be an https URL"),
        ("https://127.0.0.1/api/v1/pay/notify", "public host"),
        ("https://localhost/api/v1/pay/notify", "public host"),
        ("https://10.0.0.5/api/v1/pay/notify", "public host"),
        ("https://192.168.1.20/api/v1/pay/notify", "public host"),
        ("https://siyu/api/v1/pay/notify", "public host"),
        ("https://siyu.example.com/api/v1/pay/notify?from=wx", "parameters"),
        ("https://siyu.example.com/notify", "/api/v1/pay/notify"),
        ("https:///api/v1/pay/notify", "https URL"),
    ],
)
def test_live_notify_url_must_be_https_on_a_public_host(live_env, url, words):
    message = refusal(SIYU_PAY_NOTIFY_URL=url)
    assert "SIYU_PAY_NOTIFY_URL" in message and words in message


def test_staging_accepts_http_on_loopback_only(staging_env):
    for url in (
        "http://127.0.0.1:5300/api/v1/pay/notify",
        "http://localhost:5300/api/v1/pay/notify",
        "https://staging.example.com/api/v1/pay/notify",
    ):
        os.environ["SIYU_PAY_NOTIFY_URL"] = url
        assert load_config()["PAY_NOTIFY_URL"] == url
    assert "https" in refusal(SIYU_PAY_NOTIFY_URL="http://staging.example.com/api/v1/pay/notify")
    assert "missing" in refusal(SIYU_PAY_NOTIFY_URL=None)


def test_embedded_keeps_its_defaults(monkeypatch):
    for name in ("SIYU_ENV", "SIYU_WECHAT_MODE", "SIYU_PAY_NOTIFY_URL", "SIYU_SANDBOX_MOUNT"):
        monkeypatch.delenv(name, raising=False)
    config = load_config({"SECRET_KEY": "x"})
    assert config["WECHAT_MODE"] == "sandbox" and config["SANDBOX_MOUNT"] is True
    assert config["PAY_NOTIFY_URL"].startswith("http://127.0.0.1:")


def test_staging_warns_in_the_log_and_on_healthz(staging_env):
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("siyu.config")
    logger.addHandler(handler)
    try:
        app = build_from_env()
    finally:
        logger.removeHandler(handler)
    warned = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert warned and "SIYU_ALLOW_SANDBOX=1" in warned[0] and "SIYU_PAY_KEY" in warned[0]
    from app.scheduler import LeaderScheduler

    LeaderScheduler(app).heartbeat()
    res = app.test_client().get("/healthz")
    body = res.get_json()
    assert res.status_code == 200 and body["sandbox"] is True
    assert "SIYU_ALLOW_SANDBOX=1" in body["warnings"][0]


def _sandbox_signed_notify() -> bytes:
    """A success notify signed with the published sandbox key, as anyone could make."""
    fields = {
        "return_code": "SUCCESS",
        "result_code": "SUCCESS",
        "appid": SANDBOX_DEFAULTS["PAY_APPID"],
        "mch_id": SANDBOX_DEFAULTS["PAY_MCH_ID"],
        "sub_mch_id": "1900000110",
        "nonce_str": "n0nce",
        "out_trade_no": "SY20250101000001",
        "transaction_id": "4200000000000000000000000001",
        "total_fee": "2680000",
        "trade_type": "JSAPI",
        "openid": "o-attacker",
        "time_end": "20250101120000",
    }
    fields["sign"] = sign_md5(fields, SANDBOX_DEFAULTS["PAY_KEY"])
    return xmltodict.unparse({"xml": fields}, full_document=False).encode()


class _Emulator:
    """Just enough of the sandbox state to encrypt a callback with given keys."""

    def __init__(self, config: dict):
        self.config = config

    def now(self) -> float:
        return time.time()


def test_live_production_refuses_what_the_sandbox_keys_sign(live_env):
    """Over HTTP: a notify and a WeCom callback made with the published sandbox keys are
    refused; the same callback made with the deployment's own keys is accepted."""
    app = build_from_env()
    client = app.test_client()
    res = client.post("/api/v1/pay/notify", data=_sandbox_signed_notify())
    assert res.status_code == 400 and b"invalid signature" in res.data

    event = {"Event": "siyu_probe", "ChangeType": "none"}
    body, params = wecom_callback_xml(_Emulator(SANDBOX_DEFAULTS), event)
    res = client.post("/wecom/callback", query_string=params, data=body)
    assert res.status_code == 403
    own = {key: LIVE_KEYS[var] for key, var in WECHAT_SETTINGS}
    body, params = wecom_callback_xml(_Emulator(own), event)
    assert client.post("/wecom/callback", query_string=params, data=body).status_code == 200


def test_the_sandbox_process_refuses_to_run_with_live_keys(live_env, monkeypatch):
    import werkzeug.serving

    def serve(*args, **kwargs):
        raise AssertionError("the sandbox started serving")

    monkeypatch.setattr(werkzeug.serving, "run_simple", serve)
    result = build_from_env().test_cli_runner().invoke(args=["sandbox", "run", "--port", "1"])
    assert result.exit_code != 0 and "SIYU_WECHAT_MODE=sandbox" in result.output
