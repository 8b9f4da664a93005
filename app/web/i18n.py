"""Translation catalogues: compile ``.po`` to ``.mo`` at start-up, and shell-wide strings.

The ``.mo`` files are git-ignored, so ``compile_translations`` (called from the web
shell's ``init_app``) rebuilds any catalogue whose ``.po`` is newer than its ``.mo``; when
everything is up to date it costs a few ``stat`` calls. Refresh the catalogues with::

    .venv/bin/pybabel extract -F babel.cfg -k _l -o /tmp/messages.pot .
    .venv/bin/pybabel update -i /tmp/messages.pot -d app/translations
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger("siyu.i18n")

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


def N_(message: str) -> str:  # noqa: N802 - the conventional "mark for extraction" name
    """Mark a string for extraction without translating it now."""
    return message


def gettext_all(*messages: str) -> list[str]:
    """``gettext`` of each of ``messages`` (marked with ``N_`` or ``_``), in the request's
    language, from one lookup of its catalogue.

    flask-babel finds the domain, the context and the catalogue again for every string
    (~5 µs each; a page's panels translate a few dozen labels); this looks them up once
    for all of them. The catalogue is the request's (flask-babel's ``get_domain``), so
    ``force_locale`` and a switch of language take effect as with ``gettext``. A message
    with ``%(name)s`` parameters comes back as the translated format, to fill in.
    """
    from flask_babel import get_domain

    catalogue = get_domain().get_translations()
    return [catalogue.ugettext(message) for message in messages]


# Strings produced outside app/web that pages show; listed so ``pybabel extract`` finds
# them (the error pages and flashes translate them at display time).
SHELL_MESSAGES = (
    N_("The request could not be understood."),
    N_("Authentication is required."),
    N_("You are not allowed to do this."),
    N_("Not found."),
    N_("Method not allowed."),
    N_("Conflict with the current state."),
    N_("The request body is too large."),
    N_("Unsupported media type."),
    N_("The request has invalid fields."),
    N_("Too many requests; try again later."),
    N_("Internal error."),
    N_("The service is temporarily unavailable."),
    N_("The database is temporarily unavailable."),
    N_("This field is required."),
    N_("That username is taken."),
)


def compile_translations(directory: Path | str | None = None) -> list[Path]:
    """Compile every ``*.po`` under ``directory`` that is newer than its ``.mo``.

    Returns the ``.mo`` files written. Writes go through a temporary file and an atomic
    rename, so several workers starting at once cannot leave a half-written catalogue.
    A broken or read-only catalogue is logged and skipped, never fatal.
    """
    root = Path(directory) if directory else TRANSLATIONS_DIR
    written: list[Path] = []
    for po_path in sorted(root.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        try:
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=po_path.parts[-3])
            fd, tmp = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
            with os.fdopen(fd, "wb") as out:
                write_mo(out, catalog)
            os.replace(tmp, mo_path)
            written.append(mo_path)
        except (OSError, ValueError) as exc:
            log.warning("could not compile %s: %s", po_path, exc)
    return written
