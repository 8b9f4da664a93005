"""Filters the franchise's lists share: written once, read by the JSON API's query
schemas (with ``app.schemas.PageQuerySchema``'s paging) and by the admin pages' filter
schemas (``app.web.listing.filter_args``), so a page and its API accept the same values.

Each list declares its filters once as a plain schema (``TicketFilters``); its API query
is that plus ``PageQuerySchema`` (and any API-only filter), its page's filter schema is
that plus ``SearchFilter`` (the page's search box).
"""

from __future__ import annotations

from marshmallow import Schema, validate

from app.schemas import Text


class SearchFilter(Schema):
    """An admin list's search box (``?q=``): a number, a name or a code, trimmed."""

    q = Text(validate=validate.Length(max=64))
