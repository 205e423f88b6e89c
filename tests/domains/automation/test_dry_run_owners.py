"""A dry run's workload per owner: totals and the busiest week from the per-week rows."""

from __future__ import annotations

from tenure.domains.automation.dry_run_owners import owner_label, owner_workload


def test_owners_total_their_weeks_and_say_who_they_are() -> None:
    result = {
        "workload": {
            "emails": [
                {"owner": "Ana", "week": "2026-06-01", "count": 3},
                {"owner": "Ana", "week": "2026-06-08", "count": 5},
                {"owner": "—", "week": "2026-06-01", "count": 2},
            ],
            "tasks": [
                {"owner": "Ana", "week": "2026-06-08", "count": 1},
                {"owner": "role:csm", "week": "2026-06-01", "count": 4},
                {"owner": "team:support", "week": "2026-06-15", "count": 1},
            ],
        }
    }
    rows = owner_workload(result, "en")
    assert [(r["label"], r["emails"], r["tasks"], r["weeks"], r["busiest"]) for r in rows] == [
        ("Ana", 8, 1, 2, 6),
        ("customer success (by role)", 0, 4, 1, 4),
        ("no owner", 2, 0, 1, 2),
        ("support team", 0, 1, 1, 1),
    ]
    assert [r["label"] for r in owner_workload(result, "zh")] == [
        "Ana",
        "客户成功（按角色）",
        "无负责人",
        "support 团队",
    ]
    assert owner_label("role:unknown-role", "en") == "unknown-role (by role)"
