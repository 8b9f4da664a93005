"""The WeChat layer: client factories, wrappers for calls wechatpy lacks, callbacks, sandbox.

``init_app`` registers ``/wecom/callback``, ``POST /api/v1/pay/notify``, the sandbox at
``/_sandbox`` (when ``SANDBOX_MOUNT``) and the ``flask sandbox`` CLI group. Domains plug
in with ``app.wechat.callbacks.subscribe`` and ``app.wechat.pay_notify.add_handler``.
"""

from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the WeChat layer into the shared app."""
    from app.wechat import callbacks, pay_notify

    app.register_blueprint(callbacks.bp)
    app.register_blueprint(pay_notify.bp)
    if app.config.get("SANDBOX_MOUNT"):
        if app.config["SIYU_ENV"] == "production":
            from app.config import ConfigError

            # load_config refuses SIYU_SANDBOX_MOUNT; this also holds for code-set config.
            raise ConfigError("the WeChat sandbox is never mounted in a production app")
        from app.wechat.sandbox import init_sandbox

        init_sandbox(app)
    register_cli(app)


def subscribe(app: Flask, event_key: str, handler) -> None:
    """Subscribe ``handler(event: dict)`` to WeCom callbacks (see ``callbacks.subscribe``)."""
    from app.wechat.callbacks import subscribe as _subscribe

    _subscribe(app, event_key, handler)


def add_pay_notify_handler(app: Flask, handler) -> None:
    """Register ``handler(data: dict) -> bool`` for verified payment notifies."""
    from app.wechat.pay_notify import add_handler

    add_handler(app, handler)


def register_cli(app: Flask) -> None:
    """``flask sandbox run --host --port``: serve the sandbox alone as its own app."""

    @app.cli.group("sandbox")
    def sandbox_cli():
        """The local WeChat emulator."""

    @sandbox_cli.command("run")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=5100, type=int)
    @click.option("--threads", default=16, type=int, help="Calls served at once.")
    def run_command(host: str, port: int, threads: int):
        """Serve the sandbox alone (set SIYU_APP_URL so notifies reach the app)."""
        from app.wechat.sandbox.server import SandboxServer

        if app.config["WECHAT_MODE"] != "sandbox":
            # With live keys the emulator would sign with (and publish) the real ones.
            raise click.ClickException("the sandbox runs only with SIYU_WECHAT_MODE=sandbox")

        click.echo(f"WeChat sandbox on http://{host}:{port}/_sandbox/")
        SandboxServer(dict(app.config), host, port, threads).run()
