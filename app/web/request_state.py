"""What the layouts read of the request and the app many times a page, read directly.

``current_app`` and ``request`` are proxies: each attribute read through one looks the
context up again (~1 µs); the layouts' kept drawings and URLs read the app's stores, the
mount point and the language ~50 times a page. These read the context variable once
(the app itself: ``app.context.app_now``).
``babel_namespace`` is flask-babel's per-request state, read the same way.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask.globals import _cv_app, _cv_request
from flask_babel import get_locale


def script_root() -> str:
    """This request's mount point (``request.script_root``)."""
    context = _cv_request.get(None)
    if context is None:
        return request.script_root  # raises outside a request, as before
    return context.request.script_root


def babel_namespace() -> Any:
    """flask-babel's namespace of this app context (``g._flask_babel``: the request's
    locale as ``babel_locale``, its catalogue as ``babel_translations``), read from the
    context variable rather than through the ``g`` proxy; None outside an app context or
    before flask-babel made it. The one place Siyu reaches into flask-babel's private
    state (``locale_code`` and ``app.configure_i18n``'s catalogue)."""
    context = _cv_app.get(None)
    return getattr(context.g, "_flask_babel", None) if context is not None else None


def locale_code() -> str:
    """The request's language as a code (``str(get_locale())``: ``"zh"``, ``"en"``);
    ``"zh"`` outside a request.

    flask-babel finds its request namespace through ``g`` and babel spells the code out
    afresh at every call (~5 µs together); the layout asks about eight times a page. The
    code is kept on that namespace beside the locale it was spelled from, so
    ``force_locale`` and ``refresh`` (which replace the locale) get their own."""
    namespace = babel_namespace()
    locale = getattr(namespace, "babel_locale", None)
    if namespace is None or locale is None:  # not worked out yet this request (or no request)
        return str(get_locale() or "zh")
    spelled = getattr(namespace, "siyu_locale_code", None)
    if spelled is None or spelled[0] is not locale:
        spelled = namespace.siyu_locale_code = (locale, str(locale))
    return spelled[1]
