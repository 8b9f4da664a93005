"""``flask community ...``: every command of the community domain.

``community_cli`` is the one click group of this domain: the group sync and the stage
evaluation (groups), the contact sync and the store codes' one-off conversion to
multi-person ways (contacts), the day's allocation and the read-back
of send results (delivery).
``register`` adds it to the app (from ``community.init_app``).
"""

from __future__ import annotations

from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup

community_cli = AppGroup("community", help="WeCom customer groups: sync, stages, delivery.")


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


@community_cli.command("sync-contacts")
@click.option("--guide", "userids", multiple=True, help="A guide's WeCom userid (repeatable).")
@click.option(
    "--calls-per-minute",
    type=click.IntRange(1, 10_000),
    default=None,
    help="Stay under this many batch/get_by_user calls a minute (default: WeCom's limit).",
)
def sync_contacts_command(userids: tuple[str, ...], calls_per_minute: int | None):
    """Full sync of the guides' WeCom contacts (each resumes its last failed run)."""
    from sqlalchemy import select

    from app.extensions import db
    from community.services.contact_sync import sync_guides
    from franchise.models import Guide

    stmt = select(Guide).order_by(Guide.id)
    if userids:
        stmt = stmt.where(Guide.wecom_userid.in_(userids))
    guides = list(db.session.scalars(stmt))
    with click.progressbar(length=len(guides), label="Syncing contacts", show_pos=True) as bar:
        runs = sync_guides(
            guides, calls_per_minute=calls_per_minute, progress=lambda n, run: bar.update(1)
        )
    failed = [r for r in runs if r.status != "done"]
    seen = sum(r.contacts_seen for r in runs)
    click.echo(f"{len(runs)} guides, {seen} contacts, {len(failed)} failed")
    for run in failed:
        click.echo(f"{run.userid}: {run.error} — run the command again to resume", err=True)
    if failed:
        raise SystemExit(1)


@community_cli.command("convert-store-ways")
def convert_store_ways_command():
    """Replace store 联系我 codes made as single-person ways by multi-person ones (once)."""
    from community.services.contact_way_conversion import queue_store_way_conversions

    count = queue_store_way_conversions()
    click.echo(
        f"{count} store codes queued for a look; the outbox dispatcher replaces each "
        "single-person one (a code already looked at is not queued again)"
    )


@community_cli.command("evaluate-stages")
def evaluate_command():
    """Refresh segments and move groups whose stage rules hold (with history)."""
    from community.jobs.groups import run_daily_stages

    result = run_daily_stages()
    click.echo(
        f"{result['groups']} groups: {result['transitions']} transitions, "
        f"{result['skipped_overridden']} overridden skipped"
    )


@community_cli.command("allocate")
@click.option("--day", default=None, help="YYYY-MM-DD (Asia/Shanghai); default today.")
@click.option("--batches/--no-batches", default=False, help="Also create send batches.")
def allocate_command(day: str | None, batches: bool):
    """Allocate the day's group-message slots (idempotent)."""
    from app.clock import shanghai_day
    from community.services import allocation, delivery

    the_day = date.fromisoformat(day) if day else shanghai_day()
    click.echo(allocation.allocate(the_day))
    if batches:
        click.echo(delivery.create_batches(the_day))


@community_cli.command("readback")
@click.option("--day", default=None)
def readback_command(day: str | None):
    """Read back today's (or ``--day``'s) send results from WeCom."""
    from app.clock import shanghai_day
    from community.services import delivery

    click.echo(delivery.read_back(date.fromisoformat(day) if day else shanghai_day()))


def register(app: Flask) -> None:
    """Add the ``flask community`` group to the app's CLI."""
    app.cli.add_command(community_cli)
