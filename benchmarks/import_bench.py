"""Import 1,000,000 order rows from CSV into SQLite and PostgreSQL; print rows per second.

Usage: python benchmarks/import_bench.py [--rows N] [--customers N] [--pg-url URL]
Target (issue 2): at least 100,000 rows/s into SQLite.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe, peak_rss_gib  # noqa: E402
from tenure.domains.dataio.service import ImportOptions, import_file  # noqa: E402
from tenure.storage.engine import bulk_load, make_engine  # noqa: E402
from tenure.storage.migrate import upgrade  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def make_files(folder: Path, rows: int, customers: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(1)
    ids = pl.Series(np.arange(customers)).cast(pl.String)
    pl.DataFrame({"customer_id": "c" + ids, "email": "c" + ids + "@example.com"}).write_csv(
        folder / "customers.csv"
    )
    start = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
    seconds = np.sort(rng.integers(0, 2 * 365 * 86_400, rows)) + start
    cents = rng.gamma(3.0, 2_000.0, rows).astype(np.int64) + 100
    frame = pl.DataFrame(
        {
            "order_id": "o" + pl.Series(np.arange(rows)).cast(pl.String),
            "customer_id": "c" + pl.Series(rng.integers(0, customers, rows)).cast(pl.String),
            "ordered_at": pl.Series(seconds * 1_000_000)
            .cast(pl.Datetime("us", "UTC"))
            .dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "amount": (pl.Series(cents) // 100).cast(pl.String)
            + "."
            + (pl.Series(cents) % 100).cast(pl.String).str.zfill(2),
            "status": pl.Series(
                rng.choice(["paid", "refunded", "cancelled"], rows, p=[0.95, 0.03, 0.02])
            ),
            "currency": "USD",
            "channel": pl.Series(rng.choice(["web", "app", "store"], rows)),
        }
    )
    frame.write_csv(folder / "orders.csv")
    return folder / "customers.csv", folder / "orders.csv"


def run(url: str, customers_csv: Path, orders_csv: Path, label: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        import_file(conn, ImportOptions("customers", customers_csv), now=now)
    for attempt in ("first import", "same file again"):
        started = time.perf_counter()
        with bulk_load(engine) as conn:  # as `tenure import` does
            report = import_file(conn, ImportOptions("orders", orders_csv), now=now)
        seconds = time.perf_counter() - started
        print(
            f"{label:<11} {attempt:<16} {report.rows:>10,} rows  {seconds:6.1f} s  "
            f"{report.rows / seconds:>9,.0f} rows/s  (inserted {report.inserted:,}, "
            f"unchanged {report.unchanged:,})",
            flush=True,
        )
    engine.dispose()


def pg_database(server_url: str) -> tuple[str, str]:
    name = f"tenure_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False), name


def drop_pg(server_url: str, name: str) -> None:
    admin = make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args()
    print(f"machine: {describe()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        customers_csv, orders_csv = make_files(folder, args.rows, args.customers)
        size = orders_csv.stat().st_size / 1e6
        print(f"orders.csv: {args.rows:,} rows, {size:.0f} MB; {args.customers:,} customers")
        run(f"sqlite:///{folder / 'bench.db'}", customers_csv, orders_csv, "SQLite")
        server = (
            args.pg_url
            or subprocess.run(
                [str(ROOT / "scripts" / "ensure-postgres.sh")],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        url, name = pg_database(server)
        try:
            run(url, customers_csv, orders_csv, "PostgreSQL")
        finally:
            drop_pg(server, name)
    print(f"peak memory: {peak_rss_gib():.2f} GiB")


if __name__ == "__main__":
    main()
