"""Configurable thresholds of the franchise domain, stored in ``FranchiseSetting`` rows.

Each setting has a key, a type, a default and bounds (``SETTINGS``); the typed getters
return the stored value or the default, so a fresh database works without rows. Only
HQ changes them (``update_settings``, which validates and commits).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.i18n import tr
from app.snapshots import SnapshotKind
from franchise.models import FranchiseSetting
from franchise.services.base import Invalid


@dataclass(frozen=True)
class Setting:
    """One configurable value: its type, default, bounds and label."""

    key: str
    kind: type
    default: int | float | bool
    label: object
    minimum: float | None = None
    maximum: float | None = None


SETTINGS = {
    s.key: s
    for s in (
        Setting("assignment.radius_km", float, 10.0, _l("Assignment radius (km)"), 0.1, 500),
        Setting("assignment.lock_days", int, 30, _l("Binding protection (days)"), 0, 3650),
        Setting("assignment.pool_balancing", bool, True, _l("Balance the HQ pool by capacity")),
        Setting(
            "rfm.recency_high_days", int, 30, _l("Recent buyer: last order within (days)"), 1, 3650
        ),
        Setting("rfm.recency_mid_days", int, 180, _l("Lapsing: last order within (days)"), 1, 3650),
        Setting("rfm.frequency_high", int, 4, _l("Frequent: paid orders a year"), 1, 10000),
        Setting("rfm.frequency_mid", int, 2, _l("Repeat: paid orders a year"), 1, 10000),
        Setting("rfm.monetary_high_fen", int, 1_000_000, _l("High spend a year (yuan)"), 1, 10**12),
        Setting("rfm.monetary_mid_fen", int, 200_000, _l("Mid spend a year (yuan)"), 1, 10**12),
        Setting(
            "live.price_floor_pct",
            int,
            50,
            _l("Live price floor (% of the list price; below it needs a confirmation)"),
            1,
            100,
        ),
        # --- credit (issue 18): appeal window, HQ's ruling deadline, in-store evidence ---
        Setting("credit.dispute_days", int, 14, _l("Dispute window (days)"), 1, 365),
        Setting("credit.ruling_days", int, 7, _l("HQ rules disputes within (days)"), 1, 90),
        Setting("credit.in_store_days", int, 30, _l("In-store credit window (days)"), 1, 365),
    )
}


def _stored() -> dict:
    rows = db.session.scalars(select(FranchiseSetting).where(FranchiseSetting.key.in_(SETTINGS)))
    return {row.key: row.value for row in rows}


def _coerce(setting: Setting, value):
    if setting.kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in (
            "1",
            "true",
            "yes",
            "on",
            "0",
            "false",
            "no",
            "off",
            "",
        ):
            return value.lower() in ("1", "true", "yes", "on")
        raise ValueError(tr("Yes or no."))
    if isinstance(value, bool):
        raise ValueError(tr("Not a valid number."))
    try:
        number = setting.kind(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(tr("Not a valid number.")) from None
    if setting.kind is float and number != number:  # NaN
        raise ValueError(tr("Not a valid number."))
    if setting.minimum is not None and number < setting.minimum:
        raise ValueError(tr("At least %(limit)s.", limit=f"{setting.minimum:g}"))
    if setting.maximum is not None and number > setting.maximum:
        raise ValueError(tr("At most %(limit)s.", limit=f"{setting.maximum:g}"))
    return number


def all_settings() -> dict:
    """Every setting's current value (stored, else the default), typed.

    Kept in memory per process (``SETTINGS_SNAPSHOT``, ``app/snapshots.py``), like the
    welcome's rules: a change HQ commits (``update_settings``) is seen by this process at
    once and by the others within a second (a minute after raw SQL), so a login or an
    order reads no settings row (it read them once per transaction)."""
    return dict(SETTINGS_SNAPSHOT.value())


def _read_settings() -> dict:
    stored = _stored()
    values = {}
    for key, setting in SETTINGS.items():
        try:
            values[key] = _coerce(setting, stored[key]) if key in stored else setting.default
        except (TypeError, ValueError):
            values[key] = setting.default
    return values


# built from the rows of ``SETTINGS``' keys only: the member settings' row (their own
# snapshot, ``member_settings.CONFIG``) changing leaves it in place
SETTINGS_SNAPSHOT = SnapshotKind(
    "franchise-settings",
    _read_settings,
    (FranchiseSetting,),
    holds=lambda row: row.key in SETTINGS,
)


def get_setting(key: str):
    """One setting's typed value."""
    return SETTINGS_SNAPSHOT.value()[key]


def radius_km() -> float:
    return float(get_setting("assignment.radius_km"))


def lock_days() -> int:
    return int(get_setting("assignment.lock_days"))


def pool_balancing() -> bool:
    return bool(get_setting("assignment.pool_balancing"))


def live_price_floor_pct() -> int:
    """A live price under this percentage of the list price needs an explicit confirmation
    and shows as a warning in the link check."""
    return int(get_setting("live.price_floor_pct"))


def rfm_cutoffs() -> dict:
    """The RFM cut-offs as ``{"recency_high_days": ..., ...}`` (without the ``rfm.`` prefix)."""
    return {k[4:]: v for k, v in all_settings().items() if k.startswith("rfm.")}


def update_settings(changes: dict) -> dict:
    """Validate and store ``changes`` (key → value); all or nothing. Returns all settings."""
    errors, clean = {}, {}
    for key, value in changes.items():
        setting = SETTINGS.get(key)
        if setting is None:
            errors[key] = ["Unknown setting."]
            continue
        try:
            clean[key] = _coerce(setting, value)
        except ValueError as exc:  # _coerce's own sentence, already translated
            errors[key] = [str(exc)]
    merged = {**all_settings(), **clean}
    if merged["rfm.recency_high_days"] > merged["rfm.recency_mid_days"]:
        errors.setdefault("rfm.recency_high_days", []).append("Must not exceed the lapsing days.")
    if merged["rfm.frequency_high"] < merged["rfm.frequency_mid"]:
        errors.setdefault("rfm.frequency_high", []).append("Must not be below the repeat count.")
    if merged["rfm.monetary_high_fen"] < merged["rfm.monetary_mid_fen"]:
        errors.setdefault("rfm.monetary_high_fen", []).append("Must not be below the mid spend.")
    if errors:
        db.session.rollback()
        # every entry is a msgid or a sentence tr() already built (found in no catalogue)
        translated = {key: [tr(text) for text in texts] for key, texts in errors.items()}
        raise Invalid("The settings have invalid values.", errors=translated)
    for key, value in clean.items():
        row = db.session.get(FranchiseSetting, key)
        if row is None:
            db.session.add(FranchiseSetting(key=key, value=value))
        else:
            row.value = value
    db.session.commit()
    return all_settings()
