"""Which WeChat Pay settings a deployment needs, by API version (``SIYU_PAY_API``).

``app.config`` reads the environment; this module only judges the values it read and
answers with the names of what is missing or wrong (``app.config`` raises).

- ``v3`` (the default for new installs): the merchant's API private key file, its
  certificate's serial, the APIv3 key (32 bytes: AES-256-GCM), and one of WeChat Pay's
  two verification modes: ``public_key`` (WeChat Pay's public key id ``PUB_KEY_ID_...``
  and the key file; merchants opened since September 2024 may have nothing else) or
  ``certificate`` (a directory for the platform certificates, fetched from
  ``/v3/certificates`` and kept there).
- ``v2``: the merchant certificate and key for mutual TLS (refunds, profit sharing).

``SIYU_PAY_KEY`` (v2's key) stays required either way: a notify for an order placed
before a switch to v3 still arrives as v2 XML for up to 24 hours.
"""

from __future__ import annotations

from pathlib import Path

PAY_APIS = ("v3", "v2")
VERIFY_MODES = ("public_key", "certificate")
V2_FILES = (
    ("PAY_CERT_PATH", "SIYU_PAY_CERT_PATH"),
    ("PAY_CERT_KEY_PATH", "SIYU_PAY_CERT_KEY_PATH"),
)
APIV3_KEY_BYTES = 32
PUBLIC_KEY_ID_PREFIX = "PUB_KEY_ID_"


def check_pay_api(api: str | None, verify: str | None) -> str | None:
    """A problem with ``SIYU_PAY_API`` / ``SIYU_PAY_V3_VERIFY``, or None."""
    if api not in PAY_APIS:
        return f"SIYU_PAY_API must be 'v3' or 'v2', got {api!r}"
    if verify not in VERIFY_MODES:
        return f"SIYU_PAY_V3_VERIFY must be 'public_key' or 'certificate', got {verify!r}"
    return None


def _v3_needed(config: dict) -> tuple[str, ...]:
    """The v3 config keys this verification mode needs."""
    common = ("PAY_V3_PRIVATE_KEY_PATH", "PAY_V3_CERT_SERIAL", "PAY_V3_KEY")
    if config["PAY_V3_VERIFY"] == "certificate":
        return (*common, "PAY_V3_PLATFORM_CERT_DIR")
    return (*common, "PAY_V3_PUBLIC_KEY_ID", "PAY_V3_PUBLIC_KEY_PATH")


def pay_api_missing(config: dict, v3_settings) -> list[str]:
    """The environment variables a live deployment of ``config["PAY_API"]`` lacks."""
    if config["PAY_API"] == "v2":
        return [var for key, var in V2_FILES if not config.get(key)]
    names = dict(v3_settings)
    return [names[key] for key in _v3_needed(config) if not config.get(key)]


def check_pay_files(config: dict, v3_settings) -> str | None:
    """In live production: the files exist, the APIv3 key is 32 bytes, the key id is one."""
    names = dict(v3_settings)
    if config["PAY_API"] == "v2":
        for key, var in V2_FILES:
            if not Path(config[key]).is_file():
                return f"{var} is not a readable file: {config[key]!r}"
        return None
    for key in ("PAY_V3_PRIVATE_KEY_PATH", "PAY_V3_PUBLIC_KEY_PATH"):
        if key in _v3_needed(config) and not Path(config[key]).is_file():
            return f"{names[key]} is not a readable file: {config[key]!r}"
    if len(config["PAY_V3_KEY"].encode("utf-8")) != APIV3_KEY_BYTES:
        return f"SIYU_PAY_V3_KEY must be {APIV3_KEY_BYTES} bytes (the APIv3 key, AES-256-GCM)"
    key_id = config.get("PAY_V3_PUBLIC_KEY_ID") or ""
    if config["PAY_V3_VERIFY"] == "public_key" and not key_id.startswith(PUBLIC_KEY_ID_PREFIX):
        return f"SIYU_PAY_V3_PUBLIC_KEY_ID must start with {PUBLIC_KEY_ID_PREFIX}: {key_id!r}"
    return None
