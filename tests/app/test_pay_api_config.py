"""SIYU_PAY_API: v3 is the default; a live v3 deployment is refused at start-up without
the merchant's API key, serial, APIv3 key and one of WeChat Pay's verification modes
(public key + id, or a platform-certificate directory); v2 keeps its certificate."""

from __future__ import annotations

import pytest

from app.config import load_config
from tests.fixtures.production import refusal


def test_v3_is_the_default_and_the_live_env_starts(live_env):
    config = load_config()
    assert config["PAY_API"] == "v3" and config["PAY_V3_VERIFY"] == "public_key"


@pytest.mark.parametrize(
    "var",
    [
        "SIYU_PAY_V3_PRIVATE_KEY_PATH",
        "SIYU_PAY_V3_CERT_SERIAL",
        "SIYU_PAY_V3_KEY",
        "SIYU_PAY_V3_PUBLIC_KEY_ID",
        "SIYU_PAY_V3_PUBLIC_KEY_PATH",
    ],
)
def test_each_missing_v3_setting_stops_live_start_up(live_env, monkeypatch, var):
    assert var in refusal(**{var: None})


def test_v3_settings_are_judged(live_env, monkeypatch, tmp_path):
    key, key_id = live_env["SIYU_PAY_V3_KEY"], live_env["SIYU_PAY_V3_PUBLIC_KEY_ID"]
    assert "32 bytes" in refusal(SIYU_PAY_V3_KEY="short")
    assert "PUB_KEY_ID_" in refusal(SIYU_PAY_V3_KEY=key, SIYU_PAY_V3_PUBLIC_KEY_ID="0")
    missing = str(tmp_path / "nowhere.pem")
    message = refusal(SIYU_PAY_V3_PUBLIC_KEY_ID=key_id, SIYU_PAY_V3_PRIVATE_KEY_PATH=missing)
    assert "SIYU_PAY_V3_PRIVATE_KEY_PATH is not a readable file" in message


def test_certificate_mode_needs_the_certificate_directory(live_env, monkeypatch, tmp_path):
    monkeypatch.setenv("SIYU_PAY_V3_VERIFY", "certificate")
    monkeypatch.delenv("SIYU_PAY_V3_PUBLIC_KEY_ID")
    assert "SIYU_PAY_V3_PLATFORM_CERT_DIR" in refusal()
    monkeypatch.setenv("SIYU_PAY_V3_PLATFORM_CERT_DIR", str(tmp_path))
    assert load_config()["PAY_V3_VERIFY"] == "certificate"  # no public key needed


def test_bad_api_or_mode_names_the_setting(live_env, monkeypatch):
    assert "SIYU_PAY_API" in refusal(SIYU_PAY_API="v4")
    assert "SIYU_PAY_V3_VERIFY" in refusal(SIYU_PAY_API="v3", SIYU_PAY_V3_VERIFY="x")


def test_v2_needs_no_v3_settings(live_env, monkeypatch):
    for var in ("SIYU_PAY_V3_PRIVATE_KEY_PATH", "SIYU_PAY_V3_KEY", "SIYU_PAY_V3_CERT_SERIAL"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("SIYU_PAY_API", "v2")
    assert load_config()["PAY_API"] == "v2"
