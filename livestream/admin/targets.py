"""Targets editor and reward / penalty rules of a campaign (``/admin/live/campaigns/<id>``).

``targets`` (GET ``/<id>/targets``) shows the regions with editable figures (GMV in yuan),
their franchisees and stores (expandable) with weight %, the cascaded figures, a
"manual" marker and progress bars of actual vs target, the rules and a bar chart of target
vs actual GMV. HQ edits; a franchise owner sees their own units read-only. The POST
endpoints call ``livestream.services.targets`` and redirect, or re-render the page with
the messages (422) on bad input. Views never commit.
"""

from __future__ import annotations

from collections import defaultdict

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.auth.principal import required_principal
from app.errors import DomainError
from app.money import parse_percent
from app.schemas import url_id
from app.web.form_input import FormInvalid, load_form
from livestream.admin import LEVEL_LABELS, METRIC_LABELS, RULE_KIND_LABELS, campaign_pages
from livestream.models import CampaignTarget, RewardRule
from livestream.models.targets import (
    LEVEL_FRANCHISEE,
    LEVEL_REGION,
    LEVEL_STORE,
    METRICS,
)
from livestream.schemas import RuleFormSchema, figures_form_schema
from livestream.services import progress
from livestream.services import targets as service
from livestream.services.access import campaign_or_404, campaign_row_or_404

bp = campaign_pages("livestream_targets", __name__)


class FormError(Exception):
    """Bad form input: ``errors`` is ``{field: [message]}``."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("bad form")
        self.errors = errors


def figures_from(form, prefix: str) -> dict[str, int]:
    """``{metric: int}`` from fields ``<prefix>_<metric>`` (GMV in yuan); absent or empty
    ones are left as they are. Raises ``FormInvalid`` naming the bad fields."""
    return load_form(figures_form_schema(prefix), form)


def editor_context(campaign) -> dict:
    """Everything the editor shows, limited to what the viewer may see."""
    principal = required_principal()
    is_hq = principal.is_hq
    tree = service.participant_tree(campaign.id)
    region_of = {f: r for r, fs in tree.items() for f in fs}
    franchisee_of = {s: f for fs in tree.values() for f, ss in fs.items() for s in ss}

    def taking_part(level: str, known: dict) -> list[dict]:
        # participants only (rows with actuals alone are left out); placed by the tree
        rows = [r for r in service.target_rows(campaign.id, level) if r["ref_id"] in known]
        for row in rows:
            row["region_id"] = region_of.get(row["ref_id"], row["region_id"])
            row["franchisee_id"] = franchisee_of.get(row["ref_id"], row["franchisee_id"])
        return rows

    regions = taking_part(LEVEL_REGION, tree) if is_hq else []
    franchisees = taking_part(LEVEL_FRANCHISEE, region_of)
    stores = taking_part(LEVEL_STORE, franchisee_of)
    for rows in (regions, franchisees, stores):
        rows.sort(key=lambda r: (-r["target"]["gmv_fen"], r["name"]))
    by_region, by_franchisee = defaultdict(list), defaultdict(list)
    for row in franchisees:
        by_region[row["region_id"]].append(row)
    for row in stores:
        by_franchisee[row["franchisee_id"]].append(row)
    chart_rows = regions if is_hq else stores
    return {
        "campaign": campaign,
        "is_hq": is_hq,
        "regions": regions,
        "unit_tree": (
            [(r, by_region.get(r["ref_id"], [])) for r in regions]
            if is_hq
            else [(None, franchisees)]
        ),
        "stores_of": by_franchisee,
        "rules": service.rules(campaign.id),
        "overall": progress.campaign_progress(campaign.id) if is_hq else None,
        "metrics": METRICS,
        "metric_labels": METRIC_LABELS,
        "kind_labels": RULE_KIND_LABELS,
        "level_labels": LEVEL_LABELS,
        "chart_labels": [r["name"] for r in chart_rows],
        "chart_series": {
            _("Target GMV"): [r["target"]["gmv_fen"] for r in chart_rows],
            _("Actual GMV"): [r["actual"]["gmv_fen"] for r in chart_rows],
        },
    }


def render_editor(campaign, status: int = 200, errors: dict | None = None):
    """The editor page; after a failed post, the posted values and messages (422)."""
    return (
        render_template(
            "livestream/admin/targets/targets.html",
            form=request.form if request.method == "POST" else {},
            errors=errors or {},
            **editor_context(campaign),
        ),
        status,
    )


def run(campaign, action, done_message: str, anchor: str | None = None):
    """Run a service call; redirect on success, re-render with its messages when refused.

    ``anchor`` (``f<franchisee id>``) reopens that franchisee's stores after the redirect.
    """
    try:
        action()
    except FormError as exc:
        flash(_("Please correct the marked fields."), "error")
        return render_editor(campaign, 422, exc.errors)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
        return render_editor(campaign, 422, exc.errors)
    flash(done_message, "success")
    target = url_for("livestream_targets.targets", campaign_id=campaign.id, _anchor=anchor)
    return redirect(target, 303)


def _campaign(campaign_id: int):
    return campaign_or_404(url_id(campaign_id))


def _unit(campaign, target_id: int) -> CampaignTarget:
    return campaign_row_or_404(CampaignTarget, target_id, campaign.id, "Target not found")


@bp.route("/<int:campaign_id>/targets")
@page_roles(*ADMIN_UI_ROLES)
def targets(campaign_id):
    """The targets editor (HQ) or the owner's read-only view of their units."""
    return render_editor(_campaign(campaign_id))


@bp.route("/<int:campaign_id>/targets/regions", methods=["POST"])
@page_roles(*HQ_ROLES)
def save_regions(campaign_id):
    """Save the regions' figures and cascade them."""
    campaign = _campaign(campaign_id)

    def action():
        principal = required_principal()
        errors: dict = {}
        values = {}
        for region_id in service.participant_tree(campaign.id):
            try:
                values[region_id] = figures_from(request.form, f"r{region_id}")
            except FormInvalid as exc:
                errors.update(exc.errors)
        if errors:
            raise FormError(errors)
        service.set_region_targets(campaign.id, values, principal.user_id)

    return run(campaign, action, _("Targets saved and cascaded."))


@bp.route("/<int:campaign_id>/targets/<int:target_id>/weight", methods=["POST"])
@page_roles(*HQ_ROLES)
def save_weight(campaign_id, target_id):
    """Fix a franchisee's or store's weight (percent of its parent, two decimals)."""
    campaign = _campaign(campaign_id)
    row = _unit(campaign, target_id)

    def action():
        name = f"w{row.id}"
        bps = parse_percent(request.form.get(name) or "")
        if bps is None:
            raise FormError({name: [_("A percentage from 0 to 100.")]})
        service.set_weight(row.id, bps)

    return run(campaign, action, _("Weight saved."), f"f{row.franchisee_id}")


@bp.route("/<int:campaign_id>/targets/<int:target_id>/figures", methods=["POST"])
@page_roles(*HQ_ROLES)
def save_unit(campaign_id, target_id):
    """Edit a unit's figures; only the changed ones are fixed, siblings rebalance."""
    campaign = _campaign(campaign_id)
    row = _unit(campaign, target_id)

    def action():
        try:
            values = figures_from(request.form, f"u{row.id}")
        except FormInvalid as exc:
            raise FormError(exc.errors) from exc
        changed = {m: v for m, v in values.items() if v != getattr(row, m)}
        if changed:
            service.set_unit_targets(row.id, changed)

    return run(campaign, action, _("Targets saved."), f"f{row.franchisee_id}")


@bp.route("/<int:campaign_id>/targets/reset", methods=["POST"])
@page_roles(*HQ_ROLES)
def reset(campaign_id):
    """Forget the manual weights and cascade from last 90 days' GMV."""
    campaign = _campaign(campaign_id)
    return run(
        campaign, lambda: service.reset_weights(campaign.id), _("Weights reset to 90-day GMV.")
    )


@bp.route("/<int:campaign_id>/rules", methods=["POST"])
@page_roles(*HQ_ROLES)
def add_rule(campaign_id):
    """Add a reward or penalty rule (amount in yuan)."""
    campaign = _campaign(campaign_id)

    def action():
        try:
            data = load_form(RuleFormSchema(), request.form)
        except FormInvalid as exc:
            raise FormError(exc.errors) from exc
        service.save_rule(campaign.id, data)

    return run(campaign, action, _("Rule added."))


@bp.route("/<int:campaign_id>/rules/<int:rule_id>/delete", methods=["POST"])
@page_roles(*HQ_ROLES)
def delete_rule(campaign_id, rule_id):
    """Delete a rule of this campaign."""
    campaign = _campaign(campaign_id)
    rule = campaign_row_or_404(RewardRule, rule_id, campaign.id, "Rule not found")
    return run(campaign, lambda: service.delete_rule(rule.id), _("Rule deleted."))
