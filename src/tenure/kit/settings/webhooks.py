"""Signed webhooks sent by playbooks: ``[webhooks]``."""

from __future__ import annotations

import base64
import binascii
from typing import Self

from pydantic import BaseModel, Field, field_validator, model_validator

# Environments in which webhooks may go to this machine or the local network by default: a
# developer's receiver on localhost, the tests' receiver on loopback.
LOCAL_ENVIRONMENTS = frozenset({"development", "test"})


class WebhookSettings(BaseModel):
    """Signed webhooks (Standard Webhooks) that playbooks send; see docs/webhooks.md."""

    secret: str | None = Field(
        default=None,
        description="The signing secret, `whsec_` and base64 (receivers verify with it). "
        "Unset: one is generated on first use and kept in the store; `tenure webhooks secret` "
        "prints it.",
    )
    timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="How long one delivery may take before it is abandoned and retried later.",
    )
    lease_seconds: int = Field(
        default=60,
        ge=5,
        le=3600,
        description="How long after a worker started a delivery (and died) another one sends "
        "it again. Must exceed `timeout_seconds`.",
    )
    max_attempts: int = Field(
        default=6, ge=1, le=20, description="Attempts before a delivery is marked failed."
    )
    concurrency: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Deliveries one worker sends at once, so a slow endpoint holds up no other.",
    )
    allow_private: bool | None = Field(
        default=None,
        description="Allow URLs on loopback, private or link-local addresses. Unset: allowed "
        "when `environment` is development or test, refused otherwise (SSRF).",
    )

    @field_validator("secret")
    @classmethod
    def _a_standard_webhooks_secret(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith("whsec_"):
            raise ValueError("a webhook secret starts with `whsec_` (then base64)")
        try:
            key = base64.b64decode(value.removeprefix("whsec_"), validate=True)
        except binascii.Error:
            raise ValueError("the part after `whsec_` is not base64") from None
        if len(key) < 24:
            raise ValueError("a webhook secret needs at least 24 random bytes")
        return value

    @model_validator(mode="after")
    def _lease_outlasts_a_call(self) -> Self:
        if self.lease_seconds <= self.timeout_seconds:
            raise ValueError("lease_seconds must exceed timeout_seconds")
        return self

    def private_allowed(self, environment: str) -> bool:
        """Whether URLs resolving to private addresses are allowed in ``environment``."""
        if self.allow_private is not None:
            return self.allow_private
        return environment in LOCAL_ENVIRONMENTS
