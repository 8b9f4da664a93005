"""Organisation rules: create and change regions, franchisees, stores and guides.

Services own the transaction: each public function validates, writes, commits (or rolls
back and raises one ``DomainError``). Views and the CLI never commit. They also keep the
denormalised keys consistent: ``Guide.franchisee_id`` follows the guide's store, and a
linked guide account's scope keys (``users.franchisee_id/store_id/guide_id``) follow the
guide.

Hooks for later work: ``STORE_CLOSED`` and ``GUIDE_LEFT`` (``app.extensions.add_hook``)
get the closed store's / departed guide's id. They run *after* the commit that
closed the store or recorded the departure (customer hand-over, 继承, plugs in here).
"""

from __future__ import annotations

from franchise.services.base import GUIDE_LEFT, STORE_CLOSED, STORE_GUIDES_CHANGED, Invalid
from franchise.services.guides import create_guide, guide_leaves, update_guide
from franchise.services.organisation import (
    create_franchisee,
    create_region,
    update_franchisee,
    update_region,
)
from franchise.services.stores import (
    OWNER_STORE_FIELDS,
    close_store,
    create_store,
    reopen_store,
    update_store,
    update_store_details,
    upsert_stores,
)

__all__ = [
    "GUIDE_LEFT",
    "STORE_CLOSED",
    "STORE_GUIDES_CHANGED",
    "OWNER_STORE_FIELDS",
    "Invalid",
    "close_store",
    "create_franchisee",
    "create_guide",
    "create_region",
    "create_store",
    "guide_leaves",
    "reopen_store",
    "update_franchisee",
    "update_guide",
    "update_region",
    "update_store",
    "update_store_details",
    "upsert_stores",
]
