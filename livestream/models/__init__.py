"""The livestream domain's tables (see each module)."""

from livestream.models.attribution import CampaignVisit
from livestream.models.campaigns import (
    Campaign,
    CampaignStore,
    LineupItem,
    LiveSession,
    TimelineStep,
)
from livestream.models.readiness import GateDecision, LinkCheckRun
from livestream.models.targets import CampaignTarget, RewardRule
from livestream.models.training import ChecklistAnswer, ChecklistItem, TrainingProgress

__all__ = [
    "Campaign",
    "CampaignStore",
    "CampaignTarget",
    "CampaignVisit",
    "ChecklistAnswer",
    "ChecklistItem",
    "GateDecision",
    "LineupItem",
    "LinkCheckRun",
    "LiveSession",
    "RewardRule",
    "TimelineStep",
    "TrainingProgress",
]
