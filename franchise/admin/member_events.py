"""Member event pages: HQ's events (``/admin/members/events``: the list with each event's
answers and status and a form to create one, through the API's schema; ``…/events/<id>``
to edit one or cancel it), and the invitations
(``/admin/members/invitations``: HQ every one, an owner their customers'; filters by
event, answer and attendance, paginated, CSV; staff mark who came).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import select

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.clock import SHANGHAI
from app.errors import DomainError
from app.extensions import db
from app.web.form_input import FormInvalid, load_form
from app.web.labels import label, options
from app.web.listing import Column, paginate
from franchise.admin.support import list_page, select_filter
from franchise.event_schemas import (
    InvitationQuerySchema,
    MemberEventCreateSchema,
    place_of,
)
from franchise.models import LEVELS, MemberEvent, Store
from franchise.services import member_event_changes, member_events, member_settings
from franchise.services.member_event_changes import event_status
from franchise.services.members import level_label

bp = Blueprint("member_events_admin", __name__, url_prefix="/admin", template_folder="../templates")


def event_columns():
    return [
        Column(
            "name",
            _l("Event"),
            link=lambda e: url_for("member_events_admin.invitations", event_id=e.id),
        ),  # fmt: skip
        Column("starts_at", _l("Starts"), time=True),
        Column("place", _l("Place"), value=place_of),
        Column(
            "levels",
            _l("Levels invited"),
            value=lambda e: "、".join(level_label(c) for c in e.levels),
        ),  # fmt: skip
        Column("invited", _l("Invited"), numeric=True),
        Column("accepted", _l("Accepted"), numeric=True),
        Column("capacity", _l("Places"), numeric=True),
        Column("status", _l("Status"), value=lambda e: label(event_status(e), "event_status")),
        Column(
            "edit",
            _l("Change"),
            value=lambda e: _("Edit or cancel"),
            link=lambda e: url_for("member_events_admin.edit_event", event_id=e.id),
        ),  # fmt: skip
    ]


@bp.route("/members/events", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def events():
    """HQ's events and the form to create one (its invitations go out at once)."""
    errors: dict = {}
    status = 200
    if request.method == "POST":
        try:
            event = member_events.create_event(load_form(MemberEventCreateSchema(), request.form))
            flash(_("Event created, %(n)s members invited.", n=event.invited), "success")
            return redirect(url_for("member_events_admin.events"), 303)
        except (FormInvalid, DomainError) as exc:
            errors, status = exc.errors, 422
    invited_by_default = [
        code
        for code, rule in member_settings.level_rules().items()
        if rule.get("event_invitations")
    ]
    chosen = request.form.getlist("levels") if request.method == "POST" else invited_by_default
    return _form_page(
        "franchise/members/events.html",
        errors,
        request.form,
        chosen,
        columns=event_columns(),
        page=paginate(member_events.events_stmt()),
    ), status


def _form_page(template: str, errors: dict, values, chosen: list, **extra):
    """An event form page (create or edit) with its places and levels to choose from."""
    return render_template(
        template,
        errors=errors,
        values=values,
        levels=[(code, level_label(code)) for code in LEVELS],
        chosen=chosen,
        stores=db.session.scalars(select(Store).order_by(Store.name)).all(),
        **extra,
    )


@bp.route("/members/events/<int:event_id>", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def edit_event(event_id: int):
    """Edit an event (name, start, place, places, levels) or cancel it; the newly
    eligible members of added levels are invited at once."""
    event = member_events.get_event(event_id)
    errors: dict = {}
    status = 200
    values: Mapping[str, object] = request.form
    if request.method == "POST":
        try:
            body = load_form(MemberEventCreateSchema(), request.form)  # the whole form
            new = member_event_changes.edit_event(event_id, body)[1]
            flash(_("Event saved, %(n)s more members invited.", n=new), "success")
            return redirect(url_for("member_events_admin.edit_event", event_id=event_id), 303)
        except (FormInvalid, DomainError) as exc:
            if exc.status == 409:
                flash(_(exc.message), "error")
                return redirect(url_for("member_events_admin.edit_event", event_id=event_id), 303)
            errors, status = exc.errors, 422
    else:
        values = {
            "name": event.name,
            "starts_at": event.starts_at.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M"),
            "store_id": event.store_id or "",
            "capacity": event.capacity,
        }
    chosen = request.form.getlist("levels") if request.method == "POST" else event.levels
    return _form_page(
        "franchise/members/event_edit.html",
        errors,
        values,
        chosen,
        event=event,
        status=event_status(event),
        figures=member_events.attendance(event.id),
    ), status


@bp.route("/members/events/<int:event_id>/cancel", methods=["POST"])
@page_roles(*HQ_ROLES)
def cancel_event(event_id: int):
    """Cancel the event: invitations cancelled, accepted members told."""
    try:
        member_event_changes.cancel_event(event_id)
        flash(_("Event cancelled; the members who accepted are being told."), "success")
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(_(exc.message), "error")
    return redirect(url_for("member_events_admin.edit_event", event_id=event_id), 303)


def _attend_button(invitation) -> Markup:
    """The row's action: mark an accepted member as come (or not)."""
    if invitation.status != "accepted":
        return Markup("")
    target = url_for("member_events_admin.mark_attended", invitation_id=invitation.id)
    flip = "0" if invitation.attended else "1"
    text = _("Mark as not come") if invitation.attended else _("Mark as come")
    return Markup(
        '<form method="post" action="{}" class="inline"><input type="hidden" name="csrf_token" '
        'value="{}"><input type="hidden" name="attended" value="{}"><button type="submit" '
        'class="btn btn-small" data-attend="{}">{}</button></form>'
    ).format(escape(target), generate_csrf(), flip, invitation.id, text)


def invitation_columns(with_action: bool = True):
    columns = [
        Column("event", _l("Event"), value=lambda i: i.event.name),
        Column("starts_at", _l("Starts"), value=lambda i: i.event.starts_at, time=True),
        Column("place", _l("Place"), value=lambda i: place_of(i.event)),
        Column(
            "customer",
            _l("Member"),
            value=lambda i: i.customer.nickname,
            link=lambda i: f"/admin/members/{i.customer_id}",
        ),  # fmt: skip
        Column("level", _l("Level"), value=lambda i: level_label(i.level)),
        Column("status", _l("Answer"), value=lambda i: label(i.status, "invitation_status")),
        Column("attended", _l("Came"), value=lambda i: i.attended),
    ]
    if with_action:
        columns.append(Column("action", _l("Attendance"), value=_attend_button))
    return columns


@bp.route("/members/invitations")
@page_roles(*ADMIN_UI_ROLES)
def invitations():
    """Invitations of the viewer's customers: filters, pages, CSV."""

    def context(args: dict) -> dict:
        event_options = [("", _l("All"))] + [
            (str(e.id), e.name) for e in db.session.scalars(member_events.events_stmt().limit(200))
        ]
        came = [("", _l("All")), ("1", _l("Yes")), ("0", _l("No"))]
        answers = [("", _l("All"))] + options("invitation_status")
        chosen = args.get("event_id")
        return {
            "fields": [
                select_filter("event_id", _l("Event"), event_options),
                select_filter("status", _l("Answer"), answers),
                select_filter("attended", _l("Came"), came),
            ],
            "event": db.session.get(MemberEvent, chosen) if chosen else None,
            "figures": member_events.attendance(chosen) if chosen else None,
        }

    return list_page(
        InvitationQuerySchema,
        member_events.invitation_stmt,
        "event-invitations.csv",
        invitation_columns(),
        "franchise/members/invitations.html",
        csv_columns=invitation_columns(False),
        context=context,
    )


@bp.route("/members/invitations/<int:invitation_id>/attended", methods=["POST"])
@page_roles(*ADMIN_UI_ROLES)
def mark_attended(invitation_id: int):
    """Mark whether an accepted member came (in the viewer's scope)."""
    try:
        invitation = member_events.set_attended(invitation_id, request.form.get("attended") == "1")
        flash(_("Attendance saved."), "success")
        event_id = invitation.event_id
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(_(exc.message), "error")
        event_id = None
    return redirect(url_for("member_events_admin.invitations", event_id=event_id), 303)
