"""Schema validation messages (marshmallow and our schemas) in the viewer's language.

A 422 from ``@blp.arguments`` carries marshmallow's messages per field, nested as the
body is (``{"items": {"0": {"quantity": ["Not a valid integer."]}}}``). Every string in
that tree is a message, never data, so ``translate_errors`` may translate all of them:
a fixed message through the catalogue (``app.i18n.tr``), and the messages marshmallow
builds with values in them (ranges, lengths, choices) through the patterns below, which
turn them back into message ids with named parameters.

marshmallow's fixed messages are listed for the catalogue in
``app/web/display_messages.py``; the pattern ids below are marked with ``_l`` for the same
reason. Nothing here is translated at import time.
"""

from __future__ import annotations

import re

from flask import has_request_context
from flask_babel import lazy_gettext as _l

from app.i18n import tr

# marshmallow's formatted messages -> our message ids with the values as parameters
PATTERNS = (
    (
        re.compile(
            r"Must be greater than or equal to (?P<min>.+) and less than or equal to (?P<max>.+)\."
        ),
        _l("Must be between %(min)s and %(max)s."),
    ),
    (
        re.compile(r"Must be greater than or equal to (?P<min>.+)\."),
        _l("Must be at least %(min)s."),
    ),
    (re.compile(r"Must be less than or equal to (?P<max>.+)\."), _l("Must be at most %(max)s.")),
    (re.compile(r"Must be greater than (?P<min>.+)\."), _l("Must be more than %(min)s.")),
    (re.compile(r"Must be less than (?P<max>.+)\."), _l("Must be less than %(max)s.")),
    (
        re.compile(r"Length must be between (?P<min>\d+) and (?P<max>\d+)\."),
        _l("Length must be between %(min)s and %(max)s."),
    ),
    (re.compile(r"Length must be (?P<equal>\d+)\."), _l("Length must be %(equal)s.")),
    (re.compile(r"Longer than maximum length (?P<max>\d+)\."), _l("At most %(max)s long.")),
    (re.compile(r"Shorter than minimum length (?P<min>\d+)\."), _l("At least %(min)s long.")),
    (re.compile(r"Must be one of: (?P<choices>.+)\."), _l("Must be one of: %(choices)s.")),
    (  # app.money.Yuan
        re.compile(r"Between (?P<low>-?[\d.]+) and (?P<high>-?[\d.]+) yuan\."),
        _l("Between %(low)s and %(high)s yuan."),
    ),
)


def translate_message(text: str) -> str:
    """One validation message in the request's language (unchanged when unknown).
    Call inside a request (the error handlers do)."""
    for pattern, message_id in PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return str(message_id) % found.groupdict()
    return tr(text)


def translate_errors(errors):
    """The same tree with every message translated (dict keys are field names: kept)."""
    if isinstance(errors, dict):
        return {key: translate_errors(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [translate_errors(value) for value in errors]
    if isinstance(errors, str):
        return translate_message(errors)
    return errors


def flat_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"lineup.0.product_id": [message, ...]}``, each
    translated inside a request (English outside one: jobs, the CLI)."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, texts in flat_errors(value, name).items():
                out.setdefault(field, []).extend(texts)
    elif isinstance(messages, list | tuple):
        for message in messages:
            for field, texts in flat_errors(message, prefix).items():
                out.setdefault(field, []).extend(texts)
    elif isinstance(messages, str):
        text = translate_message(messages) if has_request_context() else messages
        out[prefix or "_schema"] = [text]
    return out
