"""Bad values in the web app's forms: 422 with the message beside the field, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tenure.domains.preferences import service as preferences
from tenure.kit.errors import InvalidInput
from tests.web.conftest import sign_in


@pytest.mark.parametrize(
    ("group", "form", "field"),
    [
        ("health", {"weight_nps": "nan"}, "weight_nps"),
        ("health", {"weight_recency": "inf"}, "weight_recency"),
        ("health", {"green_from": "NaN"}, "green_from"),
        ("stages", {"activity_drop": "1.5"}, "activity_drop"),
        ("stages", {"overdue_multiple": "infinity"}, "overdue_multiple"),
        ("leads", {"fit_weight": "2"}, "fit_weight"),
        ("leads", {"hot_from": "nan"}, "hot_from"),
    ],
)
def test_settings_refuse_nan_infinity_and_out_of_range_beside_the_field(
    app_client: TestClient, group: str, form: dict[str, str], field: str
) -> None:
    csrf = sign_in(app_client, "manager")
    answer = app_client.post(f"/settings/{group}", data={"csrf": csrf, **form})
    assert answer.status_code == 422, answer.text[:300]
    assert f'id="error-{field}"' in answer.text
    after = app_client.get("/settings").text
    assert 'class="error field-error"' not in after  # nothing was saved, no error left over


@pytest.mark.parametrize(
    ("group", "values", "field"),
    [
        ("health", {"weights": {"nps": float("nan")}}, "weights.nps"),
        ("health", {"red_below": float("inf")}, "red_below"),
        ("stages", {"activity_drop": 3}, "activity_drop"),
        ("stages", {"declining_p_alive": float("nan")}, "declining_p_alive"),
        ("leads", {"engagement_scale": float("inf")}, "engagement_scale"),
    ],
)
def test_the_settings_check_names_the_field(
    group: str, values: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput, match=field):
        preferences.check(group, values)


def test_a_nul_in_a_form_or_a_search_is_422_naming_the_field(app_client: TestClient) -> None:
    csrf = sign_in(app_client, "admin")
    searched = app_client.get("/customers", params={"q": "kim\x00"})
    assert searched.status_code == 422 and "q" in searched.json()["detail"]
    edited = app_client.post(
        "/customers/1/edit", data={"csrf": csrf, "name": "Bad\x00Name", "email": ""}
    )
    assert edited.status_code == 422 and "form.name" in edited.json()["detail"]
    task = app_client.post("/customers/1/tasks", data={"csrf": csrf, "title": "\x00"})
    assert task.status_code == 422 and "form.title" in task.json()["detail"]


def test_the_customer_list_csv_opens_in_excel(app_client: TestClient) -> None:
    sign_in(app_client, "viewer")
    answer = app_client.get("/customers.csv", params={"stage": "churned"})
    assert answer.content.startswith("\ufeff".encode())  # a BOM: Excel reads the 中文 names
