"""Scheduled livestream work and hooks: WeCom living read-back, timeline upkeep."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register the live area's jobs, outbox handlers and the live-price order hook."""
