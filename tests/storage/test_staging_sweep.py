"""A killed import's staging files are deleted by the next process to open a store (issue 13)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tenure.storage import staging
from tenure.storage.engine import make_engine

KILLED_IMPORT = """
import os, signal
import pyarrow as pa
from tenure.storage import staging
staging.prepare(pa.table({"a": list(range(1000))}))
open(staging.temporary_name("transcode") + "orders.csv", "w").write("x")
os.kill(os.getpid(), signal.SIGKILL)  # as kill -9 would, mid-import
"""


def _killed_import(folder: Path) -> list[Path]:
    env = {**os.environ, "TMPDIR": str(folder)}
    done = subprocess.run(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", KILLED_IMPORT], env=env, cwd=folder, check=False, timeout=120
    )
    assert done.returncode == -9
    left = sorted(folder.glob("tenure-*"))
    assert len(left) == 2, left  # what a killed import leaves today
    return left


def test_sweep_deletes_only_files_of_processes_gone(tmp_path: Path) -> None:
    left = _killed_import(tmp_path)
    mine = tmp_path / f"{staging.temporary_name('stage')}x.db"
    living = tmp_path / f"tenure-stage-{os.getppid()}-y.db"  # a process still running
    other = tmp_path / "unrelated-123.db"
    for path in (mine, living, other):
        path.write_text("x")
    assert sorted(staging.sweep(tmp_path)) == left
    assert all(p.exists() for p in (mine, living, other))
    assert not any(p.exists() for p in left)


def test_opening_a_store_sweeps_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    left = _killed_import(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(staging, "_swept", False)
    make_engine(f"sqlite:///{tmp_path / 'store.db'}").dispose()
    assert not any(p.exists() for p in left)
