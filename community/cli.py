"""``flask community ...``: the group sync and the stage evaluation from the command line."""

from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the ``community`` command group on ``app.cli``."""

    @app.cli.group("community")
    def community_cli():
        """WeCom customer groups: sync, stages."""

    @community_cli.command("sync")
    @click.option(
        "--resume/--fresh",
        default=True,
        help="Continue the last failed run from its cursor (default) or start over.",
    )
    @click.option("--limit", default=100, type=click.IntRange(1, 1000), help="Groups per page.")
    def sync_command(resume: bool, limit: int):
        """Full sync of every customer group from WeCom, with a progress bar."""
        from app.errors import DomainError
        from community.services.sync import full_sync

        with click.progressbar(length=0, label="Syncing groups", show_pos=True) as bar:

            def progress(done: int, page: int) -> None:
                bar.length = max(bar.length or 0, done)
                bar.update(page)

            try:
                run = full_sync(resume=resume, limit=limit, progress=progress)
            except DomainError as exc:
                raise click.ClickException(exc.message) from exc
        click.echo(
            f"sync run {run.id}: {run.status}, {run.groups_seen} groups "
            f"({run.groups_created} new), {run.members_seen} members"
        )
        if run.status != "done":
            click.echo(f"failed: {run.error} — run `flask community sync --resume`", err=True)
            raise SystemExit(1)

    @community_cli.command("evaluate-stages")
    def evaluate_command():
        """Refresh segments and move groups whose stage rules hold (with history)."""
        from community.jobs.groups import run_daily_stages

        result = run_daily_stages()
        click.echo(
            f"{result['groups']} groups: {result['transitions']} transitions, "
            f"{result['skipped_overridden']} overridden skipped"
        )
