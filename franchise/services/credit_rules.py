"""HQ's credit rules and the split of one order line among the sources that claim it.

A rule is a source of credit (``CREDIT_SOURCES``) with a precedence (1 first) and a share
in basis points; the active rules' shares sum to exactly 10,000 (``save_rules`` refuses
anything else with a 422 naming ``rules``). A fresh database uses ``DEFAULT_RULES``.

``split_line`` is pure (the Hypothesis property drives it): every active source that has
a guide for the line takes its share; the share of a source without one goes to the
present source of highest precedence; a guide named by several sources gets one row with
their shares added. No source present: the whole line is the order's store's (no guide).
The shares of a line therefore always sum to 10,000.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.db import committing
from app.extensions import db
from app.i18n import tr
from franchise.models import CREDIT_SOURCES, FULL_BPS, CreditRule
from franchise.models.credit import (
    SOURCE_ASSIGNED,
    SOURCE_IN_STORE,
    SOURCE_LIVE,
    SOURCE_SHARE_CODE,
    SOURCE_STORE,
)
from franchise.services.base import Invalid

# (source, precedence, share_bps)
DEFAULT_RULES = (
    (SOURCE_LIVE, 1, 2000),
    (SOURCE_SHARE_CODE, 2, 5000),
    (SOURCE_IN_STORE, 3, 2000),
    (SOURCE_ASSIGNED, 4, 1000),
)


@dataclass(frozen=True)
class Rule:
    """A rule as the split reads it."""

    source: str
    precedence: int
    share_bps: int
    is_active: bool = True


@dataclass(frozen=True)
class Share:
    """One row of a line's split: a guide (None: the store) and its basis points."""

    guide_id: int | None
    share_bps: int
    sources: tuple[str, ...]


def current_rules() -> list[Rule]:
    """The stored rules by precedence, or the defaults when HQ has saved none."""
    rows = db.session.scalars(select(CreditRule).order_by(CreditRule.precedence)).all()
    if not rows:
        return [Rule(*row) for row in DEFAULT_RULES]
    return [Rule(r.source, r.precedence, r.share_bps, r.is_active) for r in rows]


def check_rules(rules: list[dict]) -> list[Rule]:
    """Validate HQ's rules: each source once, distinct precedences, shares 0..10,000, the
    active shares summing to 10,000; 422 naming ``rules`` otherwise."""
    problems = []
    sources = [r.get("source") for r in rules]
    if sorted(s for s in sources if s is not None) != sorted(CREDIT_SOURCES):
        problems.append("Give every source of credit exactly once.")
    precedences = [r.get("precedence") for r in rules]
    if len(set(precedences)) != len(precedences):
        problems.append("Each rule needs its own precedence.")
    active = [r for r in rules if r.get("is_active", True)]
    if sum(int(r.get("share_bps") or 0) for r in active) != FULL_BPS:
        problems.append("The active shares must add up to 10,000 basis points (100 %).")
    if problems:
        raise Invalid("The credit rules are invalid.", errors={"rules": [tr(p) for p in problems]})
    return [
        Rule(r["source"], int(r["precedence"]), int(r["share_bps"]), bool(r.get("is_active", True)))
        for r in sorted(rules, key=lambda r: r["precedence"])
    ]


def save_rules(rules: list[dict]) -> list[Rule]:
    """Replace the rules with ``rules`` (validated; commits)."""
    with committing(db.session):
        clean = check_rules(rules)
        stored = {r.source: r for r in db.session.scalars(select(CreditRule))}
        for rule in clean:
            row = stored.get(rule.source) or CreditRule(source=rule.source)
            row.precedence, row.share_bps, row.is_active = (
                rule.precedence,
                rule.share_bps,
                rule.is_active,
            )
            db.session.add(row)
    return current_rules()


def split_line(rules: list[Rule], present: dict[str, int]) -> list[Share]:
    """Split one line among ``present`` (source → guide id) by ``rules``; see the module
    docstring. Rows in order of their best source's precedence."""
    active = sorted((r for r in rules if r.is_active), key=lambda r: r.precedence)
    claimed = [r for r in active if r.source in present]
    if not claimed:
        return [Share(None, FULL_BPS, (SOURCE_STORE,))]
    first = claimed[0]
    bps: dict[int, int] = {}
    sources: dict[int, list[str]] = {}
    for rule in active:
        owner = rule if rule.source in present else first
        guide = present[owner.source]
        bps[guide] = bps.get(guide, 0) + rule.share_bps
        if rule.source in present:
            sources.setdefault(guide, []).append(rule.source)
    rows = [Share(g, bps[g], tuple(sources[g])) for g in sources if bps[g] > 0]
    if not rows:
        return [Share(None, FULL_BPS, (SOURCE_STORE,))]
    missing = FULL_BPS - sum(row.share_bps for row in rows)
    if missing:  # only when the active rules do not sum to 10,000 (refused on save)
        top = rows[0]
        rows[0] = Share(top.guide_id, top.share_bps + missing, top.sources)
    return rows
