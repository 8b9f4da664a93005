"""JSON bodies no parser could read safely are refused with 400 before any view runs.

Every parser in the app (``request.get_json``, webargs under flask-smorest, the emulator's
own ``json.loads``) is Python's ``json``, which recurses once per nesting level: a body a
thousand levels deep ends in ``RecursionError``, and an integer of more than
``sys.get_int_max_str_digits()`` digits in a ``ValueError`` webargs does not catch; both
were a 500. One ``before_request`` hook reads the raw body once and checks both without
parsing it, so every route, present and future, is covered. Form posts are left alone
(their fields do not nest and are not read as numbers).

Uploads: the app's ``MAX_CONTENT_LENGTH`` suits JSON and plain forms; a view that takes
files is marked with ``accepts_upload(limit)`` and its requests may carry up to ``limit``
bytes, set before any hook (the CSRF check) reads the form.
"""

from __future__ import annotations

import re
import sys

from flask import Flask, request

from app.errors import DomainError
from app.i18n import tr
from app.web.i18n import N_

MAX_JSON_DEPTH = 64  # far beyond any body the API takes, far below Python's recursion limit
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
# webargs' own answer to a body it cannot parse, translated by the error envelope
PARSER_MESSAGES = (N_("Invalid JSON body."),)


def _outside_strings(body: bytes) -> bytes:
    return _JSON_STRING.sub(b'""', body)


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the brackets outside strings open more than ``limit`` levels at once.

    Counts without parsing (no recursion, linear time), so it is safe on any body; a body
    that is not JSON at all is left to the parser, which answers its own 400.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for byte in _NOT_BRACKET.sub(b"", _outside_strings(body)):
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def json_number_too_long(body: bytes) -> bool:
    """True when a run of digits outside strings is longer than Python reads as an int."""
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    if not limit or len(body) <= limit:  # too short to hold such a run (most bodies)
        return False
    run = re.compile(rb"[0-9]{%d}" % (limit + 1))
    return run.search(body) is not None and run.search(_outside_strings(body)) is not None


def accepts_upload(limit: int):
    """Mark a view (a function under its route decorator, or a ``MethodView`` class) as
    taking bodies of up to ``limit`` bytes (``install_upload_limits``)."""

    def mark(view):
        view.max_body_bytes = limit
        return view

    return mark


def install_upload_limits(app: Flask) -> None:
    """Before every other hook: a marked view's request may be ``max_body_bytes`` long."""

    @app.before_request
    def _upload_limit():
        view = app.view_functions.get(request.endpoint or "")
        limit = getattr(getattr(view, "view_class", view), "max_body_bytes", None)
        if limit:
            request.max_content_length = limit


def install_json_guard(app: Flask) -> None:
    """Check the raw body of every request that is not a form before its view runs."""

    @app.before_request
    def _json_guard():
        if request.mimetype in _FORM_TYPES or not (request.content_length or request.is_json):
            return
        body = request.get_data(cache=True)
        if json_too_deep(body):
            raise DomainError(
                N_("The JSON body is nested too deeply."),
                code="json_too_deep",
                errors={
                    "_schema": [tr("At most %(limit)s levels of nesting.", limit=MAX_JSON_DEPTH)]
                },
            )
        if json_number_too_long(body):
            message = N_("A number in the JSON body is too long.")
            errors = {"_schema": [tr(message)]}
            raise DomainError(message, code="json_number_too_long", errors=errors)
