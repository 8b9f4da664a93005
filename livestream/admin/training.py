"""Training: the completion board and the checklist template editor.

``board`` (GET ``/<id>/training``): completion per region / franchisee / store / guide
with progress bars, late and overdue flags, a store filter and "only not done", paging
at guide level, CSV export (``?format=csv``) and a bar chart of completion % per region
or store. A franchise owner sees their franchise's rows only. ``template`` (GET/POST
``/<id>/training/template``) is HQ's editor: generate the defaults from the line-up,
add, edit, move and delete items (questions with expected answers). Views never commit.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.auth.principal import required_principal
from app.errors import DomainError
from app.web.charts import bar_chart, progress_bar
from app.web.listing import Column, csv_response, export_url, paginate
from livestream.admin import LEVEL_LABELS, campaign_pages
from livestream.services import training as service
from livestream.services import training_board as board_service
from livestream.services.access import campaign_or_404

bp = campaign_pages("livestream_training", __name__)


def _flag(count: int, css: str) -> Markup | str:
    return Markup(f'<span class="badge {css}">{escape(count)}</span>') if count else "0"


def board_columns(level: str, csv: bool = False) -> list[Column]:
    """Table (or CSV) columns of the board at ``level``."""
    cols = [Column("name", LEVEL_LABELS[level])]
    if level == "guide":
        cols.append(Column("store_name", _l("Store")))
        cols.append(Column("completed_at", _l("Completed at"), time=True))
    else:
        cols.append(Column("guides", _l("Guides"), numeric=True))
        cols.append(Column("trained", _l("Trained"), numeric=True))
    if csv:
        cols.append(Column("pct", _l("Completion %"), numeric=True))
        cols.append(Column("late", _l("Late"), numeric=True))
        cols.append(Column("overdue", _l("Overdue"), numeric=True))
        return cols
    cols.append(
        Column(
            "pct",
            _l("Completion"),
            value=lambda r: progress_bar(r["trained"], r["guides"]),
            css="col-progress",
        )
    )
    cols.append(Column("late", _l("Late"), value=lambda r: _flag(r["late"], "badge-warn")))
    cols.append(Column("overdue", _l("Overdue"), value=lambda r: _flag(r["overdue"], "badge-err")))
    return cols


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None


@bp.route("/<int:campaign_id>/training")
@page_roles(*ADMIN_UI_ROLES)
def board(campaign_id: int):
    """Completion per level with filters, chart and CSV."""
    campaign = campaign_or_404(campaign_id)
    principal = required_principal()
    level = request.args.get("level", "store")
    level = level if level in board_service.LEVELS else "store"
    store_id = _int_arg("store_id")
    pending = request.args.get("pending") == "1"
    rows = board_service.completion(campaign.id, level, principal=principal)
    stores = board_service.completion(campaign.id, "store", principal=principal)
    if store_id is not None and level in ("store", "guide"):
        key = "id" if level == "store" else "store_id"
        rows = [r for r in rows if r[key] == store_id]
    if pending:
        rows = [r for r in rows if r["trained"] < r["guides"]]
    if request.args.get("format") == "csv":
        return csv_response(
            f"training-{campaign.id}-{level}.csv", board_columns(level, csv=True), rows
        )
    chart_rows = (
        board_service.completion(campaign.id, "region", principal=principal)
        if level == "region"
        else stores
    )
    chart = bar_chart(
        [r["name"] for r in chart_rows],
        {_("Completion %"): [r["pct"] for r in chart_rows]},
        title=_("Completion % per region") if level == "region" else _("Completion % per store"),
    )
    page = paginate(rows) if level == "guide" else rows
    return render_template(
        "livestream/admin/training/board.html",
        campaign=campaign,
        level=level,
        levels=LEVEL_LABELS,
        columns=board_columns(level),
        page=page,
        totals=board_service.totals(stores),
        due_day=service.training_due_day(campaign),
        store_options=[(s["id"], s["name"]) for s in stores],
        store_id=store_id,
        pending=pending,
        chart=chart,
        export_url=export_url(".board", campaign_id=campaign.id),
        is_hq=principal.is_hq,
        item_count=len(service.items_of(campaign.id)),
    )


# --- the template editor (HQ) ----------------------------------------------------------


def _form_data() -> dict:
    form = request.form
    return {
        "kind": form.get("kind", ""),
        "title": form.get("title", ""),
        "body": form.get("body", ""),
        "expected_answer": form.get("expected_answer", ""),
        "required": form.get("required") in ("1", "on", "y", "true"),
    }


def _editor(campaign, errors=None, form=None, editing=None, status=200):
    return (
        render_template(
            "livestream/admin/training/template.html",
            campaign=campaign,
            items=service.items_of(campaign.id),
            kinds=service.KIND_LABELS,
            errors=errors or {},
            form=form or {},
            editing=editing,
        ),
        status,
    )


def _back(campaign_id: int, anchor: str | None = None):
    return redirect(url_for(".template", campaign_id=campaign_id, _anchor=anchor), 303)


def _save_item(campaign, item=None):
    """Add an item (``item`` None) or save ``item`` from the posted form: back to the
    item on the template page, or the editor again with the errors (422)."""
    data = _form_data()
    try:
        saved = service.save_item(campaign.id, data, item)
    except DomainError as exc:
        return _editor(campaign, exc.errors, data, editing=item.id if item else None, status=422)
    flash(_("Item saved.") if item else _("Item added."), "success")
    return _back(campaign.id, f"item-{saved.id}")


@bp.route("/<int:campaign_id>/training/template", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def template(campaign_id: int):
    """The checklist items in order; POST adds an item at the end."""
    campaign = campaign_or_404(campaign_id)
    if request.method == "GET":
        return _editor(campaign)
    return _save_item(campaign)


@bp.post("/<int:campaign_id>/training/template/generate")
@page_roles(*HQ_ROLES)
def generate(campaign_id: int):
    """Create the default items from the line-up (only when there are none)."""
    campaign = campaign_or_404(campaign_id)
    if service.items_of(campaign.id):
        flash(_("The checklist already has items."), "warning")
    else:
        service.default_template(campaign.id)
        flash(_("Default checklist created."), "success")
    return _back(campaign.id)


@bp.post("/<int:campaign_id>/training/items/<int:item_id>")
@page_roles(*HQ_ROLES)
def item_save(campaign_id: int, item_id: int):
    """Save one item's edits."""
    campaign = campaign_or_404(campaign_id)
    return _save_item(campaign, service.get_item(campaign.id, item_id))


@bp.post("/<int:campaign_id>/training/items/<int:item_id>/delete")
@page_roles(*HQ_ROLES)
def item_delete(campaign_id: int, item_id: int):
    """Delete an item."""
    campaign = campaign_or_404(campaign_id)
    service.delete_item(item_id, campaign.id)
    flash(_("Item deleted."), "success")
    return _back(campaign.id)


@bp.post("/<int:campaign_id>/training/items/<int:item_id>/move")
@page_roles(*HQ_ROLES)
def item_move(campaign_id: int, item_id: int):
    """Move an item one place up or down."""
    campaign = campaign_or_404(campaign_id)
    direction = request.form.get("direction", "")
    try:
        service.move_item(item_id, direction, campaign.id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(_("Up or down."), "error")
    return _back(campaign.id, f"item-{item_id}")


@bp.post("/<int:campaign_id>/training/roster")
@page_roles(*HQ_ROLES)
def roster(campaign_id: int):
    """Create progress rows for every active guide of the participating stores."""
    campaign = campaign_or_404(campaign_id)
    created = service.ensure_progress(campaign.id)
    flash(_("%(n)s guides added to the board.", n=created), "success")
    return redirect(url_for(".board", campaign_id=campaign.id), 303)
