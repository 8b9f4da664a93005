"""Campaign targets: region figures cascaded to franchisees and stores, and reward rules.

HQ sets each participating region's four figures (``METRICS``); ``cascade`` apportions
every figure to the region's participating franchisees and on to their participating
stores by weight, with the largest-remainder method, so that for every parent with
children Σ children == parent for each metric, in integers, never negative.

Weights (basis points of the parent): a sibling HQ edited (``weight_manual``) keeps its
weight; the rest of 10000 goes to the other siblings by their default weight, their share
of the last 90 days' GMV (``default_weights``). A unit's figures edited directly
(``set_unit_targets``) hold until that parent is cascaded again (region figures set again,
a sibling's weight changed, weights reset). Every public write commits or rolls back.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import select

from app.auth.principal import Principal, current_principal
from app.auth.scope import scoped
from app.db import committing
from app.errors import NotFound
from app.extensions import db
from app.i18n import tr
from franchise.services.base import invalid
from livestream.models import Campaign, CampaignTarget
from livestream.models.targets import LEVEL_FRANCHISEE, LEVEL_REGION, LEVEL_STORE, METRICS
from livestream.services import progress
from livestream.services.target_rules import (  # noqa: F401 - part of this module's API
    MAX_AMOUNT,
    RULE_KINDS,
    delete_rule,
    rules,
    save_rule,
)
from livestream.services.target_weights import (  # noqa: F401 - part of this module's API
    FULL_BPS,
    apportion,
    children_of,
    default_weights,
    effective_weights,
    gmv_weights,
    participant_tree,
)

MAX_FIGURE = 2**31 - 1  # the counts (new customers, joins, appointments) are INTEGER
# GMV is money (a BIGINT column): a region's festival target may pass ¥21.5 million; the
# bound is a business one, ¥100 billion a unit, far inside 64 bits
MAX_GMV_FEN = MAX_AMOUNT


def max_of(metric: str) -> int:
    """The largest target ``metric`` takes."""
    return MAX_GMV_FEN if metric == "gmv_fen" else MAX_FIGURE


PARENT_LEVEL = {LEVEL_FRANCHISEE: LEVEL_REGION, LEVEL_STORE: LEVEL_FRANCHISEE}


# --- cascade ----------------------------------------------------------------------


def _campaign(campaign_id: int) -> Campaign:
    """The campaign, locked for this transaction (one target edit at a time per campaign)."""
    if not isinstance(campaign_id, int) or isinstance(campaign_id, bool):
        raise NotFound("Campaign not found")
    campaign = db.session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None:
        raise NotFound("Campaign not found")
    return campaign


def _rows(campaign_id: int) -> dict[tuple[str, int], CampaignTarget]:
    stmt = select(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id)
    return {(t.level, t.ref_id): t for t in db.session.scalars(stmt)}


def _row(existing, touched, campaign_id, level, ref_id, region_id, franchisee_id=None,
         store_id=None):  # fmt: skip
    """The unit's row, created (zeros) when missing; scope columns kept current.

    The parents whose children change (a row created, or moved to another parent) go
    into ``touched``.
    """
    row = existing.get((level, ref_id))
    if row is not None and (row.region_id, row.franchisee_id) != (region_id, franchisee_id):
        touched.add(_parent_key(row))
    if row is None:
        row = CampaignTarget(
            campaign_id=campaign_id,
            level=level,
            ref_id=ref_id,
            weight_bps=FULL_BPS,
            weight_manual=False,
            **dict.fromkeys(METRICS, 0),
        )
        db.session.add(row)
        existing[(level, ref_id)] = row
        touched.add(_parent_key(row, region_id, franchisee_id))
    elif (row.region_id, row.franchisee_id) != (region_id, franchisee_id):
        touched.add(_parent_key(row, region_id, franchisee_id))
    row.region_id, row.franchisee_id, row.store_id = region_id, franchisee_id, store_id
    return row


def _spread(parent: CampaignTarget, children: list[CampaignTarget], defaults: dict) -> None:
    """Set the children's weights and apportion every metric of ``parent`` among them."""
    weights = effective_weights(children, defaults)
    for child in children:
        child.weight_bps = weights[child.ref_id]
    for metric in METRICS:
        parts = apportion(getattr(parent, metric), weights)
        for child in children:
            setattr(child, metric, parts[child.ref_id])


def _cascade(campaign_id: int, only: set[tuple[str, int]] | None = None) -> None:
    """Bring the rows in line with the participants and re-apportion (no commit).

    ``only``: the parents (``(level, ref_id)``) whose subtrees are re-apportioned; None
    means all. A parent whose children changed (one created or removed) always is, so the
    sums hold after any change of participants.
    """
    tree = participant_tree(campaign_id)
    existing = _rows(campaign_id)
    touched: set = set()
    keep: set[tuple[str, int]] = set()
    for region_id, franchisees in tree.items():
        _row(existing, touched, campaign_id, LEVEL_REGION, region_id, region_id)
        keep.add((LEVEL_REGION, region_id))
        for franchisee_id, stores in franchisees.items():
            _row(existing, touched, campaign_id, LEVEL_FRANCHISEE, franchisee_id, region_id,
                 franchisee_id)  # fmt: skip
            keep.add((LEVEL_FRANCHISEE, franchisee_id))
            for store_id in stores:
                _row(existing, touched, campaign_id, LEVEL_STORE, store_id, region_id,
                     franchisee_id, store_id)  # fmt: skip
                keep.add((LEVEL_STORE, store_id))
    for key, row in list(existing.items()):
        if key not in keep:
            touched.add(_parent_key(row))
            db.session.delete(row)
            del existing[key]
    dirty = (set(only) | touched) if only is not None else None
    for region_id, franchisees in tree.items():
        region = existing[(LEVEL_REGION, region_id)]
        f_rows = [existing[(LEVEL_FRANCHISEE, f)] for f in franchisees]
        region_spread = dirty is None or (LEVEL_REGION, region_id) in dirty
        if region_spread:
            _spread(region, f_rows, gmv_weights(LEVEL_FRANCHISEE, sorted(franchisees)))
        for f_row in f_rows:
            if region_spread or (dirty is not None and (LEVEL_FRANCHISEE, f_row.ref_id) in dirty):
                s_rows = [existing[(LEVEL_STORE, s)] for s in franchisees[f_row.ref_id]]
                defaults = gmv_weights(LEVEL_STORE, franchisees[f_row.ref_id])
                _spread(f_row, s_rows, defaults)
    db.session.flush()


def _parent_key(row: CampaignTarget, region_id=None, franchisee_id=None) -> tuple | None:
    """``(level, ref_id)`` of the row's parent (by the given ids, else the row's own)."""
    if row.level == LEVEL_FRANCHISEE:
        return (LEVEL_REGION, region_id or row.region_id)
    if row.level == LEVEL_STORE:
        return (LEVEL_FRANCHISEE, franchisee_id or row.franchisee_id)
    return None


def cascade(campaign_id: int) -> None:
    """Sync target rows with the participants and apportion every region downwards."""
    _campaign(campaign_id)
    with committing(db.session):
        _cascade(campaign_id)


# --- writes -----------------------------------------------------------------------


def _figures(values: dict, field: str) -> dict[str, int]:
    """Validated ``{metric: int}`` (known metrics, integers from 0 to ``max_of(metric)``)."""
    out = {}
    for metric, value in (values or {}).items():
        if metric not in METRICS:
            raise invalid(field, tr("Unknown metric: %(metric)s.", metric=metric))
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(metric, "Must be a whole number.")
        if not 0 <= value <= max_of(metric):
            raise invalid(metric, tr("Must be between 0 and %(max)s.", max=max_of(metric)))
        out[metric] = value
    return out


def set_region_targets(
    campaign_id: int, regions: dict[int, dict[str, int]], user_id: int | None = None
) -> list[CampaignTarget]:
    """Set participating regions' figures (metrics not given stay) and cascade them.

    A region that does not take part is a 422. Returns the region rows. ``user_id`` is the
    editor (kept for the audit trail once the model records it).
    """
    _campaign(campaign_id)
    with committing(db.session):
        tree = participant_tree(campaign_id)
        clean = {}
        for region_id, values in (regions or {}).items():
            if region_id not in tree:
                raise invalid("regions", tr("Region %(id)s does not take part.", id=region_id))
            clean[region_id] = _figures(values, "regions")
        _cascade(campaign_id, only=set())
        existing = _rows(campaign_id)
        for region_id, values in clean.items():
            for metric, value in values.items():
                setattr(existing[(LEVEL_REGION, region_id)], metric, value)
        _cascade(campaign_id, only={(LEVEL_REGION, r) for r in clean})
        out = [existing[(LEVEL_REGION, r)] for r in sorted(tree)]
    return out


def _target(target_id) -> CampaignTarget:
    row = db.session.get(CampaignTarget, target_id) if isinstance(target_id, int) else None
    if row is None:
        raise NotFound("Target not found")
    return row


def _parent_and_siblings(row: CampaignTarget) -> tuple[CampaignTarget, list[CampaignTarget]]:
    parent_level = PARENT_LEVEL[row.level]
    parent_id = cast(int, row.region_id if parent_level == LEVEL_REGION else row.franchisee_id)
    existing = _rows(row.campaign_id)
    parent = existing.get((parent_level, parent_id))
    ids = children_of(row.campaign_id, parent_level, parent_id)
    siblings = [existing[(row.level, i)] for i in ids if (row.level, i) in existing]
    if parent is None or row not in siblings:
        raise invalid("target", "This unit no longer takes part.")
    return parent, siblings


def set_weight(target_id: int, weight_bps: int) -> CampaignTarget:
    """Fix a franchisee's or store's weight (bps of its parent) and re-cascade the parent.

    The other non-manual siblings share the rest of 10000 by default weight. Manual weights
    over 10000 in total, or all siblings manual not adding up to 10000, are a 422.
    """
    row = _target(target_id)
    if row.level not in PARENT_LEVEL:
        raise invalid("weight_bps", "A region has no weight; set its figures instead.")
    if isinstance(weight_bps, bool) or not isinstance(weight_bps, int):
        raise invalid("weight_bps", "Must be a whole number.")
    if not 0 <= weight_bps <= FULL_BPS:
        raise invalid("weight_bps", "Must be between 0 and 10000.")
    with committing(db.session):
        _campaign(row.campaign_id)
        db.session.refresh(row)  # as it is now that the campaign is locked
        _cascade(row.campaign_id, only=set())
        parent, siblings = _parent_and_siblings(row)
        manual = weight_bps + sum(s.weight_bps for s in siblings if s.weight_manual and s != row)
        if manual > FULL_BPS:
            raise invalid("weight_bps", "Fixed weights of the units would exceed 100%.")
        if all(s.weight_manual or s == row for s in siblings) and manual != FULL_BPS:
            raise invalid("weight_bps", "Every unit here is fixed, so weights must add to 100%.")
        row.weight_bps, row.weight_manual = weight_bps, True
        _cascade(row.campaign_id, only={(parent.level, parent.ref_id)})
    return row


def set_unit_targets(target_id: int, values: dict[str, int]) -> CampaignTarget:
    """Edit a unit's figures; its siblings share the rest of the parent by weight.

    On a region row this sets the region's figures and cascades. On a franchisee or store
    row the edited figures are fixed, each sibling gets its weighted part of what remains
    (largest remainder), and the affected franchisees' stores are re-cascaded. More than
    the parent's figure, or less when the unit is its parent's only one, is a 422.
    """
    row = _target(target_id)
    clean = _figures(values, "targets")
    if row.level == LEVEL_REGION:
        set_region_targets(row.campaign_id, {row.ref_id: clean})
        return row
    with committing(db.session):
        _campaign(row.campaign_id)
        db.session.refresh(row)  # as it is now that the campaign is locked
        _cascade(row.campaign_id, only=set())
        parent, siblings = _parent_and_siblings(row)
        others = [s for s in siblings if s != row]
        for metric, value in clean.items():
            total = getattr(parent, metric)
            if value > total:
                raise invalid(metric, tr("More than the parent's target (%(total)s).", total=total))
            if not others and value != total:
                raise invalid(
                    metric,
                    tr("The only unit here must carry the whole target (%(total)s).", total=total),
                )
            parts = apportion(total - value, {s.ref_id: s.weight_bps for s in others})
            setattr(row, metric, value)
            for sibling in others:
                setattr(sibling, metric, parts[sibling.ref_id])
        if row.level == LEVEL_FRANCHISEE:
            _cascade(row.campaign_id, only={(LEVEL_FRANCHISEE, f.ref_id) for f in siblings})
    return row


def reset_weights(campaign_id: int) -> None:
    """Forget every manual weight and cascade again from the default weights."""
    _campaign(campaign_id)
    with committing(db.session):
        for row in _rows(campaign_id).values():
            row.weight_manual = False
        _cascade(campaign_id)


# --- reading ----------------------------------------------------------------------


def target_rows(campaign_id: int, level: str, principal: Principal | None = None) -> list[dict]:
    """``progress.progress`` rows the caller may see, with their target row's fields.

    Adds ``id`` (null for a unit with actuals but no target row, HQ only),
    ``weight_bps``, ``weight_manual``, ``region_id`` and ``franchisee_id``. Target rows
    go through the tenant scope, so an owner gets their franchise's units only.
    """
    principal = principal if principal is not None else current_principal()
    stmt = select(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign_id, CampaignTarget.level == level
    )
    by_ref = {t.ref_id: t for t in db.session.scalars(scoped(stmt, CampaignTarget, principal))}
    hq = principal is not None and principal.is_hq
    out = []
    for row in progress.progress(campaign_id, level):
        target = by_ref.get(row["ref_id"])
        if target is None and not hq:
            continue
        out.append(
            {
                **row,
                "id": target.id if target else None,
                "weight_bps": target.weight_bps if target else 0,
                "weight_manual": bool(target.weight_manual) if target else False,
                "region_id": target.region_id if target else None,
                "franchisee_id": target.franchisee_id if target else None,
            }
        )
    return out
