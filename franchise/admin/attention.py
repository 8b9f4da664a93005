"""The franchise side of the overview's "needs attention" card.

Open alerts by level, and of them the refunds and HQ shares WeChat Pay refused, the
reconciliation differences, and the guides whose WeCom account was deleted; each counted
as the viewer may see them (HQ: every franchise; an owner: their own, with their own
acknowledgement) and linking to the alert list filtered to exactly those rows.
"""

from __future__ import annotations

from app.web.attention import Attention, attention_panel
from app.web.dashboard import DashboardSource
from app.web.i18n import N_, gettext_all
from app.web.labels import label
from app.web.shell import kept_url
from franchise.services import alerts as alert_service
from franchise.services.alert_catalogue import LEVELS

# alert code -> what the overview calls the rows behind it
MONEY_CODES = (
    ("refund_failed", N_("Refunds WeChat Pay refused")),
    ("profit_share_failed", N_("HQ shares WeChat Pay refused")),
    ("reconciliation", N_("Reconciliation differences")),
)
ORGANISATION_CODES = (("guide_wecom_left", N_("Guides whose WeCom account was deleted")),)
SHOWN_CODES = tuple(code for code, _words in MONEY_CODES + ORGANISATION_CODES)


def alert_figures(principal):
    """The open alerts the viewer may see, by level and for each code the overview shows."""
    return alert_service.open_figures(principal, SHOWN_CODES)


def alert_attention(principal, values) -> list[dict]:
    """Open alerts by level and the failed money movements, and the guides whose WeCom
    account was deleted, for the viewer's scope."""
    by_level = dict(zip(LEVELS, values[: len(LEVELS)], strict=True))
    by_code = dict(zip(SHOWN_CODES, values[len(LEVELS) :], strict=True))
    open_alerts, money, organisation, *code_words = gettext_all(
        N_("Open alerts: %(level)s"),
        N_("Money"),
        N_("Organisation"),
        *(words for _code, words in MONEY_CODES + ORGANISATION_CODES),
    )
    words = dict(zip(SHOWN_CODES, code_words, strict=True))
    items = [
        Attention(
            open_alerts % {"level": label(level, "alert_level")},
            by_level[level],
            kept_url("alerts_admin.alerts", level=level, open=1),
            level,
        )
        for level in LEVELS
    ]
    items += _code_items(by_code, words, MONEY_CODES)
    return [
        attention_panel(money, items),
        attention_panel(organisation, _code_items(by_code, words, ORGANISATION_CODES)),
    ]


ALERTS = DashboardSource(alert_figures, alert_attention)


def _code_items(by_code: dict[str, int], words: dict[str, str], codes) -> list[Attention]:
    """One item per alert code: its open count, linking to the list of exactly those."""
    return [
        Attention(
            words[code],
            by_code.get(code, 0),
            kept_url("alerts_admin.alerts", code=code, open=1),
            "critical" if code == "reconciliation" else "warning",
        )
        for code, _message in codes
    ]
