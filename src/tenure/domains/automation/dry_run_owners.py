"""A dry run's workload per owner, and the words for an owner that is not a person.

The figures keep one row per owner and week (``workload.emails`` / ``workload.tasks``); people
read a year of weeks better as one line per owner: emails, tasks and the busiest week. A task
assigned by role or team, or a customer without an owner, has a key ("role:csm", "team:support",
"—") that is said in words here, in both languages, for the page and the CLI alike.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tenure.kit.vocabulary import label

NO_OWNER = "—"
_WORDS = {
    "none": {"en": "no owner", "zh": "无负责人"},
    "role": {"en": "{name} (by role)", "zh": "{name}（按角色）"},
    "team": {"en": "{name} team", "zh": "{name} 团队"},
}


def owner_label(owner: str, lang: str) -> str:
    """Return how ``owner`` (a person's name, "role:<role>", "team:<team>" or "—") reads."""
    words = "zh" if lang == "zh" else "en"
    if owner == NO_OWNER:
        return _WORDS["none"][words]
    kind, _, name = owner.partition(":")
    if kind == "role" and name:
        return _WORDS["role"][words].format(name=label("role", name, words))
    if kind == "team" and name:
        return _WORDS["team"][words].format(name=name)
    return owner


def owner_workload(result: dict[str, Any], lang: str = "en") -> list[dict[str, Any]]:
    """Return per owner: emails and tasks over the range and their busiest week's count.

    The busiest owners first; ``label`` is the owner as ``owner_label`` says it.
    """
    totals: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"emails": 0, "tasks": 0, "weeks": defaultdict(int)}
    )
    for kind in ("emails", "tasks"):
        for row in result["workload"][kind]:
            owner = totals[row["owner"]]
            owner[kind] += row["count"]
            owner["weeks"][row["week"]] += row["count"]
    rows = [
        {
            "owner": name,
            "label": owner_label(name, lang),
            "emails": t["emails"],
            "tasks": t["tasks"],
            "weeks": len(t["weeks"]),
            "busiest": max(t["weeks"].values()),
        }
        for name, t in totals.items()
    ]
    return sorted(rows, key=lambda r: (-(r["emails"] + r["tasks"]), r["owner"]))
