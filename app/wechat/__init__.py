"""The WeChat layer: client factories, wrappers for calls wechatpy lacks, callbacks, sandbox."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
