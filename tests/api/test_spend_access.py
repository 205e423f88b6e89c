"""Marketing spend, CAC and ROI reach only roles with ``read_spend`` (issue 13), both databases."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tenure.domains.users.models import Role
from tenure.domains.users.permissions import Permission, allows
from tests.api.conftest import ALL_SCOPES

SPEND = {"spend", "cac", "roi"}


def _rows(kpis: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for part in kpis["channels"].values() for row in part]


def test_kpis_show_spend_cac_and_roi_only_to_roles_that_may_read_spend(
    client: TestClient, tokens: dict[str, str]
) -> None:
    full = client.get("/api/v1/kpis", headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert full.status_code == 200
    assert all(SPEND <= set(row) for row in _rows(full.json()))
    assert any(row["spend"] for row in _rows(full.json()))  # the demo spends on some channels
    for role in Role:
        answer = client.get(
            "/api/v1/kpis", headers={"Authorization": f"Bearer {tokens[role.value]}"}
        )
        assert answer.status_code == 200, role
        kpis = answer.json()
        rows = _rows(kpis)
        assert len(rows) == len(_rows(full.json())), role
        if allows(role.value, Permission.READ_SPEND, ALL_SCOPES):
            assert kpis == full.json(), role
        else:
            assert not any(SPEND & set(row) for row in rows), role
            assert kpis["spend_hidden"] is True
            # everything else is the same figures
            assert [r["new_customers"] for r in rows] == [
                r["new_customers"] for r in _rows(full.json())
            ]
            assert kpis["window"] == full.json()["window"]
            assert not any(f'"{name}":' in answer.text for name in SPEND), role
