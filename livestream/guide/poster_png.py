"""The guide's campaign poster as a PNG, which WeChat can save and forward (an SVG it
cannot): 750 px wide, the campaign's name, live time (Asia/Shanghai), the guide and the
store, the share QR code. Drawn with Pillow; text uses the first CJK font found on the
machine (WenQuanYi, Noto CJK), else Pillow's built-in font."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import segno
from flask_babel import gettext as _
from PIL import Image, ImageDraw, ImageFont

from app.web.formatting import shanghai

WIDTH = 750
INK, GOLD, WHITE = (27, 37, 64), (216, 181, 106), (255, 255, 255)
FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A CJK-capable font of ``size`` px (Pillow's default font when none is installed)."""
    for name in FONT_FILES:
        if Path(name).exists():
            return ImageFont.truetype(name, size)
    return ImageFont.load_default(size=size)


def _lines(draw: ImageDraw.ImageDraw, text: str, face, room: int, most: int) -> list[str]:
    """``text`` broken into at most ``most`` lines that fit ``room`` px (CJK-friendly)."""
    lines, line = [], ""
    for ch in text:
        if draw.textlength(line + ch, font=face) > room and line:
            lines.append(line)
            line = ch
        else:
            line += ch
    lines.append(line)
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


def _centre(draw, y: int, text: str, face, fill) -> None:
    width = draw.textlength(text, font=face)
    draw.text(((WIDTH - width) / 2, y), text, font=face, fill=fill)


def poster_png(campaign, guide, url: str) -> bytes:
    """The poster as PNG bytes."""
    qr_buffer = io.BytesIO()
    segno.make(url, error="m").save(qr_buffer, kind="png", scale=8, border=2)
    qr = Image.open(io.BytesIO(qr_buffer.getvalue())).convert("RGB")
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    title = _lines(probe, campaign.name, font(52), WIDTH - 140, 3)
    qr_y = 130 + 66 * len(title) + 200  # below the time and the guide line
    height = qr_y + qr.height + 150
    image = Image.new("RGB", (WIDTH, height), INK)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((40, 40, WIDTH - 40, height - 40), radius=28, outline=GOLD, width=3)
    _centre(draw, 70, _("LIVE"), font(26), GOLD)
    for i, line in enumerate(title):
        _centre(draw, 130 + i * 66, line, font(52), WHITE)
    y = 130 + 66 * len(title) + 40
    _centre(draw, y, f"{_('Live at')} {shanghai(campaign.live_at)}", font(34), GOLD)
    _centre(draw, y + 70, f"{guide.name} · {guide.store_name}", font(30), WHITE)
    qr_x = (WIDTH - qr.width) // 2
    draw.rounded_rectangle(
        (qr_x - 24, qr_y - 24, qr_x + qr.width + 24, qr_y + qr.height + 24), radius=16, fill=WHITE
    )
    image.paste(qr, (qr_x, qr_y))
    _centre(draw, qr_y + qr.height + 50, _("Scan to watch the live and shop"), font(28), WHITE)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
