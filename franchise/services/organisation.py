"""Region and franchisee rules: unique codes, cities and sub-merchant ids."""

from __future__ import annotations

from sqlalchemy import select

from app.errors import Conflict
from app.extensions import db
from app.i18n import tr
from franchise.models import Franchisee, Region, RegionCity
from franchise.services.base import (
    committed,
    ensure_unique,
    get_or_invalid,
    invalid,
)

# --- regions ----------------------------------------------------------------------


def _set_cities(region: Region, cities: list[str]) -> None:
    names = list(dict.fromkeys(c.strip() for c in cities if c.strip()))
    if names:
        stmt = select(RegionCity).where(RegionCity.city.in_(names))
        if region.id is not None:
            stmt = stmt.where(RegionCity.region_id != region.id)
        clash = db.session.scalars(stmt).first()
        if clash is not None:
            message = tr("%(city)s already belongs to another region.", city=clash.city)
            raise Conflict(message, errors={"cities": [message]})
    keep = {c.city: c for c in region.cities}
    region.cities = [keep.get(name) or RegionCity(city=name) for name in names]
    db.session.flush()


def create_region(data: dict) -> Region:
    """Create a region with its cities (each city in one region only)."""
    with committed():
        ensure_unique(Region, "code", data["code"], "code", "region code")
        region = Region(code=data["code"], name=data["name"])
        db.session.add(region)
        db.session.flush()
        _set_cities(region, data.get("cities") or [])
    return region


def update_region(region: Region, changes: dict) -> Region:
    """Rename a region, replace its cities, or choose its default franchisee (one of its own)."""
    with committed():
        if "name" in changes:
            region.name = changes["name"]
        if "cities" in changes:
            _set_cities(region, changes["cities"])
        if "default_franchisee_id" in changes:
            fid = changes["default_franchisee_id"]
            if fid is not None:
                franchisee = get_or_invalid(Franchisee, fid, "default_franchisee_id")
                if franchisee.region_id != region.id:
                    raise invalid("default_franchisee_id", "Not a franchisee of this region.")
            region.default_franchisee_id = fid
    return region


# --- franchisees ------------------------------------------------------------------


def create_franchisee(data: dict) -> Franchisee:
    """Create a franchisee; its WeChat Pay sub-merchant id must be unique."""
    with committed():
        get_or_invalid(Region, data["region_id"], "region_id")
        ensure_unique(Franchisee, "sub_mch_id", data["sub_mch_id"], "sub_mch_id", "sub-merchant id")
        franchisee = Franchisee(**data)
        db.session.add(franchisee)
    return franchisee


def update_franchisee(franchisee: Franchisee, changes: dict) -> Franchisee:
    """HQ changes a franchisee (any field of ``FranchiseeUpdateSchema``)."""
    with committed():
        if "region_id" in changes and changes["region_id"] != franchisee.region_id:
            get_or_invalid(Region, changes["region_id"], "region_id")
            old = db.session.get(Region, franchisee.region_id)
            if old is not None and old.default_franchisee_id == franchisee.id:
                old.default_franchisee_id = None
        if "sub_mch_id" in changes:
            ensure_unique(
                Franchisee,
                "sub_mch_id",
                changes["sub_mch_id"],
                "sub_mch_id",
                "sub-merchant id",
                exclude_id=franchisee.id,
            )
        for key, value in changes.items():
            setattr(franchisee, key, value)
    return franchisee
