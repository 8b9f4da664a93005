"""Display formatting shared by templates, tables, CSV export and charts.

Money is integer fen and is never turned into a float: ``yuan(123456)`` is ``¥1,234.56``.
Times are stored as aware UTC (naive values are taken as UTC) and shown in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from app.money import format_yuan

DASH = "—"
DEFAULT_TIME_FORMAT = "%Y-%m-%d %H:%M"


def local_zone() -> ZoneInfo:
    """The display time zone: ``TIMEZONE`` from the config, Asia/Shanghai by default."""
    name = "Asia/Shanghai"
    if has_app_context():
        name = current_app.config.get("TIMEZONE") or name
    return ZoneInfo(name)


def to_local(value: datetime) -> datetime:
    """An aware (or naive-UTC) datetime converted to the display zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(local_zone())


def shanghai(value, fmt: str = DEFAULT_TIME_FORMAT) -> str:
    """Format a UTC datetime in Asia/Shanghai; dates pass through; ``None`` gives a dash."""
    if value is None or value == "":
        return DASH
    if isinstance(value, datetime):
        return to_local(value).strftime(fmt)
    if isinstance(value, date):
        return value.strftime(fmt if "%H" not in fmt else "%Y-%m-%d")
    return str(value)


def fen_plain(value) -> str:
    """Integer fen as plain yuan with two decimals and no grouping: ``123456`` -> ``1234.56``."""
    if value is None or value == "":
        return ""
    return format_yuan(int(value))


def yuan(value, symbol: str = "¥") -> str:
    """Integer fen as grouped yuan: ``123456`` -> ``¥1,234.56``; ``None`` -> ``—``."""
    if value is None or value == "":
        return DASH
    fen = int(value)
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{symbol}{whole:,}.{cents:02d}"


def yuan_compact(fen: float) -> str:
    """A short yuan label for chart axes: ``¥1,200`` / ``¥12k`` / ``¥1.5M`` (no decimals)."""
    return "¥" + number_compact(fen / 100)


def number_compact(value: float) -> str:
    """A short number label for chart axes: ``950``, ``12k``, ``1.5M``, ``0.5``."""
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        text = f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    elif magnitude >= 10_000:
        text = f"{value / 1000:.1f}".rstrip("0").rstrip(".") + "k"
    elif magnitude >= 1 or magnitude == 0:
        text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    else:
        text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text


def number(value) -> str:
    """Grouped integer / decimal for tables: ``12345`` -> ``12,345``."""
    if value is None or value == "":
        return DASH
    if isinstance(value, int):
        return f"{value:,}"
    try:
        return f"{float(value):,.2f}".rstrip("0").rstrip(".")
    except (TypeError, ValueError):
        return str(value)


RATIO_SUFFIXES = ("_share", "_rate", "_ratio", "_pct_fraction")


def percent(value, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.4211`` -> ``42.1%``; ``None`` -> ``—``."""
    if value is None or value == "":
        return DASH
    text = f"{float(value) * 100:.{digits}f}".rstrip("0").rstrip(".")
    return f"{text}%"


def figure(value, key: str = "") -> str:
    """A named figure for display: ratios (``*_share``, ``*_rate``) as percentages,
    other numbers grouped."""
    if key.endswith(RATIO_SUFFIXES):
        return percent(value)
    return number(value)


def html_text(value) -> str:
    """``str(markupsafe.escape(value))``, for text put into markup drawn in Python (an
    f-string of a chart, a card, a panel): ``&``, ``<``, ``>``, ``'`` and ``"`` as
    markupsafe spells them, markup (``__html__``) as it is.

    ``escape`` makes a ``Markup`` object of every value (a Python-level ``__new__``); the
    overview escapes ~120 values a view only to join them into one string."""
    if type(value) is not str:
        if hasattr(value, "__html__"):
            return str(value.__html__())
        value = str(value)
    return (
        value.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )
