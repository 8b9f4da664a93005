"""Runtime messages in the viewer's language: ``tr`` for every service below the web shell.

Services raise ``DomainError`` s whose texts reach a viewer: JSON error envelopes, flashes,
form errors. ``tr`` translates such a text through the request's catalogue (the locale
``app.configure_extensions`` selects: Chinese unless ``?lang=en`` or the session says
otherwise). Outside a request (jobs, the CLI, reasons stored in rows) it gives the English
text, so nothing stored or logged depends on who happened to trigger it.

Parameters are named (``tr("Not enough stock of %(name)s.", name=...)``) so a translation
may put them in another order; ``pybabel extract -k tr`` finds the message ids. The
catalogues themselves are built by ``app.web.i18n``.
"""

from __future__ import annotations

from flask import has_request_context
from flask_babel import gettext


def tr(message: str, **params) -> str:
    """``gettext`` inside a request; the English text outside (jobs, CLI, stored reasons).

    An empty message stays empty (``gettext("")`` would answer the catalogue header), and a
    text with no translation (data, an already translated text) comes back unchanged.
    """
    if not message:
        return message
    if has_request_context():
        return gettext(message, **params)
    return message % params if params else message
