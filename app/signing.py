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

The HMAC itself is one call of ``hmac.digest`` (OpenSSL's one-shot) rather than an
``hmac.new`` object per signature, and a token the newest secret signed, within its age,
is read without ``unsign``'s machinery (a generator of signers, the signed moment made a
``datetime`` and dropped): ``KeptKeySigner.fresh_value``. Anything else (an old secret
of a rotation, a bad or expired signature, a malformed token) goes through
itsdangerous's own ``loads``, which answers or raises as it always did.
"""

from __future__ import annotations

import hmac
from typing import Any

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode, bytes_to_int, want_bytes
from itsdangerous.signer import HMACAlgorithm, Signer


class KeptKeySigner(TimestampSigner):
    """A ``TimestampSigner`` that derives each secret's key once."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._derived: dict[str | bytes | None, bytes] = {}
        # ``hmac.digest`` computes what the default HMACAlgorithm computes
        self._one_shot = type(self.algorithm) is HMACAlgorithm and (
            self.algorithm.digest_method is self.digest_method
        )

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self._derived.get(secret_key)
        if key is None:
            key = self._derived[secret_key] = super().derive_key(secret_key)
        return key

    def get_signature(self, value: str | bytes) -> bytes:
        if not self._one_shot:
            return super().get_signature(value)
        return base64_encode(hmac.digest(self.derive_key(), want_bytes(value), self.digest_method))

    def fresh_value(self, signed_value: str | bytes, max_age: int | None) -> bytes | None:
        """What ``unsign(signed_value, max_age)`` returns when the newest secret signed it
        and it is not older than ``max_age``; ``None`` for anything else (``unsign``
        then decides, with its own errors)."""
        if not self._one_shot:
            return None
        value, found, signature = want_bytes(signed_value).rpartition(self.sep)
        payload, stamped, stamp = value.rpartition(self.sep)
        if not (found and stamped):
            return None
        try:
            given, moment = base64_decode(signature), bytes_to_int(base64_decode(stamp))
        except Exception:  # noqa: BLE001 - malformed: itsdangerous says how
            return None
        expected = hmac.digest(self.derive_key(), value, self.digest_method)
        if not hmac.compare_digest(expected, given):
            return None
        if max_age is not None and not 0 <= self.get_timestamp() - moment <= max_age:
            return None
        return payload


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

    def loads(  # type: ignore[override]
        self,
        s: str | bytes,
        max_age: int | None = None,
        return_timestamp: bool = False,
        salt: str | bytes | None = None,
    ) -> Any:
        """itsdangerous's ``loads``; a token the newest secret signed, within ``max_age``,
        read straight (``KeptKeySigner.fresh_value``)."""
        signer = self.make_signer(salt)
        if not return_timestamp and isinstance(signer, KeptKeySigner):
            value = signer.fresh_value(s, max_age)
            if value is not None:
                return self.load_payload(value)
        return super().loads(s, max_age=max_age, return_timestamp=return_timestamp, salt=salt)

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
