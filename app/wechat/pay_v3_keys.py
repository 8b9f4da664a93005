"""The sandbox's APIv3 identities: the merchant's API key pair and WeChat Pay's own.

WeChat Pay APIv3 signs in both directions: the merchant signs each request with its API
private key (WeChat knows the key by the certificate's serial), WeChat Pay signs each
answer and notify with its platform key (the merchant knows it by ``PUB_KEY_ID_...`` in
public-key mode, or by the platform certificate's serial in certificate mode).

In sandbox mode both sides are local, so both key pairs are generated on first use and
kept under ``instance/sandbox_pay_v3/`` (RSA 2048, the platform key with a self-signed
certificate): the app mounted with the emulator and a separate ``flask sandbox run``
on the same machine read the same files. Files are created exclusively (``os.link``),
so two processes starting together agree on one identity. Never used in live mode.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.x509.oid import NameOID

from app.config import INSTANCE_DIR

SANDBOX_APIV3_KEY = "SiyuSandboxApiV3Key0000000000001"  # 32 bytes, published: sandbox only


@dataclass(frozen=True)
class SandboxIdentity:
    """Both sides' keys as the app and the emulator need them."""

    merchant_key_pem: str  # the merchant's API private key (PKCS#8 PEM)
    merchant_serial: str  # the merchant API certificate's serial (hex, upper case)
    merchant_public: RSAPublicKey
    platform_key: RSAPrivateKey  # WeChat Pay's signing key (the emulator's)
    platform_public_pem: str  # WeChat Pay's public key (SubjectPublicKeyInfo PEM)
    public_key_id: str  # PUB_KEY_ID_... (public-key mode)
    platform_cert_pem: str  # the platform certificate (certificate mode)
    platform_serial: str  # its serial as WeChat writes it: hex, upper case


def _private_pem(key: RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _public_pem(key: RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _create_once(path: Path, make) -> bytes:
    """The file's bytes, written by ``make()`` first when absent (exclusively)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(make())
            os.chmod(tmp, 0o600)
            os.link(tmp, path)  # fails when another process was first: keep theirs
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_bytes()


def _new_key() -> bytes:
    return _private_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def _self_signed(key_pem: bytes) -> bytes:
    key = serialization.load_pem_private_key(key_pem, None)
    assert isinstance(key, RSAPrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (sandbox)")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=5 * 365))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@lru_cache(maxsize=4)
def sandbox_identity(directory: str | None = None) -> SandboxIdentity:
    """Load (generating on first use) the sandbox's two identities from ``directory``."""
    root = Path(directory) if directory else INSTANCE_DIR / "sandbox_pay_v3"
    merchant_pem = _create_once(root / "merchant_key.pem", _new_key)
    platform_pem = _create_once(root / "platform_key.pem", _new_key)
    cert_pem = _create_once(root / "platform_cert.pem", lambda: _self_signed(platform_pem))
    merchant = serialization.load_pem_private_key(merchant_pem, None)
    platform = serialization.load_pem_private_key(platform_pem, None)
    assert isinstance(merchant, RSAPrivateKey) and isinstance(platform, RSAPrivateKey)
    cert = x509.load_pem_x509_certificate(cert_pem)
    public_pem = _public_pem(platform.public_key())
    digest = hashlib.sha256(public_pem.encode()).hexdigest().upper()
    return SandboxIdentity(
        merchant_key_pem=merchant_pem.decode(),
        merchant_serial=hashlib.sha1(merchant_pem).hexdigest().upper(),  # noqa: S324 - an id
        merchant_public=merchant.public_key(),
        platform_key=platform,
        platform_public_pem=public_pem,
        public_key_id="PUB_KEY_ID_01" + digest[:30],
        platform_cert_pem=cert_pem.decode(),
        platform_serial=format(cert.serial_number, "X"),
    )
