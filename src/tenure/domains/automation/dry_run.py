"""A dry run on history: replay a playbook day by day as if it had been live, writing nothing.

``simulate`` reads the store (``dry_run_inputs``), scores every day of the range as a scoring
run of that day would have (``tenure.analytics.daily_scores``), replays the playbook and the
other active ones beside it (``dry_run_replay``) and returns the figures (``dry_run_figures``):
entries per week, the holdout reached, emails and tasks per owner per week, collisions with
other playbooks, the frequency cap, and the goal rate of those it would have enrolled —
an observation, not the playbook's causal effect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Connection

from tenure.analytics.daily_scores import daily_scores
from tenure.domains.automation.definition import Playbook
from tenure.domains.automation.dry_run_figures import figures
from tenure.domains.automation.dry_run_inputs import others_of, read_inputs
from tenure.domains.automation.dry_run_replay import Replay, walk
from tenure.domains.automation.dry_run_triggers import not_replayed, reads_leads
from tenure.kit.settings import Settings

Progress = Callable[[int, int], None]  # (days done, days in all)


def simulate(
    conn: Connection,
    playbook: Playbook,
    first: date,
    last: date,
    today: date,
    settings: Settings,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Return the figures of ``playbook`` replayed from ``first`` to ``last`` (inclusive).

    ``today`` is the business day history ends on. Raises ``dry_run_inputs.BadRange`` (an
    InvalidInput naming "from" or "to") for a range outside history or the wrong way round.
    """
    others = others_of(conn, playbook.name)
    # lead scores cost a little every day: only when a replayed playbook reads them
    leads = any(reads_leads(p) for p in [playbook, *others])
    inputs = read_inputs(conn, first, last, today, settings, leads, others)
    replay = Replay([playbook, *inputs.others], inputs.history, inputs.rules)
    days = (last - inputs.start).days + 1
    scores = daily_scores(inputs.history.frames, inputs.start, last, inputs.params)

    def step(day: date) -> None:
        if progress is not None:
            progress((day - inputs.start).days + 1, days)

    walk(replay, scores, first, step)
    return figures(replay, first, last, not_replayed(playbook))
