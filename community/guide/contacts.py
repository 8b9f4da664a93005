"""The guide's 联系我 code on mobile (``/m/contacts``): the code as a PNG they can save
(long-press or the download button), what it does, and their WeCom contacts (newest
first, paginated, a search). Another guide's contacts never show: the list goes through
the tenant scope."""

from __future__ import annotations

from flask import Response, render_template, request

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404
from app.errors import DomainError
from app.web.listing import paginate
from app.web.pages import pages_blueprint
from community.services import contact_ways
from community.services.contact_list import contact_stmt, recent_since
from community.services.contact_qr import qr_png
from franchise.models import Guide

bp = pages_blueprint("community_guide_contacts", __name__, "/m/contacts")


def _guide() -> Guide:
    return get_scoped_or_404(Guide, required_principal().guide_id)


@bp.get("")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def my_code():
    """My 联系我 code (made in WeCom on first visit) and my contacts."""
    guide = _guide()
    error = None
    way = None
    try:
        way = contact_ways.guide_way(guide)
    except DomainError as exc:  # WeCom refused or unreachable: say why, list contacts anyway
        error = exc.message
    q = (request.args.get("q") or "").strip()[:64]
    page = paginate(contact_stmt({"guide_id": guide.id, "q": q}))
    return render_template(
        "community/guide/contacts.html",
        guide=guide,
        way=way,
        error=error,
        page=page,
        q=q,
        recent=recent_since(),
    )


@bp.get("/code.png")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def my_code_png():
    """My 联系我 code as a PNG (saved with a name that says what it is)."""
    way = contact_ways.guide_way(_guide())
    return Response(
        qr_png(way.qr_code),
        mimetype="image/png",
        headers={"Content-Disposition": 'inline; filename="my-wecom-code.png"'},
    )
