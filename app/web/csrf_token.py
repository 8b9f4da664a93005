"""The page's signed CSRF token, as flask-wtf's ``generate_csrf`` makes it, with its
signing serializer built once per secret.

flask-wtf builds a ``URLSafeTimedSerializer`` for every page that shows a form, and
itsdangerous test-serialises a value while building one (the account bar's logout form
is on every page, so every page paid for it). The token is the same: the raw token in
the session under ``WTF_CSRF_FIELD_NAME``, signed with ``SECRET_KEY`` (Siyu declares no
``WTF_CSRF_SECRET_KEY``, so flask-wtf signs with it too) and flask-wtf's salt, with this
moment's timestamp; one per request (in ``g``), so ``validate_csrf`` and flask-wtf's own
``csrf_token()`` agree with it. The kept serializer makes its signer and derived key
once too (``app.signing``).
"""

from __future__ import annotations

import hashlib
import os

from flask import g, session

from app.context import app_now
from app.kept import kept
from app.signing import KeptSignerSerializer

SALT = "wtf-csrf-token"  # flask_wtf.csrf.generate_csrf's


def csrf_token() -> str:
    """This request's signed CSRF token (made on the first call, then kept in ``g``)."""
    app = app_now()
    field = app.config["WTF_CSRF_FIELD_NAME"]
    token = g.get(field)
    if token is not None:
        return token
    secret = app.secret_key  # Siyu sets no WTF_CSRF_SECRET_KEY: flask-wtf signs with this
    if secret is None:
        raise RuntimeError("A secret key is required to use CSRF.")
    signer = kept(
        app, "siyu_csrf_serializer", secret, lambda: KeptSignerSerializer(secret, salt=SALT)
    )
    if field not in session:
        session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
    try:
        token = signer.dumps(session[field])
    except TypeError:  # not a JSON value in the session: a new raw token, as flask-wtf does
        session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
        token = signer.dumps(session[field])
    setattr(g, field, token)
    return token
