"""A local emulator of the WeChat endpoints Siyu calls (WeCom, mini-program, WeChat Pay).

Mounted at ``/_sandbox`` in the app when ``SANDBOX_MOUNT`` is on (embedded default), or
served alone by ``flask sandbox run`` through ``create_sandbox_app``. The real wechatpy
clients talk to it unchanged (see ``app.wechat.clients``). Namespaces:
``/_sandbox/qyapi/cgi-bin/`` (WeCom), ``/_sandbox/api/`` (mini-program),
``/_sandbox/mch/`` (WeChat Pay), ``/_sandbox/control/`` (tests and demo).
"""

from __future__ import annotations

from flask import Flask, current_app

from app.wechat.sandbox.state import SandboxState

EXTENSION_KEY = "siyu_sandbox"


def _blueprint():
    # Importing the route modules attaches their routes to the blueprint.
    from app.wechat.sandbox import (  # noqa: F401
        control,
        groupmsg_list,
        living,
        miniprogram,
        mp_links,
        pay,
        pay_rules,
        pay_sharing,
        pay_v3,
        pay_v3_bills,
        pay_v3_brand,
        pay_v3_refunds,
        pay_v3_sharing,
        wecom,
        wecom_contact_ways,
        wecom_contacts,
        wecom_directory,
        wecom_join_way,
        wecom_media,
        wecom_statistic,
        wecom_tags,
        wecom_transfer,
        wxacode,
    )
    from app.wechat.sandbox.blueprint import bp

    return bp


def init_sandbox(app: Flask) -> SandboxState:
    """Mount the sandbox on ``app`` at ``/_sandbox`` and create its state."""
    app.register_blueprint(_blueprint(), url_prefix="/_sandbox")
    sandbox = SandboxState(app)
    app.extensions[EXTENSION_KEY] = sandbox
    return sandbox


def sandbox_state(app: Flask | None = None) -> SandboxState:
    """The sandbox state of ``app`` (python API for the demo seeder and tests)."""
    return (app or current_app).extensions[EXTENSION_KEY]


def sandbox_reachable(app: Flask) -> bool:
    """Whether this app talks to the emulator: mounted here, or a separate one at
    ``SIYU_SANDBOX_URL`` (never in live mode)."""
    if app.config["WECHAT_MODE"] != "sandbox":
        return False
    return EXTENSION_KEY in app.extensions or bool(app.config["SANDBOX_URL"])


def customer_pays(app: Flask, out_trade_no: str) -> None:
    """The customer pays a sandbox order (the demo seeders' way of paying).

    In-process when the sandbox is mounted in this app; otherwise through the separate
    emulator's control API (``SIYU_SANDBOX_URL``, the production topology of
    ``scripts/prod-local``), which posts the notify to ``SIYU_APP_URL`` and, while the app
    is not up yet, re-sends it on WeChat Pay's schedule.
    """
    if EXTENSION_KEY in app.extensions:
        sandbox_state(app).succeed_order(out_trade_no)
        return
    import requests

    base = app.config["SANDBOX_URL"].rstrip("/")
    requests.post(f"{base}/_sandbox/pay/{out_trade_no}/succeed", timeout=10).raise_for_status()


def create_sandbox_app(config: dict) -> Flask:
    """A small Flask app serving only the sandbox (``flask sandbox run``).

    ``config`` carries the WeChat credentials and ``SANDBOX_*`` settings; callbacks and
    notifies go to ``APP_URL`` (set it: this app has no ``/wecom/callback`` of its own).
    """
    from app.errors import register_error_handlers

    app = Flask("siyu_sandbox")
    app.config.from_mapping(config)
    app.config["SANDBOX_MOUNT"] = True
    init_sandbox(app)
    register_error_handlers(app)
    return app
