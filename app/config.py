"""Settings from ``SIYU_*`` environment variables, with embedded defaults.

Two modes: ``embedded`` (default: SQLite under ``instance/``, an in-process Redis
stand-in, the WeChat sandbox mounted in the app) and ``production`` (PostgreSQL, Redis,
real WeChat or an external sandbox). A production setting that is missing stops start-up
with a message naming it. This module reads the environment and nothing else.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("SIYU_INSTANCE_DIR", ROOT / "instance"))

# Sandbox-only credentials: they are the identity of the local WeChat emulator and are
# never valid against the real platform.
SANDBOX_DEFAULTS = {
    "WECOM_CORP_ID": "wwsiyusandbox00001",
    "WECOM_SECRET": "sandbox-wecom-secret",
    "WECOM_TOKEN": "SiyuSandboxCallbackToken",
    "WECOM_AES_KEY": "U2l5dVNhbmRib3hBZXNLZXlGb3JXZUNvbUNhbGxiYWM",
    "MP_APPID": "wxsiyusandboxmp001",
    "MP_SECRET": "sandbox-miniprogram-secret",
    "PAY_APPID": "wxsiyusandboxsp001",
    "PAY_MCH_ID": "1900000109",
    "PAY_KEY": "SiyuSandboxPayKey000000000000001",
}

# (config key, environment variable, required in production when WeChat is live)
WECHAT_SETTINGS = [
    ("WECOM_CORP_ID", "SIYU_WECOM_CORP_ID"),
    ("WECOM_SECRET", "SIYU_WECOM_SECRET"),
    ("WECOM_TOKEN", "SIYU_WECOM_TOKEN"),
    ("WECOM_AES_KEY", "SIYU_WECOM_AES_KEY"),
    ("MP_APPID", "SIYU_MP_APPID"),
    ("MP_SECRET", "SIYU_MP_SECRET"),
    ("PAY_APPID", "SIYU_PAY_APPID"),
    ("PAY_MCH_ID", "SIYU_PAY_MCH_ID"),
    ("PAY_KEY", "SIYU_PAY_KEY"),
]


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names it."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def _positive(seconds: float) -> float:
    if not 0 < seconds <= 300:
        raise ConfigError(
            f"SIYU_WECHAT_HTTP_TIMEOUT must be above 0 and at most 300, got {seconds}"
        )
    return seconds


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def embedded_secret_key() -> str:
    """Generate the embedded secret once and keep it under ``instance/``."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment plus ``overrides``."""
    overrides = dict(overrides or {})
    env = overrides.pop("SIYU_ENV", None) or _env("SIYU_ENV", "embedded")
    if env not in {"embedded", "production"}:
        raise ConfigError(f"SIYU_ENV must be 'embedded' or 'production', got {env!r}")
    production = env == "production"
    wechat_mode = _env("SIYU_WECHAT_MODE", "sandbox")
    if wechat_mode not in {"sandbox", "live"}:
        raise ConfigError(f"SIYU_WECHAT_MODE must be 'sandbox' or 'live', got {wechat_mode!r}")

    missing: list[str] = []

    def required(name: str, embedded_default):
        value = _env(name)
        if value is None and production:
            missing.append(name)
        return value if value is not None else embedded_default

    database_url = required("SIYU_DATABASE_URL", None)
    if database_url is None:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{INSTANCE_DIR / 'siyu.sqlite3'}"
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    redis_url = required("SIYU_REDIS_URL", None)
    secret_key = _env("SIYU_SECRET_KEY")
    if secret_key is None:
        if production:
            missing.append("SIYU_SECRET_KEY")
        elif "SECRET_KEY" not in overrides:
            secret_key = embedded_secret_key()

    config: dict = {
        "SIYU_ENV": env,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "SECRET_KEY": secret_key,
        "WECHAT_MODE": wechat_mode,
        "TIMEZONE": _env("SIYU_TIMEZONE", "Asia/Shanghai"),
        "MAX_CONTENT_LENGTH": _env_int("SIYU_MAX_BODY_BYTES", 2 * 1024 * 1024),
        # Where the WeChat clients go in sandbox mode: empty = the sandbox mounted in
        # this app, reached in-process; otherwise the base URL of a separate sandbox.
        "SANDBOX_URL": _env("SIYU_SANDBOX_URL", ""),
        # Where the sandbox sends callbacks and notifies: empty = this app, in-process.
        "APP_URL": _env("SIYU_APP_URL", ""),
        "SANDBOX_MOUNT": _env_bool("SIYU_SANDBOX_MOUNT", wechat_mode == "sandbox"),
        "SANDBOX_TIME_SCALE": _env_float("SIYU_SANDBOX_TIME_SCALE", 1.0),
        "SANDBOX_TOKEN_TTL": _env_int("SIYU_SANDBOX_TOKEN_TTL", 7200),
        "SANDBOX_STATE_FILE": _env("SIYU_SANDBOX_STATE_FILE", ""),
        # Sandbox seconds before groupchat/get shows a group change after its callback
        # (WeCom processes part of a change asynchronously); 0 = at once.
        "SANDBOX_GROUPCHAT_LAG": _env_float("SIYU_SANDBOX_GROUPCHAT_LAG", 0.0),
        # Seconds one WeChat HTTP call may take (connect and read) before it counts as an
        # outage and the outbox retries it later.
        "WECHAT_HTTP_TIMEOUT": _positive(_env_float("SIYU_WECHAT_HTTP_TIMEOUT", 10.0)),
        "WECOM_GROUP_DAILY_QUOTA": _env_int("SIYU_WECOM_GROUP_DAILY_QUOTA", 1),
        "WECOM_RATE_PER_MINUTE": _env_int("SIYU_WECOM_RATE_PER_MINUTE", 10000),
        # Callbacks whose timestamp is further than this from now are refused (replay guard).
        "WECOM_CALLBACK_MAX_SKEW": _env_int("SIYU_WECOM_CALLBACK_MAX_SKEW", 300),
        "PAY_NOTIFY_URL": _env("SIYU_PAY_NOTIFY_URL", "http://127.0.0.1:5000/api/v1/pay/notify"),
        "PAY_CLIENT_IP": _env("SIYU_PAY_CLIENT_IP", "127.0.0.1"),
        "PAY_CERT_PATH": _env("SIYU_PAY_CERT_PATH"),
        "PAY_CERT_KEY_PATH": _env("SIYU_PAY_CERT_KEY_PATH"),
        "DEMO_PASSWORD": _env("SIYU_DEMO_PASSWORD", "siyu-demo"),
        "LOGIN_RATE_LIMIT": _env_int("SIYU_LOGIN_RATE_LIMIT", 10),
        "LOGIN_RATE_WINDOW": _env_int("SIYU_LOGIN_RATE_WINDOW", 300),
        "API_TOKEN_MAX_AGE": _env_int("SIYU_API_TOKEN_MAX_AGE", 7 * 24 * 3600),
        "SCHEDULER_LEASE_SECONDS": _env_int("SIYU_SCHEDULER_LEASE_SECONDS", 15),
        "OUTBOX_BATCH_SIZE": _env_int("SIYU_OUTBOX_BATCH_SIZE", 50),
        "OUTBOX_LEASE_SECONDS": _env_int("SIYU_OUTBOX_LEASE_SECONDS", 60),
        # Embedded mode runs the scheduler and dispatcher as threads of the web process.
        "EMBEDDED_WORKERS": _env_bool("SIYU_EMBEDDED_WORKERS", False),
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": {"zh": "中文", "en": "English"},
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("SIYU_SECURE_COOKIES", production),
        "API_TITLE": "Siyu API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "JSON_SORT_KEYS": False,
    }
    for key, var in WECHAT_SETTINGS:
        value = _env(var)
        if value is None and production and wechat_mode == "live":
            missing.append(var)
        config[key] = value if value is not None else SANDBOX_DEFAULTS[key]

    if missing:
        raise ConfigError(
            "Production start-up stopped: missing setting(s) " + ", ".join(sorted(set(missing)))
        )
    config.update(overrides)
    return config
