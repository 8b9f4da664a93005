"""The bearer tokens' serializer is built once per secret key (issue 20, login round): a
login issues its token and every API request reads one without building it again, and a
new secret key refuses the tokens signed with the old one."""

from __future__ import annotations

from app.auth.principal import _serializer, issue_customer_token, principal_from_token


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
