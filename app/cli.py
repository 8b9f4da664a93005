"""Shared CLI commands: ``flask siyu create-user``, ``seed-demo`` and ``serve``."""

from __future__ import annotations

import click
from flask import Flask

from app.extensions import db, registry


def register_cli(app: Flask) -> None:
    @app.cli.group("siyu")
    def siyu_cli():
        """Siyu administration."""

    @siyu_cli.command("create-user")
    @click.argument("username")
    @click.option(
        "--role",
        required=True,
        type=click.Choice(["hq_admin", "hq_operator", "franchise_owner", "guide"]),
    )
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--franchisee-id", type=int)
    @click.option("--store-id", type=int)
    @click.option("--guide-id", type=int)
    def create_user_command(username, role, password, franchisee_id, store_id, guide_id):
        """Create a staff account (the password policy applies: app/auth/passwords.py)."""
        from app.auth.services import create_user
        from app.errors import DomainError

        try:
            user = create_user(
                username,
                password,
                role,
                franchisee_id=franchisee_id,
                store_id=store_id,
                guide_id=guide_id,
            )
        except DomainError as exc:
            details = "; ".join(m for ms in exc.errors.values() for m in ms) if exc.errors else ""
            raise click.ClickException(f"{exc.message} {details}".strip()) from exc
        click.echo(f"created {user.username} ({user.role})")

    @siyu_cli.command("seed-demo")
    def seed_demo_command():
        """Seed the demo brand once (running it again reuses what is there)."""
        from app.seed import seed_demo

        for line in seed_demo(app):
            click.echo(line)

    @siyu_cli.command("serve")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=5000, type=int)
    def serve_command(host, port):
        """Serve the embedded app with scheduler and dispatcher threads (one process)."""
        from app.embedded import serve

        serve(app, host, port)

    _ = db, registry
