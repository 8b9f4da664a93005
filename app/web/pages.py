"""The blueprint of a domain area's pages: ``pages_blueprint(name, __name__, "/admin")``.

Every page area of a domain (``<domain>/admin/*.py``, ``<domain>/guide/*.py``) serves
its templates from the domain's ``templates`` folder beside those rooms.
"""

from __future__ import annotations

from flask import Blueprint


def pages_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint of pages under ``url_prefix`` whose templates are the domain's
    (``../templates`` from the area's module)."""
    return Blueprint(name, import_name, url_prefix=url_prefix, template_folder="../templates")
