"""The account bar's CSRF token (``app.web.csrf_token``) is flask-wtf's: signed with the
kept serializer, it passes flask-wtf's ``validate_csrf``, flask-wtf's own
``generate_csrf`` hands back the same token in that request, and the serializer is
built once per secret (a new ``SECRET_KEY`` signs with the new one)."""

from __future__ import annotations

import pytest
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import ValidationError

from app.web.csrf_token import csrf_token


def test_the_token_is_flask_wtfs(app):
    with app.test_request_context("/m/"):
        token = csrf_token()
        assert csrf_token() == token  # one per request
        assert generate_csrf() == token  # flask-wtf's csrf_token() in a template agrees
        validate_csrf(token)  # raises when not valid
    # a new request has a fresh raw token in its session: the old token is not valid there
    with app.test_request_context("/m/"), pytest.raises(ValidationError):
        validate_csrf(token)


def test_the_serializer_is_kept_per_secret(app):
    with app.test_request_context("/m/"):
        csrf_token()
        first = app.extensions["siyu_csrf_serializer"]
    with app.test_request_context("/m/"):
        csrf_token()
        assert app.extensions["siyu_csrf_serializer"] is first
    old = app.secret_key
    app.config["SECRET_KEY"] = "another-secret-key-for-this-test-only"
    try:
        with app.test_request_context("/m/"):
            token = csrf_token()
            assert app.extensions["siyu_csrf_serializer"] is not first
            validate_csrf(token)  # signed with the new secret
    finally:
        app.config["SECRET_KEY"] = old
