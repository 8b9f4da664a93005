"""Settings from ``SIYU_*`` environment variables, with embedded defaults.

Two modes: ``embedded`` (default: SQLite under ``instance/``, an in-process Redis
stand-in, the WeChat sandbox mounted in the app) and ``production`` (PostgreSQL, Redis,
real WeChat or an external sandbox). A production setting that is missing stops start-up
with a message naming it. Every ``SIYU_*`` setting the app reads is read here (a test
holds every one of them to the README's table). This module reads the environment and
nothing else.

Production never trusts the emulator (``check_production``): ``SIYU_WECHAT_MODE`` has no
default there; ``sandbox`` is refused unless ``SIYU_ALLOW_SANDBOX=1`` (staging and
``scripts/prod-local``, which then carry a warning in the log and on ``/healthz``); the
sandbox is never mounted in a production app; live WeChat keys equal to a published
sandbox default stop start-up; the pay notify URL must be one WeChat can reach.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from app.config_pay import check_pay_api, check_pay_files, pay_api_missing

T = TypeVar("T")

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


# WeChat Pay APIv3 (``SIYU_PAY_API=v3``, the default): (config key, environment variable).
# The merchant's API private key (apiclient_key.pem) and its certificate's serial sign
# requests; the APIv3 key decrypts notifies; WeChat Pay's answers and notifies are
# verified with its public key (``SIYU_PAY_V3_VERIFY=public_key``: key id PUB_KEY_ID_...
# and the key file) or with the platform certificates (``certificate``: a directory the
# certificates are kept in, downloaded on first use). Checked by ``app.config_pay``.
PAY_V3_SETTINGS = [
    ("PAY_V3_PRIVATE_KEY_PATH", "SIYU_PAY_V3_PRIVATE_KEY_PATH"),
    ("PAY_V3_CERT_SERIAL", "SIYU_PAY_V3_CERT_SERIAL"),
    ("PAY_V3_KEY", "SIYU_PAY_V3_KEY"),
    ("PAY_V3_PUBLIC_KEY_ID", "SIYU_PAY_V3_PUBLIC_KEY_ID"),
    ("PAY_V3_PUBLIC_KEY_PATH", "SIYU_PAY_V3_PUBLIC_KEY_PATH"),
    ("PAY_V3_PLATFORM_CERT_DIR", "SIYU_PAY_V3_PLATFORM_CERT_DIR"),
    # A chain brand's 品牌主商户号: set, HQ's share goes through 连锁品牌分账 (/v3/brand/...)
    ("PAY_V3_BRAND_MCHID", "SIYU_PAY_V3_BRAND_MCHID"),
]


MODE_HINT = (
    " (SIYU_WECHAT_MODE: 'live' for WeChat; 'sandbox' only with SIYU_ALLOW_SANDBOX=1 "
    "for staging or scripts/prod-local)"
)


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names it."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_parsed(name: str, default: T, parse: Callable[[str], T], what: str) -> T:
    """``parse`` of the variable, or ``default`` when unset; a value ``parse`` refuses is
    a ``ConfigError`` saying what was expected."""
    raw = _env(name)
    if raw is None:
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be {what}, got {raw!r}") from exc


def _env_int(name: str, default: int) -> int:
    return _env_parsed(name, default, int, "a whole number")


def _env_float(name: str, default: float) -> float:
    return _env_parsed(name, default, float, "a number")


def _positive(seconds: float, name: str = "SIYU_WECHAT_HTTP_TIMEOUT") -> float:
    if not 0 < seconds <= 300:
        raise ConfigError(f"{name} must be above 0 and at most 300, got {seconds}")
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
    # No default in production: which WeChat a deployment talks to is said, never assumed.
    wechat_mode = _env("SIYU_WECHAT_MODE", None if production else "sandbox")
    if wechat_mode not in {"sandbox", "live", None}:
        raise ConfigError(f"SIYU_WECHAT_MODE must be 'sandbox' or 'live', got {wechat_mode!r}")
    allow_sandbox = _env_bool("SIYU_ALLOW_SANDBOX", False)
    problem = check_pay_api(_env("SIYU_PAY_API", "v3"), _env("SIYU_PAY_V3_VERIFY", "public_key"))
    if problem:
        raise ConfigError(problem)
    if production:
        refuse_the_emulator(wechat_mode, allow_sandbox, _env_bool("SIYU_SANDBOX_MOUNT", False))

    missing: list[str] = [] if wechat_mode else ["SIYU_WECHAT_MODE"]

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
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # a pooled connection idle this long is pinged before use (app.db.ping_after_idle)
        "DB_PING_IDLE_SECONDS": _env_int("SIYU_DB_PING_IDLE_SECONDS", 5),
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
        "ALLOW_SANDBOX": allow_sandbox,
        # In production the sandbox is never mounted (check_production refuses asking).
        "SANDBOX_MOUNT": _env_bool(
            "SIYU_SANDBOX_MOUNT", wechat_mode == "sandbox" and not production
        ),
        "SANDBOX_TIME_SCALE": _env_float("SIYU_SANDBOX_TIME_SCALE", 1.0),
        "SANDBOX_TOKEN_TTL": _env_int("SIYU_SANDBOX_TOKEN_TTL", 7200),
        "SANDBOX_STATE_FILE": _env("SIYU_SANDBOX_STATE_FILE", ""),
        # Sandbox seconds before groupchat/get shows a group change after its callback
        # (WeCom processes part of a change asynchronously); 0 = at once.
        "SANDBOX_GROUPCHAT_LAG": _env_float("SIYU_SANDBOX_GROUPCHAT_LAG", 0.0),
        # Seconds one WeChat HTTP call may take (connect and read) before it counts as an
        # outage and the outbox retries it later.
        "WECHAT_HTTP_TIMEOUT": _positive(_env_float("SIYU_WECHAT_HTTP_TIMEOUT", 10.0)),
        # A commit that changes a plan, a post or a group asks the community planner for
        # a re-plan through the outbox (the test suite switches it off: other areas'
        # tests count outbox rows; the planner's tests switch it on).
        "COMMUNITY_REPLAN_ON_CHANGE": True,
        # The welcome message a new WeCom contact gets from the guide ({guide}, {store}),
        # and the one when the WeCom member is not a guide Siyu knows yet.
        "COMMUNITY_WELCOME_TEXT": "您好，我是{store}的导购{guide}，很高兴为您服务！",
        "COMMUNITY_WELCOME_TEXT_NO_GUIDE": "您好，很高兴为您服务！",
        # The mini-program subscribe-message template of "your serviced piece is ready for
        # pickup" (chosen in the mini-program's admin; the sandbox accepts its default).
        "MP_TEMPLATE_SERVICE_READY": _env(
            "SIYU_MP_TEMPLATE_SERVICE_READY", "SiyuSandboxServiceReadyTpl01"
        ),
        # The subscribe-message template of "your points expire soon" (points, day, note):
        # the points reminder to a member who is nobody's WeCom contact.
        "MP_TEMPLATE_POINTS_EXPIRING": _env(
            "SIYU_MP_TEMPLATE_POINTS_EXPIRING", "SiyuSandboxPointsExpiringTpl01"
        ),
        # The subscribe-message template of "an event you accepted changed" (event, time,
        # place, what changed): a member event HQ cancelled.
        "MP_TEMPLATE_EVENT_CHANGED": _env(
            "SIYU_MP_TEMPLATE_EVENT_CHANGED", "SiyuSandboxEventChangedTpl01"
        ),
        # Siyu's own cap of group sends per group a day (the default of the HQ setting
        # ``community.daily_cap``); WeCom's own limit is the receiving-limit policy.
        "WECOM_GROUP_DAILY_QUOTA": _env_int("SIYU_WECOM_GROUP_DAILY_QUOTA", 1),
        "WECOM_RATE_PER_MINUTE": _env_int("SIYU_WECOM_RATE_PER_MINUTE", 10000),
        # Callbacks whose timestamp is further than this from now are refused (replay guard).
        "WECOM_CALLBACK_MAX_SKEW": _env_int("SIYU_WECOM_CALLBACK_MAX_SKEW", 300),
        "PAY_NOTIFY_URL": required(
            "SIYU_PAY_NOTIFY_URL", "http://127.0.0.1:5000/api/v1/pay/notify"
        ),
        "PAY_CLIENT_IP": _env("SIYU_PAY_CLIENT_IP", "127.0.0.1"),
        "PAY_CERT_PATH": _env("SIYU_PAY_CERT_PATH"),
        "PAY_CERT_KEY_PATH": _env("SIYU_PAY_CERT_KEY_PATH"),
        "DEMO_PASSWORD": _env("SIYU_DEMO_PASSWORD", "siyu-demo"),
        # The metal price board's feed (franchise/jobs/metal_feed.py): an HTTP URL that
        # answers the day's board as CSV or JSON, pulled every METAL_PRICE_FEED_MINUTES
        # with a TIMEOUT in seconds; empty (the default) = no scheduled pull.
        "METAL_PRICE_FEED_URL": _env("SIYU_METAL_PRICE_FEED_URL", ""),
        "METAL_PRICE_FEED_MINUTES": _env_int("SIYU_METAL_PRICE_FEED_MINUTES", 30),
        "METAL_PRICE_FEED_TIMEOUT": _positive(
            _env_float("SIYU_METAL_PRICE_FEED_TIMEOUT", 10.0), "SIYU_METAL_PRICE_FEED_TIMEOUT"
        ),
        # Login throttle (app/auth/ratelimit.py): only failures count. Per (account,
        # address): LOGIN_FREE_FAILURES wrong passwords, then a lock of LOGIN_LOCK_SECONDS
        # doubling with each further failure up to LOGIN_LOCK_MAX_SECONDS. Per address:
        # at most LOGIN_RATE_LIMIT failures per LOGIN_RATE_WINDOW seconds.
        "LOGIN_RATE_LIMIT": _env_int("SIYU_LOGIN_RATE_LIMIT", 100),
        "LOGIN_RATE_WINDOW": _env_int("SIYU_LOGIN_RATE_WINDOW", 300),
        "LOGIN_FREE_FAILURES": _env_int("SIYU_LOGIN_FREE_FAILURES", 5),
        "LOGIN_LOCK_SECONDS": _env_int("SIYU_LOGIN_LOCK_SECONDS", 60),
        "LOGIN_LOCK_MAX_SECONDS": _env_int("SIYU_LOGIN_LOCK_MAX_SECONDS", 3600),
        # How many reverse proxies in front of the app to believe X-Forwarded-For and
        # X-Forwarded-Proto from (werkzeug ProxyFix); 0 = use the socket's address.
        "TRUSTED_PROXIES": _env_int("SIYU_TRUSTED_PROXIES", 0),
        # A login session unused this long ends (HQ's desks shorter than guides' phones).
        "ADMIN_IDLE_MINUTES": _env_int("SIYU_ADMIN_IDLE_MINUTES", 60),
        "GUIDE_IDLE_MINUTES": _env_int("SIYU_GUIDE_IDLE_MINUTES", 7 * 24 * 60),
        "API_TOKEN_MAX_AGE": _env_int("SIYU_API_TOKEN_MAX_AGE", 7 * 24 * 3600),
        "SCHEDULER_LEASE_SECONDS": _env_int("SIYU_SCHEDULER_LEASE_SECONDS", 15),
        # Test hook: "job.id=seconds,..." runs those jobs every N seconds (app/scheduler.py).
        "SCHEDULER_JOB_INTERVALS": _env("SIYU_SCHEDULER_JOB_INTERVALS", ""),
        "OUTBOX_BATCH_SIZE": _env_int("SIYU_OUTBOX_BATCH_SIZE", 50),
        "OUTBOX_THREADS": _env_int("SIYU_OUTBOX_THREADS", 1),
        "OUTBOX_LEASE_SECONDS": _env_int("SIYU_OUTBOX_LEASE_SECONDS", 60),
        # Older secret keys still accepted for sessions and bearer tokens (key rotation).
        "SECRET_KEY_FALLBACKS": [],
        # Tests only: one fakeredis server shared by apps (app/extensions.py); None = new.
        "FAKEREDIS_SERVER": None,
        # Payments (franchise/): WeChat Pay's fee rate on each payment, as a decimal; an
        # unpaid order is queried after QUERY minutes and closed after CLOSE minutes; HQ's
        # profit-sharing receiver (empty account = the service provider's PAY_MCH_ID).
        "FRANCHISE_PAY_FEE_RATE": _env("SIYU_FRANCHISE_PAY_FEE_RATE", "0.006"),
        "FRANCHISE_UNPAID_QUERY_MINUTES": _env_int("SIYU_FRANCHISE_UNPAID_QUERY_MINUTES", 5),
        "FRANCHISE_UNPAID_CLOSE_MINUTES": _env_int("SIYU_FRANCHISE_UNPAID_CLOSE_MINUTES", 30),
        "FRANCHISE_HQ_RECEIVER_ACCOUNT": _env("SIYU_FRANCHISE_HQ_RECEIVER_ACCOUNT", ""),
        "FRANCHISE_HQ_RECEIVER_NAME": _env("SIYU_FRANCHISE_HQ_RECEIVER_NAME", "总部"),
        # Community (community/services/): care messages per customer a day; the stage
        # and segment rules' thresholds over their defaults (dicts, set in code).
        "CARE_DAILY_QUOTA": _env_int("SIYU_CARE_DAILY_QUOTA", 1),
        "COMMUNITY_STAGE_RULES": {},
        "COMMUNITY_SEGMENT_RULES": {},
        # Livestream: seconds between refreshes of the live dashboard page.
        "LIVE_DASHBOARD_REFRESH_SECONDS": _env_int("SIYU_LIVE_DASHBOARD_REFRESH_SECONDS", 15),
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": {"zh": "中文", "en": "English"},
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_FIELD_NAME": "csrf_token",  # flask-wtf's; app.web.csrf_token reads it
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
    config["PAY_API"] = _env("SIYU_PAY_API", "v3")
    config["PAY_V3_VERIFY"] = _env("SIYU_PAY_V3_VERIFY", "public_key")
    for key, var in PAY_V3_SETTINGS:
        config[key] = _env(var)
    if production and wechat_mode == "live":
        missing += pay_api_missing(config, PAY_V3_SETTINGS)
    if production and wechat_mode == "sandbox":
        # The emulator is its own process in production: the app needs its address.
        required("SIYU_SANDBOX_URL", None)

    if missing:
        hint = "" if wechat_mode else MODE_HINT
        raise ConfigError(
            "Production start-up stopped: missing setting(s) "
            + ", ".join(sorted(set(missing)))
            + hint
        )
    config["STARTUP_WARNINGS"] = check_production(config) if production else []
    config.update(overrides)
    return config


def _sandbox_keys_in(config: dict) -> list[str]:
    """The WeChat settings whose value is the published sandbox default."""
    return [var for key, var in WECHAT_SETTINGS if config.get(key) == SANDBOX_DEFAULTS[key]]


def refuse_the_emulator(wechat_mode: str | None, allow_sandbox: bool, mount: bool) -> None:
    """In production: no mounted sandbox, and sandbox mode only when explicitly allowed."""
    if mount:
        raise ConfigError(
            "SIYU_SANDBOX_MOUNT is refused in production: the WeChat sandbox is never mounted "
            "in a production app (run it as its own process with 'flask sandbox run' and "
            "point SIYU_SANDBOX_URL at it)"
        )
    if wechat_mode == "sandbox" and not allow_sandbox:
        raise ConfigError(
            "SIYU_WECHAT_MODE=sandbox is refused in production: the emulator's keys are "
            "published, so anyone could sign a payment. Set SIYU_WECHAT_MODE=live, or "
            "SIYU_ALLOW_SANDBOX=1 for staging or scripts/prod-local"
        )


def check_production(config: dict) -> list[str]:
    """Refuse a production config that would trust the emulator; return the warnings.

    Raises ``ConfigError`` naming the setting. With ``SIYU_ALLOW_SANDBOX=1`` and sandbox
    mode (staging, ``scripts/prod-local``) the app and the emulator must share keys, so
    sandbox defaults are accepted there and the warning says so.
    """
    sandbox = config["WECHAT_MODE"] == "sandbox"
    defaults = _sandbox_keys_in(config)
    if not sandbox and defaults:
        raise ConfigError(
            "Production start-up stopped: "
            + ", ".join(defaults)
            + " equal(s) the published sandbox default; set the real WeChat value"
        )
    check_notify_url(config["PAY_NOTIFY_URL"], sandbox=sandbox)
    if not sandbox:
        problem = check_pay_files(config, PAY_V3_SETTINGS)
        if problem:
            raise ConfigError(problem)
        return []
    warning = (
        "SIYU_ALLOW_SANDBOX=1: WeChat is the sandbox emulator at "
        f"{config['SANDBOX_URL']}; no payment or message is real. Never expose this "
        "deployment to customers."
    )
    if defaults:
        warning += " Published sandbox keys in use: " + ", ".join(defaults) + "."
    return [warning]


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_notify_url(url: str, *, sandbox: bool) -> None:
    """``SIYU_PAY_NOTIFY_URL`` must be where WeChat can post: a full https URL of a public
    host ending in ``/api/v1/pay/notify``, without a query (WeChat Pay refuses parameters,
    localhost and private addresses). The emulator (``sandbox``) may use http on loopback.
    """
    name = "SIYU_PAY_NOTIFY_URL"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as exc:
        raise ConfigError(f"{name} is not a URL: {url!r}") from exc
    if parts.query or parts.fragment:
        raise ConfigError(f"{name} must not carry parameters (WeChat Pay refuses them): {url!r}")
    if not parts.path.endswith("/api/v1/pay/notify"):
        raise ConfigError(f"{name} must end with /api/v1/pay/notify, got {url!r}")
    if sandbox and parts.scheme == "http" and _loopback(host):
        return
    if parts.scheme != "https" or not host:
        raise ConfigError(f"{name} must be an https URL of this deployment's host, got {url!r}")
    if sandbox:
        return
    try:
        private = not ipaddress.ip_address(host).is_global
    except ValueError:
        private = _loopback(host) or "." not in host or host.endswith(".local")
    if private:
        raise ConfigError(
            f"{name} must be on a public host WeChat can reach (not localhost or a private "
            f"address), got {url!r}"
        )
