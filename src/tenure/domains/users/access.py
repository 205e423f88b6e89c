"""Which records a user's permissions reach: their own, their team's, or all (``[access]``).

A customer is a user's own when they own it; a task when it is assigned to them (a task
assigned to nobody: when they own its customer). ``team`` adds the records of the user's
team-mates (same ``users.team``); a user in no team reaches only their own. A record nobody
holds (a customer without an owner, an unassigned task of such a customer) is everyone's to
pick up, as in the usual CRMs. The role's permission is checked first
(``permissions.allows``); this narrows it to records.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from tenure.domains.customers.models import Customer
from tenure.domains.tasks.models import Task
from tenure.domains.users.models import User
from tenure.domains.users.service import Principal
from tenure.kit.errors import NotFound, TenureError
from tenure.kit.settings.access import AccessSettings


class OutOfScope(TenureError):
    """The record is not the user's own (or their team's), which is all their role reaches."""

    status_code = 403


def _reaches(conn: Connection, who: Principal, scope: str, owner_id: int | None) -> bool:
    if scope == "all" or owner_id is None or owner_id == who.user_id:
        return True
    if scope != "team":
        return False
    rows = conn.execute(select(User.id, User.team).where(User.id.in_([who.user_id, owner_id])))
    teams = {int(row.id): row.team for row in rows}
    mine = teams.get(who.user_id)
    return mine is not None and teams.get(owner_id) == mine


def _why(who: Principal, scope: str, what: str) -> str:
    reach = "their own" if scope == "own" else "their own or their team's"
    return (
        f"{what} is not yours: the role {who.role} may change only {reach} "
        f"([access] {who.role} = {scope})"
    )


def check_customer(
    conn: Connection, who: Principal, access: AccessSettings, customer_id: int
) -> None:
    """Raise ``OutOfScope`` unless ``who`` may change the customer (NotFound if none)."""
    scope = access.scope_of(who.role)
    if scope == "all":
        return
    owner = conn.execute(
        select(Customer.id, Customer.owner_id).where(Customer.id == customer_id)
    ).first()
    if owner is None:
        raise NotFound(f"no customer with id {customer_id}")
    if not _reaches(conn, who, scope, owner.owner_id):
        raise OutOfScope(_why(who, scope, f"customer {customer_id}"))


def check_task(conn: Connection, who: Principal, access: AccessSettings, task_id: int) -> None:
    """Raise ``OutOfScope`` unless ``who`` may complete or change the task (NotFound if none)."""
    scope = access.scope_of(who.role)
    if scope == "all":
        return
    row = conn.execute(
        select(Task.assignee_id, Customer.owner_id)
        .join(Customer, Customer.id == Task.customer_id)
        .where(Task.id == task_id)
    ).first()
    if row is None:
        raise NotFound(f"no task with id {task_id}")
    holder = row.assignee_id if row.assignee_id is not None else row.owner_id
    if not _reaches(conn, who, scope, holder):
        raise OutOfScope(_why(who, scope, f"task {task_id}"))
