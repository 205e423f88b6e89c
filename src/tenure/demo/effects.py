"""How the demo company answers its playbooks: the true effects behind the measured uplift.

The simulated history is drawn before any playbook runs, so on its own it holds no effect of
them: every measured uplift would be noise around zero. ``tenure demo`` adds one, known in
advance: each treated enrollment of the playbooks below whose first email of the playbook was
delivered (``sent`` in the outbox) buys once more, with the stated probability, on a day drawn
evenly from what is left of its measuring window (``tenure.demo.responses``). Holdouts get no
email, so they never respond; nor do emails the consent or the frequency cap held back.

The demo measures these playbooks over ``WINDOW_DAYS`` days (``measure.window_days`` of the
published copies), a window that closes inside the four replayed weeks, so the goal rate of
the enrollments of the middle run (two weeks before the end) can be compared without
replaying more history; and holds out ``HOLDOUT`` of their enrollments instead of the shipped
10%, so that one batch of enrollments gives an interval narrow enough to read.

The true effect on the goal rate (a purchase within the window) of the measured enrollments,
intent to treat, is the response probability × the share of treated enrollments that got the
email and would not have bought in the window anyway: a response of someone who buys anyway
changes nothing. ``tenure demo`` writes it to ``effects.json`` beside the truth files.
"""

from __future__ import annotations

from dataclasses import dataclass

WINDOW_DAYS = 13  # the demo measures its playbooks over this many days after enrollment
HOLDOUT = 0.3  # and holds out this share of their enrollments (the shipped files: 10%)
EFFECTS_FILE = "effects.json"


@dataclass(frozen=True)
class TrueEffect:
    """A playbook's email and what it does to those who get it."""

    playbook: str
    response_probability: float  # of buying once more within the window, given the email
    story: str


EFFECTS: dict[str, TrueEffect] = {
    e.playbook: e
    for e in (
        TrueEffect("win-back", 0.20, "the offer brings a leaving customer back to buy"),
        TrueEffect("lead-welcome", 0.15, "the welcome email turns a promising lead into a buyer"),
        TrueEffect(
            "new-customer-onboarding", 0.12, "the thank-you email brings a second order sooner"
        ),
    )
}
