"""Imports every domain's ORM models so that ``Base.metadata`` knows all tables."""

from __future__ import annotations

from sqlalchemy import MetaData

from tenure.domains.audit.models import AuditEntry
from tenure.domains.automation.models import (
    Enrollment,
    PlaybookRecord,
    PlaybookVersion,
    StepRun,
)
from tenure.domains.crosssell.models import CustomerOffer, OfferDismissal, SequencePair
from tenure.domains.customers.models import Customer
from tenure.domains.events.models import Event, FeedCursor
from tenure.domains.lifecycle.models import StageHistory, StageTransition
from tenure.domains.loyalty.models import (
    LoyaltyAccount,
    LoyaltyAllocation,
    LoyaltyEntry,
    LoyaltyProgramme,
    LoyaltyRefund,
    LoyaltyTierMembership,
)
from tenure.domains.marketing.models import MarketingSpend
from tenure.domains.messaging.models import Message
from tenure.domains.orders.models import Order, OrderLine
from tenure.domains.preferences.models import StoredSettings
from tenure.domains.scheduling.models import ScheduleSlot, WorkerLease
from tenure.domains.scoring.models import (
    KpiSnapshot,
    RunRequest,
    ScoreHistory,
    ScoringRun,
)
from tenure.domains.segments.models import Segment, SegmentMember
from tenure.domains.subscriptions.models import Subscription
from tenure.domains.surveys.models import (
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
)
from tenure.domains.tasks.models import Task
from tenure.domains.users.models import ApiToken, LoginAttempt, User, WebSession
from tenure.domains.webhooks.models import WebhookDelivery
from tenure.storage.base import Base

ALL_MODELS = (
    User,
    ApiToken,
    WebSession,
    LoginAttempt,
    Customer,
    Order,
    OrderLine,
    Event,
    MarketingSpend,
    SurveyResponse,
    Subscription,
    ScoringRun,
    StageHistory,
    StageTransition,
    ScoreHistory,
    KpiSnapshot,
    RunRequest,
    Segment,
    SegmentMember,
    Task,
    AuditEntry,
    StoredSettings,
    FeedCursor,
    WorkerLease,
    ScheduleSlot,
    PlaybookRecord,
    PlaybookVersion,
    Enrollment,
    StepRun,
    Message,
    WebhookDelivery,
    Survey,
    SurveyInvitation,
    SurveyAnswer,
    LoyaltyProgramme,
    LoyaltyAccount,
    LoyaltyEntry,
    LoyaltyAllocation,
    LoyaltyRefund,
    LoyaltyTierMembership,
    SequencePair,
    CustomerOffer,
    OfferDismissal,
)


def metadata() -> MetaData:
    """Return the metadata of every table in the store."""
    return Base.metadata
