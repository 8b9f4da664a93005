"""itsdangerous's timed URL-safe serializer with its signer and derived keys made once.

Every signed thing a page request touches goes through ``URLSafeTimedSerializer``: the
session cookie read (``loads``), the CSRF token of the account bar's forms (``dumps``),
a bearer token. itsdangerous builds a new ``TimestampSigner`` for each ``dumps`` and
``loads`` (``make_signer``) and derives the HMAC key from the secret and the salt again
for each signature made or checked (``derive_key``: one HMAC of its own); with the
serializers kept per secret (``app.kept``) both are the same every time. Here the
signer is made once per salt and each secret's derived key once per signer: the same
keys, the same bytes, the same checks (``tests/app/test_signing.py`` holds them to
itsdangerous's own). A signer keeps no per-call state, so threads share it.
"""

from __future__ import annotations

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.signer import Signer


class KeptKeySigner(TimestampSigner):
    """A ``TimestampSigner`` that derives each secret's key once."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._derived: dict[str | bytes | None, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self._derived.get(secret_key)
        if key is None:
            key = self._derived[secret_key] = super().derive_key(secret_key)
        return key


class KeptSignerSerializer(URLSafeTimedSerializer):
    """A ``URLSafeTimedSerializer`` whose signer (per salt) is made once."""

    default_signer = KeptKeySigner

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._signers: dict[str | bytes | None, Signer] = {}

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        signer = self._signers.get(salt)
        if signer is None:
            signer = self._signers[salt] = super().make_signer(salt)
        return signer

    @classmethod
    def like(cls, serializer: URLSafeTimedSerializer) -> KeptSignerSerializer:
        """One with ``serializer``'s keys, salt, payload serializer and signer settings
        (Flask's session serializer, built by Flask, kept signing the same way)."""
        return cls(
            serializer.secret_keys,
            salt=serializer.salt,
            serializer=serializer.serializer,
            serializer_kwargs=serializer.serializer_kwargs,
            signer_kwargs=serializer.signer_kwargs,
        )
