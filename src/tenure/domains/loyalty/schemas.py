"""What the API takes for loyalty: an award and a redemption (each under an idempotency key)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tenure.kit.ids import MAX_ID

Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Units = Field(gt=0, le=10**12, description="Points, or cents of a cashback programme.")


class Write(BaseModel):
    """What every loyalty write shares: the programme and the idempotency key."""

    model_config = ConfigDict(extra="forbid")

    programme: Text | None = Field(default=None, description="Needed when there are several.")
    key: Text | None = Field(
        default=None,
        description="Your idempotency key (or the Idempotency-Key header): sending it again "
        "returns the first answer and changes nothing.",
    )


class NewAward(Write):
    """Credit points to a member: goodwill, a campaign, a correction upwards."""

    amount: int = Units
    reason: Text | None = None


class NewRedemption(Write):
    """Spend a member's points on a reward of the programme (its price × quantity) or an amount."""

    reward: Text | None = None
    quantity: int = Field(default=1, ge=1, le=1000)
    amount: int | None = Field(default=None, gt=0, le=10**12)


class NewReferral(BaseModel):
    """A friend who arrived by a member's code (record it when the friend signs up)."""

    model_config = ConfigDict(extra="forbid")

    programme: Text | None = Field(default=None, description="Needed when there are several.")
    code: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    friend_id: int = Field(gt=0, le=MAX_ID, description="The friend's customer id.")


class NewMembership(BaseModel):
    """A customer joining a programme (an opt-in programme's members are those who joined)."""

    model_config = ConfigDict(extra="forbid")

    programme: Text | None = Field(default=None, description="Needed when there are several.")


class ReferralDecision(BaseModel):
    """A person's decision on a referral waiting for review."""

    model_config = ConfigDict(extra="forbid")

    programme: Text | None = Field(default=None, description="Needed when there are several.")
    approve: bool
    note: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
