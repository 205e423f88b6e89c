"""Which records each role may change: ``[access]`` (docs/security.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Scope = Literal["own", "team", "all"]
_HELP = (
    "Which customers {who} see and may edit, and whose tasks they may complete or reassign: "
    "own (customers they own, tasks assigned to them), team (also their team-mates'), or all. "
    "Customers nobody owns are everyone's."
)


class AccessSettings(BaseModel):
    """Per role, the records its permissions reach: own, team or all (the usual CRM choice)."""

    admin: Scope = Field(default="all", description=_HELP.format(who="admins"))
    manager: Scope = Field(default="all", description=_HELP.format(who="managers"))
    marketing: Scope = Field(default="all", description=_HELP.format(who="marketing"))
    sales: Scope = Field(default="own", description=_HELP.format(who="sales people"))
    csm: Scope = Field(default="team", description=_HELP.format(who="customer-success managers"))
    viewer: Scope = Field(
        default="all",
        description=_HELP.format(who="viewers")
        + " Viewers edit nothing; the scope decides which customers they see.",
    )

    def scope_of(self, role: str) -> Scope:
        """Return the scope of ``role``; an unknown role reaches only its own records."""
        found: Scope = getattr(self, role, "own") if role in type(self).model_fields else "own"
        return found
