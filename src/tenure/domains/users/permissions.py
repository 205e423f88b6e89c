"""Who may do what: one table of roles × permissions, for the web app, the API and the docs.

docs/security.md prints this table; a test checks the two agree.
"""

from __future__ import annotations

from enum import StrEnum

from tenure.domains.users.models import Role


class Permission(StrEnum):
    """One thing a user may do."""

    READ_CUSTOMERS = "read_customers"  # customers, their 360, scores and stage history
    EDIT_CUSTOMERS = "edit_customers"  # owner, tags, profile fields
    READ_REPORTS = "read_reports"  # KPIs, cohorts, channels, runs
    READ_SPEND = "read_spend"  # marketing spend, CAC and ROI
    MANAGE_SEGMENTS = "manage_segments"  # create, change and delete segments
    MANAGE_TASKS = "manage_tasks"  # create, assign and complete tasks
    IMPORT_DATA = "import_data"  # imports and event ingestion
    RUN_SCORING = "run_scoring"  # start a scoring run
    CHANGE_SETTINGS = "change_settings"  # stage thresholds, health weights
    MANAGE_USERS = "manage_users"  # users, roles and everyone's API tokens
    READ_AUDIT = "read_audit"  # the audit log
    READ_PLAYBOOKS = "read_playbooks"  # playbooks, their enrollments, step counts and email
    MANAGE_PLAYBOOKS = "manage_playbooks"  # publish, pause and resume; enroll by hand
    PERSONAL_DATA = "personal_data"  # export everything about a person; erase them
    AWARD_POINTS = "award_points"  # credit loyalty points (goodwill, campaigns)
    REDEEM_POINTS = "redeem_points"  # spend a member's points on a reward (at the till)


P = Permission
_READ = {P.READ_CUSTOMERS, P.READ_REPORTS, P.READ_PLAYBOOKS}

ALLOWED: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset(
        _READ
        | {
            P.EDIT_CUSTOMERS,
            P.READ_SPEND,
            P.MANAGE_SEGMENTS,
            P.MANAGE_TASKS,
            P.IMPORT_DATA,
            P.RUN_SCORING,
            P.CHANGE_SETTINGS,
            P.MANAGE_PLAYBOOKS,
            P.AWARD_POINTS,
            P.REDEEM_POINTS,
        }
    ),
    Role.MARKETING: frozenset(
        _READ | {P.READ_SPEND, P.MANAGE_SEGMENTS, P.IMPORT_DATA, P.MANAGE_PLAYBOOKS, P.AWARD_POINTS}
    ),
    Role.SALES: frozenset(_READ | {P.EDIT_CUSTOMERS, P.MANAGE_TASKS, P.REDEEM_POINTS}),
    Role.CSM: frozenset(
        _READ
        | {P.EDIT_CUSTOMERS, P.MANAGE_TASKS, P.MANAGE_SEGMENTS, P.AWARD_POINTS, P.REDEEM_POINTS}
    ),
    Role.VIEWER: frozenset(_READ),
}

# An API token carries scopes; what it may do is what both its scopes and its owner's role allow.
SCOPES: dict[str, frozenset[Permission]] = {
    "read": frozenset({P.READ_CUSTOMERS, P.READ_REPORTS, P.READ_SPEND, P.READ_PLAYBOOKS}),
    "write": frozenset(
        {
            P.EDIT_CUSTOMERS,
            P.MANAGE_SEGMENTS,
            P.MANAGE_TASKS,
            P.MANAGE_PLAYBOOKS,
            P.PERSONAL_DATA,
            P.AWARD_POINTS,
            P.REDEEM_POINTS,
        }
    ),
    "ingest": frozenset({P.IMPORT_DATA}),
    "score": frozenset({P.RUN_SCORING}),
}


def allows(role: str, permission: Permission, scopes: list[str] | None = None) -> bool:
    """Tell whether ``role`` (narrowed to a token's ``scopes``, if given) may ``permission``."""
    try:
        granted = ALLOWED[Role(role)]
    except ValueError:
        return False  # an unknown role may do nothing
    if permission not in granted:
        return False
    if scopes is None:
        return True
    return any(permission in SCOPES.get(scope, frozenset()) for scope in scopes)
