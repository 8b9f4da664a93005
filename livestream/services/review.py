"""The post-live review (复盘): figures against targets, leaderboards, reward / penalty
outcomes, the CSV rows and the hourly GMV of the live day.

Every figure comes from ``progress`` (targets against ``figures.actuals``), so the review
shows what the targets page and the live dashboard show. ``franchisee_id`` limits a
review to one franchise (what its owner may see): their franchisee row, their stores,
their guides; no region rows (a region sums other franchises too). Read only: nothing
here writes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app.clock import as_utc, shanghai_day, shanghai_midnight
from app.extensions import db
from app.web.formatting import fen_plain
from franchise.models import Guide, Order, Store
from livestream.models import Campaign, RewardRule
from livestream.models.targets import (
    LEVEL_FRANCHISEE,
    LEVEL_GUIDE,
    LEVEL_REGION,
    LEVEL_STORE,
    LEVELS,
    METRICS,
    RULE_REWARD,
    TARGET_LEVELS,
)
from livestream.services import figures, progress

BOARD_SIZE = 10
NO_TARGET = "no target"


# --- which units a franchise may see -------------------------------------------------


def owned_ids(level: str, franchisee_id: int | None) -> set | None:
    """Unit ids of ``level`` belonging to ``franchisee_id`` (``None``: no limit)."""
    if franchisee_id is None:
        return None
    if level == LEVEL_REGION:
        return set()
    if level == LEVEL_FRANCHISEE:
        return {franchisee_id}
    model = Store if level == LEVEL_STORE else Guide
    return set(db.session.scalars(select(model.id).where(model.franchisee_id == franchisee_id)))


def level_rows(campaign_id: int, level: str, franchisee_id: int | None = None) -> list[dict]:
    """``progress.progress`` rows of ``level`` the franchise may see, GMV first.

    Guide rows also carry ``store_id`` and ``store_name``.
    """
    rows = progress.progress(campaign_id, level)
    allowed = owned_ids(level, franchisee_id)
    if allowed is not None:
        rows = [r for r in rows if r["ref_id"] in allowed]
    if level == LEVEL_GUIDE and rows:
        stores = {
            guide_id: (store_id, name)
            for guide_id, store_id, name in db.session.execute(
                select(Guide.id, Store.id, Store.name)
                .join(Store, Store.id == Guide.store_id)
                .where(Guide.id.in_([r["ref_id"] for r in rows]))
            )
        }
        for row in rows:
            row["store_id"], row["store_name"] = stores.get(row["ref_id"], (None, ""))
    return rows


def headline(campaign_id: int, franchisee_id: int | None = None) -> dict:
    """``{target, actual, pct}`` of the whole campaign, or of one franchise."""
    if franchisee_id is None:
        return progress.campaign_progress(campaign_id)
    for row in level_rows(campaign_id, LEVEL_FRANCHISEE, franchisee_id):
        return {"target": row["target"], "actual": row["actual"], "pct": row["pct"]}
    empty = figures.Figures().as_dict()
    return {"target": dict.fromkeys(METRICS, 0), "actual": empty, "pct": dict.fromkeys(METRICS)}


# --- leaderboards -----------------------------------------------------------------------


def _entry(rank: int, row: dict, value) -> dict:
    entry = {"rank": rank, "ref_id": row["ref_id"], "name": row["name"], "value": value}
    if "store_name" in row:
        entry["store_name"] = row["store_name"]
    return entry


def _board(rows: list[dict], value, *, reverse: bool = True, keep=None) -> list[dict]:
    """The first ``BOARD_SIZE`` of ``rows`` by ``value(row)`` (largest first by default)."""
    chosen = [r for r in rows if keep is None or keep(r)]
    chosen.sort(key=lambda r: ((-value(r) if reverse else value(r)), r["name"]))
    return [_entry(i, r, value(r)) for i, r in enumerate(chosen[:BOARD_SIZE], start=1)]


def leaderboards(
    campaign_id: int,
    level: str = LEVEL_STORE,
    franchisee_id: int | None = None,
    rows_by_level: dict | None = None,
) -> dict:
    """Top stores by GMV and conversion, top guides by GMV and orders, furthest behind.

    ``furthest_behind`` is the lowest GMV achievement among units of ``level`` with a GMV
    target (stores when ``level`` has no targets).
    """
    cache = rows_by_level if rows_by_level is not None else {}

    def rows_of(lvl: str) -> list[dict]:
        if lvl not in cache:
            cache[lvl] = level_rows(campaign_id, lvl, franchisee_id)
        return cache[lvl]

    stores, guides = rows_of(LEVEL_STORE), rows_of(LEVEL_GUIDE)
    behind_level = level if level in TARGET_LEVELS else LEVEL_STORE
    return {
        "stores_by_gmv": _board(stores, lambda r: r["actual"]["gmv_fen"]),
        "guides_by_gmv": _board(guides, lambda r: r["actual"]["gmv_fen"]),
        "guides_by_orders": _board(guides, lambda r: r["actual"]["orders"]),
        "stores_by_conversion": _board(
            stores,
            lambda r: r["actual"]["conversion_pct"],
            keep=lambda r: r["actual"]["visitors"] >= 1,
        ),
        "furthest_behind": _board(
            rows_of(behind_level),
            lambda r: r["pct"]["gmv_fen"],
            reverse=False,
            keep=lambda r: r["target"]["gmv_fen"] > 0,
        ),
    }


def review(campaign_id: int, level: str, franchisee_id: int | None = None) -> dict:
    """The review of one level: ``{level, totals, rows, leaderboards}``.

    ``rows`` are ``level_rows``; ``totals`` the campaign's (or the franchise's) figures.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    cache = {level: level_rows(campaign_id, level, franchisee_id)}
    return {
        "level": level,
        "totals": headline(campaign_id, franchisee_id),
        "rows": cache[level],
        "leaderboards": leaderboards(campaign_id, level, franchisee_id, cache),
    }


# --- reward / penalty outcomes -----------------------------------------------------------


def _judge(rule: RewardRule, row: dict) -> dict:
    """One rule applied to one unit (see ``rule_outcomes``)."""
    target = int(row["target"].get(rule.metric, 0) or 0)
    actual = int(row["actual"].get(rule.metric, 0) or 0)
    outcome = {
        "rule_id": rule.id,
        "kind": rule.kind,
        "level": rule.level,
        "ref_id": row["ref_id"],
        "name": row["name"],
        "metric": rule.metric,
        "threshold_pct": rule.threshold_pct,
        "target": target,
        "actual": actual,
        "achievement_pct": None,
        "applies": False,
        "amount_fen": rule.amount_fen,
        "note": rule.note,
        "skipped": None,
    }
    if rule.level == LEVEL_GUIDE or rule.metric not in METRICS or target <= 0:
        outcome["skipped"] = NO_TARGET
        return outcome
    outcome["achievement_pct"] = round(100.0 * actual / target, 1)
    reached = actual * 100 >= rule.threshold_pct * target  # exact, no rounding at the edge
    outcome["applies"] = reached if rule.kind == RULE_REWARD else not reached
    return outcome


def rule_outcomes(campaign_id: int, franchisee_id: int | None = None) -> list[dict]:
    """Every reward / penalty rule applied to every unit of its level.

    Achievement is actual / target of the rule's metric in percent; a reward applies at
    or above the threshold, a penalty below it. Guide units and units without a target
    are listed with ``skipped: "no target"`` and never apply. Rule order, then GMV order.
    """
    rules = db.session.scalars(
        select(RewardRule).where(RewardRule.campaign_id == campaign_id).order_by(RewardRule.id)
    ).all()
    cache: dict[str, list[dict]] = {}
    outcomes: list[dict] = []
    for rule in rules:
        if rule.level not in LEVELS:
            continue
        if rule.level not in cache:
            cache[rule.level] = level_rows(campaign_id, rule.level, franchisee_id)
        outcomes.extend(_judge(rule, row) for row in cache[rule.level])
    return outcomes


def outcome_totals(outcomes: list[dict]) -> dict:
    """Counts and sums in fen of the rewards and penalties that apply."""
    totals = {"rewards": 0, "reward_fen": 0, "penalties": 0, "penalty_fen": 0}
    for o in outcomes:
        if not o["applies"]:
            continue
        if o["kind"] == RULE_REWARD:
            totals["rewards"] += 1
            totals["reward_fen"] += o["amount_fen"]
        else:
            totals["penalties"] += 1
            totals["penalty_fen"] += o["amount_fen"]
    return totals


# --- CSV and the hourly chart -------------------------------------------------------------

CSV_KEYS = (
    "level",
    "ref_id",
    "unit",
    "store",
    "target_gmv",
    "gmv",
    "gmv_pct",
    "target_new_customers",
    "new_customers",
    "new_customers_pct",
    "target_group_joins",
    "group_joins",
    "group_joins_pct",
    "target_appointments",
    "appointments",
    "appointments_pct",
    "orders",
    "buyers",
    "visitors",
    "conversion_pct",
    "aov",
)
"""The keys of ``csv_rows`` in column order; money (``target_gmv``, ``gmv``, ``aov``) in yuan."""


def _pct_text(value) -> str:
    return "" if value is None else f"{value:.1f}"


def csv_rows(campaign_id: int, level: str, franchisee_id: int | None = None) -> list[dict]:
    """One dict per unit of ``level`` with ``CSV_KEYS``: targets, actuals, achievement %,
    conversion % and AOV; money as plain yuan (``"1234.50"``)."""
    out = []
    for row in level_rows(campaign_id, level, franchisee_id):
        target, actual, pct = row["target"], row["actual"], row["pct"]
        item = {
            "level": level,
            "ref_id": row["ref_id"],
            "unit": row["name"],
            "store": row.get("store_name", ""),
            "target_gmv": fen_plain(target["gmv_fen"]),
            "gmv": fen_plain(actual["gmv_fen"]),
            "gmv_pct": _pct_text(pct["gmv_fen"]),
            "orders": actual["orders"],
            "buyers": actual["buyers"],
            "visitors": actual["visitors"],
            "conversion_pct": f"{actual['conversion_pct']:.1f}",
            "aov": fen_plain(actual["aov_fen"]),
        }
        for metric in ("new_customers", "group_joins", "appointments"):
            item[f"target_{metric}"] = target[metric]
            item[metric] = actual[metric]
            item[f"{metric}_pct"] = _pct_text(pct[metric])
        out.append({key: item[key] for key in CSV_KEYS})
    return out


def live_hours_window(campaign: Campaign) -> tuple[datetime, int]:
    """The UTC start and the number of hours of the hourly chart: from Shanghai midnight
    of the live day to the later of the next midnight and the end of the last session
    (a live at 22:00 that runs two hours shows the first two hours of the next day too),
    at most two days."""
    start = shanghai_midnight(shanghai_day(campaign.live_at))
    ends = [as_utc(campaign.live_at) + timedelta(minutes=campaign.duration_minutes or 0)]
    ends += [
        as_utc(s.starts_at) + timedelta(minutes=s.duration_minutes or 0) for s in campaign.sessions
    ]
    span = max(ends) - start
    hours = -(-int(span.total_seconds()) // 3600)  # whole hours, rounded up
    return start, min(max(hours, 24), 48)


def _hour_label(index: int) -> str:
    """``"00"``..``"23"`` on the live day; hours of the next day read ``次日00`` (zh)."""
    if index < 24:
        return f"{index:02d}"
    return _("+1d %(hour)s", hour=f"{index - 24:02d}")


def gmv_by_hour(campaign: Campaign, franchisee_id: int | None = None) -> tuple[list, list]:
    """Labels and paid GMV (paid minus refunded, fen) per Shanghai hour of the live day,
    from the orders carrying the campaign; a live that runs past midnight adds the hours
    of the next day it covers (``live_hours_window``)."""
    start, count = live_hours_window(campaign)
    stmt = select(Order.paid_at, Order.paid_fen, Order.refunded_fen).where(
        Order.campaign_id == campaign.id,
        Order.paid_at.is_not(None),
        Order.paid_at >= start,
        Order.paid_at < start + timedelta(hours=count),
    )
    if franchisee_id is not None:
        stmt = stmt.where(Order.franchisee_id == franchisee_id)
    hours: dict[int, int] = defaultdict(int)
    for paid_at, paid_fen, refunded_fen in db.session.execute(stmt):
        assert paid_at is not None  # selected is_not(None)
        index = int((as_utc(paid_at) - start).total_seconds() // 3600)
        hours[index] += int(paid_fen or 0) - int(refunded_fen or 0)
    return [_hour_label(h) for h in range(count)], [hours[h] for h in range(count)]
