"""The bearer tokens' serializer is built once per secret key (issue 20, login round): a
login issues its token and every API request reads one without building it again, and a
new secret key refuses the tokens signed with the old one. A token's signature is checked
once per process and its age on every read, as itsdangerous would."""

from __future__ import annotations

from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import SignatureExpired

from app.auth.principal import _serializer, _verified, issue_customer_token, principal_from_token


def test_the_serializer_is_kept_until_the_secret_key_changes(app, ctx):
    kept = _serializer()
    assert _serializer() is kept
    token = issue_customer_token(7)
    assert principal_from_token(token).customer_id == 7
    secret = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = secret + "-rotated"
    try:
        assert _serializer() is not kept
        assert principal_from_token(token) is None  # signed with the old key
        assert principal_from_token(issue_customer_token(8)).customer_id == 8
    finally:
        app.config["SECRET_KEY"] = secret
    assert principal_from_token(token).customer_id == 7


@settings(max_examples=60, deadline=None)
@given(
    signed_at=st.integers(1_600_000_000, 2_000_000_000),
    age=st.integers(-5, 50),
    max_age=st.integers(0, 40),
    again=st.booleans(),
)
def test_a_remembered_token_expires_as_itsdangerous_says(app, signed_at, age, max_age, again):
    """A token's signature is checked once per process and remembered; whether it is
    still good is decided on every read, by itsdangerous's rule."""
    with app.test_request_context():
        with patch("time.time", return_value=signed_at + 0.5):
            token = _serializer().dumps({"c": signed_at})
            if again:  # read once while fresh: the second read is from memory
                assert _verified(token, 60) == {"c": signed_at}
        with patch("time.time", return_value=signed_at + age + 0.25):
            try:
                expected = _serializer().loads(token, max_age=max_age)
            except SignatureExpired as refused:
                expected = type(refused)
            try:
                got = _verified(token, max_age)
            except SignatureExpired as refused:
                got = type(refused)
        assert got == expected


def test_a_forged_token_is_refused_every_time_and_never_remembered(app, ctx):
    good = issue_customer_token(7)
    forged = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    for _ in range(2):
        assert principal_from_token(forged) is None
    assert forged not in app.extensions["siyu_verified_tokens"][1]
    assert principal_from_token(good).customer_id == 7
    assert good in app.extensions["siyu_verified_tokens"][1]
