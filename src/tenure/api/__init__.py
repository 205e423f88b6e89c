"""The REST API under /api/v1: other systems read and write Tenure with a bearer token.

Every route names the permission it needs (``auth.PERMISSIONS``); the token's user must have
it through their role *and* the token's scopes (docs/security.md). Errors are
``{"error": code, "detail": message}`` with the matching status.
"""

from tenure.api.auth import PERMISSIONS, PREFIX
from tenure.api.errors import install_error_handlers
from tenure.api.router import api_router

__all__ = ["PERMISSIONS", "PREFIX", "api_router", "install_error_handlers"]
