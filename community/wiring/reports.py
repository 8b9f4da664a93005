"""Registration of the reports area ("did it work"): HQ's setting for how many days after
a send an order counts (``community.post_outcome_days``, on the franchise settings page),
the reports API and pages (per plan, content and journey step), the nightly read-back
of WeCom's group-chat statistics and the demo's past sends (``community.demo.reports``).
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.extensions import register_area
from app.scheduler import register_job


def register(app: Flask) -> None:
    """Register the reports area on the app."""
    from community.admin import plan_report as admin_report
    from community.api import plan_report as api_report
    from community.demo.reports import seed_reports
    from community.jobs import reports as jobs
    from community.services.post_outcome import DEFAULT_OUTCOME_DAYS, OUTCOME_SETTING
    from franchise.services.settings import SETTINGS, Setting

    SETTINGS.setdefault(
        OUTCOME_SETTING,
        Setting(
            OUTCOME_SETTING,
            int,
            DEFAULT_OUTCOME_DAYS,
            _l("A post's orders count within (days)"),
            1,
            90,
        ),  # fmt: skip
    )
    register_area(app, (api_report, admin_report), seeders=(seed_reports,))
    register_job(
        app, "community.chat_statistics", jobs.chat_statistics_job, "cron", hour=3, minute=30
    )
