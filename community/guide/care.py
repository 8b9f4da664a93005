"""The guide's care reminders (``/m/care``): birthdays, purchase anniversaries and
maintenance due among their own customers, with the suggested message; tasks that could
not be sent through WeCom (no external userid known) are marked to do by hand, and the
guide can tick them off. Scope: guide (own tasks only).
"""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.scope import get_scoped_or_404, scoped
from app.clock import shanghai_day
from app.extensions import db
from app.web.pages import pages_blueprint
from community.models import CARE_DONE, CareTask
from community.services import care

bp = pages_blueprint("community_care", __name__, "/m/care")


@bp.route("", endpoint="care")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def care_list():
    today = shanghai_day()
    tasks = db.session.scalars(
        scoped(
            select(CareTask).where(CareTask.due_date >= today - timedelta(days=7)),
            CareTask,
        ).order_by(CareTask.due_date.desc(), CareTask.id)
    ).all()
    rows = [{"task": t, "text": care.suggested_text(t)} for t in tasks]
    return render_template("community/guide/care.html", rows=rows, today=today)


@bp.post("/<int:task_id>/done")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def done(task_id: int):
    task = get_scoped_or_404(CareTask, task_id)
    task.status = CARE_DONE
    db.session.commit()
    flash(_("Marked as done."), "success")
    return redirect(url_for("community_care.care"), 303)
