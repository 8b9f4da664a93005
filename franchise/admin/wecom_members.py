"""Admin pages of WeCom's member directory (``/admin/org/wecom-members``), HQ only: the
members by name and department with the guide each is linked to, and "sync now".
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.decorators import page_roles
from app.auth.models import HQ_ROLES
from app.auth.views import safe_next
from app.errors import DomainError
from app.web.labels import label
from app.web.listing import Column
from franchise.admin.support import select_filter, text_filter
from franchise.admin.views import bp
from franchise.services.wecom_members import last_synced_at, members_stmt, sync_directory
from franchise.wecom_member_schemas import WecomMemberQuerySchema

LINKED_OPTIONS = [("", _l("All")), ("yes", _l("Linked to a guide")), ("no", _l("Not linked"))]


def _guide_link(member):
    return url_for("franchise_admin.guide", object_id=member.guide_id) if member.guide_id else None


def member_columns() -> list[Column]:
    return [
        Column("name", _l("Name")),
        Column("department_name", _l("Department")),
        Column("status", _l("Status"), value=lambda m: label(m.status, "wecom_member_status")),
        Column("guide_name", _l("Linked guide"), link=_guide_link),
        Column("synced_at", _l("Read from WeCom"), time=True),
    ]  # the userid stays out of sight: people are found by name and department


@bp.route("/wecom-members")
@page_roles(*HQ_ROLES)
def wecom_members():
    """WeCom's members as last read, filtered by name / department and link."""
    from franchise.admin.support import render_list

    fields = [
        text_filter("q", _l("Search")),
        select_filter("linked", _l("Guide"), LINKED_OPTIONS),
    ]

    def stmt(args):
        linked = {"yes": True, "no": False}.get(args.get("linked", ""))
        return members_stmt(args.get("q"), linked=linked)

    return render_list(
        _l("WeCom members"),
        WecomMemberQuerySchema,
        stmt,
        member_columns(),
        fields,
        "wecom-members.csv",
        template="franchise/wecom_members.html",
        synced_at=last_synced_at(),
    )


@bp.post("/wecom-members/sync")
@page_roles(*HQ_ROLES)
def wecom_members_sync():
    """Read the directory from WeCom now, then back to where HQ was (the guide form)."""
    try:
        result = sync_directory()
    except DomainError as exc:
        flash(_("WeCom did not answer: %(reason)s", reason=exc.message), "error")
    else:
        flash(
            _(
                "WeCom's member list read: %(members)s members in %(departments)s departments.",
                members=result.members,
                departments=result.departments,
            ),
            "success",
        )
    return redirect(safe_next(request.form.get("next"), url_for("franchise_admin.wecom_members")))
