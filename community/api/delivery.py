"""CONTRACT ``GET /api/v1/groups/{id}/deliveries``: what a group got, day by day.

HQ sees every group, a franchise owner their franchise's, a guide their own; any other
group is 404. Items (newest day first): ``day``, ``plan_id``, ``plan_name``, ``post_id``,
``post_title``, ``status`` (allocated / waiting), ``reason``, ``send_at``, ``batch_id``,
``msgid``, ``result`` (pending / sent / not_friend / quota_used / failed, or null when no
batch yet) and ``result_time``.
"""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from app.auth.decorators import api_roles
from app.auth.models import STAFF_ROLES
from app.auth.scope import get_scoped_or_404
from app.extensions import api_blueprint
from app.schemas import MAX_ID, page_of
from community.models import (
    ContentPost,
    GroupDelivery,
    PushPlan,
    SendBatch,
    SlotAllocation,
    WecomGroup,
)
from community.schemas import DeliveryPageSchema, DeliveryQuerySchema
from community.services.schedule import RESULT_OF_SLOT

blp = api_blueprint("community_delivery_api", __name__, "Community: per-group delivery history")


def delivery_rows(group_id: int, args: dict):
    stmt = (
        select(
            SlotAllocation.day,
            SlotAllocation.plan_id,
            PushPlan.name.label("plan_name"),
            SlotAllocation.post_id,
            ContentPost.title.label("post_title"),
            SlotAllocation.status,
            SlotAllocation.reason,
            SlotAllocation.send_at,
            SlotAllocation.batch_id,
            SendBatch.msgid,
            GroupDelivery.status.label("result"),
            GroupDelivery.send_time.label("result_time"),
        )
        .join(PushPlan, PushPlan.id == SlotAllocation.plan_id)
        .join(ContentPost, ContentPost.id == SlotAllocation.post_id)
        .outerjoin(SendBatch, SendBatch.id == SlotAllocation.batch_id)
        .outerjoin(GroupDelivery, RESULT_OF_SLOT)
        .where(SlotAllocation.group_id == group_id)
    )
    if args.get("day_from"):
        stmt = stmt.where(SlotAllocation.day >= args["day_from"])
    if args.get("day_to"):
        stmt = stmt.where(SlotAllocation.day <= args["day_to"])
    return stmt.order_by(SlotAllocation.day.desc(), SlotAllocation.priority.desc())


@blp.route("/groups/<int:group_id>/deliveries")
class GroupDeliveries(MethodView):
    @api_roles(*STAFF_ROLES)
    @blp.arguments(DeliveryQuerySchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    @blp.alt_response(404, description="No such group for the caller")
    def get(self, args, group_id):
        """Per day: plan, post, allocated / waiting with the reason, msgid, group result."""
        if group_id > MAX_ID:
            group_id = 0
        group = get_scoped_or_404(WecomGroup, group_id)
        page = page_of(delivery_rows(group.id, args), args, rows=True)
        return {**page, "group_id": group.id, "items": [row._asdict() for row in page["items"]]}
