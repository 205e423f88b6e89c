"""One error hierarchy for the whole product.

Each error carries the HTTP status an API would answer with, and also subclasses the
matching built-in exception so that callers may catch either.
"""

from __future__ import annotations


class TenureError(Exception):
    """Base of every error Tenure raises on purpose."""

    status_code = 500

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code


class NotFound(TenureError, LookupError):
    """A thing the caller named does not exist."""

    status_code = 404


class Forbidden(TenureError, PermissionError):
    """The caller is known but may not do this (e.g. their password must be changed first)."""

    status_code = 403


class Conflict(TenureError):
    """The request clashes with the current state (e.g. a duplicate key)."""

    status_code = 409


class InvalidInput(TenureError, ValueError):
    """Input that cannot be accepted as it is; the message says what and where."""

    status_code = 422


class ConfigurationError(TenureError):
    """Settings that cannot work (e.g. a default secret outside development)."""

    status_code = 500
