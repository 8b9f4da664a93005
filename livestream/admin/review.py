"""The post-live review (复盘): figures against targets, leaderboards, charts, CSV.

``/admin/live/campaigns/<id>/review?level=`` shows the headline figures with progress
bars, charts (target vs actual GMV and conversion per unit of the level, paid GMV by
hour of the live day), the leaderboards, the reward / penalty outcomes and the per-unit
table; ``.../review/export?level=`` is that table as CSV. A franchise owner sees their
own franchise only (no region level). Views never commit.
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES
from app.auth.principal import required_principal
from app.web.listing import Column, csv_response
from livestream.admin import METRIC_LABELS, RULE_KIND_LABELS, campaign_pages
from livestream.models.targets import (
    LEVEL_FRANCHISEE,
    LEVEL_GUIDE,
    LEVEL_REGION,
    LEVEL_STORE,
)
from livestream.services import review as service
from livestream.services.access import campaign_or_404

bp = campaign_pages("livestream_review", __name__)

LEVEL_LABELS = {
    LEVEL_REGION: _l("Regions"),
    LEVEL_FRANCHISEE: _l("Franchisees"),
    LEVEL_STORE: _l("Stores"),
    LEVEL_GUIDE: _l("Guides"),
}
CHART_UNITS = 20  # units drawn in the per-unit charts (largest GMV first)

CSV_LABELS = {
    "level": _l("Level"),
    "ref_id": _l("ID"),
    "unit": _l("Unit"),
    "store": _l("Store"),
    "target_gmv": _l("GMV target (yuan)"),
    "gmv": _l("GMV (yuan)"),
    "gmv_pct": _l("GMV achieved %"),
    "target_new_customers": _l("New customers target"),
    "new_customers": _l("New customers"),
    "new_customers_pct": _l("New customers achieved %"),
    "target_group_joins": _l("Group joins target"),
    "group_joins": _l("Group joins"),
    "group_joins_pct": _l("Group joins achieved %"),
    "target_appointments": _l("Appointments target"),
    "appointments": _l("Appointments"),
    "appointments_pct": _l("Appointments achieved %"),
    "orders": _l("Orders"),
    "buyers": _l("Buyers"),
    "visitors": _l("Visitors"),
    "conversion_pct": _l("Conversion %"),
    "aov": _l("AOV (yuan)"),
}


def _scope() -> tuple[int | None, tuple[str, ...]]:
    """The caller's franchise limit (``None`` for HQ) and the levels they may switch to."""
    principal = required_principal()
    if principal.is_hq:
        return None, service.LEVELS
    return principal.franchisee_id, (LEVEL_FRANCHISEE, LEVEL_STORE, LEVEL_GUIDE)


def _level(levels: tuple[str, ...]) -> str:
    """``?level=`` when the caller may use it, else their first level."""
    level = request.args.get("level", "")
    return level if level in levels else levels[0]


def _viewed(campaign_id: int):
    """The campaign (404 when the caller may not see it), the caller's franchise limit,
    the levels they may switch to and the level shown."""
    campaign = campaign_or_404(campaign_id)
    franchisee_id, levels = _scope()
    return campaign, franchisee_id, levels, _level(levels)


def _charts(rows: list[dict], hours: tuple[list, list]) -> dict:
    """The three SVG charts' inputs: labels and series per chart."""
    shown = rows[:CHART_UNITS]
    labels = [r["name"] for r in shown]
    return {
        "units": labels,
        "gmv": {
            _("Target"): [r["target"]["gmv_fen"] for r in shown],
            _("Actual"): [r["actual"]["gmv_fen"] for r in shown],
        },
        "conversion": {_("Conversion rate"): [r["actual"]["conversion_pct"] for r in shown]},
        "hour_labels": hours[0],
        "hours": {_("Paid GMV"): hours[1]},
    }


@bp.route("/<int:campaign_id>/review")
@page_roles(*ADMIN_UI_ROLES)
def review(campaign_id: int):
    """The review page of one level."""
    campaign, franchisee_id, levels, level = _viewed(campaign_id)
    data = service.review(campaign.id, level, franchisee_id)
    outcomes = service.rule_outcomes(campaign.id, franchisee_id)
    return render_template(
        "livestream/admin/review/review.html",
        campaign=campaign,
        active="livestream_review.review",
        level=level,
        levels=[(key, LEVEL_LABELS[key]) for key in levels],
        level_label=LEVEL_LABELS[level],
        data=data,
        totals=data["totals"],
        boards=data["leaderboards"],
        outcomes=outcomes,
        outcome_totals=service.outcome_totals(outcomes),
        charts=_charts(data["rows"], service.gmv_by_hour(campaign, franchisee_id)),
        metric_labels=METRIC_LABELS,
        kind_labels=RULE_KIND_LABELS,
        level_labels=LEVEL_LABELS,
        no_target=service.NO_TARGET,
    )


@bp.route("/<int:campaign_id>/review/export")
@page_roles(*ADMIN_UI_ROLES)
def export(campaign_id: int):
    """The per-unit table of ``?level=`` as CSV (money in yuan)."""
    campaign, franchisee_id, levels, level = _viewed(campaign_id)
    keys = [k for k in service.CSV_KEYS if level == LEVEL_GUIDE or k != "store"]
    text = ("level", "unit", "store")
    columns = [Column(key, CSV_LABELS[key], numeric=key not in text) for key in keys]
    rows = service.csv_rows(campaign.id, level, franchisee_id)
    return csv_response(f"review-{campaign.id}-{level}.csv", columns, rows)
