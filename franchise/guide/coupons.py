"""The guide's coupon redemption (核销, ``/m/coupons/redeem``): enter a code, see the
coupon and its customer, confirm.

Step 1 (GET ``?code=``) looks the code up among the customers of the guide's franchise
(another franchise's code reads as unknown); step 2 (POST, CSRF-protected) redeems it
through ``franchise.services.coupons.redeem_in_store``, attributed to the guide, their
store and franchise. Already redeemed, void or expired coupons show why.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.principal import required_principal
from app.errors import DomainError
from franchise.models import Coupon
from franchise.services import coupons as coupon_service

bp = Blueprint("guide_coupons", __name__, url_prefix="/m/coupons", template_folder="../templates")


def _clean(code: str | None) -> str:
    return "".join((code or "").split()).upper()[:20]


@bp.route("/redeem", methods=["GET", "POST"])
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def redeem():
    """Look a code up (GET) or redeem it (POST)."""
    principal = required_principal()
    coupon: Coupon | None
    code = _clean(request.values.get("code"))
    if request.method == "POST":
        try:
            coupon = coupon_service.redeem_in_store(code, principal)
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for("guide_coupons.redeem", code=code), 303)
        flash(_("Coupon %(code)s redeemed.", code=coupon.code), "success")
        return redirect(url_for("guide_coupons.redeem", done=coupon.code), 303)
    coupon = problem = None
    status = 200
    if code:
        try:
            coupon = coupon_service.find_for_staff(code, principal)
            coupon_service.refuse_unusable(coupon)
        except DomainError as exc:
            problem = exc.message
            status = exc.status
    return render_template(
        "franchise/guide/coupons_redeem.html",
        code=code,
        coupon=coupon,
        state=coupon_service.coupon_state(coupon) if coupon else None,
        problem=problem,
        done=_clean(request.args.get("done")),
    ), status
