"""Which events of the feed enroll a customer in a playbook: pure matching, no store.

The feed-driven triggers read Tenure's own events (a stage entered, a band crossed, a task
completed, a survey answered, a segment entered or left) and any event type a playbook names.
The others — no activity for N days, a date — come from the calendar (``scheduled.py``), and a
playbook's own score line from two runs' scores (``crossings.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tenure.domains.automation.definition import (
    EventReceived,
    Playbook,
    ScoreCrossed,
    StageEntered,
    SurveyAnswered,
    TaskCompleted,
    TierChanged,
    Trigger,
)
from tenure.domains.events.feed import FeedEvent
from tenure.domains.events.models import SystemEventType


def feed_types(playbook: Playbook) -> list[str]:
    """Return the event types that may enroll a customer in ``playbook`` (none: not by feed)."""
    types: set[str] = set()
    for trigger in playbook.trigger:
        if trigger.stage_entered is not None:
            types.add(SystemEventType.STAGE_CHANGED.value)
        elif trigger.score_crossed is not None:
            types.add(SystemEventType.SCORE_CROSSED.value)
        elif trigger.event is not None:
            types.add(trigger.event.type)
        elif trigger.survey_answered is not None:
            types.add(SystemEventType.SURVEY_ANSWERED.value)
        elif trigger.task_completed is not None:
            types.add(SystemEventType.TASK_COMPLETED.value)
        elif trigger.segment is not None:
            types.add(SystemEventType.SEGMENT_CHANGED.value)
        elif trigger.tier_changed is not None:
            types.add(SystemEventType.TIER_CHANGED.value)
    return sorted(types)


def _stage_entered(rule: StageEntered, props: dict[str, Any]) -> bool:
    if props.get("to") not in rule.to:
        return False
    return rule.from_ is None or props.get("from") in rule.from_


def _score_crossed(rule: ScoreCrossed, props: dict[str, Any]) -> bool:
    if props.get("score") != rule.score:
        return False
    if rule.becomes is not None:
        return props.get("to") in rule.becomes
    before, after = props.get("from"), props.get("to")
    if not isinstance(before, int | float) or not isinstance(after, int | float):
        return False
    if rule.above is not None:
        return before <= rule.above < after
    return rule.below is not None and before >= rule.below > after


def _event(rule: EventReceived, event: FeedEvent, props: dict[str, Any]) -> bool:
    if event.type != rule.type:
        return False
    return all(props.get(key) == value for key, value in (rule.properties or {}).items())


def _survey_answered(rule: SurveyAnswered, props: dict[str, Any]) -> bool:
    if props.get("survey") != rule.survey:
        return False
    score = props.get("score")
    if not isinstance(score, int | float):
        return False
    return (rule.min is None or score >= rule.min) and (rule.max is None or score <= rule.max)


def _task_completed(rule: TaskCompleted, props: dict[str, Any]) -> bool:
    if rule.playbook is not None and props.get("task_source") != f"playbook:{rule.playbook}":
        return False
    if rule.root_cause is not None and props.get("root_cause") != rule.root_cause:
        return False
    return rule.outcome is None or rule.outcome.lower() in str(props.get("outcome", "")).lower()


def _tier_changed(rule: TierChanged, props: dict[str, Any]) -> bool:
    if rule.programme is not None and props.get("programme") != rule.programme:
        return False
    if rule.to is not None and props.get("to") not in rule.to:
        return False
    if rule.from_ is not None and props.get("from") not in rule.from_:
        return False
    # a review writes reason "enter" for a move up and "down" for a move down
    wanted = {"up": "enter", "down": "down"}.get(rule.direction or "")
    return wanted is None or props.get("reason") == wanted


def matching(playbook: Playbook, event: FeedEvent) -> str | None:
    """Return the kind of the first trigger of ``playbook`` that ``event`` sets off, if any."""
    props = event.properties or {}
    for trigger in playbook.trigger:
        if _sets_off(trigger, event, props):
            return trigger.kind
    return None


def _sets_off(trigger: Trigger, event: FeedEvent, props: dict[str, Any]) -> bool:
    kind = event.type
    if trigger.stage_entered is not None:
        return kind == SystemEventType.STAGE_CHANGED and _stage_entered(
            trigger.stage_entered, props
        )
    if trigger.score_crossed is not None:
        return kind == SystemEventType.SCORE_CROSSED and _score_crossed(
            trigger.score_crossed, props
        )
    if trigger.event is not None:
        return _event(trigger.event, event, props)
    if trigger.survey_answered is not None:
        return kind == SystemEventType.SURVEY_ANSWERED and _survey_answered(
            trigger.survey_answered, props
        )
    if trigger.task_completed is not None:
        return kind == SystemEventType.TASK_COMPLETED and _task_completed(
            trigger.task_completed, props
        )
    if trigger.tier_changed is not None:
        return kind == SystemEventType.TIER_CHANGED and _tier_changed(trigger.tier_changed, props)
    if trigger.segment is not None:
        rule = trigger.segment
        change, name = ("entered", rule.entered) if rule.entered else ("left", rule.left)
        return (
            kind == SystemEventType.SEGMENT_CHANGED
            and props.get("segment") == name
            and props.get("change") == change
        )
    return False


def first_per_customer(
    playbook: Playbook, events: Iterable[FeedEvent]
) -> dict[int, tuple[str, FeedEvent]]:
    """Return, per customer, the first event of a batch that sets ``playbook`` off."""
    found: dict[int, tuple[str, FeedEvent]] = {}
    for event in events:
        if event.customer_id in found:
            continue
        kind = matching(playbook, event)
        if kind is not None:
            found[event.customer_id] = (kind, event)
    return found
