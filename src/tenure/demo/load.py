"""Write the demo company into the store, or into files ready for ``tenure import``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection

from tenure.demo.generate import DemoData
from tenure.domains.audit.service import SYSTEM
from tenure.domains.automation.loading import Loaded
from tenure.domains.customers import service as customers
from tenure.domains.preferences import service as preferences
from tenure.domains.registry import metadata
from tenure.kit.settings import Settings
from tenure.storage.bulk import secondary_indexes_deferred, write_frame

STAMPED = {"users", "customers", "orders", "marketing_spend", "subscriptions"}


def store_has_customers(conn: Connection) -> int:
    """Return how many customers the store holds already."""
    return customers.count(conn)


def load_into_store(
    conn: Connection, data: DemoData, now: datetime, step: Callable[[str, int], None] | None = None
) -> None:
    """Insert every table of ``data`` (the store must be empty of customers)."""
    # a bulk load over every table the demo generates, by name: ``Table``s from the metadata
    tables = metadata().tables
    for name, frame in data.tables.items():
        with secondary_indexes_deferred(conn, tables[name]):
            write_frame(conn, tables[name], frame, stamp=now if name in STAMPED else None)
        if step:
            step(name, frame.height)


def use_profile_settings(conn: Connection, profile: str, settings: Settings) -> None:
    """Save the stage preset of the profile for every later run (as the Settings page would)."""
    if preferences.effective(conn, settings).stages.preset != profile:
        preferences.save(conn, SYSTEM, "stages", {"preset": profile}, settings)


def write_truth(data: DemoData, folder: Path) -> Path:
    """Write the latent truth (truth.parquet per customer, truth.json for the population)."""
    folder.mkdir(parents=True, exist_ok=True)
    data.truth.write_parquet(folder / "truth.parquet")
    (folder / "truth.json").write_text(json.dumps(data.parameters, indent=2) + "\n")
    return folder


def clear_store(conn: Connection) -> None:
    """Delete every row of every table (children first); the schema stays."""
    # every table, in dependency order: only the whole metadata knows them all
    for table in reversed(metadata().sorted_tables):
        conn.execute(table.delete())


def publish_presets(
    conn: Connection, window_days: int | None = None, holdout: float | None = None
) -> None:
    """Publish the shipped playbooks in the demo store (lead welcome, onboarding, win-back, NPS).

    For the playbooks with a true effect (``tenure.demo.effects``), written into their YAML:
    ``window_days`` as ``measure.window_days``, so their windows close inside the replayed
    weeks, and ``holdout`` as ``enrollment.holdout``, so four weeks give a readable estimate.
    """
    from tenure.demo.effects import EFFECTS
    from tenure.domains.audit.service import SYSTEM
    from tenure.domains.automation import loading, service
    from tenure.domains.automation.presets import FOLDER

    presets = loading.read_all(FOLDER)
    presets = [
        _for_the_demo(p, window_days, holdout) if p.playbook.name in EFFECTS else p for p in presets
    ]
    service.apply(conn, SYSTEM, presets)


def _for_the_demo(preset: Loaded, window_days: int | None, holdout: float | None) -> Loaded:
    """Return the preset measured as the demo measures it (the file's own words kept)."""
    from tenure.domains.automation import loading

    source = preset.source
    note = "  # the demo company (tenure.demo.effects)"
    if window_days is not None:
        if "\nmeasure:\n" not in source:
            raise ValueError(f"{preset.file}: the demo expects a measure: block")
        line = f"\nmeasure:\n  window_days: {window_days}{note}\n"
        source = source.replace("\nmeasure:\n", line, 1)
    if holdout is not None:
        source, found = re.subn(
            r"^(enrollment:\n(?:  .*\n)*?)  holdout: [0-9.]+\n",
            rf"\g<1>  holdout: {holdout}{note}\n",
            source,
            count=1,
            flags=re.MULTILINE,
        )
        if not found and re.search(r"^enrollment:\n", source, flags=re.MULTILINE):
            source = re.sub(
                r"^enrollment:\n",
                f"enrollment:\n  holdout: {holdout}{note}\n",
                source,
                count=1,
                flags=re.MULTILINE,
            )
        elif not found:
            source = re.sub(
                r"^goal:\n",
                f"enrollment:\n  holdout: {holdout}{note}\ngoal:\n",
                source,
                count=1,
                flags=re.MULTILINE,
            )
    return loading.parse(source, preset.file)
