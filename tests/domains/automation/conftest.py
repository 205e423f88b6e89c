"""The automation tests run on stores of their own: the worker and the feed see only commits."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine


@pytest.fixture
def store(committed_store: Engine) -> Engine:
    """A fresh, empty, migrated store on each database."""
    return committed_store
