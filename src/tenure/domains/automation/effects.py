"""The internal effects of a batch of visits, written set-wise when the batch ends.

Visits ask for tasks and customer changes; they wait here and are written together — one
insert of the tasks, one of their audit entries, one executemany per set of changed fields —
instead of five or six statements each. That is what lets a worker run thousands of internal
steps a second (benchmarks/playbook_bench.py).

A visit still sees its own writes: the customers' rows are kept here and changed in memory
as the steps change them, and anything that reads the store where a waiting write could
matter (a condition, a round-robin assignee, an email's personalisation) flushes first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from tenure.domains.audit.service import Actor
from tenure.domains.customers import changes
from tenure.domains.customers.models import Customer
from tenure.domains.segments import fields
from tenure.domains.tasks import service as tasks
from tenure.kit.zones import check_zone
from tenure.storage.rows import plain_row

PLAYBOOK = Actor(None, "playbook")


@dataclass
class Effects:
    """What a batch's visits have asked for and not yet written, and the rows they read."""

    conn: Connection
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    # each new task with its step's detail, whose task_id is filled in when it is written
    new_tasks: list[tuple[tasks.NewTask, dict[str, Any]]] = field(default_factory=list)
    new_values: dict[int, dict[str, Any]] = field(default_factory=dict)  # by customer
    now: datetime | None = None  # the worker's clock: tasks are dated by it

    @classmethod
    def for_customers(
        cls, conn: Connection, customer_ids: Iterable[int], now: datetime | None = None
    ) -> Effects:
        """Start a batch, reading its customers' rows in one query."""
        effects = cls(conn, now=now)
        effects._load(set(customer_ids))
        return effects

    def _load(self, customer_ids: set[int]) -> None:
        missing = customer_ids - self.customers.keys()
        if missing:
            query = select(Customer.__table__).where(Customer.id.in_(missing))
            for row in self.conn.execute(query).mappings():
                self.customers[int(row["id"])] = plain_row(row)

    def customer(self, customer_id: int) -> dict[str, Any]:
        """Return a customer's row as the batch has changed it so far."""
        self._load({customer_id})
        return self.customers[customer_id]

    def create_task(self, new: tasks.NewTask, detail: dict[str, Any]) -> dict[str, Any]:
        """Ask for a task; ``detail`` (the step's record) gets its ``task_id`` once written."""
        self.new_tasks.append((new, detail))
        return detail

    def change(self, customer_id: int, values: dict[str, Any]) -> list[str]:
        """Ask for a customer's fields to change; return the names that change."""
        row = self.customer(customer_id)
        if values.get("timezone"):  # kept as the zone database spells it, as the flush will
            values = {**values, "timezone": check_zone(values["timezone"])}
        changed = sorted(k for k, v in values.items() if row.get(k) != v)
        row.update(values)
        self.new_values.setdefault(customer_id, {}).update(values)
        return changed

    def record(self, customer_id: int) -> dict[str, Any]:
        """Return a customer's fields for a condition, after writing what waits."""
        self.flush()
        return fields.record(self.conn, customer_id) or {}

    def flush(self) -> None:
        """Write the waiting tasks and customer changes (with their audit entries)."""
        if self.new_tasks:
            new = [new for new, _ in self.new_tasks]
            ids = tasks.create_tasks(self.conn, PLAYBOOK, new, self.now)
            for task_id, (_, detail) in zip(ids, self.new_tasks, strict=True):
                detail["task_id"] = task_id
            self.new_tasks = []
        if self.new_values:
            changes.update_customers(self.conn, PLAYBOOK, self.new_values)
            self.new_values = {}
