"""WeCom's customer-group statistics (客户联系 → 统计管理 → 获取「群聊数据统计」数据, doc 92133).

``externalcontact/groupchat/statistic`` (POST) answers, per group owner (群主), the
figures of the days ``[day_begin_time, day_end_time]`` added up: ``new_chat_cnt``,
``chat_total``, ``chat_has_msg``, ``new_member_cnt``, ``member_total``,
``member_has_msg``, ``msg_total``, ``migrate_trainee_chat_cnt``. Its rules, checked here
before WeCom is called (a refused call still counts against the API's frequency limit):

- both days are Shanghai midnights from yesterday back to 180 days ago (WeCom keeps 180
  days), the span is at most 30 days;
- ``owner_filter.userid_list`` holds at most 100 userids; without it WeCom answers for
  every owner the app can see and refuses with 81017 above 1,000 — Siyu always filters;
- ``limit`` 1..1,000 (default 500), ``offset`` from 0; ``next_offset`` pages on.

``groupchat/statistic_group_by_day`` is the same question answered per day for the owners
together (no ``owner`` in its items); a report per owner and day needs the first, asked
one day at a time (``day_begin_time == day_end_time``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from app.clock import shanghai_day, shanghai_midnight
from app.wechat.wecom import wecom_post

API = "externalcontact/groupchat/statistic"
MAX_OWNERS = 100
MAX_SPAN_DAYS = 30
KEPT_DAYS = 180
MAX_LIMIT = 1000
OWNERS_WITHOUT_FILTER = 1000  # above this WeCom answers 81017 when no owner_filter is sent


class StatisticRequestError(ValueError):
    """A request WeCom would refuse (names the parameter); raised before calling."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def check_request(
    day_from: date, day_to: date, owners: list[str], limit: int = MAX_LIMIT, today=None
) -> None:
    """Refuse what WeCom would: days outside yesterday..180 days ago, a span over 30 days,
    no owners or more than 100, a limit outside 1..1,000."""
    today = today or shanghai_day()
    if day_to < day_from:
        raise StatisticRequestError("day_end_time", "ends before day_begin_time")
    if day_to >= today:
        raise StatisticRequestError("day_end_time", "at most yesterday")
    if day_from < today - timedelta(days=KEPT_DAYS):
        raise StatisticRequestError("day_begin_time", f"at most {KEPT_DAYS} days back")
    if (day_to - day_from).days + 1 > MAX_SPAN_DAYS:
        raise StatisticRequestError("day_end_time", f"at most {MAX_SPAN_DAYS} days in one call")
    if not owners:
        raise StatisticRequestError("owner_filter", "name the owners (81017 without it)")
    if len(owners) > MAX_OWNERS:
        raise StatisticRequestError("owner_filter", f"at most {MAX_OWNERS} userids")
    if not 1 <= limit <= MAX_LIMIT:
        raise StatisticRequestError("limit", f"1..{MAX_LIMIT}")


def groupchat_statistic(
    day_from: date,
    day_to: date,
    owners: list[str],
    *,
    offset: int = 0,
    limit: int = MAX_LIMIT,
    today: date | None = None,
    client=None,
) -> dict:
    """One page: ``{"total", "next_offset", "items": [{"owner", "data": {...}}]}``."""
    check_request(day_from, day_to, owners, limit, today)
    body: dict[str, Any] = {
        "day_begin_time": int(shanghai_midnight(day_from).timestamp()),
        "day_end_time": int(shanghai_midnight(day_to).timestamp()),
        "owner_filter": {"userid_list": list(owners)},
        "order_by": 2,
        "order_asc": 0,
        "offset": offset,
        "limit": limit,
    }
    return wecom_post(API, body, client)


def groupchat_statistic_all(
    day_from: date, day_to: date, owners: list[str], *, today: date | None = None, client=None
) -> list[dict]:
    """Every owner's item for the days, following ``next_offset``."""
    items: list[dict] = []
    offset = 0
    while True:
        page = groupchat_statistic(day_from, day_to, owners, offset=offset, today=today,
                                   client=client)  # fmt: skip
        items.extend(page.get("items") or [])
        following = int(page.get("next_offset") or 0)
        if following <= offset or following >= int(page.get("total") or 0):
            return items
        offset = following
