"""What the layouts need from Python: navigation for the viewer, role names, icons, URLs.

Registered as Jinja globals by ``app.web.init_app``. Domains add navigation entries
with ``app.extensions.add_nav``; the layouts show those whose roles include the viewer's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar

from flask import current_app, g, get_flashed_messages, request, url_for
from flask_babel import gettext
from markupsafe import Markup, escape
from werkzeug.routing import BuildError

from app.auth.principal import current_principal
from app.context import app_now
from app.extensions import registry
from app.kept import kept_in
from app.web import labels
from app.web.request_state import locale_code, script_root

T = TypeVar("T")

# Inline icons (24×24, stroked) for navigation entries; ``icon="name"`` in ``add_nav``.
_ICON_PATHS = {
    "home": '<path d="M3 11l9-7 9 7"/><path d="M5 10v10h14V10"/><path d="M10 20v-6h4v6"/>',
    "chart": '<path d="M4 20V10M10 20V4M16 20v-7M21 20H3"/>',
    "users": '<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20c.8-3.6 3.4-5.5 6.5-5.5s5.7 1.9 '
    '6.5 5.5"/><path d="M16 4.8a3.2 3.2 0 010 6.3M18 14.8c2 .6 3.2 2.4 3.5 5.2"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21c1-4.2 4-6.5 8-6.5s7 2.3 8 6.5"/>',
    "store": '<path d="M3 9l2-5h14l2 5"/><path d="M3 9h18v2a3 3 0 01-6 0 3 3 0 01-6 0 3 3 0 '
    '01-6 0z"/><path d="M5 13v7h14v-7"/>',
    "group": '<path d="M21 12a8 8 0 01-11.6 7.1L4 20l1-4.6A8 8 0 1121 12z"/>',
    "message": '<path d="M4 5h16v11H9l-5 4z"/>',
    "content": '<rect x="4" y="3" width="16" height="18" rx="2"/><path d="M8 8h8M8 12h8M8 16h5"/>',
    "calendar": '<rect x="3" y="5" width="18" height="16" rx="2"/><path d="M3 10h18M8 3v4M16 '
    '3v4"/>',
    "live": '<rect x="2" y="6" width="14" height="12" rx="2"/><path d="M16 10l6-3v10l-6-3z"/>',
    "money": '<circle cx="12" cy="12" r="9"/><path d="M8.5 7.5L12 12l3.5-4.5M8 12.5h8M8 '
    '15.5h8M12 12v6"/>',
    "ledger": '<path d="M5 3h11l3 3v15H5z"/><path d="M9 9h6M9 13h6M9 17h4"/>',
    "box": '<path d="M3 7l9-4 9 4v10l-9 4-9-4z"/><path d="M3 7l9 4 9-4M12 11v10"/>',
    "task": '<rect x="4" y="3" width="16" height="18" rx="2"/><path d="M8 12l3 3 5-6"/>',
    "book": '<path d="M4 4h6a2 2 0 012 2v14a2 2 0 00-2-2H4zM20 4h-6a2 2 0 00-2 2v14a2 2 0 '
    '012-2h6z"/>',
    "share": '<circle cx="6" cy="12" r="2.5"/><circle cx="18" cy="6" r="2.5"/><circle '
    'cx="18" cy="18" r="2.5"/><path d="M8.2 10.8l7.6-3.6M8.2 13.2l7.6 3.6"/>',
    "target": '<circle cx="12" cy="12" r="9"/><circle cx="12" cy="12" r="5"/><circle '
    'cx="12" cy="12" r="1"/>',
    "map": '<path d="M12 21s-7-6.1-7-11.5a7 7 0 0114 0C19 14.9 12 21 12 21z"/><circle cx="12" '
    'cy="9.5" r="2.5"/>',
    "settings": '<circle cx="12" cy="12" r="3"/><path d="M12 2v3M12 19v3M2 12h3M19 12h3M4.9 '
    '4.9l2.1 2.1M17 17l2.1 2.1M4.9 19.1L7 17M17 7l2.1-2.1"/>',
    "link": '<path d="M10 14a4 4 0 005.7 0l3-3a4 4 0 00-5.7-5.7l-1 1"/><path d="M14 10a4 4 0 '
    '00-5.7 0l-3 3a4 4 0 005.7 5.7l1-1"/>',
    "bell": '<path d="M6 16V11a6 6 0 0112 0v5l2 2H4z"/><path d="M10 20a2 2 0 004 0"/>',
    "logout": '<path d="M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10"/>',
    "globe": '<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3c3 3.5 3 14.5 0 18M12 3c-3 '
    '3.5-3 14.5 0 18"/>',
    "more": '<circle cx="5" cy="12" r="1.5"/><circle cx="12" cy="12" r="1.5"/><circle cx="19" '
    'cy="12" r="1.5"/>',
    "menu": '<path d="M4 6h16M4 12h16M4 18h16"/>',
    "dot": '<circle cx="12" cy="12" r="3"/>',
}
ICON_NAMES = tuple(sorted(_ICON_PATHS))


@lru_cache(maxsize=1024)
def icon(name: str | None, size: int = 20, css: str = "icon") -> Markup:
    """An inline SVG icon by name; an unknown name draws its first letter in a circle.

    Built once per (name, size, css): a page draws ~25 (Markup is immutable)."""
    paths = _ICON_PATHS.get(name or "dot")
    if paths is None:
        letter = escape(str(name)[:1])
        paths = (
            f'<circle cx="12" cy="12" r="9"/><text x="12" y="16" text-anchor="middle" '
            f'font-size="11" stroke="none" fill="currentColor">{letter}</text>'
        )
    return Markup(
        f'<svg class="{escape(css)}" width="{size}" height="{size}" viewBox="0 0 24 24" '
        f'fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" '
        f'stroke-linejoin="round" aria-hidden="true">{paths}</svg>'
    )


@dataclass
class NavLink:
    """A navigation entry the viewer may open, resolved to a URL."""

    label: str
    url: str
    endpoint: str
    icon: str
    order: int
    active: bool = False


@dataclass
class NavGroup:
    """A titled group of links in the admin side navigation."""

    label: str
    order: int
    items: list[NavLink] = field(default_factory=list)


def translate(text) -> str:
    """Translate a runtime string (label, flash, error); unknown strings pass through.

    Unlike ``_()`` in templates, the result is plain text and is escaped on output.
    """
    if text is None:
        return ""
    text = str(text)
    return gettext(text) if text else text


def role_name(role: str | None) -> str:
    """The viewer-facing name of a role, translated."""
    return labels.label(role, "role") if role else ""


def _visible_links(section: str) -> list[tuple[str, NavLink]]:
    """The viewer's links of ``section``, the active one marked; worked out once a request
    (the Today page's cards and its tab bar both read them), so read, never change them.

    When this page's endpoint is one of the links, the marked list depends only on the
    role, the language, the mount point and the endpoint: made once per app for those
    and shared (the admin navigation is ~60 links). Another page marks its entry by its
    path, per request."""
    kept = g.get("siyu_visible_links")
    if kept is None:
        kept = g.siyu_visible_links = {}
    key = (section, locale_code())  # a ``force_locale`` block draws its own
    links = kept.get(key)
    if links is None:
        principal = current_principal()
        role = principal.role if principal else None
        entries, endpoints = _resolved_links(section, role)
        endpoint = request.endpoint
        if endpoint in endpoints:
            shared = (section, role, locale_code(), script_root(), endpoint)
            links = kept_value("siyu_nav_links", shared, lambda: _marked(entries))
        else:
            links = _marked(entries)
        kept[key] = links
    return links


def _marked(entries: tuple[tuple, ...]) -> list[tuple[str, NavLink]]:
    """The entries as ``(group, NavLink)``, this page's marked active."""
    links = [
        (group, NavLink(label, url, endpoint, icon_name, order))
        for group, label, url, endpoint, icon_name, order in entries
    ]
    _mark_active([link for _, link in links])
    return links


def _resolved_links(section: str, role: str | None) -> tuple[tuple[tuple, ...], frozenset[str]]:
    """The section's entries a role may open, translated and built into URLs, and their
    endpoints.

    The same for every request of a role, locale and mount point, so it is worked out
    once per app and kept (building ~30 URLs and labels took ~0.4 ms of every page).
    """
    key = (section, role, locale_code(), script_root())
    cache = app_now().extensions.setdefault("siyu_nav_cache", {})
    resolved = cache.get(key)
    if resolved is not None:
        return resolved
    links = []
    for item in registry(current_app).nav:
        if item.section != section or (item.roles and role not in item.roles):
            continue
        try:
            url = url_for(item.endpoint)
        except BuildError:
            current_app.logger.warning("nav entry %s cannot be built", item.endpoint)
            continue
        links.append((item.group, translate(item.label), url, item.endpoint, item.icon, item.order))
    links.sort(key=lambda link: (link[5], link[1]))
    resolved = cache[key] = (tuple(links), frozenset(link[3] for link in links))
    return resolved


def _mark_active(links: list[NavLink]) -> None:
    """Highlight the entry for this page: its endpoint, else the longest URL prefix."""
    endpoint = request.endpoint
    for link in links:
        if link.endpoint == endpoint:
            link.active = True
            return
    candidates = [
        link
        for link in links
        if link.url.rstrip("/").count("/") > 1 and request.path.startswith(link.url.rstrip("/"))
    ]
    if candidates:
        max(candidates, key=lambda link: len(link.url)).active = True


def _grouped(links: list[tuple[str, NavLink]]) -> list[NavGroup]:
    groups: dict[str, NavGroup] = {}
    for group_name, link in links:
        group = groups.setdefault(group_name, NavGroup(translate(group_name), link.order))
        group.order = min(group.order, link.order)
        group.items.append(link)
    return sorted(groups.values(), key=lambda g: (g.order, g.label))


def nav_items(section: str) -> list[NavGroup]:
    """The viewer's navigation for ``"admin"`` or ``"mobile"``, grouped and ordered."""
    return _grouped(_visible_links(section))


def nav_links(section: str) -> list[NavLink]:
    """The viewer's navigation for a section as one flat ordered list (mobile tabs)."""
    return [link for _, link in _visible_links(section)]


KEPT = 4096  # the most entries a kept store (URLs, account bars…) holds before it starts afresh

# Stands where the CSRF token goes in a kept account bar: a tag, which no escaped text
# (a name, a path) can spell.
CSRF_SLOT = Markup("<siyu-csrf-slot>")
# Stands where the page's title goes in a kept document head.
TITLE_SLOT = Markup("<siyu-title-slot>")
# Stands where this page's path goes in the language forms' ``next`` of a kept account bar.
NEXT_SLOT = Markup("<siyu-next-slot>")
# What werkzeug leaves unencoded in a URL's query value (``werkzeug.urls._urlencode``).
URL_QUERY_SAFE = "!$'()*,/:;?@"


def kept_value(store: str, key: tuple, draw: Callable[[], T]) -> T:
    """What ``draw()`` returns for ``key``, drawn once per app and kept in ``store``."""
    return kept_in(app_now().extensions.setdefault(store, {}), key, draw, KEPT)


def _shell_macro(name: str) -> Callable[..., str]:
    """A macro of ``macros/shell.html`` (its module is made once per app)."""
    return getattr(current_app.jinja_env.get_template("macros/shell.html").module, name)


def nav_markup(section: str) -> Markup:
    """The viewer's navigation for ``"admin"`` (side navigation, grouped) or ``"mobile"``
    (tab bar), drawn by the macro ``<section>_nav`` in ``macros/shell.html``.

    The markup depends only on the role, the locale, the mount point and which entry is
    active, so it is drawn once per app for each of those and kept: drawing 15–60 links
    with their icons was about a third of a page's rendering."""
    links = _visible_links(section)
    principal = current_principal()
    active = next((i for i, (_, link) in enumerate(links) if link.active), -1)
    role = principal.role if principal else None
    key = (section, role, locale_code(), script_root(), active)

    def draw() -> str:
        shown = _grouped(links) if section == "admin" else [link for _, link in links]
        return Markup(_shell_macro(f"{section}_nav")(shown))

    return Markup(kept_value("siyu_nav_markup", key, draw))


def current_user_name() -> str:
    """The signed-in account's display name (its username when it has none), else ""."""
    from flask_login import current_user

    user = current_user._get_current_object()  # once, not a proxy hop per attribute
    if user and user.is_authenticated:
        return user.display_name or user.username
    return ""


def account_markup(section: str) -> Markup:
    """The layout's account bar for ``"admin"`` (language switch and user chip) or
    ``"mobile"`` (the header menu), drawn by the macro ``<section>_account`` in
    ``macros/shell.html``.

    Its markup depends on the role, the name, the locale and the mount point, so it is
    drawn once for each and kept; only the session's CSRF token and this page's path
    (the language forms' ``next``, query string included) are put in per view: keyed by
    the path, every query string (a filter, a page number) drew and kept a bar of its own
    and churned the store (drawing the two language forms, the logout form and their
    three tokens was ~10 % of a page's rendering)."""
    principal = current_principal()
    role = principal.role if principal else None
    name = current_user_name()
    key = (section, role, name, locale_code(), script_root())
    markup = kept_value(
        "siyu_account_markup",
        key,
        lambda: str(_shell_macro(f"{section}_account")(role, name, CSRF_SLOT, NEXT_SLOT)),
    )
    if NEXT_SLOT in markup:
        markup = markup.replace(NEXT_SLOT, str(escape(next_query(request.full_path))))
    if CSRF_SLOT not in markup:
        return Markup(markup)
    from app.web.csrf_token import csrf_token

    return Markup(markup.replace(CSRF_SLOT, str(escape(csrf_token()))))


def next_query(full_path: str) -> str:
    """``full_path`` (``request.full_path``) as the language forms' ``next`` query value,
    encoded as ``url_for`` encodes a query argument (werkzeug's set of safe characters)."""
    from urllib.parse import quote_plus

    return quote_plus(full_path.rstrip("?"), safe=URL_QUERY_SAFE)


def head_links(sheet: str) -> Markup:
    """The icon and style sheet links of a layout's head (the macro ``head_links``), kept
    per mount point and sheet.

    The layouts call this and ``flashes`` as globals rather than importing the macros:
    importing a template's macros costs each render a walk of the environment's ~60
    globals (Jinja's check for globals the importing template adds)."""
    key = (script_root(), sheet)
    markup = kept_value("siyu_head_links", key, lambda: str(_shell_macro("head_links")(sheet)))
    return Markup(markup)


def document_head(sheet: str, phone: bool = False, theme: str | None = None, caller=None) -> Markup:
    """A layout's doctype and the start of its head (the macro ``document_head``; the
    ``{% call %}`` body is the title), called as a global like ``head_links``.

    Everything but the title depends only on the sheet, the phone and theme flags, the
    locale and the mount point: drawn once for each and kept, the title put in per view."""
    key = (script_root(), locale_code(), sheet, phone, theme)
    markup = kept_value(
        "siyu_document_head",
        key,
        lambda: str(
            _shell_macro("document_head")(sheet, phone=phone, theme=theme, caller=_title_slot)
        ),
    )
    return Markup(markup.replace(TITLE_SLOT, str(caller())))


def _title_slot() -> Markup:
    return TITLE_SLOT


def flashes() -> Markup:
    """This request's flashed messages (the macro ``flashes``); nothing when there are none
    (the usual page)."""
    if not get_flashed_messages():
        return Markup("")
    return Markup(_shell_macro("flashes")())


def kept_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` for a URL that depends on nothing but its
    arguments and the mount point (a path, no ``_external``), built once per app and kept:
    a page draws 15-25 such links (style sheets, account links, the overview's filtered
    lists), each ~20 µs to build."""
    key = (script_root(), endpoint, tuple(sorted(values.items())) if values else ())
    return kept_value("siyu_kept_urls", key, lambda: url_for(endpoint, **values))


def url_with(**params) -> str:
    """This page's URL with some query parameters replaced (``None`` removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in params.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    from urllib.parse import urlencode

    query = urlencode(args, doseq=True)
    return request.path + ("?" + query if query else "")
