"""Small ``gen_*`` factories for the organisation, writing rows directly (no services).

Each takes keyword overrides and fills the rest with unique values from a counter.
"""

from __future__ import annotations

import itertools

from app.extensions import db
from franchise.models import Franchisee, Guide, Region, RegionCity, Store

_seq = itertools.count(1)


def gen_region(*, cities: tuple[str, ...] = (), **kw) -> Region:
    n = next(_seq)
    kw.setdefault("code", f"R{n}")
    kw.setdefault("name", f"Region {n}")
    region = Region(cities=[RegionCity(city=c) for c in cities], **kw)
    db.session.add(region)
    db.session.commit()
    return region


def gen_franchisee(region: Region | None = None, **kw) -> Franchisee:
    n = next(_seq)
    region = region or gen_region()
    kw.setdefault("name", f"Franchisee {n}")
    kw.setdefault("sub_mch_id", f"{1900000000 + n}")
    kw.setdefault("profit_share_bps", 1000)
    franchisee = Franchisee(region_id=region.id, **kw)
    db.session.add(franchisee)
    db.session.commit()
    return franchisee


def gen_store(franchisee: Franchisee | None = None, **kw) -> Store:
    n = next(_seq)
    franchisee = franchisee or gen_franchisee()
    kw.setdefault("code", f"S{n:04d}")
    kw.setdefault("name", f"Store {n}")
    kw.setdefault("city", "上海")
    kw.setdefault("address", f"Road {n}")
    kw.setdefault("latitude", 31.2)
    kw.setdefault("longitude", 121.4)
    kw.setdefault("region_id", franchisee.region_id)
    store = Store(franchisee_id=franchisee.id, **kw)
    db.session.add(store)
    db.session.commit()
    return store


def gen_guide(store: Store | None = None, **kw) -> Guide:
    n = next(_seq)
    store = store or gen_store()
    kw.setdefault("name", f"Guide {n}")
    kw.setdefault("wecom_userid", f"guide_{n}")
    guide = Guide(store_id=store.id, franchisee_id=store.franchisee_id, **kw)
    db.session.add(guide)
    db.session.commit()
    return guide
