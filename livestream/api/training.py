"""Training API: completion per level, the checklist, and a guide answering it.

``GET /api/v1/campaigns/{id}/training?level=`` (HQ, owners: their franchise's rows)
gives completion rows; ``GET /api/v1/campaigns/{id}/checklist`` the items in order
(expected answers only for HQ; a guide also gets their own progress);
``POST /api/v1/campaigns/{id}/checklist/{item_id}/answer`` (guide token) ``{"answer"}``
ticks an item or answers a question and returns the guide's progress. A campaign the
caller may not see is 404.
"""

from __future__ import annotations

from typing import cast

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app.auth.decorators import api_roles
from app.auth.models import FRANCHISE_OWNER, GUIDE, HQ_ROLES, STAFF_ROLES
from app.auth.principal import current_principal, required_principal
from app.errors import NotFound
from app.extensions import api_blueprint
from app.schemas import MAX_ID, IdNameSchema, Text
from livestream.services import training as service
from livestream.services import training_board as board_service
from livestream.services.access import campaign_or_404

blp = api_blueprint("livestream_training_api", __name__, "Livestream: training")


class LevelQuerySchema(Schema):
    level = Text(load_default="store", validate=validate.OneOf(board_service.LEVELS))


class TrainingStateSchema(Schema):
    """Where a guide stands on the checklist: their store, when they started and
    finished, whether after the due day."""

    store_id = fields.Integer()
    started_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    is_late = fields.Boolean()


class CompletionRowSchema(IdNameSchema, TrainingStateSchema):
    level = fields.String()
    guides = fields.Integer()
    trained = fields.Integer()
    pct = fields.Float()
    late = fields.Integer()
    overdue = fields.Integer()
    store_name = fields.String()


class CompletionSchema(Schema):
    campaign_id = fields.Integer()
    level = fields.String()
    due_on = fields.Date()
    items = fields.List(fields.Nested(CompletionRowSchema))


class ItemSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    required = fields.Boolean()
    sort = fields.Integer()
    expected_answer = fields.String(allow_none=True)  # HQ only
    done = fields.Boolean()  # guide only: answered correctly / ticked
    answer = fields.String(allow_none=True)  # guide only: their last answer


class AnswerStateSchema(Schema):
    item_id = fields.Integer()
    answer = fields.String()
    correct = fields.Boolean()
    answered_at = fields.DateTime()


class ProgressSchema(TrainingStateSchema):
    campaign_id = fields.Integer()
    guide_id = fields.Integer()
    done = fields.Integer()
    total = fields.Integer()
    answers = fields.List(fields.Nested(AnswerStateSchema))


class ChecklistSchema(Schema):
    campaign_id = fields.Integer()
    due_on = fields.Date()
    items = fields.List(fields.Nested(ItemSchema))
    progress = fields.Nested(ProgressSchema, allow_none=True)


class AnswerBodySchema(Schema):
    answer = Text(validate=validate.Length(max=service.MAX_ANSWER), allow_none=True)


class AnswerResultSchema(ProgressSchema):
    item_id = fields.Integer()
    correct = fields.Boolean()


def progress_dict(campaign_id: int, progress) -> dict | None:
    """A guide's progress as the API shows it."""
    if progress is None:
        return None
    done, total = service.counts(service.items_of(campaign_id), progress)
    return {
        "campaign_id": progress.campaign_id,
        "guide_id": progress.guide_id,
        "store_id": progress.store_id,
        "started_at": progress.started_at,
        "completed_at": progress.completed_at,
        "is_late": progress.is_late,
        "done": done,
        "total": total,
        "answers": sorted(progress.answers, key=lambda a: a.item_id),
    }


@blp.route("/campaigns/<int:campaign_id>/training")
class TrainingCompletion(MethodView):
    @api_roles(*HQ_ROLES, FRANCHISE_OWNER)
    @blp.arguments(LevelQuerySchema, location="query")
    @blp.response(200, CompletionSchema)
    @blp.alt_response(404, description="No such campaign for the caller")
    def get(self, args, campaign_id):
        """Completion per region / franchisee / store / guide (owners: their franchise)."""
        campaign = campaign_or_404(campaign_id)
        return {
            "campaign_id": campaign.id,
            "level": args["level"],
            "due_on": service.training_due_day(campaign),
            "items": board_service.completion(
                campaign.id, args["level"], principal=current_principal()
            ),
        }


@blp.route("/campaigns/<int:campaign_id>/checklist")
class Checklist(MethodView):
    @api_roles(*STAFF_ROLES)
    @blp.response(200, ChecklistSchema)
    @blp.alt_response(404, description="No such campaign for the caller")
    def get(self, campaign_id):
        """The items in order; expected answers for HQ; a guide's own progress."""
        campaign = campaign_or_404(campaign_id)
        principal = required_principal()
        items = service.items_of(campaign.id)
        progress = None
        if principal.role == GUIDE:
            if principal.guide_id is None:
                raise NotFound("Campaign not found")
            progress = service.progress_for(campaign.id, principal.guide_id, create=False)
        answers = service.answers_by_item(progress)
        rows = []
        for item in items:
            row = {
                "id": item.id,
                "kind": item.kind,
                "title": item.title,
                "body": item.body,
                "required": item.required,
                "sort": item.sort,
            }
            if principal.is_hq:
                row["expected_answer"] = item.expected_answer
            if principal.role == GUIDE:
                given = answers.get(item.id)
                row["done"] = bool(given and given.correct)
                row["answer"] = given.answer if given else None
            rows.append(row)
        return {
            "campaign_id": campaign.id,
            "due_on": service.training_due_day(campaign),
            "items": rows,
            "progress": progress_dict(campaign.id, progress),
        }


@blp.route("/campaigns/<int:campaign_id>/checklist/<int:item_id>/answer")
class ChecklistAnswerView(MethodView):
    @api_roles(GUIDE)
    @blp.arguments(AnswerBodySchema)
    @blp.response(200, AnswerResultSchema)
    @blp.alt_response(404, description="No such campaign or item for the caller")
    @blp.alt_response(422, description="Missing or too long answer")
    def post(self, body, campaign_id, item_id):
        """Tick the item or answer the question; returns my progress and ``correct``."""
        campaign = campaign_or_404(campaign_id)
        principal = required_principal()
        if principal.guide_id is None or item_id > MAX_ID:
            raise NotFound("Checklist item not found")
        progress = service.answer(campaign.id, principal.guide_id, item_id, body.get("answer"))
        mine = service.answers_by_item(progress).get(item_id)
        return {
            **cast(dict, progress_dict(campaign.id, progress)),  # a progress: a dict
            "item_id": item_id,
            "correct": bool(mine and mine.correct),
        }
