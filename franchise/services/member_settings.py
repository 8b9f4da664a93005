"""HQ's member settings: the levels (thresholds on rolling 12-month spend, earning rate,
benefits), the points rules (a point's value in fen, who carries the cost of earning,
the checkout cap, expiry, event rewards) — one JSON document in ``FranchiseSetting``
under ``members.config``, read with the defaults filled in, written only by
``save`` after ``franchise.member_schemas.MemberConfigSchema`` validated it.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.snapshots import SnapshotKind
from franchise.models import LEVELS, FranchiseSetting

KEY = "members.config"

# the member's word for each level (Chinese first on every page; ``level_label``)
LEVEL_WORDS = {
    "regular": "Regular",
    "silver": "Silver",
    "gold": "Gold",
    "platinum": "Platinum",
    "diamond": "Diamond",
}

CARRIERS = ("franchisee", "hq", "split")
EXPIRY_RULES = ("year_end_after", "days", "never")
SHORTFALL_RULES = ("debt", "write_off")


def _level(code: str, threshold_yuan: int, earn_pct: int, discount: int, cleanings: int) -> dict:
    return {
        "code": code,
        "threshold_fen": threshold_yuan * 100,
        "earn_pct": earn_pct,  # points per 100 yuan paid ÷ 100: 100 → 1 point a yuan
        "discount_pct": discount,
        "free_cleanings": cleanings,
        "priority_slots": code in ("platinum", "diamond"),
        "event_invitations": code in ("gold", "platinum", "diamond"),
        "birthday_coupon_template_id": None,
        "upgrade_coupon_template_id": None,
    }


DEFAULTS: dict = {
    "levels": [
        _level("regular", 0, 100, 0, 0),
        _level("silver", 5_000, 120, 2, 1),
        _level("gold", 20_000, 150, 5, 2),
        _level("platinum", 50_000, 180, 8, 4),
        _level("diamond", 100_000, 200, 10, 6),
    ],
    "point_value_fen": 1,
    "carrier": "franchisee",
    "franchisee_share_pct": 50,  # the earning franchisee's part when split
    "burn_cap_pct": 50,  # points may pay at most this share of an order
    "expiry": "year_end_after",
    "expiry_days": 365,
    "reminder_days": 30,
    "signup_points": 100,
    "birthday_points": 200,
    "profile_points": 50,
    "refund_shortfall": "debt",
    "discount_categories": [],  # product categories the level discount applies to
}


_DEFAULTS_JSON = json.dumps(DEFAULTS)  # a fresh copy per read: json.loads, a third of a deepcopy


def config() -> dict:
    """The member settings, defaults filled in for whatever HQ never set."""
    row = db.session.get(FranchiseSetting, KEY)
    stored = row.value if row is not None and isinstance(row.value, dict) else {}
    merged = json.loads(_DEFAULTS_JSON)
    merged.update({k: v for k, v in stored.items() if k in DEFAULTS})
    return merged


# The settings as this process keeps them (``app.snapshots``: a change HQ commits is seen
# by this process at once, by the others within a second, a minute after raw SQL), for
# the order path, which only reads them: ``current()``. Built from the row of ``KEY``
# only: a change of the other settings (``settings.SETTINGS_SNAPSHOT``) leaves it in place.
CONFIG = SnapshotKind(
    "member-config", config, (FranchiseSetting,), holds=lambda row: row.key == KEY
)


def current() -> dict:
    """``config()`` from the process's snapshot (no statement): shared, so read only."""
    return CONFIG.value()


def save(values: dict) -> dict:
    """Store validated settings (the schema checked them); commits."""
    merged = config() | values
    row = db.session.scalars(select(FranchiseSetting).where(FranchiseSetting.key == KEY)).first()
    if row is None:
        db.session.add(FranchiseSetting(key=KEY, value=merged, updated_at=utcnow()))
    else:
        row.value = merged
        row.updated_at = utcnow()
    db.session.commit()
    return merged


def level_rules(cfg: dict | None = None) -> dict[str, dict]:
    """The levels by code, in LEVELS order."""
    by = {lv["code"]: lv for lv in (cfg or config())["levels"]}
    return {code: by[code] for code in LEVELS if code in by}


def level_for_spend(spend_fen: int, cfg: dict | None = None) -> str:
    """The highest level whose threshold ``spend_fen`` reaches."""
    reached = "regular"
    for code, rule in level_rules(cfg).items():
        if spend_fen >= rule["threshold_fen"]:
            reached = code
    return reached


def expires_on(earned: date, cfg: dict | None = None) -> date:
    """The last day points earned on ``earned`` may be used (HQ's rule)."""
    cfg = cfg or config()
    if cfg["expiry"] == "days":
        return earned + timedelta(days=int(cfg["expiry_days"]))
    if cfg["expiry"] == "never":
        return date(9999, 12, 31)
    return date(earned.year + 1, 12, 31)


def carrier_split(points: int, franchisee_id: int | None, cfg: dict | None = None):
    """Who pays for ``points`` earned at ``franchisee_id``: ``[(owner, points)]`` with
    owner a franchisee id or ``"hq"``; a split gives the franchisee its percentage
    (rounded down) and HQ the rest."""
    cfg = cfg or config()
    if franchisee_id is None or cfg["carrier"] == "hq":
        return [("hq", points)]
    if cfg["carrier"] == "franchisee":
        return [(franchisee_id, points)]
    mine = points * int(cfg["franchisee_share_pct"]) // 100
    return [(franchisee_id, mine), ("hq", points - mine)]
