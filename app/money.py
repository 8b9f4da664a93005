"""Yuan ↔ fen: the one parser of amounts typed (or sent by WeChat) in yuan.

Money is integer fen everywhere; people and WeChat's bills write yuan. ``parse_yuan``
turns ``"1,999.50"`` / ``"¥12.5"`` / ``"0.05"`` into fen with exact decimal arithmetic
(no float ever): at most two decimals (``"12.500"`` is 12.50, ``"12.345"`` is refused),
an optional ``¥`` and thousands commas in their places, a sign only where ``lo`` allows a
negative amount, and the result within ``lo..hi`` fen (by default ``0..2**63 - 1``, the
64-bit column). A bad text raises ``YuanError`` whose ``message`` is a message id
(``tr`` translates it in a request). ``format_yuan`` is its inverse:
``parse_yuan(format_yuan(fen)) == fen`` for every 64-bit fen (a Hypothesis test holds it).

``parse_percent`` reads a percentage the same way, as basis points.

``Yuan`` is the marshmallow field for a yuan amount in a form or body: it loads text (or
a JSON number without float noise) into fen and dumps fen as yuan text.
"""

from __future__ import annotations

import re
from decimal import Decimal

from marshmallow import ValidationError, fields

from app.i18n import tr

MAX_FEN = 2**63 - 1  # BIGINT
MIN_FEN = -MAX_FEN
AMOUNT = re.compile(
    r"(?P<sign>[-+]?)[¥￥]?(?P<whole>\d{1,3}(?:,\d{3})+|\d*)(?:\.(?P<frac>\d*))?", re.ASCII
)
MAX_TEXT = 40  # far longer than any 64-bit amount in yuan with commas

NOT_AN_AMOUNT = "Enter an amount in yuan, such as 12.50."
OUT_OF_RANGE = "Between %(low)s and %(high)s yuan."


class YuanError(ValueError):
    """``text`` is not an amount in yuan within the bounds; ``message`` says why (an id
    with ``params``; ``str(exc)`` is the English text, ``exc.translated()`` the viewer's)."""

    def __init__(self, message: str, **params):
        super().__init__(message % params if params else message)
        self.message, self.params = message, params

    def translated(self) -> str:
        return tr(self.message, **self.params)


def format_yuan(fen: int) -> str:
    """``199950`` → ``"1999.50"``; ``-5`` → ``"-0.05"`` (plain, no ``¥``, no commas)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}.{cents:02d}"


def _hundredths(text) -> int | None:
    """A decimal text with at most two decimals (``¥`` and thousands commas allowed) as an
    integer count of hundredths, or ``None`` when it is not one."""
    if isinstance(text, Decimal):
        text = format(text, "f")
    if isinstance(text, bool) or not isinstance(text, str | int):
        return None
    raw = str(text).strip()
    found = AMOUNT.fullmatch(raw) if len(raw) <= MAX_TEXT else None
    if found is None:
        return None
    whole, frac = found["whole"].replace(",", ""), found["frac"] or ""
    if not (whole or frac) or frac[2:].strip("0"):
        return None
    value = int(whole or "0") * 100 + int((frac + "00")[:2])
    return -value if found["sign"] == "-" else value


def parse_yuan(text, lo: int = 0, hi: int = MAX_FEN) -> int:
    """Yuan text → integer fen within ``lo..hi``; raises ``YuanError`` otherwise."""
    fen = _hundredths(text)
    if fen is None:
        raise YuanError(NOT_AN_AMOUNT)
    if not lo <= fen <= hi:
        raise YuanError(OUT_OF_RANGE, low=format_yuan(lo), high=format_yuan(hi))
    return fen


def parse_percent(text, lo: int = 0, hi: int = 10_000) -> int | None:
    """A percentage typed with at most two decimals (``"12.5"``, ``"12.5%"``) as basis
    points within ``lo..hi`` (1 % = 100), or ``None`` when it is not one."""
    raw = text.strip().removesuffix("%").removesuffix("％") if isinstance(text, str) else text
    if isinstance(raw, str) and raw.lstrip("+-")[:1] in ("¥", "￥"):
        return None
    bps = _hundredths(raw)
    return bps if bps is not None and lo <= bps <= hi else None


class Yuan(fields.Field):
    """An amount in yuan (text, or a whole JSON number) loaded as integer fen in
    ``lo..hi``; dumped as ``format_yuan`` text."""

    def __init__(self, *, lo: int = 0, hi: int = MAX_FEN, **kwargs):
        super().__init__(**kwargs)
        self.lo, self.hi = lo, hi

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format_yuan(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, float):  # a JSON number: only its exact decimal text counts
            value = repr(value)
        try:
            return parse_yuan(value, self.lo, self.hi)
        except YuanError as exc:
            raise ValidationError(exc.message % exc.params if exc.params else exc.message) from exc


def apportion(total: int, weights: dict[int, int]) -> dict[int, int]:
    """Split ``total`` over the keys of ``weights`` so the parts sum exactly to ``total``.

    Largest remainder (Hamilton): each key gets the floor of its exact share, the units
    left over go to the largest remainders (ties: smaller key first). All weights zero
    (or negative) means an equal split.
    """
    keys = sorted(weights)
    if not keys:
        return {}
    clean = {k: max(0, int(weights[k])) for k in keys}
    if sum(clean.values()) == 0:
        clean = dict.fromkeys(keys, 1)
    whole = sum(clean.values())
    parts = {k: total * clean[k] // whole for k in keys}
    left = total - sum(parts.values())
    by_remainder = sorted(keys, key=lambda k: (-(total * clean[k] % whole), k))
    for k in by_remainder[:left]:
        parts[k] += 1
    return parts
