"""Path and query parameters every resource shares."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from tenure.kit.ids import MAX_ID

PathId = Annotated[int, Path(ge=1, le=MAX_ID, description="The row's id.")]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
