"""Email: templates, the transport that sends, the frequency cap: ``[messaging]``."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
EVERY_DAY: list[Weekday] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class MessagingSettings(BaseModel):
    """Email sent by playbooks: where templates live, how mail leaves, how often it may."""

    transport: Literal["outbox", "smtp"] = Field(
        default="outbox",
        description="outbox: messages are marked sent without a network (the demo; read them "
        "with `tenure messages`); smtp: sent through the SMTP server below.",
    )
    smtp_host: str = Field(default="localhost", description="SMTP server to send through.")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="Its port (587, 465, 25).")
    smtp_username: str | None = Field(default=None, description="SMTP user, if it asks for one.")
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls",
        description="starttls (port 587), ssl (port 465) or none (a relay on this machine only).",
    )
    smtp_timeout: float = Field(
        default=30.0, gt=0, le=600, description="Seconds to wait for the SMTP server."
    )
    smtp_ca_file: Path | None = Field(
        default=None,
        description="A PEM file of the certificate authorities to trust for the SMTP server's "
        "TLS certificate (e.g. a company's own CA). None: the system's trusted ones.",
    )
    from_address: str = Field(
        default="Tenure <noreply@localhost>",
        description="The From of every email, e.g. `Acme <hello@acme.example>`.",
    )
    templates_dir: Path | None = Field(
        default=None,
        description="A folder of your own templates; a file there overrides the shipped one "
        "of the same name. None: the shipped templates only.",
    )
    marketing_cap: int = Field(
        default=3,
        ge=0,
        le=1000,
        description="At most this many marketing emails per customer every `cap_days` "
        "(service mail is not counted nor capped).",
    )
    cap_days: int = Field(default=7, ge=1, le=365, description="The frequency cap's window.")
    send_window_start: time = Field(
        default=time(8, 0),
        description="Marketing email goes out from this time of day, in the customer's time "
        "zone (the business's when they have none); queued outside the window, it waits for "
        "the next opening.",
    )
    send_window_end: time = Field(
        default=time(21, 0),
        description="… until this time. Earlier than the start: the window runs past "
        "midnight (e.g. 20:00–02:00); equal to the start: the whole day (no quiet hours).",
    )
    send_window_days: list[Weekday] = Field(
        default_factory=lambda: list(EVERY_DAY),
        min_length=1,
        description="The days the window opens on (a window past midnight belongs to the day "
        "it opens), e.g. [mon, tue, wed, thu, fri].",
    )
    sending_lease_seconds: int = Field(
        default=300,
        ge=10,
        le=86400,
        description="A message still `sending` this long after it was handed to the "
        "transport (the sender crashed) becomes `unknown`, for a person to review; it is "
        "never resent automatically.",
    )
    unsubscribe_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where customers reach this store's web app: unsubscribe links point "
        "to {unsubscribe_base_url}/unsubscribe/TOKEN.",
    )
    secret: str | None = Field(
        default=None,
        description="Signs unsubscribe links. None: derived from the database URL, so a fresh "
        "store works; production must set its own (refused otherwise), and changing it "
        "invalidates the links in mail already sent.",
    )
