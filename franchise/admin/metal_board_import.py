"""Importing the day's metal price board on HQ's board page (issue 19).

``GET /admin/metal-prices/import/sample.csv`` is a file to start from (today's prices).
``POST /admin/metal-prices/import`` takes a CSV or JSON file (the columns of
``schemas_metal_board.BOARD_COLUMNS``), checks every row and shows the preview: per
metal the old and new prices, the change in percent and how many by-weight SKUs get a
new price. ``POST /admin/metal-prices/import/confirm`` carries the checked rows back
(checked again: the page is only a carrier) and writes them in one commit. A refused
file shows the board again (422) with one message per bad row and field; nothing is
written unless every row passes.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.auth.decorators import page_roles
from app.auth.models import HQ_ROLES
from app.auth.principal import required_principal
from app.clock import shanghai_day, utcnow
from app.errors import DomainError
from app.money import format_yuan
from franchise.admin.jewellery import MetalPriceForm, board_page, metal_label
from franchise.models import METALS
from franchise.schemas_metal_board import BOARD_COLUMNS
from franchise.services import metal_board_import
from franchise.services.base import invalid
from franchise.services.pricing import latest_price

bp = Blueprint(
    "metal_import_admin", __name__, url_prefix="/admin/metal-prices", template_folder="../templates"
)

MAX_FILE_BYTES = 256 * 1024


def error_lines(exc: DomainError) -> list[str]:
    """``rows.<n>.<field>`` errors as "Row n, field: message" lines for the page."""
    lines = []
    for name, messages in exc.errors.items():
        parts = name.split(".")
        for message in messages:
            if len(parts) == 3 and parts[0] == "rows":
                lines.append(
                    _(
                        "Row %(n)s, %(field)s: %(message)s",
                        n=parts[1],
                        field=parts[2],
                        message=message,
                    )
                )
            else:
                lines.append(str(message))
    return lines or [exc.message]


def _refused(exc: DomainError):
    flash(_("The price board has invalid rows; nothing was saved."), "error")
    return board_page(MetalPriceForm(formdata=None), 422, error_lines(exc))


def _carried(rows: list[dict]) -> str:
    """The checked rows as the confirm form carries them (yuan text, ISO dates)."""
    return json.dumps(
        [
            {
                "date": row["date"].isoformat(),
                "metal": row["metal"],
                "purity": row["purity"],
                "buy_price": format_yuan(row["buy_price"]),
                "buyback_price": format_yuan(row["buyback_price"]),
            }
            for row in rows
        ],
        ensure_ascii=False,
    )


@bp.route("/import/sample.csv")
@page_roles(*HQ_ROLES)
def sample():
    """A board file to start from: the columns, today's date and each metal's price now
    (0.00 for a metal never priced)."""
    day = shanghai_day(utcnow()).isoformat()
    lines = [",".join(BOARD_COLUMNS)]
    for metal in METALS:
        entry = latest_price(metal)
        sell, buyback = (entry.sell_fen_per_gram, entry.buyback_fen_per_gram) if entry else (0, 0)
        lines.append(f"{day},{metal},,{format_yuan(sell)},{format_yuan(buyback)}")
    return Response(
        "\n".join(lines) + "\n",
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=metal-board.csv"},
    )


@bp.route("/import", methods=["POST"])
@page_roles(*HQ_ROLES)
def upload():
    """Read the uploaded board and show what confirming it would change."""
    upload = request.files.get("board")
    try:
        if upload is None or not upload.filename:
            raise invalid("file", "Choose a CSV or JSON file.")
        raw = upload.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise invalid("file", "The file is larger than 256 KB.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid("file", "The file must be UTF-8 text.") from None
        kind = metal_board_import.kind_of(upload.filename, upload.mimetype or "")
        rows = metal_board_import.read_board(text, kind)
    except DomainError as exc:
        return _refused(exc)
    changes = metal_board_import.preview(rows)
    for change in changes:
        change["metal_label"] = metal_label(change["metal"])
    return render_template(
        "franchise/jewellery/metal_import_preview.html",
        changes=changes,
        rows_json=_carried(rows),
        filename=upload.filename,
    )


@bp.route("/import/confirm", methods=["POST"])
@page_roles(*HQ_ROLES)
def confirm():
    """Write the previewed rows (all or nothing) and go back to the board."""
    try:
        raw = json.loads(request.form.get("rows") or "[]")
        rows = metal_board_import.check_rows(raw if isinstance(raw, list) else [])
        repriced = metal_board_import.apply(rows, required_principal().user_id, "upload")
    except ValueError:
        return _refused(invalid("file", "The file is not valid JSON."))
    except DomainError as exc:
        return _refused(exc)
    flash(
        _("Board imported: %(n)s metals; %(p)s products repriced.", n=len(rows), p=repriced),
        "success",
    )
    return redirect(url_for("jewellery_admin.metal_prices_board"))
