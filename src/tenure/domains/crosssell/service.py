"""What the pages, the CLI and the API read and do of cross-sell: reports, offers, dismissals.

Everything reads the latest run (``scoring.repository.latest_run``). A dismissal hides the
item from the customer's offers and from the due lists for ``DISMISS_DAYS`` days, from the
moment it is made (no new run needed).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from tenure.domains.audit import service as audit
from tenure.domains.crosssell import repository as repo
from tenure.domains.customers.models import Customer
from tenure.domains.scoring import repository as runs
from tenure.kit.errors import InvalidInput, NotFound

DISMISS_DAYS = 30
LEVELS = ("product", "category")

_WORDS: dict[str, dict[str, str]] = {
    "sequence": {
        "en": "bought {a} {days} days ago; {share:.0%} of {a} buyers buy {b} within {window} "
        "days, median {median} days",
        "zh": "{days} 天前购买了 {a}；{a} 的买家中有 {share:.0%} 在 {window} 天内购买 {b}，"
        "中位间隔 {median} 天",
    },
    "sequence_any": {
        "en": "bought {a} {days} days ago; {share:.0%} of {a} buyers later buy {b}, "
        "median {median} days",
        "zh": "{days} 天前购买了 {a}；{a} 的买家中有 {share:.0%} 之后购买 {b}，"
        "中位间隔 {median} 天",
    },
    "learned": {
        "en": "bought {a} {days} days ago; customers who buy {a} also tend to buy {b}",
        "zh": "{days} 天前购买了 {a}；购买 {a} 的客户也常购买 {b}",
    },
    "learned_alike": {
        "en": "customers with purchases like theirs often buy {b}",
        "zh": "购买记录相似的客户常购买 {b}",
    },
    "popular": {
        "en": "one of the most bought in the last year",
        "zh": "近一年最受欢迎的商品之一",
    },
}


def latest(conn: Connection) -> tuple[int, date, dict[str, Any]] | None:
    """Return the latest run's id, day and cross-sell figures; None before the first run."""
    run_id = runs.latest_run(conn)
    if run_id is None:
        return None
    record = runs.run_record(conn, run_id)
    return run_id, record["as_of"], (record["counts"] or {}).get("cross_sell") or {}


def reason(offer: dict[str, Any], as_of: date, lang: str, window_days: int = 90) -> str:
    """Return why an offer is made, in words (``lang``: en or zh)."""
    lang = "zh" if lang == "zh" else "en"
    if offer["source"] == "learned":
        if offer.get("from_on") is None:
            return _WORDS["learned_alike"][lang].format(b=offer["item"])
        days = (as_of - offer["from_on"]).days
        return _WORDS["learned"][lang].format(a=offer["from_item"], b=offer["item"], days=days)
    if offer["source"] != "sequence" or offer.get("from_on") is None:
        return _WORDS["popular"][lang]
    within = offer.get("share_within")
    key = "sequence" if within is not None else "sequence_any"
    return _WORDS[key][lang].format(
        a=offer["from_item"],
        b=offer["item"],
        days=(as_of - offer["from_on"]).days,
        share=within if within is not None else offer["share"],
        window=window_days,
        median=round(offer["lag_median"]),
    )


def _with_reasons(
    rows: list[dict[str, Any]], as_of: date, lang: str, figures: dict[str, Any]
) -> list[dict[str, Any]]:
    window = int(figures.get("window_days", 90))
    return [
        {**row, "due_now": row["due_on"] <= as_of, "reason": reason(row, as_of, lang, window)}
        for row in rows
    ]


def _customer(conn: Connection, customer_id: int) -> None:
    if conn.execute(select(Customer.id).where(Customer.id == customer_id)).first() is None:
        raise NotFound(f"no customer with id {customer_id}")


def customer_offers(
    conn: Connection, customer_id: int, now: datetime, lang: str = "en"
) -> dict[str, Any]:
    """Return a customer's next best offers with their reasons (dismissed ones left out)."""
    _customer(conn, customer_id)
    found = latest(conn)
    if found is None:
        return {"run_id": None, "as_of": None, "offers": []}
    run_id, as_of, figures = found
    rows = repo.customer_offers(conn, run_id, customer_id, now)
    return {
        "run_id": run_id,
        "as_of": as_of,
        "offers": _with_reasons(rows, as_of, lang, figures),
    }


def check_level(level: str | None) -> str | None:
    """Return ``level`` or raise InvalidInput naming the field."""
    if level is not None and level not in LEVELS:
        raise InvalidInput(f"level: must be one of {', '.join(LEVELS)}, not {level!r}")
    return level


def pairs(
    conn: Connection,
    *,
    level: str | None = None,
    category: str | None = None,
    min_share: float = 0.0,
    min_z: float | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Return a page of the latest run's pairs, strongest first."""
    check_level(level)
    if not 0.0 <= min_share <= 1.0:
        raise InvalidInput("min_share: must be between 0 and 1")
    found = latest(conn)
    if found is None:
        return {"run_id": None, "as_of": None, "total": 0, "items": []}
    run_id, as_of, _ = found
    rows, total = repo.pairs(
        conn,
        run_id,
        level=level,
        category=category,
        min_share=min_share,
        min_z=min_z,
        limit=limit,
        offset=offset,
    )
    return {"run_id": run_id, "as_of": as_of, "total": total, "items": rows}


def due(
    conn: Connection,
    now: datetime,
    *,
    a: str | None = None,
    b: str | None = None,
    level: str | None = None,
    lang: str = "en",
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Return a page of customers due now for B: of one pair (a, b), or of every pair."""
    check_level(level)
    found = latest(conn)
    if found is None:
        return {"run_id": None, "as_of": None, "total": 0, "items": []}
    run_id, as_of, figures = found
    rows, total = repo.due(
        conn, run_id, as_of, now, a=a, b=b, level=level, limit=limit, offset=offset
    )
    return {
        "run_id": run_id,
        "as_of": as_of,
        "total": total,
        "items": _with_reasons(rows, as_of, lang, figures),
    }


DUE_FIELDS = {"product": "due_for", "category": "due_for_category"}


def due_filter(level: str | None, item: str | None) -> dict[str, Any]:
    """Return the segment filter of the customers due now for ``item`` at ``level``.

    Without an item: every customer due now for anything (the page's "every customer due").
    """
    check_level(level)
    if item is None:
        return {"any": [{"field": field, "op": "not_null"} for field in DUE_FIELDS.values()]}
    item = item.strip()
    if not item or len(item) > 128:
        raise InvalidInput("item: give the item B the customers are due for (1–128 characters)")
    return {"field": DUE_FIELDS[level or "product"], "op": "=", "value": item}


def dismiss(
    conn: Connection, actor: audit.Actor, customer_id: int, item: str, now: datetime
) -> dict[str, Any]:
    """Dismiss an offer of ``item`` to a customer for DISMISS_DAYS days; recorded in the log."""
    item = item.strip()
    if not item or len(item) > 128:
        raise InvalidInput("item: give the offered item (1–128 characters)")
    _customer(conn, customer_id)
    until = now + timedelta(days=DISMISS_DAYS)
    dismissal_id = repo.dismiss(conn, customer_id, item, until, now, actor.user_id)
    after = {"item": item, "until": until, "dismissal_id": dismissal_id}
    audit.record(conn, actor, "offer.dismiss", "customer", customer_id, after=after)
    return {"customer_id": customer_id, "item": item, "until": until}


def page(
    conn: Connection, now: datetime, category: str | None = None, top: int = 15
) -> dict[str, Any] | None:
    """Return what the Cross-sell page shows: the strongest pairs, who is due, the evaluation.

    Per level: the strongest pairs from or to ``category`` (all without), each with how many
    customers are due now for its B, and the evaluation on the later time split.
    """
    found = latest(conn)
    if found is None:
        return None
    run_id, as_of, figures = found
    due_counts = repo.due_by_pair(conn, run_id, as_of, now)
    levels = {}
    for level, level_figures in (figures.get("levels") or {}).items():
        rows, total = repo.pairs(conn, run_id, level=level, category=category, limit=top)
        for row in rows:
            row["due_now"] = due_counts.get((level, row["a"], row["b"]), 0)
        levels[level] = {**level_figures, "strongest": rows, "matching": total}
    return {
        "run_id": run_id,
        "as_of": as_of,
        "window_days": figures.get("window_days"),
        "skipped": figures.get("skipped"),
        "categories": repo.categories(conn, run_id),
        "levels": levels,
    }


def report(conn: Connection, now: datetime, top: int = 10) -> dict[str, Any] | None:
    """Return the CLI's and the page's report: strongest pairs, due counts, evaluation."""
    found = latest(conn)
    if found is None:
        return None
    run_id, as_of, figures = found
    levels = {}
    for level, level_figures in (figures.get("levels") or {}).items():
        rows, total = repo.pairs(conn, run_id, level=level, limit=top)
        levels[level] = {
            **level_figures,
            "strongest": rows,
            "due_now": repo.due_customers(conn, run_id, as_of, now, level),
        }
    return {
        "run_id": run_id,
        "as_of": as_of,
        "window_days": figures.get("window_days"),
        "skipped": figures.get("skipped"),
        "levels": levels,
    }
