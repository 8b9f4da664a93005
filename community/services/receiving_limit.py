"""The corp's receiving-limit policy and Siyu's own per-group daily cap.

WeCom (server API doc 92135, 创建企业群发): each customer and each customer group receives
at most as many mass messages per calendar month as the month has days; the corp's admin
may change that to 7 a week or 1 a day (企业微信-群发助手-设置群发规则); enterprise and
member sends count together. WeCom offers no API to read the setting, so HQ tells Siyu
which one its admin chose (``PUT /api/v1/settings/receiving-limit``). Siyu's own cap
(default ``WECOM_GROUP_DAILY_QUOTA`` = 1, so customers are not flooded even under
``month``) applies on top. Both are stored as ``FranchiseSetting`` rows.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.db import committing
from app.errors import DomainError
from app.extensions import db
from app.i18n import tr
from app.web.i18n import N_
from community.services.planner_core import DAY, MONTH, POLICIES, WEEK
from franchise.models import FranchiseSetting

POLICY_KEY, CAP_KEY = "community.receiving_limit", "community.daily_cap"
POLICY_LABELS = {
    MONTH: N_("As many a month as the month has days"),
    WEEK: N_("7 a week"),
    DAY: N_("1 a day"),
}
MAX_CAP = 31


class LimitInvalid(DomainError):
    status = 422
    code = "invalid_receiving_limit"


def _stored(key: str):
    row = db.session.scalar(select(FranchiseSetting).where(FranchiseSetting.key == key))
    return None if row is None else row.value


def policy() -> str:
    """The configured policy (``month`` when never set)."""
    value = _stored(POLICY_KEY)
    return value if value in POLICIES else MONTH


def daily_cap() -> int:
    """Siyu's per-group daily cap (stored, else ``WECOM_GROUP_DAILY_QUOTA``)."""
    value = _stored(CAP_KEY)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_CAP:
        return value
    return int(current_app.config["WECOM_GROUP_DAILY_QUOTA"] or 1)


def describe() -> dict:
    """The policy, its label and the daily cap, as shown beside every schedule."""
    current = policy()
    return {"policy": current, "label": tr(POLICY_LABELS[current]), "daily_cap": daily_cap()}


def _put(key: str, value) -> None:
    row = db.session.get(FranchiseSetting, key)
    if row is None:
        db.session.add(FranchiseSetting(key=key, value=value))
    else:
        row.value = value


def update(new_policy=None, new_cap=None) -> dict:
    """Store a policy and / or cap (422 naming the field) and re-plan in the same commit
    (the re-plan leaves through the outbox); returns ``describe()``."""
    from community.services.replan_trigger import request_replan

    errors: dict[str, list[str]] = {}
    if new_policy is not None and new_policy not in POLICIES:
        errors["policy"] = [tr("One of month, week, day.")]
    if new_cap is not None and (
        not isinstance(new_cap, int) or isinstance(new_cap, bool) or not 1 <= new_cap <= MAX_CAP
    ):
        errors["daily_cap"] = [tr("A whole number from 1 to 31.")]
    if errors:
        raise LimitInvalid(next(iter(errors.values()))[0], errors=errors)
    with committing(db.session):
        if new_policy is not None:
            _put(POLICY_KEY, new_policy)
        if new_cap is not None:
            _put(CAP_KEY, new_cap)
        request_replan()
    return describe()
