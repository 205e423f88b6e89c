"""The web server started by ``tenure serve``: ``[server]``."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ServerSettings(BaseModel):
    """The web server started by ``tenure serve``."""

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port to listen on.")
    threads: int = Field(
        default=4,
        ge=1,
        le=100,
        description="Requests one server process works on at once. The work is short database "
        "calls under Python's one lock: more threads mostly wait for each other (4 answered "
        "more API requests per second than 8, 16 or 40 on 2 cores).",
    )
    max_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="The largest request body accepted, in bytes; a larger one is refused with "
        "413 before it is read further or its sender signed in (a batch of 1,000 events fits).",
    )
    max_header_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        le=16 * 1024 * 1024,
        description="The most bytes of request headers (names and values) accepted; more is "
        "refused with 431.",
    )
