"""Training checklists: the template HQ edits and each guide working through it.

Template: ``default_template`` builds the items from the line-up (products, discounts,
perks, talk track, link check, one price question per product); ``save_item``,
``delete_item`` and ``move_item`` edit it. Guides: ``progress_for`` reads (and on first
open creates) a guide's ``TrainingProgress``; ``answer`` ticks an item or records an
answer to a question (a wrong answer is kept with ``correct=False`` and may be retried).
When every required item is done correctly the progress is completed, late when that
happens after the training due day (Asia/Shanghai). Completion roll-ups live in
``livestream.services.training_board``. Every write commits here.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.clock import shanghai_day, utcnow
from app.errors import NotFound
from app.extensions import db
from app.i18n import tr
from app.web.formatting import yuan
from franchise.models import Guide
from franchise.services.base import commit_then_notify, invalid
from livestream.models import (
    Campaign,
    CampaignStore,
    ChecklistAnswer,
    ChecklistItem,
    TimelineStep,
    TrainingProgress,
)
from livestream.models.campaigns import STEP_TRAINING
from livestream.models.training import (
    ITEM_DISCOUNTS,
    ITEM_KINDS,
    ITEM_LINK_CHECK,
    ITEM_PERKS,
    ITEM_PRODUCTS,
    ITEM_QUESTION,
    ITEM_TALK_TRACK,
)
from livestream.services.access import get_campaign

MAX_TITLE, MAX_BODY, MAX_ANSWER = 128, 4000, 128
PRICE_QUESTION = "直播价是多少元？ {name}"
KIND_LABELS = {
    ITEM_PRODUCTS: _l("Products"),
    ITEM_DISCOUNTS: _l("Discount levels"),
    ITEM_PERKS: _l("Perks"),
    ITEM_TALK_TRACK: _l("Talk track"),
    ITEM_LINK_CHECK: _l("Link check"),
    ITEM_QUESTION: _l("Question"),
}


# --- helpers -------------------------------------------------------------------------


def price_answer(fen: int) -> str:
    """A price in yuan as a guide would write it: ``1599`` or ``1599.50``."""
    return str(fen // 100) if fen % 100 == 0 else f"{fen // 100}.{fen % 100:02d}"


def _as_number(text: str) -> Decimal | None:
    cleaned = text.strip().replace(",", "").replace("，", "").lstrip("¥￥").rstrip("元")
    try:
        value = Decimal(cleaned)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def answer_matches(given: str, expected: str | None) -> bool:
    """Numbers compare as numbers (``1599`` = ``1599.00``), else trimmed, case-insensitive."""
    if expected is None:
        return True
    a, b = _as_number(given), _as_number(expected)
    if a is not None and b is not None:
        return a == b
    return given.strip().casefold() == expected.strip().casefold()


def training_due_day(campaign: Campaign) -> date:
    """The training step's due day, else the live day (Shanghai) minus 7 days."""
    due = db.session.scalar(
        select(TimelineStep.due_on)
        .where(TimelineStep.campaign_id == campaign.id, TimelineStep.kind == STEP_TRAINING)
        .order_by(TimelineStep.id)
        .limit(1)
    )
    return due if due is not None else shanghai_day(campaign.live_at) - timedelta(days=7)


def items_of(campaign_id: int) -> list[ChecklistItem]:
    """The campaign's checklist in order."""
    return list(
        db.session.scalars(
            select(ChecklistItem)
            .where(ChecklistItem.campaign_id == campaign_id)
            .order_by(ChecklistItem.sort, ChecklistItem.id)
        )
    )


def get_item(campaign_id: int, item_id: int) -> ChecklistItem:
    """An item of this campaign, else ``NotFound``."""
    item = db.session.get(ChecklistItem, item_id) if isinstance(item_id, int) else None
    if item is None or item.campaign_id != campaign_id:
        raise NotFound("Checklist item not found")
    return item


# --- the template ----------------------------------------------------------------------


def _default_items(campaign: Campaign) -> list[dict]:
    lineup = list(campaign.lineup)
    products, discounts, coupons = [], [], []
    for li in lineup:
        p = li.product
        products.append(
            f"{p.name}（{p.sku}）：原价 {yuan(p.price_fen)} → 直播价 {yuan(li.live_price_fen)}"
        )
        off = round(100 * (p.price_fen - li.live_price_fen) / p.price_fen) if p.price_fen else 0
        discounts.append(f"{p.name}：直播价 {yuan(li.live_price_fen)}，立省 {max(off, 0)}%")
        ct = li.coupon_template
        if ct is not None:
            rule = (
                f"满 {yuan(ct.threshold_fen)} 减 {yuan(ct.amount_off_fen)}"
                if ct.threshold_fen
                else f"无门槛减 {yuan(ct.amount_off_fen)}"
            )
            coupons.append(f"{p.name}：{ct.name}（{rule}）")
    items = [
        (ITEM_PRODUCTS, "直播商品", "\n".join(products) or "（暂无商品）"),
        (ITEM_DISCOUNTS, "折扣力度", "\n".join(discounts) or "（暂无商品）"),
        (ITEM_PERKS, "直播福利", "\n".join(coupons) or "本场无专属优惠券。"),
        (
            ITEM_TALK_TRACK,
            "开场与收尾话术",
            "开场：大家好，欢迎来到直播间！今天的专属价格只在直播中有效……\n"
            "收尾：感谢大家的陪伴，下单有任何问题随时联系您的专属导购。",
        ),
        (ITEM_LINK_CHECK, "链接自检", "打开你的分享链接，检查每个商品页和支付按钮。"),
    ]
    rows = [{"kind": k, "title": t, "body": b, "expected_answer": None} for k, t, b in items]
    for li in lineup:
        rows.append(
            {
                "kind": ITEM_QUESTION,
                "title": PRICE_QUESTION.format(name=li.product.name)[:MAX_TITLE],
                "body": "",
                "expected_answer": price_answer(li.live_price_fen),
            }
        )
    return rows


def default_template(campaign_id: int) -> list[ChecklistItem]:
    """Create the default items from the line-up when the campaign has none; the items."""
    campaign = get_campaign(campaign_id)
    existing = items_of(campaign.id)
    if existing:
        return existing
    for sort, row in enumerate(_default_items(campaign)):
        db.session.add(ChecklistItem(campaign_id=campaign.id, required=True, sort=sort, **row))
    commit_then_notify()
    return items_of(campaign.id)


def _clean_item(data: dict, item: ChecklistItem | None) -> dict:
    """Validated fields of an item (a 422 naming the first bad field)."""
    kind = data.get("kind", item.kind if item else None)
    if kind not in ITEM_KINDS:
        raise invalid("kind", "Choose a kind.")
    title = str(data.get("title", item.title if item else "") or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise invalid("title", tr("Between 1 and %(max)s characters.", max=MAX_TITLE))
    body = str(data.get("body", item.body if item else "") or "").strip()
    if len(body) > MAX_BODY:
        raise invalid("body", tr("At most %(max)s characters.", max=MAX_BODY))
    expected = data.get("expected_answer", item.expected_answer if item else None)
    expected = str(expected or "").strip()
    if kind == ITEM_QUESTION:
        if not expected or len(expected) > MAX_ANSWER:
            too_long = tr("Between 1 and %(max)s characters.", max=MAX_ANSWER)
            raise invalid("expected_answer", too_long)
    else:
        expected = None
    required = data.get("required", item.required if item else True)
    return {
        "kind": kind,
        "title": title,
        "body": body,
        "expected_answer": expected,
        "required": bool(required),
    }


def save_item(campaign_id: int, data: dict, item: ChecklistItem | None = None) -> ChecklistItem:
    """Add an item at the end (``item`` None) or update ``item`` from ``data``.

    ``data``: kind, title, body, expected_answer (questions only), required.
    """
    campaign = get_campaign(campaign_id)
    if item is not None and item.campaign_id != campaign.id:
        raise NotFound("Checklist item not found")
    values = _clean_item(data, item)
    if item is None:
        last = db.session.scalar(
            select(func.max(ChecklistItem.sort)).where(ChecklistItem.campaign_id == campaign.id)
        )
        item = ChecklistItem(campaign_id=campaign.id, sort=(last + 1) if last is not None else 0)
        db.session.add(item)
    for key, value in values.items():
        setattr(item, key, value)
    commit_then_notify()
    return item


def delete_item(item_id: int, campaign_id: int | None = None) -> None:
    """Delete an item (and the answers given to it)."""
    item = db.session.get(ChecklistItem, item_id) if isinstance(item_id, int) else None
    if item is None or (campaign_id is not None and item.campaign_id != campaign_id):
        raise NotFound("Checklist item not found")
    db.session.execute(ChecklistAnswer.__table__.delete().where(ChecklistAnswer.item_id == item.id))
    db.session.delete(item)
    commit_then_notify()


def move_item(item_id: int, direction: str, campaign_id: int | None = None) -> None:
    """Move an item one place ``"up"`` or ``"down"`` (sorts renumbered 0..n-1)."""
    item = db.session.get(ChecklistItem, item_id) if isinstance(item_id, int) else None
    if item is None or (campaign_id is not None and item.campaign_id != campaign_id):
        raise NotFound("Checklist item not found")
    if direction not in ("up", "down"):
        raise invalid("direction", "Up or down.")
    items = items_of(item.campaign_id)
    i = items.index(item)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(items):
        items[i], items[j] = items[j], items[i]
    for sort, it in enumerate(items):
        it.sort = sort
    commit_then_notify()


# --- guides ------------------------------------------------------------------------------


def ensure_progress(campaign_id: int) -> int:
    """A progress row for every active guide of every participating store; rows created."""
    campaign = get_campaign(campaign_id)
    have = set(
        db.session.scalars(
            select(TrainingProgress.guide_id).where(TrainingProgress.campaign_id == campaign.id)
        )
    )
    created = 0
    rows = db.session.execute(
        select(Guide.id, CampaignStore)
        .join(CampaignStore, CampaignStore.store_id == Guide.store_id)
        .where(CampaignStore.campaign_id == campaign.id, Guide.status == "active")
        .order_by(Guide.id)
    ).all()
    for guide_id, cs in rows:
        if guide_id in have:
            continue
        db.session.add(_new_progress(campaign.id, guide_id, cs))
        created += 1
    if created:
        commit_then_notify()
    return created


def _new_progress(campaign_id: int, guide_id: int, cs: CampaignStore) -> TrainingProgress:
    return TrainingProgress(
        campaign_id=campaign_id,
        guide_id=guide_id,
        store_id=cs.store_id,
        franchisee_id=cs.franchisee_id,
        region_id=cs.region_id,
    )


def progress_for(campaign_id: int, guide_id: int, create: bool = True) -> TrainingProgress | None:
    """The guide's progress; created (and committed) when missing and ``create``.

    ``NotFound`` when the guide is not an active guide of a participating store.
    """
    progress = db.session.scalars(
        select(TrainingProgress).where(
            TrainingProgress.campaign_id == campaign_id, TrainingProgress.guide_id == guide_id
        )
    ).first()
    if progress is not None or not create:
        return progress
    guide = db.session.get(Guide, guide_id) if isinstance(guide_id, int) else None
    cs = None
    if guide is not None and guide.status == "active":
        cs = db.session.scalars(
            select(CampaignStore).where(
                CampaignStore.campaign_id == campaign_id, CampaignStore.store_id == guide.store_id
            )
        ).first()
    if cs is None:
        raise NotFound("Campaign not found")
    progress = _new_progress(campaign_id, guide_id, cs)
    db.session.add(progress)
    commit_then_notify()
    return progress


def answers_by_item(progress: TrainingProgress | None) -> dict[int, ChecklistAnswer]:
    """The progress's answers keyed by item id."""
    return {a.item_id: a for a in progress.answers} if progress is not None else {}


def counts(items: list[ChecklistItem], progress: TrainingProgress | None) -> tuple[int, int]:
    """``(done, total)`` over the required items (done = answered correctly / ticked)."""
    answers = answers_by_item(progress)
    required = [i for i in items if i.required]
    done = sum(1 for i in required if i.id in answers and answers[i.id].correct)
    return done, len(required)


def answer(campaign_id: int, guide_id: int, item_id: int, answer: str | None) -> TrainingProgress:
    """Tick an item, or answer a question (kept with ``correct``; wrong ones may be retried).

    Completes the progress when every required item is done; late after the due day.
    """
    campaign = get_campaign(campaign_id)
    item = get_item(campaign.id, item_id)
    progress = progress_for(campaign.id, guide_id)
    assert progress is not None  # created when missing
    text = str(answer or "").strip()
    if item.kind == ITEM_QUESTION:
        if not text:
            raise invalid("answer", "Enter your answer.")
        if len(text) > MAX_ANSWER:
            raise invalid("answer", tr("At most %(max)s characters.", max=MAX_ANSWER))
        correct = answer_matches(text, item.expected_answer)
    else:
        text, correct = "", True
    now = utcnow()
    existing = answers_by_item(progress).get(item.id)
    if existing is None:
        progress.answers.append(
            ChecklistAnswer(item_id=item.id, answer=text, correct=correct, answered_at=now)
        )
    elif not existing.correct:
        existing.answer, existing.correct, existing.answered_at = text, correct, now
    if progress.started_at is None:
        progress.started_at = now
    if progress.completed_at is None:
        done, total = counts(items_of(campaign.id), progress)
        if done == total:
            progress.completed_at = now
            progress.is_late = shanghai_day(now) > training_due_day(campaign)
    commit_then_notify()
    return progress


# --- completion (implemented in training_board; here for callers of this module) ----------


def completion(campaign_id: int, level: str, today: date | None = None, principal=None):
    """Completion rows per ``level``: see ``training_board.completion``."""
    from livestream.services import training_board

    return training_board.completion(campaign_id, level, today=today, principal=principal)


def trained_by_store(campaign_id: int) -> dict[int, tuple[int, int]]:
    """``{store_id: (trained, active_guides)}``: see ``training_board.trained_by_store``."""
    from livestream.services import training_board

    return training_board.trained_by_store(campaign_id)
