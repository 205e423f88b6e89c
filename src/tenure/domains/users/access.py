"""Which records a user's permissions reach: their own, their team's, or all (``[access]``).

The scope narrows what a user sees as well as what they change: a customer out of reach is
"no customer with id N" (404), as if it did not exist; lists, exports and pages leave it out
(``owners_of`` and ``domains.customers.reach``).

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
from tenure.domains.customers.reach import Owners, check_visible, reaches
from tenure.domains.tasks.models import Task
from tenure.domains.users.models import User
from tenure.domains.users.service import Principal
from tenure.kit.errors import InvalidInput, NotFound, TenureError
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


def owners_of(conn: Connection, who: Principal, access: AccessSettings) -> Owners:
    """Return the users whose customers ``who`` reaches (None: all customers).

    own: themselves; team: themselves and their team-mates (in no team: themselves). Customers
    nobody owns are everyone's (``reach.owned``).
    """
    scope = access.scope_of(who.role)
    if scope == "all":
        return None
    if scope == "team":
        team = select(User.team).where(User.id == who.user_id).scalar_subquery()
        mates = conn.execute(select(User.id).where(User.team == team)).scalars()
        return frozenset({who.user_id, *(int(m) for m in mates)})
    return frozenset({who.user_id})


def _why(who: Principal, scope: str, what: str) -> str:
    reach = "their own" if scope == "own" else "their own or their team's"
    return (
        f"{what} is not yours: the role {who.role} may change only {reach} "
        f"([access] {who.role} = {scope})"
    )


def check_customer(
    conn: Connection, who: Principal, access: AccessSettings, customer_id: int
) -> None:
    """Raise NotFound unless the customer exists and is within ``who``'s reach.

    A customer out of reach is not theirs to see either: the answer is an unknown id's.
    """
    check_visible(conn, owners_of(conn, who, access), customer_id)


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


def check_external_id(
    conn: Connection, who: Principal, access: AccessSettings, external_id: str
) -> None:
    """Refuse a customer named by external id out of ``who``'s reach as if it were unknown.

    An unknown one passes: the service it is for says so in the same words.
    """
    owners = owners_of(conn, who, access)
    if owners is None:
        return
    found = conn.execute(
        select(Customer.id).where(Customer.external_id == external_id)
    ).scalar_one_or_none()
    if found is not None and not reaches(conn, owners, int(found)):
        raise InvalidInput(f"customer: no customer has the external id {external_id!r}")
