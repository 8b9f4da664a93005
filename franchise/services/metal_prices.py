"""HQ's metal price board: the day's sell and buy-back price per gram of gold, platinum
and silver, with every entry kept as history.

``record`` writes an entry and, in the same transaction, reprices every by-weight product
and variant of that metal (``pricing.reprice_metal``), so the mini-program's prices follow
the board the moment it commits and never show a price the board does not hold. ``today``
is the contract answer of ``GET /api/v1/metal-prices/today``; ``daily_series`` feeds the
board's chart (the last entry of each Shanghai day).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Select, func, select

from app.clock import shanghai_day, utcnow
from app.extensions import db
from franchise.models import METALS, MetalPrice
from franchise.services.base import committed, invalid
from franchise.services.pricing import MAX_METAL_FEN_PER_GRAM, latest_price, reprice_metal


def _check(data: dict) -> None:
    if data.get("metal") not in METALS:
        raise invalid("metal", "Gold, platinum or silver.")
    for field in ("sell_fen_per_gram", "buyback_fen_per_gram"):
        value = data.get(field)
        if not isinstance(value, int) or not 1 <= value <= MAX_METAL_FEN_PER_GRAM:
            raise invalid(field, "A price per gram above 0 and at most 10,000 yuan.")
    if data["buyback_fen_per_gram"] > data["sell_fen_per_gram"]:
        raise invalid("buyback_fen_per_gram", "The buy-back price cannot exceed the sell price.")


def record(data: dict, user_id: int | None = None) -> tuple[MetalPrice, int]:
    """Enter a metal's price (commits); returns the entry and how many by-weight
    products were repriced. Bad prices answer 422 naming the field and change nothing."""
    with committed(keep_loaded=True):
        entry, repriced = write_entry(data, user_id)
    return entry, repriced


def write_entry(data: dict, user_id: int | None) -> tuple[MetalPrice, int]:
    """Check and add one entry and reprice its metal, inside the caller's transaction
    (``record`` and the board import commit)."""
    _check(data)
    entry = MetalPrice(
        metal=data["metal"],
        day=shanghai_day(utcnow()),
        sell_fen_per_gram=data["sell_fen_per_gram"],
        buyback_fen_per_gram=data["buyback_fen_per_gram"],
        entered_by_user_id=user_id,
        note=(data.get("note") or "")[:255],
    )
    db.session.add(entry)
    db.session.flush()
    return entry, reprice_metal(entry.metal, entry.sell_fen_per_gram)


def today() -> dict:
    """``{"date", "<metal>_fen_per_gram", "<metal>_buyback_fen_per_gram", ...,
    "updated_at"}``: each metal's latest price (None for a metal never priced)."""
    answer: dict = {"date": shanghai_day(utcnow()).isoformat(), "updated_at": None}
    for metal in METALS:
        entry = latest_price(metal)
        answer[f"{metal}_fen_per_gram"] = entry.sell_fen_per_gram if entry else None
        answer[f"{metal}_buyback_fen_per_gram"] = entry.buyback_fen_per_gram if entry else None
        answer[f"{metal}_day"] = entry.day.isoformat() if entry else None
        if entry and (answer["updated_at"] is None or entry.created_at > answer["updated_at"]):
            answer["updated_at"] = entry.created_at
    return answer


def history_stmt(args: dict) -> Select:
    """Every entry, newest first; filters ``metal``, ``date_from``, ``date_to``."""
    stmt = select(MetalPrice).order_by(MetalPrice.id.desc())
    if args.get("metal"):
        stmt = stmt.where(MetalPrice.metal == args["metal"])
    if args.get("date_from"):
        stmt = stmt.where(MetalPrice.day >= args["date_from"])
    if args.get("date_to"):
        stmt = stmt.where(MetalPrice.day <= args["date_to"])
    return stmt


def daily_series(days: int = 30, end: date | None = None) -> tuple[list[str], dict[str, list]]:
    """Labels (``MM-DD``) of the last ``days`` Shanghai days from the first with a price
    and, per metal priced in that window, its sell price in fen per gram at each day's
    end (carried forward over days without an entry)."""
    end = end or shanghai_day(utcnow())
    start = end - timedelta(days=days - 1)
    last_ids = (
        select(func.max(MetalPrice.id))
        .where(MetalPrice.day >= start, MetalPrice.day <= end)
        .group_by(MetalPrice.metal, MetalPrice.day)
    )
    rows = db.session.scalars(select(MetalPrice).where(MetalPrice.id.in_(last_ids)))
    by_metal: dict[str, dict[date, int]] = {}
    for row in rows:
        by_metal.setdefault(row.metal, {})[row.day] = row.sell_fen_per_gram
    series: dict[str, list] = {}
    day_list = [start + timedelta(days=n) for n in range(days)]
    labels = [d.strftime("%m-%d") for d in day_list]
    for metal in METALS:
        prices = by_metal.get(metal)
        if not prices:
            continue
        carried: int | None = None
        values: list = []
        for day in day_list:
            carried = prices.get(day, carried)
            values.append(carried)
        series[metal] = values
    # start at the first day any metal has a price: a day before it is unknown, not ¥0
    first = min(
        (next(i for i, v in enumerate(values) if v is not None) for values in series.values()),
        default=0,
    )
    labels = labels[first:]
    series = {
        metal: [v if v is not None else 0 for v in values[first:]]
        for metal, values in series.items()
    }
    return labels, series
