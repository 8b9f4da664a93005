"""Benchmark cohorts (``/admin/benchmarks``, HQ): benchmark groups (``is_benchmark``, set
by the groups area) → "make template"; templates → "apply to groups"; each cohort compared
with its benchmark (member growth, send rate, purchased share) as a chart and a table.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import HQ_ROLES
from app.auth.principal import required_principal
from app.errors import DomainError
from app.extensions import db
from app.web.pages import pages_blueprint
from community.models import BenchmarkCohort, BenchmarkTemplate, WecomGroup
from community.services import benchmark

bp = pages_blueprint("community_benchmark", __name__, "/admin/benchmarks")


@bp.route("")
@page_roles(*HQ_ROLES)
def benchmarks():
    groups = db.session.scalars(
        select(WecomGroup).where(WecomGroup.is_benchmark.is_(True)).order_by(WecomGroup.id)
    ).all()
    templates = db.session.scalars(
        select(BenchmarkTemplate).order_by(BenchmarkTemplate.id.desc())
    ).all()
    cohorts = []
    for cohort in db.session.scalars(select(BenchmarkCohort).order_by(BenchmarkCohort.id.desc())):
        figures = benchmark.compare(cohort)
        cohorts.append(
            {"row": cohort, "figures": figures["cohort"], "benchmark": figures["benchmark"]}
        )
    return render_template(
        "community/delivery/benchmarks.html",
        benchmark_groups=groups,
        templates=templates,
        cohorts=cohorts,
    )


@bp.post("/templates")
@page_roles(*HQ_ROLES)
def make_template():
    principal = required_principal()
    group_id = request.form.get("group_id", "")
    try:
        template = benchmark.make_template(
            int(group_id) if group_id.isdigit() else 0,
            request.form.get("name", ""),
            user_id=principal.user_id,
        )
        flash(_("Template %(name)s created.", name=template.name), "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("community_benchmark.benchmarks"), 303)


@bp.post("/templates/<int:template_id>/apply")
@page_roles(*HQ_ROLES)
def apply(template_id: int):
    raw = request.form.get("group_ids", "").replace(",", " ").split()
    ids = [int(v) for v in raw if v.isdigit() and int(v) < 2**31][:5000]
    principal = required_principal()
    try:
        cohort = benchmark.apply_template(
            template_id, ids, request.form.get("name", ""), principal.user_id
        )
        flash(_("Applied to %(n)s groups.", n=len(cohort.group_ids)), "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("community_benchmark.benchmarks"), 303)
