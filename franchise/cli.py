"""``flask franchise ...``: every command of the franchise domain.

``franchise_cli`` is the one click group of this domain: the store import, the bulk
assignment and value tiers (customers), the reconciliation and the day's statements
(payments). ``register`` adds it to the app (from ``franchise.init_app``). Commands call
services and print; they never commit themselves.
"""

from __future__ import annotations

from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup

franchise_cli = AppGroup("franchise", help="Regions, franchisees, stores and guides.")


@franchise_cli.command("import-stores")
@click.argument("csv_file", type=click.File("rb"))
def import_stores_command(csv_file):
    """Create or update stores from a CSV file, all or nothing.

    Columns: code,name,franchisee_sub_mch_id (or franchisee_name),region_code,city,
    address,latitude,longitude,is_open. Every row is checked first; if any is bad, the
    errors are listed by line (the header is line 1) and nothing is imported.
    """
    from franchise.importer import validate_store_csv
    from franchise.services import upsert_stores

    rows, problems = validate_store_csv(csv_file.read())
    if problems:
        click.echo(f"{csv_file.name}: {len(problems)} error(s); nothing was imported.", err=True)
        for line, message in problems:
            click.echo(f"line {line}: {message}", err=True)
        raise SystemExit(1)
    with click.progressbar(length=len(rows), label="Importing stores") as bar:
        created, updated = upsert_stores(rows, progress=lambda _row: bar.update(1))
    click.echo(f"Imported {len(rows)} store(s): {created} created, {updated} updated.")


@franchise_cli.command("assign-all")
@click.option("--chunk", default=20000, show_default=True, help="Customers per transaction.")
def assign_all_command(chunk):
    """Assign every customer in the backlog: franchisee not active, store closed, guide left."""
    from franchise.services.assignment_bulk import assign_backlog, count_backlog

    total = count_backlog()
    if not total:
        click.echo("No customers waiting for assignment.")
        return
    with click.progressbar(length=total, label="Assigning customers") as bar:
        changed = assign_backlog(progress=bar.update, chunk=chunk)
    click.echo(f"Assigned {changed} of {total} customer(s).")


@franchise_cli.command("refresh-tiers")
def refresh_tiers_command():
    """Recompute every customer's RFM value tier and label now."""
    from franchise.services.value_tiers import refresh_value_tiers

    click.echo(f"Refreshed the value tiers of {refresh_value_tiers()} customer(s).")


@franchise_cli.command("reconcile")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]))
def reconcile_command(day):
    """Compare WeChat's bill of a day (ready after 10:00 next day) with the ledger."""
    from franchise.services.reconciliation import reconcile

    run = reconcile(day.date())
    click.echo(
        f"{run.bill_date}: {run.status} — bill {run.bill_rows} row(s), "
        f"ledger {run.ledger_rows}, {len(run.items)} difference(s)"
        + (f"; {run.error}" if run.error else "")
    )
    for item in run.items:
        click.echo(
            f"  {item.kind}\t{item.transaction_id}\t{item.out_trade_no}\t"
            f"bill={item.bill_amount_fen}\tledger={item.ledger_amount_fen}"
        )


@franchise_cli.command("close-day")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None)
def close_day_command(day):
    """Snapshot a day's settlement statements (default yesterday); idempotent."""
    from franchise.services.settlement import close_day

    target: date | None = day.date() if day else None
    click.echo(f"{close_day(target)} statement(s) written")


def register(app: Flask) -> None:
    """Add the ``flask franchise`` group to the app's CLI."""
    app.cli.add_command(franchise_cli)
