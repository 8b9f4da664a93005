"""The demo organisation: 3 regions, 6 franchisees, 12 stores, 30 guides and their logins.

``seed_organisation`` is registered by ``franchise.wiring.organisation``; it does nothing
when regions already exist. Coordinates are the real shopping streets (WGS-84, to about
100 m).
All demo accounts share ``DEMO_PASSWORD``.
"""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy import select

from app.auth.models import FRANCHISE_OWNER, GUIDE, HQ_ADMIN, HQ_OPERATOR, User
from app.auth.services import create_user
from app.extensions import db
from franchise.models import Franchisee, Guide, Region, RegionCity, Store

REGIONS = [
    ("EAST", "华东", ["上海", "杭州", "南京", "苏州"]),
    ("SOUTH", "华南", ["广州", "深圳", "佛山", "厦门"]),
    ("NORTH", "华北", ["北京", "天津", "青岛"]),
]

# (name, contact, phone, region code, sub_mch_id, HQ share in basis points)
FRANCHISEES = [
    ("沪杭珠宝有限公司", "陈静", "13800000201", "EAST", "1900000201", 1000),
    ("金陵姑苏珠宝", "王磊", "13800000202", "EAST", "1900000202", 1000),
    ("羊城珠宝商贸", "李娜", "13800000203", "SOUTH", "1900000203", 800),
    ("鹏城鹭岛珠宝", "张伟", "13800000204", "SOUTH", "1900000204", 800),
    ("京华珠宝", "刘洋", "13800000205", "NORTH", "1900000205", 1200),
    ("津青珠宝连锁", "赵敏", "13800000206", "NORTH", "1900000206", 1200),
]

# (code, franchisee index, name, city, address, latitude, longitude)
STORES = [
    ("SH-NJXL", 0, "上海南京西路店", "上海", "上海市静安区南京西路1266号", 31.2297, 121.4552),
    ("HZ-HUBIN", 0, "杭州湖滨店", "杭州", "杭州市上城区东坡路7号", 30.2590, 120.1649),
    ("NJ-XJK", 1, "南京新街口店", "南京", "南京市秦淮区中山南路1号", 32.0418, 118.7841),
    ("SZ-GQJ", 1, "苏州观前街店", "苏州", "苏州市姑苏区观前街245号", 31.3105, 120.6265),
    ("GZ-TH", 2, "广州天河路店", "广州", "广州市天河区天河路383号", 23.1334, 113.3317),
    ("FS-ZM", 2, "佛山祖庙店", "佛山", "佛山市禅城区祖庙路33号", 23.0308, 113.1082),
    ("SZ-MIXC", 3, "深圳万象城店", "深圳", "深圳市罗湖区宝安南路1881号", 22.5410, 114.1123),
    ("XM-ZSL", 3, "厦门中山路店", "厦门", "厦门市思明区中山路200号", 24.4560, 118.0790),
    ("BJ-WFJ", 4, "北京王府井店", "北京", "北京市东城区王府井大街138号", 39.9149, 116.4108),
    ("BJ-SLT", 4, "北京三里屯店", "北京", "北京市朝阳区三里屯路19号", 39.9334, 116.4551),
    ("TJ-BJD", 5, "天津滨江道店", "天津", "天津市和平区滨江道208号", 39.1197, 117.1995),
    ("QD-ZSL", 5, "青岛中山路店", "青岛", "青岛市市南区中山路100号", 36.0659, 120.3164),
]

GUIDE_NAMES = [
    "林晓",
    "周婷",
    "吴敏",
    "郑丽",
    "孙倩",
    "钱芳",
    "冯雪",
    "蒋琳",
    "沈怡",
    "韩梅",
    "杨洁",
    "朱颖",
    "秦岚",
    "许静",
    "何欣",
    "吕娟",
    "施萍",
    "张悦",
    "孔燕",
    "曹瑶",
    "严红",
    "华珊",
    "金玲",
    "魏佳",
    "陶然",
    "姜宁",
    "戚薇",
    "谢琪",
    "邹月",
    "喻霞",
]


def _ensure_user(username: str, password: str, role: str, **scope) -> bool:
    """Create an account unless the username exists; True when created."""
    if db.session.scalars(select(User.id).where(User.username == username)).first():
        return False
    # the shared demo password is for the embedded demo only: production seeding is
    # held to the password policy and refuses it (set SIYU_DEMO_PASSWORD to a strong one)
    embedded = current_app.config["SIYU_ENV"] == "embedded"
    create_user(username, password, role, commit=False, check_policy=not embedded, **scope)
    return True


def seed_organisation(app: Flask) -> list[str]:
    """Seed the demo organisation and accounts once; returns the lines to print."""
    with app.app_context():
        if db.session.scalars(select(Region.id)).first() is not None:
            return ["organisation: already seeded"]
        password = app.config["DEMO_PASSWORD"]
        regions = {}
        for code, name, cities in REGIONS:
            regions[code] = Region(
                code=code, name=name, cities=[RegionCity(city=c) for c in cities]
            )
            db.session.add(regions[code])
        db.session.flush()
        franchisees = []
        for name, contact, phone, region, mch, bps in FRANCHISEES:
            franchisees.append(
                Franchisee(
                    name=name,
                    contact_name=contact,
                    phone=phone,
                    region_id=regions[region].id,
                    sub_mch_id=mch,
                    profit_share_bps=bps,
                )
            )
        db.session.add_all(franchisees)
        db.session.flush()
        for code, _name, _cities in REGIONS:  # the first franchisee of each region
            regions[code].default_franchisee_id = next(
                f.id for f in franchisees if f.region_id == regions[code].id
            )
        stores: list[Store] = []
        for code, index, name, city, address, lat, lng in STORES:
            owner = franchisees[index]
            stores.append(
                Store(
                    franchisee_id=owner.id,
                    region_id=owner.region_id,
                    code=code,
                    name=name,
                    city=city,
                    address=address,
                    latitude=lat,
                    longitude=lng,
                    phone=f"400-800-{len(stores) + 1:04d}",
                    business_hours="10:00-22:00",
                    customer_capacity=2000,
                )
            )
        db.session.add_all(stores)
        db.session.flush()
        guides = []
        for number, name in enumerate(GUIDE_NAMES, start=1):
            # the first six stores get three guides, the other six two
            index = (number - 1) // 3 if number <= 18 else 6 + (number - 19) // 2
            store = stores[index]
            guides.append(
                Guide(
                    store_id=store.id,
                    franchisee_id=store.franchisee_id,
                    name=name,
                    phone=f"139{number:08d}",
                    wecom_userid=f"siyu_guide_{number:02d}",
                )
            )
        db.session.add_all(guides)
        db.session.flush()

        _ensure_user("admin", password, HQ_ADMIN, display_name="总部管理员")
        _ensure_user("operator", password, HQ_OPERATOR, display_name="总部运营")
        for number, franchisee in enumerate(franchisees, start=1):
            _ensure_user(
                f"owner{number}",
                password,
                FRANCHISE_OWNER,
                display_name=franchisee.contact_name,
                franchisee_id=franchisee.id,
            )
        for number, guide in enumerate(guides, start=1):
            username = f"guide{number:02d}"
            if _ensure_user(
                username,
                password,
                GUIDE,
                display_name=guide.name,
                franchisee_id=guide.franchisee_id,
                store_id=guide.store_id,
                guide_id=guide.id,
            ):
                db.session.flush()
                guide.user_id = db.session.scalars(
                    select(User.id).where(User.username == username)
                ).one()
        db.session.commit()

        lines = [
            f"organisation: {len(regions)} regions, {len(franchisees)} franchisees, "
            f"{len(stores)} stores, {len(guides)} guides",
            f"logins (password {password}):",
            "  admin      HQ admin",
            "  operator   HQ operator",
        ]
        lines += [f"  {f'owner{n}':<10} {f.name}" for n, f in enumerate(franchisees, start=1)]
        lines.append(f"  guide01..guide{len(guides):02d}  guides of the stores (/m/login)")
        return lines
