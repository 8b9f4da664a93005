"""Guide (mobile): my campaign share link, QR code and poster; the public landing page.

* ``/m/live/<id>/share`` (guide): my share code for the campaign, the mini-program
  path, the web URL with a copy button, the QR code (SVG, segno) and the poster.
* ``/m/live/<id>/poster.svg`` (guide): the poster as a downloadable SVG: campaign
  name, live time (Asia/Shanghai), my name and store, the QR code.
* ``/m/live/<id>/join/<code>`` (public): where the QR and the web URL lead: the
  campaign's name and time; inside WeChat a button to the mini-program (URL Link),
  or, when WeChat makes no URL Link, the mini-program code (``…/wxacode.png``);
  outside a QR code to scan with WeChat and, on a phone, ``…/open`` (a URL Scheme made
  for that visitor). See ``livestream.services.landing``.

Only a guide of a participating store has a code (another store's guide gets 404).
"""

from __future__ import annotations

import segno
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.auth.decorators import page_roles
from app.auth.models import GUIDE
from app.auth.principal import required_principal
from app.errors import NotFound
from app.extensions import db
from app.schemas import MAX_ID
from app.web.formatting import shanghai
from app.web.pages import pages_blueprint
from franchise.models import Guide
from livestream.guide.poster_png import poster_png
from livestream.services import attribution, landing
from livestream.services.access import campaign_or_404

bp = pages_blueprint("livestream_share", __name__, "/m/live")

POSTER_W = 750
QR_SCALE = 8
FONT = "'Noto Sans CJK SC','WenQuanYi Micro Hei','PingFang SC','Microsoft YaHei',sans-serif"


def qr_svg(url: str, scale: int = 4) -> Markup:
    """The URL as an inline SVG QR code (no XML declaration)."""
    return Markup(segno.make(url, error="m").svg_inline(scale=scale, border=2, omitsize=True))


def _my_share(campaign_id: int):
    """``(campaign, guide, links)`` for the signed-in guide, else 404."""
    principal = required_principal()
    if principal.guide_id is None or not 1 <= campaign_id <= MAX_ID:
        raise NotFound("Campaign not found")
    campaign = campaign_or_404(campaign_id)
    code = attribution.campaign_share_code(campaign.id, principal.guide_id)
    guide = db.session.get(Guide, principal.guide_id)
    return campaign, guide, attribution.share_links(campaign.id, code.code)


def _wrap(text: str, width: int, lines: int) -> list[str]:
    """Cut ``text`` into at most ``lines`` pieces of ``width`` characters (CJK-friendly)."""
    pieces = [text[i : i + width] for i in range(0, len(text), width)] or [""]
    if len(pieces) > lines:
        pieces = pieces[:lines]
        pieces[-1] = pieces[-1][:-1] + "…"
    return pieces


def poster_svg(campaign, guide: Guide, url: str) -> str:
    """The poster SVG document (750 wide): title, live time, guide and store, QR."""
    qr = segno.make(url, error="m")
    size = qr.symbol_size(scale=QR_SCALE, border=2)[0]
    qr_x, qr_y = (POSTER_W - size) // 2, 560
    height = qr_y + size + 150
    title = _wrap(campaign.name, 14, 3)
    text = [
        f'<text x="375" y="{150 + i * 66}" font-size="52" font-weight="700" fill="#fff" '
        f'text-anchor="middle">{escape(line)}</text>'
        for i, line in enumerate(title)
    ]
    when = shanghai(campaign.live_at)
    # not inside the f-strings below: pybabel does not look into f-string expressions
    labels = {
        "live": _("LIVE"),
        "live_at": _("Live at"),
        "scan": _("Scan to watch the live and shop"),
    }
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{POSTER_W}" height="{height}" '
        f'viewBox="0 0 {POSTER_W} {height}" font-family="{FONT}">',
        f"<title>{escape(campaign.name)}</title>",
        f'<rect width="{POSTER_W}" height="{height}" fill="#1b2540"/>',
        f'<rect x="40" y="40" width="670" height="{height - 80}" rx="28" fill="none" '
        'stroke="#d8b56a" stroke-width="3"/>',
        '<text x="375" y="90" font-size="26" fill="#d8b56a" text-anchor="middle" '
        f'letter-spacing="4">{escape(labels["live"])}</text>',
        *text,
        f'<text x="375" y="400" font-size="34" fill="#d8b56a" text-anchor="middle">'
        f"{escape(labels['live_at'])} {escape(when)}</text>",
        f'<text x="375" y="470" font-size="30" fill="#fff" text-anchor="middle">'
        f"{escape(guide.name)} · {escape(guide.store_name)}</text>",
        f'<rect x="{qr_x - 24}" y="{qr_y - 24}" width="{size + 48}" height="{size + 48}" '
        'rx="16" fill="#fff"/>',
        f'<g transform="translate({qr_x},{qr_y})" id="poster-qr">'
        f"{qr.svg_inline(scale=QR_SCALE, border=2)}</g>",
        f'<text x="375" y="{qr_y + size + 80}" font-size="28" fill="#fff" '
        f'text-anchor="middle">{escape(labels["scan"])}</text>',
        "</svg>",
    ]
    return "\n".join(parts)


@bp.route("/<int:campaign_id>/share")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def share(campaign_id: int):
    """My share code, link and QR code for the campaign, and my poster."""
    campaign, guide, links = _my_share(campaign_id)
    return render_template(
        "livestream/guide/share/share.html",
        campaign=campaign,
        guide=guide,
        links=links,
        qr=qr_svg(links["url"]),
    )


@bp.route("/<int:campaign_id>/poster.svg")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def poster(campaign_id: int):
    """My poster as an SVG file (downloaded with ``?download=1``)."""
    return _poster_file(campaign_id, poster_svg, "image/svg+xml", "svg")


@bp.route("/<int:campaign_id>/poster.png")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def poster_image(campaign_id: int):
    """My poster as a PNG WeChat can save (downloaded with ``?download=1``)."""
    return _poster_file(campaign_id, poster_png, "image/png", "png")


def _poster_file(campaign_id: int, draw, mimetype: str, ext: str) -> Response:
    """The signed-in guide's poster drawn by ``draw``, as a file with ``?download=1``."""
    campaign, guide, links = _my_share(campaign_id)
    response = Response(draw(campaign, guide, links["url"]), mimetype=mimetype)
    if request.args.get("download"):
        response.headers["Content-Disposition"] = (
            f'attachment; filename="live-{campaign.id}-{links["code"]}.{ext}"'
        )
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.route("/<int:campaign_id>/join/<string(maxlength=32):code>")
def join(campaign_id: int, code: str):
    """Public landing of a share link: the campaign and how to open it in WeChat."""
    share_code, campaign = _public_code(campaign_id, code)
    guide = db.session.get(Guide, share_code.guide_id) if share_code.guide_id else None
    links = attribution.share_links(campaign.id, share_code.code)
    wechat = landing.in_wechat(request.user_agent.string)
    url_link = landing.cached_url_link(links["path"]) if wechat else None
    return render_template(
        "livestream/guide/share/join.html",
        campaign=campaign,
        guide=guide,
        links=links,
        in_wechat=wechat,
        url_link=url_link,
        wxacode=bool(wechat and not url_link and landing.cached_wxacode(links["path"], code)),
        qr=None if wechat else qr_svg(links["url"]),
    )


def _public_code(campaign_id: int, code: str):
    """``(share code row, campaign)`` of an open campaign for the public pages, else 404."""
    if not 1 <= campaign_id <= MAX_ID:
        raise NotFound("Campaign not found")
    share_code = attribution.campaign_code(campaign_id, code)
    if share_code is None:
        raise NotFound("Campaign not found")
    return share_code, attribution.open_campaign(campaign_id)


@bp.route("/<int:campaign_id>/join/<string(maxlength=32):code>/wxacode.png")
def wxacode(campaign_id: int, code: str):
    """The mini-program code of the share code (long-press in WeChat opens it); 404 when
    WeChat would not make one."""
    share_code, _campaign = _public_code(campaign_id, code)
    path = attribution.share_links(campaign_id, share_code.code)["path"]
    image = landing.cached_wxacode(path, share_code.code)
    if image is None:
        raise NotFound("Mini-program code not available")
    mimetype = "image/png" if image.startswith(b"\x89PNG") else "image/jpeg"
    response = Response(image, mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.route("/<int:campaign_id>/join/<string(maxlength=32):code>/open")
def open_in_wechat(campaign_id: int, code: str):
    """A phone browser outside WeChat: a URL Scheme made for this visitor, then WeChat."""
    share_code, _campaign = _public_code(campaign_id, code)
    path = attribution.share_links(campaign_id, share_code.code)["path"]
    scheme = landing.scheme_for_visitor(path)
    if scheme is None:
        flash(_("WeChat could not open the mini-program just now; scan the code instead."), "error")
        return redirect(url_for("livestream_share.join", campaign_id=campaign_id, code=code))
    return redirect(scheme)
