"""Playbooks as a whole: ``[automation]``."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AutomationSettings(BaseModel):
    """Playbooks as a whole: the global control group that measures the whole programme."""

    global_control_share: float = Field(
        default=0.0,
        ge=0,
        le=0.5,
        description="Share of all customers, chosen by a stable hash of the customer, who get "
        "no marketing playbook at all (service playbooks still reach them); their enrollments "
        "are recorded as global control. 0 turns it off.",
    )
    programme_window_days: int = Field(
        default=90,
        ge=7,
        le=730,
        description="Days after a customer's first marketing enrollment over which the "
        "programme's lift counts purchases and revenue.",
    )
    programme_detectable_difference: float = Field(
        default=0.05,
        gt=0,
        le=0.5,
        description="The smallest difference in the purchase rate worth detecting: until the "
        "programme has measured the customers this needs (95% confidence, 80% power), it "
        'reports "not enough data yet" and how many more it needs.',
    )
