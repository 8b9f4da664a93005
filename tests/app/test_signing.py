"""``app.signing``'s kept signer signs and checks exactly as itsdangerous does: the same
token for the same payload, secret, salt and second; each accepts the other's tokens,
an old secret of a rotation still verifies, a changed byte, another salt or another
secret is refused, and an expired token is expired for both. Flask's session cookie
through the app's session interface is Flask's own."""

from __future__ import annotations

from unittest import mock

import pytest
from flask.sessions import SecureCookieSessionInterface
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.signing import KeptSignerSerializer

PAYLOADS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
SECRETS = st.text(min_size=1, max_size=30)
SALTS = st.sampled_from(["wtf-csrf-token", "siyu.api-token", "cookie-session", "itsdangerous"])
NOW = 1_765_000_000  # a fixed second: both sign "now" with it


@settings(max_examples=200, deadline=None)
@given(payload=PAYLOADS, secrets=st.lists(SECRETS, min_size=1, max_size=3), salt=SALTS)
def test_the_kept_serializer_is_itsdangerous(payload, secrets, salt):
    theirs = URLSafeTimedSerializer(secrets, salt=salt)
    ours = KeptSignerSerializer(secrets, salt=salt)
    with mock.patch("time.time", return_value=NOW):
        token = ours.dumps(payload)
        assert token == theirs.dumps(payload)
        assert ours.dumps(payload) == token  # the kept signer, the second time
        assert theirs.loads(token) == payload and ours.loads(token) == payload
        # a token of the rotation's first secret still verifies
        old = URLSafeTimedSerializer(secrets[0], salt=salt).dumps(payload)
        assert ours.loads(old) == payload
        head, _, signature = token.rpartition(".")
        flipped = ("B" if signature[0] == "A" else "A") + signature[1:]  # all 6 bits count
        for wrong in (
            f"{head}.{flipped}",
            KeptSignerSerializer(secrets, salt=salt + "x").dumps(payload),
            KeptSignerSerializer([s + "x" for s in secrets], salt=salt).dumps(payload),
        ):
            with pytest.raises(BadSignature):
                ours.loads(wrong)
    with mock.patch("time.time", return_value=NOW + 61), pytest.raises(SignatureExpired):
        ours.loads(token, max_age=60)


def test_the_session_cookie_is_flasks(app):
    """The app's session serializer writes and reads Flask's own cookie."""
    flasks = SecureCookieSessionInterface().get_signing_serializer(app)
    kept = app.session_interface.get_signing_serializer(app)
    assert flasks is not None and isinstance(kept, KeptSignerSerializer)
    assert app.session_interface.get_signing_serializer(app) is kept  # kept per key set
    session = {"sid": "abc", "idle": 600, "tv": 1, "_user_id": "9", "locale": "en"}
    with mock.patch("time.time", return_value=NOW):
        assert kept.dumps(session) == flasks.dumps(session)
        assert kept.loads(flasks.dumps(session)) == session
