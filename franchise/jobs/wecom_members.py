"""The nightly read of WeCom's member directory (02:30 Asia/Shanghai)."""

from __future__ import annotations

import logging

from franchise.services.wecom_members import sync_directory

log = logging.getLogger("siyu.franchise.wecom_members")


def sync_directory_job() -> None:
    result = sync_directory()
    log.info(
        "WeCom directory: %d members in %d departments, %d gone",
        result.members,
        result.departments,
        result.gone,
    )
