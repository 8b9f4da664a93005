"""``flask franchise ...``: operations on the organisation.

``franchise_cli`` is the one click group of this domain; later commands (e.g.
``assign-all``) add themselves to it. Commands call services and print; they never
commit themselves.
"""

from __future__ import annotations

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


def init_app(app: Flask) -> None:
    """Add the ``flask franchise`` group to the app's CLI."""
    app.cli.add_command(franchise_cli)
