"""The error envelope: every API error is JSON ``{"code", "message", "errors"}`` with a 4xx/5xx.

Pages get a small HTML error page instead. Domain services raise ``DomainError`` (or a
subclass); views never build error responses by hand.

The database's own refusals are the client's, named: a unique key taken answers 409, a
reference to no row, a missing value or a broken check 422, each naming the field
(``constraint_error``, which reads the constraint through ``app.db.describe_violation``);
a value out of a column's range 400. Only a database that cannot be reached (or that
asks for a retry: locked, deadlock, serialisation) answers 503; any other database error
is a bug, logged and answered 500 without details.

A JSON body nested too deep or carrying a number too long for Python to read is refused
with 400 before any view parses it (``app.request_body``).

Language: the top-level ``message`` is always a sentence, so the handlers translate it when
they answer (Chinese unless ``?lang=en``). ``errors`` is left as raised: it mixes field
messages, which the services translate when they raise (``app.i18n.tr``, e.g. through
``franchise.services.base.invalid``), with data such as ``errors["allowed"]`` (order
states) that must reach the client as the codes they are. The one exception is a
schema 422 (webargs / marshmallow), whose ``errors`` hold nothing but messages: those are
translated whole (``app.validation_messages``).
"""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from app.i18n import tr
from app.validation_messages import translate_errors

log = logging.getLogger("siyu.errors")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

MESSAGES = {
    400: "The request could not be understood.",
    401: "Authentication is required.",
    403: "You are not allowed to do this.",
    404: "Not found.",
    405: "Method not allowed.",
    409: "Conflict with the current state.",
    413: "The request body is too large.",
    415: "Unsupported media type.",
    422: "The request has invalid fields.",
    429: "Too many requests; try again later.",
    500: "Internal error.",
    503: "The service is temporarily unavailable.",
}


class DomainError(Exception):
    """A business rule refused the request; carries the HTTP status and a stable code."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        errors: dict | None = None,
    ):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.errors = errors or {}


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class WeChatUnavailable(DomainError):
    """WeChat (WeCom, the mini-program or Pay) could not be reached: try again later."""

    status = 503
    code = "wechat_unavailable"


def envelope(
    status: int, message: str | None = None, errors: dict | None = None, code: str | None = None
):
    """Build the JSON error response."""
    body = {
        "code": code or CODES.get(status, "error"),
        "message": message or MESSAGES.get(status, "Error."),
        "errors": errors or {},
    }
    return jsonify(body), status


def wants_json() -> bool:
    """API, callback and sandbox paths answer JSON; pages answer HTML."""
    path = request.path
    if path.startswith(("/api/", "/_sandbox", "/wecom/", "/healthz")):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and not request.accept_mimetypes["text/html"]


def _page(status: int, message: str):
    return render_template("errors/error.html", status=status, message=message), status


def constraint_error(exc: IntegrityError) -> DomainError:
    """The ``DomainError`` for a constraint the database enforced, naming the field.

    Unique → 409 ``conflict`` (``errors`` name the columns of the key); a reference to no
    row, a missing value or a failed check → 422 ``validation_error``; deleting a row
    others still point at → 409 ``in_use``.
    """
    from app import db as dbh
    from app.extensions import db
    from app.web.i18n import N_

    violation = dbh.describe_violation(exc, db.metadata)
    columns = violation.columns
    if violation.kind == dbh.UNIQUE:
        errors = {c: [tr("Already in use.")] for c in columns}
        return DomainError(
            "Conflict with an existing record.", status=409, code="conflict", errors=errors
        )
    if violation.kind == dbh.IN_USE:
        return DomainError(N_("This record is still in use."), status=409, code="in_use")
    field_message = {
        dbh.FOREIGN_KEY: "Unknown.",
        dbh.NOT_NULL: "This field is required.",
        dbh.CHECK: "Invalid value.",
    }.get(violation.kind)
    if field_message is None:
        return DomainError("Conflict with an existing record.", status=409, code="conflict")
    errors = {c: [tr(field_message)] for c in columns}
    return DomainError(MESSAGES[422], status=422, code="validation_error", errors=errors)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers that turn every failure into the envelope (or a page), and
    the guard that refuses a JSON body no parser could read safely."""
    from app.request_body import install_json_guard

    install_json_guard(app)

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        """The envelope with the message in the request's language; ``errors`` as raised."""
        if wants_json():
            return envelope(exc.status, tr(exc.message), exc.errors, exc.code)
        return _page(exc.status, exc.message)  # the page translates it (``|tr``)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        errors = {}
        message = None
        data = getattr(exc, "data", None)  # webargs / flask-smorest validation details
        if isinstance(data, dict):
            messages = data.get("messages")
            if isinstance(messages, dict):
                # flatten {"json": {...}} / {"query": {...}} into one mapping
                for location_errors in messages.values():
                    if isinstance(location_errors, dict):
                        errors.update(location_errors)
                    else:
                        errors["_schema"] = location_errors
            message = data.get("message")
        if status == 422 and not message:
            message = MESSAGES[422]
        own_words = exc.description != type(exc).description  # werkzeug's stock text: ours
        if message is None and own_words and status not in (404, 405, 500):
            message = exc.description
        if wants_json():
            message = tr(message or MESSAGES.get(status, ""))
            response, code = envelope(status, message, translate_errors(errors))
            if status == 405 and isinstance(exc, MethodNotAllowed) and exc.valid_methods:
                response.headers["Allow"] = ", ".join(exc.valid_methods)
            return response, code
        return _page(status, message or MESSAGES.get(status, "Error."))

    @app.errorhandler(DataError)
    def _data(exc: DataError):
        """A value the database refused (a number out of its range, text it cannot
        read): input that validation let through. Answered 400, not 503, since
        the database is up and retrying will not help; logged so the gap gets closed."""
        log.warning(
            "value refused by the database on %s %s: %s",
            request.method,
            request.path,
            str(exc.orig)[:200],
        )
        from app.extensions import db

        with contextlib.suppress(Exception):
            db.session.rollback()
        if wants_json():
            return envelope(400, tr("A value is out of range."), code="value_out_of_range")
        return _page(400, "A value is out of range.")

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):
        """A constraint the database enforced: 409 or 422 naming the field, never 503.
        Logged, since it means a check is missing (or lost a race) before the write."""
        from app.extensions import db

        with contextlib.suppress(Exception):
            db.session.rollback()
        error = constraint_error(exc)
        log.warning(
            "constraint refused the write on %s %s: %s %s",
            request.method,
            request.path,
            error.code,
            sorted(error.errors) or str(exc.orig)[:200],
        )
        return _domain(error)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    @app.errorhandler(DBAPIError)
    def _database(exc: Exception):
        """503 when the database cannot be reached or asks for a retry (connection
        lost, locked, deadlock, no pooled connection free); any other database error is
        a bug: logged with its traceback and answered 500."""
        from app.extensions import db

        with contextlib.suppress(Exception):  # the connection may be gone
            db.session.rollback()
        unreachable = isinstance(exc, OperationalError | InterfaceError | PoolTimeout) or bool(
            getattr(exc, "connection_invalidated", False)
        )
        if not unreachable:
            return _unexpected(exc)
        log.error("database unavailable: %s", exc.__class__.__name__)
        if wants_json():
            return envelope(503, tr("The database is temporarily unavailable."))
        return _page(503, MESSAGES[503])

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return envelope(500, tr(MESSAGES[500]))
        return _page(500, MESSAGES[500])
