"""Guide (mobile): my campaign results.

``/m/live/results`` lists the guide's own results in each campaign their store takes
part in; ``/m/live/<id>/results`` shows one. Only the guide's own figures, their rank
(a position, never another guide's name or numbers) and their store's achievement.
"""

from __future__ import annotations

from flask import render_template

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.principal import required_principal
from app.errors import NotFound
from app.web.pages import pages_blueprint
from livestream.services import guide_results as service
from livestream.services.access import campaign_or_404

bp = pages_blueprint("livestream_results", __name__, "/m/live")


@bp.route("/results")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def results():
    """My results in every campaign I take part in, latest first."""
    principal = required_principal()
    return render_template(
        "livestream/guide/results/results.html",
        items=service.my_results(principal),
        single=False,
    )


@bp.route("/<int:campaign_id>/results")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def campaign_results(campaign_id: int):
    """My results in one campaign."""
    principal = required_principal()
    if principal.guide_id is None:
        raise NotFound("Campaign not found")
    campaign = campaign_or_404(campaign_id)
    return render_template(
        "livestream/guide/results/results.html",
        items=[service.campaign_results(campaign, principal.guide_id)],
        single=True,
    )
