"""The 联系我 QR code as an image a guide can save: segno draws WeCom's ``qr_code`` URL
(what the customer's WeChat scans) as a PNG."""

from __future__ import annotations

import io

import segno

PNG_SCALE = 8  # pixels per module: about 300 px for a typical URL, crisp on a phone


def qr_png(url: str, scale: int = PNG_SCALE) -> bytes:
    """``url`` as a QR code PNG (error correction M, a quiet zone of 4 modules)."""
    out = io.BytesIO()
    segno.make(url or "-", error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
