"""Small ``gen_*`` factories for the organisation, writing rows directly (no services),
and ``build_org``, the two-franchise organisation behind the ``org`` fixture.

Each ``gen_*`` takes keyword overrides and fills the rest with unique values from a counter.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from franchise.models import Franchisee, Guide, Region, RegionCity, Store, WecomMember
from tests.fixtures.auth import gen_user
from tests.fixtures.database import saved

_seq = itertools.count(1)


def gen_region(*, cities: tuple[str, ...] = (), **kw) -> Region:
    n = next(_seq)
    kw.setdefault("code", f"R{n}")
    kw.setdefault("name", f"Region {n}")
    return saved(Region(cities=[RegionCity(city=c) for c in cities], **kw))


def gen_franchisee(region: Region | None = None, **kw) -> Franchisee:
    n = next(_seq)
    region = region or gen_region()
    kw.setdefault("name", f"Franchisee {n}")
    kw.setdefault("sub_mch_id", f"{1900000000 + n}")
    kw.setdefault("profit_share_bps", 1000)
    return saved(Franchisee(region_id=region.id, **kw))


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
    return saved(Store(franchisee_id=franchisee.id, **kw))


def gen_guide(store: Store | None = None, **kw) -> Guide:
    n = next(_seq)
    store = store or gen_store()
    kw.setdefault("name", f"Guide {n}")
    kw.setdefault("wecom_userid", f"guide_{n}")
    return saved(Guide(store_id=store.id, franchisee_id=store.franchisee_id, **kw))


# The emulator's corp for the directory tests: ann and bob are guides, the rest are not.
WECOM_CORP = {
    "departments": [
        {"id": 201, "name": "上海A店"},
        {"id": 202, "name": "北京B店"},
        {"id": 203, "name": "上海A店·柜台", "parentid": 201},
    ],
    "members": [
        {"userid": "ann", "name": "Ann", "department": [201]},
        {"userid": "bob", "name": "Bob", "department": [202]},
        {"userid": "han_xue", "name": "韩雪", "department": [203, 202]},
        {"userid": "feng_xiao", "name": "冯晓", "department": [202]},
        {"userid": "cao_min", "name": "曹敏", "department": [201], "status": 4},
    ],
}


def gen_member(userid: str, name: str = "", department: str = "", **kw) -> WecomMember:
    """A member of WeCom's directory as the sync leaves it (a guide links to one)."""
    kw.setdefault("department_id", 1)
    return saved(WecomMember(userid=userid, name=name or userid, department_name=department, **kw))


def settings_form() -> dict:
    """The settings page's form with every setting at its default, as the page shows it:
    ticked boxes ``"y"``, unticked ones left out, amounts in fen as yuan."""
    from franchise.services import settings

    data = {k.replace(".", "__"): s.default for k, s in settings.SETTINGS.items()}
    data = {k: ("y" if v is True else v) for k, v in data.items() if v is not False}
    return {k: (f"{v / 100:.2f}" if k.endswith("_fen") else v) for k, v in data.items()}


def build_org() -> SimpleNamespace:
    """Region EAST with franchisee A (store SH-A, guide Ann), region NORTH with franchisee B
    (store BJ-B, guide Bob); WeCom members ann, bob, cara, dora (the last two linked to no
    guide); logins hq, owner-a, owner-b and guide-a. Ids on a namespace."""
    east = gen_region(code="EAST", name="华东", cities=("上海", "杭州"))
    north = gen_region(code="NORTH", name="华北", cities=("北京",))
    fa = gen_franchisee(east, name="Alpha Jewels", sub_mch_id="1900000201")
    fb = gen_franchisee(north, name="Beta Jewels", sub_mch_id="1900000202")
    sa = gen_store(fa, code="SH-A", name="上海A店", city="上海")
    sb = gen_store(fb, code="BJ-B", name="北京B店", city="北京", latitude=39.9, longitude=116.4)
    ga = gen_guide(sa, name="Ann", wecom_userid="ann")
    gb = gen_guide(sb, name="Bob", wecom_userid="bob")
    for userid, name in (("ann", "Ann"), ("bob", "Bob"), ("cara", "Cara"), ("dora", "Dora")):
        gen_member(userid, name, sa.name if userid in ("ann", "cara") else sb.name)
    gen_user("hq", "hq_admin")
    gen_user("owner-a", "franchise_owner", franchisee_id=fa.id)
    gen_user("owner-b", "franchise_owner", franchisee_id=fb.id)
    gen_user("guide-a", "guide", franchisee_id=fa.id, store_id=sa.id, guide_id=ga.id)
    return SimpleNamespace(
        east=east.id, north=north.id, fa=fa.id, fb=fb.id, sa=sa.id, sb=sb.id, ga=ga.id, gb=gb.id
    )
