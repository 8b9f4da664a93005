"""Admin pages for customer groups (``/admin/groups``) and fission (``/admin/fission``).

* ``/admin/groups``: filters stage / segment / region / store / q, pagination, CSV
  (``?format=csv``), a bar chart of groups per stage. HQ sees all, an owner their franchise.
* ``/admin/groups/<id>``: members, the stage timeline (rule and figures), the next rule
  checked against today's figures, the segment explanation and split suggestion; HQ
  overrides the stage with a reason, releases the pin, toggles benchmark (CSRF forms).
* ``/admin/fission``: invite codes (create per guide / campaign), joins per inviter,
  reward rules (create, switch on/off, delete unused), "issue due rewards now" (HQ).

Views never commit: services do.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404, scoped
from app.db import values_by_key
from app.errors import DomainError
from app.extensions import db
from app.web.form_input import load_form
from app.web.labels import words
from app.web.listing import Column, csv_response, export_url, filter_args, paginate
from app.web.pages import pages_blueprint
from community.api.groups import GroupQuerySchema, group_stmt, stage_history
from community.models.groups import STAGES, WecomGroup
from community.models.growth import FissionReward, FissionRule, InviteCode
from community.schemas import (
    FissionRuleFormSchema,
    FissionRuleRefSchema,
    InviteCodeFormSchema,
    InviteCodeRefSchema,
)
from community.services import fission, join_ways
from community.services import segments as segment_service
from community.services import stages as stage_service
from community.services.people import campaign_names, member_page, people_for
from franchise.admin.support import choices
from franchise.models import CouponTemplate, Guide, Region, Store

bp = pages_blueprint("community_groups", __name__, "/admin")

STAGE_LABELS = words("stage")
SEGMENT_LABELS = words("segment")
FIGURE_LABELS = {
    "member_count": _l("Members"),
    "customer_count": _l("Customers"),
    "purchased_count": _l("Purchased members"),
    "purchase_share": _l("Purchase share"),
    "age_days": _l("Group age (days)"),
    "net_growth": _l("Net growth (14 days)"),
    "send_rate": _l("Push send rate"),
}


def _columns() -> list[Column]:
    return [
        Column(
            "name",
            _l("Group"),
            value=lambda g: g.name or _("Unnamed group"),
            link=lambda g: url_for("community_groups.group_detail", group_id=g.id),
        ),
        Column("stage", _l("Stage"), value=lambda g: str(STAGE_LABELS.get(g.stage, g.stage))),
        Column("segment", _l("Segment"), value=lambda g: str(SEGMENT_LABELS.get(g.segment, ""))),
        Column("member_count", _l("Members"), numeric=True),
        Column("purchased_count", _l("Purchased members"), numeric=True),
        Column("store", _l("Store"), value=lambda g: g.store.name if g.store else None),
        Column("guide", _l("Guide"), value=lambda g: g.guide.name if g.guide else None),
        Column("is_benchmark", _l("Benchmark")),
    ]


def _filter_fields() -> list[dict]:
    return [
        {"name": "q", "label": _("Search"), "type": "text", "placeholder": _("Name or chat id")},
        {"name": "stage", "label": _("Stage"), "type": "select", "options": STAGE_LABELS.items()},
        {
            "name": "segment",
            "label": _("Segment"),
            "type": "select",
            "options": SEGMENT_LABELS.items(),
        },
        {"name": "region_id", "label": _("Region"), "type": "select", "options": choices(Region)},
        {"name": "store_id", "label": _("Store"), "type": "select", "options": choices(Store)},
    ]


def stage_counts(args: dict) -> dict:
    """How many of the caller's groups matching ``args`` are in each stage."""
    sub = group_stmt(args).order_by(None).subquery()
    return dict(db.session.execute(select(sub.c.stage, func.count()).group_by(sub.c.stage)).all())


@bp.get("/groups")
@page_roles(*ADMIN_UI_ROLES)
def groups():
    """The group list with filters, stage counts and CSV export."""
    args = filter_args(GroupQuerySchema)
    stmt = group_stmt(args)
    if request.args.get("format") == "csv":
        return csv_response("groups.csv", _columns(), stmt)
    counts_args = {k: v for k, v in args.items() if k != "stage"}
    counts = stage_counts(counts_args)
    return render_template(
        "community/groups/list.html",
        fields=_filter_fields(),
        columns=_columns(),
        page=paginate(stmt),
        stage_labels=[str(STAGE_LABELS[s]) for s in STAGES],
        stage_counts=[counts.get(s, 0) for s in STAGES],
        export_url=export_url("community_groups.groups"),
    )


@bp.get("/groups/<int:group_id>")
@page_roles(*ADMIN_UI_ROLES)
def group_detail(group_id: int):
    """One group: members, stage timeline, next rule, segment, HQ actions."""
    group = get_scoped_or_404(WecomGroup, group_id)
    page, people = member_page(group)
    invitors = {p.member.invitor_userid for p in people if p.member and p.member.invitor_userid}
    inviters = values_by_key(db.session, Guide.wecom_userid, Guide.name, invitors)
    return render_template(
        "community/groups/detail.html",
        group=group,
        page=page,
        people=people,
        inviters=inviters,
        history=stage_history(group.id),
        next_rule=stage_service.explain(group),
        segment=segment_service.explain(group),
        stage_labels=STAGE_LABELS,
        segment_labels=SEGMENT_LABELS,
        figure_labels=FIGURE_LABELS,
        is_hq=required_principal().is_hq,
    )


@bp.post("/groups/<int:group_id>/stage")
@page_roles(*HQ_ROLES)
def group_stage(group_id: int):
    """HQ override (stage + reason) or release of the pin."""
    group = get_scoped_or_404(WecomGroup, group_id)
    actor = required_principal().user_id
    try:
        if request.form.get("action") == "release":
            stage_service.release(group, actor, request.form.get("reason", "")[:255])
            flash(_("The stage rules apply to this group again."), "success")
        else:
            stage_service.override(
                group, request.form.get("stage", ""), request.form.get("reason", "")[:255], actor
            )
            flash(_("Stage overridden."), "success")
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("community_groups.group_detail", group_id=group_id), 303)
    return redirect(url_for("community_groups.group_detail", group_id=group_id), 303)


@bp.post("/groups/<int:group_id>/benchmark")
@page_roles(*HQ_ROLES)
def group_benchmark(group_id: int):
    """Mark or unmark the group as a benchmark."""
    group = get_scoped_or_404(WecomGroup, group_id)
    stage_service.set_benchmark(group, request.form.get("is_benchmark") == "1")
    flash(_("Saved."), "success")
    return redirect(url_for("community_groups.group_detail", group_id=group_id), 303)


# --- fission ------------------------------------------------------------------------


def _form_target(schema, model, key: str):
    """The row a fission page button names (``key`` in the form); 404 when unknown."""
    target = db.session.get(model, load_form(schema(), request.form)[key])
    if target is None:
        abort(404)
    return target


@bp.route("/fission", methods=["GET", "POST"])
@page_roles(*ADMIN_UI_ROLES)
def fission_page():
    """Invite codes, the inviter leaderboard and reward rules; HQ creates codes and rules."""
    is_hq = required_principal().is_hq
    if request.method == "POST":
        if not is_hq:
            abort(403)
        try:
            action = request.form.get("action")
            if action == "code":
                code = load_form(InviteCodeFormSchema(), request.form)
                if code.get("guide_id") and db.session.get(Guide, code["guide_id"]) is None:
                    raise DomainError(_("No such guide."), status=422)
                fission.create_code(**code)
                flash(_("Invite code created."), "success")
            elif action in ("code_refresh", "code_retire"):
                invite = _form_target(InviteCodeRefSchema, InviteCode, "code_id")
                if action == "code_retire":
                    join_ways.retire(invite)
                else:
                    join_ways.refresh_groups(invite)
                flash(_("Saved."), "success")
            elif action == "rule":
                rule = load_form(FissionRuleFormSchema(), request.form)
                fission.create_rule(
                    rule["name"], rule["invites_required"], rule["coupon_template_id"]
                )
                flash(_("Reward rule created."), "success")
            elif action in ("rule_on", "rule_off", "rule_delete"):
                target = _form_target(FissionRuleRefSchema, FissionRule, "rule_id")
                if action == "rule_delete":
                    fission.delete_rule(target)
                else:
                    fission.set_rule_active(target, action == "rule_on")
                flash(_("Saved."), "success")
            elif action == "issue":
                result = fission.issue_due_rewards()
                flash(
                    _("%(issued)s rewards issued, %(failed)s failed.", **result),
                    "success",
                )
        except DomainError as exc:
            flash(exc.message, "error")
        return redirect(url_for("community_groups.fission_page"), 303)
    codes = db.session.scalars(
        scoped(select(InviteCode), InviteCode).order_by(InviteCode.id.desc()).limit(200)
    ).all()
    rules = db.session.scalars(select(FissionRule).order_by(FissionRule.id)).all()
    leaders = fission.leaderboard() if is_hq else []
    templates = db.session.scalars(select(CouponTemplate).order_by(CouponTemplate.id)).all()
    rewards = dict(
        db.session.execute(
            select(FissionReward.rule_id, func.count()).group_by(FissionReward.rule_id)
        ).all()
    )
    return render_template(
        "community/groups/fission.html",
        codes=codes,
        rules=rules,
        rewards=rewards,
        leaders=leaders,
        people=people_for(
            [row["inviter_userid"] for row in leaders],
            [row["inviter_customer_id"] for row in leaders],
        ),
        guide_names=dict(choices(Guide)) if is_hq else {},
        campaigns=campaign_names([c.campaign_id for c in codes]),
        open_campaigns=campaign_names() if is_hq else {},
        template_names={t.id: t.name for t in templates},
        guides=choices(Guide) if is_hq else [],
        stores=choices(Store) if is_hq else [],
        templates=templates if is_hq else [],
        is_hq=is_hq,
    )
