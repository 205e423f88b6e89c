"""The overview shows marketing spend, CAC and ROI only to roles with ``read_spend`` (issue 13)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tenure.domains.users.models import Role
from tenure.domains.users.permissions import Permission, allows
from tests.web.conftest import sign_in, table_rows


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_the_overview_draws_cac_and_roi_only_for_roles_that_read_spend(
    app_client: TestClient, role: str
) -> None:
    sign_in(app_client, role)
    page = app_client.get("/")
    assert page.status_code == 200
    rows = table_rows(page.text, "channels")
    assert rows, "the channels table is shown to every role"
    if allows(role, Permission.READ_SPEND):
        assert 'id="chart-channels"' in page.text
        assert all(len(row) == 6 for row in rows)  # channel, customers, buyers, conv., spend, CAC
    else:
        assert 'id="chart-channels"' not in page.text
        assert "CAC" not in page.text and "ROI" not in page.text
        assert all(len(row) == 4 for row in rows)  # channel, customers, buyers, conversion
