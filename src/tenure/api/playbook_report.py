"""A playbook's measured effect: its treated customers against its holdout."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import Engine

from tenure.api.auth import Guard
from tenure.domains.automation import measure, programme
from tenure.domains.users.permissions import Permission as P
from tenure.kit.settings import Settings


def routes(engine: Engine, settings: Settings, router: APIRouter) -> None:
    """Add the playbook report and the programme report routes to ``router``."""
    guard = Guard(engine, router)

    @guard.route("GET", "/playbooks/{name}/report", P.READ_PLAYBOOKS)
    def playbook_report(
        name: str,
        window_days: int | None = Query(
            None,
            ge=1,
            le=730,
            description="Days after enrollment to count revenue (default: the goal's window, "
            "else 30).",
        ),
    ) -> dict[str, Any]:
        """Treated against holdout, intent to treat, windows closed only (docs/experiments.md).

        The goal rate with Newcombe's 95% interval, revenue and margin per customer with
        Welch's (and CUPED), the sample-ratio check, and the customers still needed.
        """
        with engine.connect() as conn:
            found = measure.measure(
                conn, name, margin_share=settings.value.margin, window_days=window_days
            )
        return found.as_dict()

    @guard.route("GET", "/programme/report", P.READ_PLAYBOOKS)
    def programme_report(
        window_days: int | None = Query(
            None,
            ge=1,
            le=730,
            description="Days after a customer's first marketing enrollment to count "
            "purchases and revenue (default: automation.programme_window_days).",
        ),
    ) -> dict[str, Any]:
        """Every marketing playbook together against the global control group.

        Customers counted from their first marketing enrollment, intent to treat, windows
        closed only (docs/experiments.md): the purchase rate (primary) with Newcombe's 95%
        interval, revenue and margin per customer with Welch's, the sample-ratio check and
        the customers still needed. Without a global control share: no one compared.
        """
        with engine.connect() as conn:
            found = programme.as_configured(conn, settings, window_days=window_days)
        return found.as_dict()
