"""Every query on the loyalty ledger: accounts, entries, lots, draws and allocations."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    String,
    and_,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from tenure.domains.customers.models import Customer
from tenure.domains.loyalty.models import (
    EntryKind,
    LoyaltyAccount,
    LoyaltyAllocation,
    LoyaltyEntry,
    LoyaltyProgramme,
    LoyaltyRefund,
)
from tenure.storage.base import table_of


@dataclass(frozen=True)
class ProgrammeRow:
    """A stored programme."""

    id: int
    key: str
    currency: str
    version: int
    checksum: str
    definition: dict[str, Any]
    source: str
    updated_at: datetime


@dataclass(frozen=True)
class Entry:
    """One ledger entry as stored."""

    id: int
    account_id: int
    key: str
    kind: str
    amount: int
    occurred_at: datetime
    available_at: datetime | None
    expires_at: datetime | None
    order_id: int | None
    rule: str | None
    basis: Decimal | None
    reverses_id: int | None
    reason: str | None


@dataclass(frozen=True)
class Lot:
    """A positive entry with what is left of it."""

    id: int
    remaining: int
    available_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class Debt:
    """A draw not (yet) covered by lots: what a refund of spent points left owing."""

    id: int
    outstanding: int


ENTRY_COLUMNS = (
    LoyaltyEntry.id,
    LoyaltyEntry.account_id,
    LoyaltyEntry.key,
    LoyaltyEntry.kind,
    LoyaltyEntry.amount,
    LoyaltyEntry.occurred_at,
    LoyaltyEntry.available_at,
    LoyaltyEntry.expires_at,
    LoyaltyEntry.order_id,
    LoyaltyEntry.rule,
    LoyaltyEntry.basis,
    LoyaltyEntry.reverses_id,
    LoyaltyEntry.reason,
)


def _entry(row: Any) -> Entry:
    return Entry(**row._mapping)


def _insert_ignoring(conn: Connection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


# --- programmes -------------------------------------------------------------------------


def programme(conn: Connection, key: str) -> ProgrammeRow | None:
    """Return the programme called ``key``."""
    row = conn.execute(
        select(
            LoyaltyProgramme.id,
            LoyaltyProgramme.key,
            LoyaltyProgramme.currency,
            LoyaltyProgramme.version,
            LoyaltyProgramme.checksum,
            LoyaltyProgramme.definition,
            LoyaltyProgramme.source,
            LoyaltyProgramme.updated_at,
        ).where(LoyaltyProgramme.key == key)
    ).first()
    return None if row is None else ProgrammeRow(*row)


def programme_keys(conn: Connection) -> list[str]:
    """Return every programme's key, sorted."""
    return list(conn.scalars(select(LoyaltyProgramme.key).order_by(LoyaltyProgramme.key)))


def add_programme(conn: Connection, values: dict[str, Any]) -> int:
    """Store a new programme; return its id."""
    return int(
        conn.execute(
            insert(LoyaltyProgramme).values(**values).returning(LoyaltyProgramme.id)
        ).scalar_one()
    )


def replace_programme(conn: Connection, programme_id: int, values: dict[str, Any]) -> None:
    """Replace a programme's definition (its ledger stays)."""
    conn.execute(
        update(LoyaltyProgramme).where(LoyaltyProgramme.id == programme_id).values(**values)
    )


def customer_id_of(conn: Connection, external_id: str) -> int | None:
    """Return the id of the customer known by ``external_id`` in the user's systems."""
    found = conn.execute(
        select(Customer.id).where(Customer.external_id == external_id)
    ).scalar_one_or_none()
    return None if found is None else int(found)


# --- accounts ---------------------------------------------------------------------------


def ensure_account(conn: Connection, programme_id: int, customer_id: int, at: datetime) -> int:
    """Return the customer's account in the programme, opening it if need be."""
    table = table_of(LoyaltyAccount)
    conn.execute(
        _insert_ignoring(conn)(table)
        .values(programme_id=programme_id, customer_id=customer_id, joined_at=at, touched_at=at)
        .on_conflict_do_nothing(index_elements=["programme_id", "customer_id"])
    )
    return int(
        conn.execute(
            select(LoyaltyAccount.id).where(
                LoyaltyAccount.programme_id == programme_id,
                LoyaltyAccount.customer_id == customer_id,
            )
        ).scalar_one()
    )


def account_of(conn: Connection, programme_id: int, customer_id: int) -> int | None:
    """Return the customer's account id, if they have one."""
    found = conn.execute(
        select(LoyaltyAccount.id).where(
            LoyaltyAccount.programme_id == programme_id,
            LoyaltyAccount.customer_id == customer_id,
        )
    ).scalar_one_or_none()
    return None if found is None else int(found)


def joined_at(conn: Connection, programme_id: int, customer_id: int) -> datetime | None:
    """Return when the customer's membership began, if they are a member."""
    found: datetime | None = conn.execute(
        select(LoyaltyAccount.joined_at).where(
            LoyaltyAccount.programme_id == programme_id,
            LoyaltyAccount.customer_id == customer_id,
        )
    ).scalar_one_or_none()
    return found


def lock_account(conn: Connection, account_id: int, at: datetime) -> None:
    """Take the account's lock for this transaction (see ``LoyaltyAccount``)."""
    conn.execute(
        update(LoyaltyAccount).where(LoyaltyAccount.id == account_id).values(touched_at=at)
    )


def accounts(conn: Connection, programme_id: int) -> list[tuple[int, int]]:
    """Return (account id, customer id) of every account of the programme."""
    rows = conn.execute(
        select(LoyaltyAccount.id, LoyaltyAccount.customer_id)
        .where(LoyaltyAccount.programme_id == programme_id)
        .order_by(LoyaltyAccount.id)
    ).all()
    return [(int(a), int(c)) for a, c in rows]


# --- entries ----------------------------------------------------------------------------


def insert_entry(conn: Connection, values: dict[str, Any]) -> int | None:
    """Append an entry; None if its key is in the ledger already (nothing written)."""
    table = table_of(LoyaltyEntry)
    found = conn.execute(
        _insert_ignoring(conn)(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["programme_id", "key"])
        .returning(table.c.id)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def entry_by_key(conn: Connection, programme_id: int, key: str) -> Entry | None:
    """Return the entry written under ``key``."""
    row = conn.execute(
        select(*ENTRY_COLUMNS).where(
            LoyaltyEntry.programme_id == programme_id, LoyaltyEntry.key == key
        )
    ).first()
    return None if row is None else _entry(row)


def entries(
    conn: Connection, account_id: int, *, limit: int | None = None, before_id: int | None = None
) -> list[Entry]:
    """Return the account's entries, newest first."""
    query = (
        select(*ENTRY_COLUMNS)
        .where(LoyaltyEntry.account_id == account_id)
        .order_by(LoyaltyEntry.occurred_at.desc(), LoyaltyEntry.id.desc())
    )
    if before_id is not None:
        query = query.where(LoyaltyEntry.id < before_id)
    if limit is not None:
        query = query.limit(limit)
    return [_entry(row) for row in conn.execute(query)]


def order_earnings(conn: Connection, programme_id: int, order_id: int) -> list[Entry]:
    """Return the earn entries of an order, by id."""
    rows = conn.execute(
        select(*ENTRY_COLUMNS)
        .where(
            LoyaltyEntry.programme_id == programme_id,
            LoyaltyEntry.order_id == order_id,
            LoyaltyEntry.kind == EntryKind.EARN.value,
        )
        .order_by(LoyaltyEntry.id)
    )
    return [_entry(row) for row in rows]


def reversed_of(conn: Connection, lot_id: int) -> int:
    """Return how much has been reversed of a lot so far (a positive number)."""
    total = conn.execute(
        select(func.coalesce(func.sum(-LoyaltyEntry.amount), 0)).where(
            LoyaltyEntry.reverses_id == lot_id
        )
    ).scalar_one()
    return int(total)


def earned_between(
    conn: Connection, account_id: int, rule: str, start: datetime, end: datetime
) -> int:
    """Return what ``rule`` earned the account from ``start`` up to ``end`` (gross)."""
    total = conn.execute(
        select(func.coalesce(func.sum(LoyaltyEntry.amount), 0)).where(
            LoyaltyEntry.account_id == account_id,
            LoyaltyEntry.kind == EntryKind.EARN.value,
            LoyaltyEntry.rule == rule,
            LoyaltyEntry.occurred_at >= start,
            LoyaltyEntry.occurred_at < end,
        )
    ).scalar_one()
    return int(total)


def last_activity(conn: Connection, account_id: int) -> tuple[int, datetime] | None:
    """Return the id and time of the account's latest earn or redemption."""
    row = conn.execute(
        select(LoyaltyEntry.id, LoyaltyEntry.occurred_at)
        .where(
            LoyaltyEntry.account_id == account_id,
            LoyaltyEntry.kind.in_([EntryKind.EARN.value, EntryKind.REDEEM.value]),
        )
        .order_by(LoyaltyEntry.occurred_at.desc(), LoyaltyEntry.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (int(row[0]), row[1])


# --- lots, debts, allocations -----------------------------------------------------------


def _used() -> Any:
    return (
        select(LoyaltyAllocation.lot_id, func.sum(LoyaltyAllocation.amount).label("used"))
        .group_by(LoyaltyAllocation.lot_id)
        .subquery()
    )


def lots(conn: Connection, account_id: int) -> list[Lot]:
    """Return the account's lots with something left, soonest-expiring first.

    Lots without an expiry date come last; ties go to the oldest lot.
    """
    used = _used()
    remaining = LoyaltyEntry.amount - func.coalesce(used.c.used, 0)
    rows = conn.execute(
        select(LoyaltyEntry.id, remaining, LoyaltyEntry.available_at, LoyaltyEntry.expires_at)
        .outerjoin(used, used.c.lot_id == LoyaltyEntry.id)
        .where(LoyaltyEntry.account_id == account_id, LoyaltyEntry.amount > 0, remaining > 0)
        .order_by(
            LoyaltyEntry.expires_at.is_(None),
            LoyaltyEntry.expires_at,
            LoyaltyEntry.available_at,
            LoyaltyEntry.id,
        )
    ).all()
    # every lot is written with available_at (only draws leave it empty)
    return [Lot(int(i), int(r), a, e) for i, r, a, e in rows if a is not None]


def debts(conn: Connection, account_id: int) -> list[Debt]:
    """Return the account's draws that lots did not fully cover, oldest first."""
    covered = (
        select(LoyaltyAllocation.draw_id, func.sum(LoyaltyAllocation.amount).label("covered"))
        .group_by(LoyaltyAllocation.draw_id)
        .subquery()
    )
    outstanding = -LoyaltyEntry.amount - func.coalesce(covered.c.covered, 0)
    rows = conn.execute(
        select(LoyaltyEntry.id, outstanding)
        .outerjoin(covered, covered.c.draw_id == LoyaltyEntry.id)
        .where(LoyaltyEntry.account_id == account_id, LoyaltyEntry.amount < 0, outstanding > 0)
        .order_by(LoyaltyEntry.id)
    ).all()
    return [Debt(int(i), int(o)) for i, o in rows]


def allocate(conn: Connection, rows: list[tuple[int, int, int]]) -> None:
    """Record (draw id, lot id, amount) allocations."""
    if rows:
        conn.execute(
            insert(LoyaltyAllocation),
            [{"draw_id": d, "lot_id": lot, "amount": a} for d, lot, a in rows],
        )


def due_accounts(conn: Connection, programme_id: int, at: datetime) -> list[int]:
    """Return the accounts holding a lot with something left whose expiry date has come."""
    used = _used()
    remaining = LoyaltyEntry.amount - func.coalesce(used.c.used, 0)
    rows = conn.execute(
        select(LoyaltyEntry.account_id)
        .outerjoin(used, used.c.lot_id == LoyaltyEntry.id)
        .where(
            LoyaltyEntry.programme_id == programme_id,
            LoyaltyEntry.amount > 0,
            LoyaltyEntry.expires_at <= at,
            remaining > 0,
        )
        .distinct()
        .order_by(LoyaltyEntry.account_id)
    )
    return [int(a) for a in rows.scalars()]


def idle_accounts(conn: Connection, programme_id: int, before: datetime) -> list[int]:
    """Return accounts with something left whose last earn or redemption is before ``before``."""
    used = _used()
    active = (
        select(LoyaltyEntry.account_id, func.max(LoyaltyEntry.occurred_at).label("last"))
        .where(
            LoyaltyEntry.programme_id == programme_id,
            LoyaltyEntry.kind.in_([EntryKind.EARN.value, EntryKind.REDEEM.value]),
        )
        .group_by(LoyaltyEntry.account_id)
        .subquery()
    )
    remaining = LoyaltyEntry.amount - func.coalesce(used.c.used, 0)
    rows = conn.execute(
        select(LoyaltyEntry.account_id)
        .join(active, active.c.account_id == LoyaltyEntry.account_id)
        .outerjoin(used, used.c.lot_id == LoyaltyEntry.id)
        .where(and_(LoyaltyEntry.amount > 0, remaining > 0, active.c.last <= before))
        .distinct()
        .order_by(LoyaltyEntry.account_id)
    )
    return [int(a) for a in rows.scalars()]


# --- refunds ----------------------------------------------------------------------------


def add_refund(conn: Connection, values: dict[str, Any]) -> bool:
    """Record a refund; False if its key was recorded before (it counts once)."""
    table = table_of(LoyaltyRefund)
    found = conn.execute(
        _insert_ignoring(conn)(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["programme_id", "key"])
        .returning(table.c.id)
    ).scalar_one_or_none()
    return found is not None


def refunded_total(conn: Connection, programme_id: int, order_id: int) -> Decimal:
    """Return how much of an order has been refunded, over every refund recorded."""
    total = conn.execute(
        select(func.coalesce(func.sum(LoyaltyRefund.amount), 0)).where(
            LoyaltyRefund.programme_id == programme_id, LoyaltyRefund.order_id == order_id
        )
    ).scalar_one()
    return Decimal(str(total)).quantize(Decimal("0.01"))


# --- set-based writes (a batch of orders at once) ---------------------------------------

CHUNK = 500  # ids per IN (…) list: well under SQLite's and PostgreSQL's parameter limits


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def ensure_accounts(
    conn: Connection, programme_id: int, joined: dict[int, datetime]
) -> dict[int, int]:
    """Open the accounts of the customers in ``joined`` (customer -> joined at) that have none.

    Return every one's account id by customer id.
    """
    table = table_of(LoyaltyAccount)
    rows = [
        {"programme_id": programme_id, "customer_id": c, "joined_at": at, "touched_at": at}
        for c, at in sorted(joined.items())
    ]
    if rows:
        conn.execute(
            _insert_ignoring(conn)(table).on_conflict_do_nothing(
                index_elements=["programme_id", "customer_id"]
            ),
            rows,
        )
    found: dict[int, int] = {}
    for chunk in _chunks(sorted(joined)):
        for account, customer in conn.execute(
            select(LoyaltyAccount.id, LoyaltyAccount.customer_id).where(
                LoyaltyAccount.programme_id == programme_id,
                LoyaltyAccount.customer_id.in_(chunk),
            )
        ):
            found[int(customer)] = int(account)
    return found


def lock_accounts(conn: Connection, account_ids: list[int], at: datetime) -> None:
    """Take the locks of many accounts, in id order (two writers never wait on each other)."""
    for chunk in _chunks(sorted(account_ids)):
        conn.execute(
            update(LoyaltyAccount).where(LoyaltyAccount.id.in_(chunk)).values(touched_at=at)
        )


def order_keys(conn: Connection, programme_id: int, order_ids: list[int]) -> set[str]:
    """Return the keys of the earn entries the orders have already."""
    found: set[str] = set()
    for chunk in _chunks(sorted(set(order_ids))):
        found.update(
            conn.scalars(
                select(LoyaltyEntry.key).where(
                    LoyaltyEntry.programme_id == programme_id,
                    LoyaltyEntry.order_id.in_(chunk),
                    LoyaltyEntry.kind == EntryKind.EARN.value,
                )
            )
        )
    return found


def capped_earnings(
    conn: Connection,
    programme_id: int,
    account_ids: list[int],
    rules: list[str],
    start: datetime,
    end: datetime,
) -> list[tuple[int, str, datetime, int]]:
    """Return (account, rule, occurred at, amount) of the rules' earnings from start to end."""
    found: list[tuple[int, str, datetime, int]] = []
    for chunk in _chunks(account_ids):
        rows = conn.execute(
            select(
                LoyaltyEntry.account_id,
                LoyaltyEntry.rule,
                LoyaltyEntry.occurred_at,
                LoyaltyEntry.amount,
            ).where(
                LoyaltyEntry.programme_id == programme_id,
                LoyaltyEntry.account_id.in_(chunk),
                LoyaltyEntry.kind == EntryKind.EARN.value,
                LoyaltyEntry.rule.in_(rules),
                LoyaltyEntry.occurred_at >= start,
                LoyaltyEntry.occurred_at < end,
            )
        )
        found.extend((int(a), str(r), at, int(n)) for a, r, at, n in rows)
    return found


def insert_entries(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Append many entries; return the amounts of those written (keys taken write nothing).

    One statement run for many rows (SQLAlchemy batches them as multi-row inserts).
    """
    if not rows:
        return []
    table = table_of(LoyaltyEntry)
    statement = (
        _insert_ignoring(conn)(table)
        .on_conflict_do_nothing(index_elements=["programme_id", "key"])
        .returning(table.c.amount)
    )
    return [int(a) for a in conn.execute(statement, rows).scalars()]


def insert_entries_keys(conn: Connection, rows: list[dict[str, Any]]) -> list[str]:
    """Append many entries; return the keys of those written (keys taken write nothing)."""
    if not rows:
        return []
    table = table_of(LoyaltyEntry)
    statement = (
        _insert_ignoring(conn)(table)
        .on_conflict_do_nothing(index_elements=["programme_id", "key"])
        .returning(table.c.key)
    )
    return [str(k) for k in conn.execute(statement, rows).scalars()]


def entry_ids(conn: Connection, programme_id: int, keys: list[str]) -> dict[str, int]:
    """Return the ids of the entries written under ``keys``."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), CHUNK):
        rows = conn.execute(
            select(LoyaltyEntry.key, LoyaltyEntry.id).where(
                LoyaltyEntry.programme_id == programme_id,
                LoyaltyEntry.key.in_(keys[start : start + CHUNK]),
            )
        )
        found.update((str(k), int(i)) for k, i in rows)
    return found


def _programme(programme_id: int) -> Any:
    """Return "the entry is the programme's" in a form no index answers (``programme_id + 0``).

    Nearly every entry is of the one programme, yet SQLite would read them all through the
    (programme, key) index, in key order, a random read of the table each: the expiry's
    date (a partial index) or the new ids (a range of the table) find the rows much sooner.
    """
    return LoyaltyEntry.programme_id + 0 == programme_id


def last_entry_id(conn: Connection) -> int:
    """Return the highest entry id written so far (0 for an empty ledger)."""
    return int(conn.scalar(select(func.coalesce(func.max(LoyaltyEntry.id), 0))) or 0)


def write_expiries(conn: Connection, programme_id: int, at: datetime) -> None:
    """Write an expiry for every lot due to expire by ``at`` with something left, in SQL.

    One ``INSERT … SELECT``: no row crosses into Python. Each takes what is left of its lot
    (key ``expire:<lot>``, dated at the lot's expiry, as ``ledger.expire_due`` writes it);
    a key taken writes nothing.
    """
    used = (
        select(LoyaltyAllocation.lot_id, func.sum(LoyaltyAllocation.amount).label("used"))
        .join(LoyaltyEntry, LoyaltyEntry.id == LoyaltyAllocation.lot_id)
        .where(
            _programme(programme_id),
            LoyaltyEntry.amount > 0,
            LoyaltyEntry.expires_at <= at,
        )
        .group_by(LoyaltyAllocation.lot_id)
        .subquery()
    )
    remaining = LoyaltyEntry.amount - func.coalesce(used.c.used, 0)
    key = literal("expire:") + cast(LoyaltyEntry.id, String)
    due = (
        select(
            LoyaltyEntry.programme_id,
            LoyaltyEntry.account_id,
            key,
            literal(EntryKind.EXPIRE.value),
            -remaining,
            LoyaltyEntry.expires_at,
            literal(at, LoyaltyEntry.recorded_at.type),
        )
        .outerjoin(used, used.c.lot_id == LoyaltyEntry.id)
        .where(
            _programme(programme_id),
            LoyaltyEntry.amount > 0,
            LoyaltyEntry.expires_at <= at,
            remaining > 0,
        )
        .order_by(key)  # into the unique (programme, key) index in its order
    )
    table = table_of(LoyaltyEntry)
    columns = ["programme_id", "account_id", "key", "kind", "amount", "occurred_at"]
    conn.execute(
        _insert_ignoring(conn)(table)
        .from_select([*columns, "recorded_at"], due)
        .on_conflict_do_nothing(index_elements=["programme_id", "key"])
    )


def allocate_expiries(conn: Connection, programme_id: int, at: datetime, after: int) -> int:
    """Allocate each expiry recorded at ``at`` with no allocation yet to its lot; return the sum.

    ``after``: the last entry id before the expiries were written (theirs are above it), so
    the search reads the new rows only. In SQL, like ``write_expiries``.
    """
    allocated = exists().where(LoyaltyAllocation.draw_id == LoyaltyEntry.id)
    fresh = and_(
        _programme(programme_id),
        LoyaltyEntry.id > after,
        LoyaltyEntry.kind == EntryKind.EXPIRE.value,
        LoyaltyEntry.recorded_at == at,
        LoyaltyEntry.key.like("expire:%"),
        ~LoyaltyEntry.key.like("expire:idle:%"),  # an idle expiry is allocated as written
        ~allocated,
    )
    total = int(
        conn.scalar(select(func.coalesce(func.sum(-LoyaltyEntry.amount), 0)).where(fresh)) or 0
    )
    if total:
        lot = cast(func.substr(LoyaltyEntry.key, len("expire:") + 1), BigInteger)
        conn.execute(
            insert(LoyaltyAllocation).from_select(
                ["draw_id", "lot_id", "amount"],
                select(LoyaltyEntry.id, lot, -LoyaltyEntry.amount).where(fresh),
            )
        )
    return total


def owing_accounts(conn: Connection, account_ids: list[int]) -> list[int]:
    """Return the accounts among ``account_ids`` with a reversal lots have not fully covered.

    Only a reversal can leave a debt (a spend draws what is there); reversals are few, so
    their coverage is summed for them alone.
    """
    draws: dict[int, tuple[int, int]] = {}
    reversals = select(LoyaltyEntry.id, LoyaltyEntry.account_id, LoyaltyEntry.amount).where(
        LoyaltyEntry.kind == EntryKind.REVERSE.value
    )
    if len(account_ids) > 4 * CHUNK:
        # many accounts (a first pass's expiries): one read of every reversal, which the
        # partial index of reverses_id holds alone, beats the accounts' entries chunk by chunk
        wanted = set(account_ids)
        for entry, account, amount in conn.execute(
            reversals.where(LoyaltyEntry.reverses_id.is_not(None))
        ):
            if int(account) in wanted:
                draws[int(entry)] = (int(account), -int(amount))
    else:
        for chunk in _chunks(account_ids):
            for entry, account, amount in conn.execute(
                reversals.where(LoyaltyEntry.account_id.in_(chunk))
            ):
                draws[int(entry)] = (int(account), -int(amount))
    covered: dict[int, int] = defaultdict(int)
    for chunk in _chunks(sorted(draws)):
        for draw, amount in conn.execute(
            select(LoyaltyAllocation.draw_id, func.sum(LoyaltyAllocation.amount))
            .where(LoyaltyAllocation.draw_id.in_(chunk))
            .group_by(LoyaltyAllocation.draw_id)
        ):
            covered[int(draw)] = int(amount)
    return sorted({a for d, (a, owed) in draws.items() if owed > covered[d]})


def customer_exists(conn: Connection, customer_id: int) -> bool:
    """Tell whether there is a customer with this id."""
    return conn.execute(select(Customer.id).where(Customer.id == customer_id)).first() is not None


def programme_key_of(conn: Connection, programme_id: int) -> str:
    """Return the key of the programme with this id."""
    return str(
        conn.execute(
            select(LoyaltyProgramme.key).where(LoyaltyProgramme.id == programme_id)
        ).scalar_one()
    )


def customers_holding(conn: Connection, programme_id: int, at_least: int) -> list[int]:
    """Return the members whose entries add up to ``at_least`` or more, by customer id."""
    total = func.sum(LoyaltyEntry.amount)
    rows = conn.scalars(
        select(LoyaltyAccount.customer_id)
        .join(LoyaltyEntry, LoyaltyEntry.account_id == LoyaltyAccount.id)
        .where(LoyaltyAccount.programme_id == programme_id)
        .group_by(LoyaltyAccount.customer_id)
        .having(total >= at_least)
        .order_by(LoyaltyAccount.customer_id)
    )
    return [int(c) for c in rows]
