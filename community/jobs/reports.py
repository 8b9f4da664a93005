"""Periodic job of the reports area (registered in ``community.wiring.reports``).

- ``community.chat_statistics`` (daily 03:30 Asia/Shanghai): WeCom's group-chat
  statistics of the days not read yet, up to 30 back (``chat_statistics.read_back``);
  resumable and idempotent (one row per owner and day), so a crash or a second run costs
  nothing but the calls still missing.
"""

from __future__ import annotations

from community.services import chat_statistics


def chat_statistics_job() -> dict:
    return chat_statistics.read_back()
