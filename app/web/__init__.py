"""The web shell: layouts, navigation, template filters, static assets, SVG charts.

Owns the admin (``/admin/``) and guide (``/m/``) landing pages and everything the
domains' page templates share: ``admin/base.html``, ``mobile/base.html``, the table
and form macros, the ``shanghai``/``yuan``/``fen_plain`` filters and the chart
makers (``bar_chart``, ``line_chart``, ``progress_bar``). Knows no business domain.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Flask, render_template
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, GUIDE
from app.auth.principal import current_principal
from app.extensions import add_nav
from app.web import charts, dashboard, formatting, labels, request_state, shell
from app.web.i18n import compile_translations
from app.web.today import cards_markup, notes_for

# The app's own ``static`` endpoint owns /static/, so the shell's assets live at /assets/.
bp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets"
)


@bp.route("/admin/")
@page_roles(*ADMIN_UI_ROLES)
def admin_home():
    """HQ / franchise dashboard: the viewer's sections and the panels domains provide.

    Domains register sources with ``app.web.dashboard.add_dashboard``; each source's
    figures are one row of the page's one statement, and its ``panels`` turn them into
    panels ``{"title", "stats": [(label, value)]}`` (a stat may be ``(label, value, url)``:
    the figure links to the page it counts) or ``{"title", "chart": Markup}``, already
    limited to what the viewer may see. Panels made with
    ``app.web.attention.attention_panel`` go into the first card, "needs attention", every
    domain's counts together, the waiting and most severe first.
    """
    principal = current_principal()
    assert principal is not None  # the view requires a login
    return render_template(
        "web/admin_home.html", **dashboard.page_context(principal), today=_today()
    )


@bp.route("/m/")
@page_roles(GUIDE, login_endpoint="auth.mobile_login")
def mobile_home():
    """The guide's "today" page: a greeting, how many things wait, a card per tab with its note."""
    principal = current_principal()
    assert principal is not None  # the view requires a login
    hour = formatting.to_local(datetime.now(UTC)).hour
    if 5 <= hour < 11:
        greeting = _l("Good morning")
    elif 11 <= hour < 18:
        greeting = _l("Good afternoon")
    else:
        greeting = _l("Good evening")
    notes = notes_for(principal)
    cards = [
        (link, notes.get(link.endpoint))
        for link in shell.nav_links("mobile")
        if link.endpoint != "web.mobile_home"
    ]
    cards.sort(key=lambda card: urgency(card[1]))
    waiting = sum(note.count for note in notes.values())
    return render_template(
        "web/mobile_home.html",
        greeting=greeting,
        cards=cards_markup(cards),
        waiting=waiting,
        today=_today(),
    )


def urgency(note) -> tuple:
    """Sort key of a Today card: what waits first, the soonest due first (a note without
    a due time after those with one), then the tabs' own order (the sort is stable)."""
    waiting = bool(note and note.count)
    due = note.due if waiting and note.due is not None else None
    return (not waiting, due is None, due.timestamp() if due else 0.0)


def _today() -> str:
    """Today's date in Asia/Shanghai, spelled out in the viewer's language: the same all
    day for a language, so spelled once per day and language and kept (babel's full date
    format took ~30 µs of every view of the overview and the Today page)."""
    day = formatting.to_local(datetime.now(UTC)).date()
    code = request_state.locale_code()
    return shell.kept_value("siyu_day_heading", (day, code), lambda: format_date(day, "full"))


# Strings the dashboard passes through ``translate`` (listed for extraction).
_DEMO_STRINGS = (
    _l("Mon"),
    _l("Tue"),
    _l("Wed"),
    _l("Thu"),
    _l("Fri"),
    _l("Sat"),
    _l("Sun"),
    _l("This week"),
    _l("Last week"),
    _l("Sales by day (demo)"),
    _l("Overview"),
    _l("Today"),
)


def _current_locale() -> str:
    return request_state.locale_code()


# name → function: the filters and the globals of every page template
TEMPLATE_FILTERS = {
    "shanghai": formatting.shanghai,
    "yuan": formatting.yuan,
    "fen_plain": formatting.fen_plain,
    "number": formatting.number,
    "percent": formatting.percent,
    "figure": formatting.figure,
    "tr": shell.translate,
    "label": labels.label,
    "customer_name": labels.customer_name,
}
TEMPLATE_GLOBALS = {
    "label": labels.label_of,
    "label_options": labels.options,
    "nav_items": shell.nav_items,
    "nav_links": shell.nav_links,
    "nav_markup": shell.nav_markup,
    "kept_url": shell.kept_url,
    "current_principal": current_principal,
    "role_name": shell.role_name,
    "icon": shell.icon,
    "url_with": shell.url_with,
    "tr": shell.translate,
    "current_user_name": shell.current_user_name,
    "account_markup": shell.account_markup,
    "head_links": shell.head_links,
    "document_head": shell.document_head,
    "flashes": shell.flashes,
    "bar_chart": charts.bar_chart,
    "line_chart": charts.line_chart,
    "progress_bar": charts.progress_bar,
    "current_locale": _current_locale,
}


def register_template_helpers(app: Flask) -> None:
    """The filters and globals every page template may use (templates loaded from now on
    copy their globals from one dict: ``app.web.template_globals``)."""
    from app.web.template_globals import FlatGlobalsTemplate

    app.jinja_env.template_class = FlatGlobalsTemplate
    app.jinja_env.filters.update(TEMPLATE_FILTERS)
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)


def init_app(app: Flask) -> None:
    """Compile catalogues if needed, register helpers, the blueprint and its nav entries."""
    compile_translations()
    register_template_helpers(app)
    app.register_blueprint(bp)
    add_nav(
        app, "admin", "Overview", "Overview", "web.admin_home", ADMIN_UI_ROLES, icon="home", order=0
    )
    add_nav(app, "mobile", "Today", "Today", "web.mobile_home", (GUIDE,), icon="home", order=0)
