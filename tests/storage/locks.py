"""Another process's long write (an import, say), held open in a thread of the test."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class LockHolder:
    """Another process's long write (an import, say): holds the store's write lock until told."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.taken, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        self.taken.set()
        self.release.wait(30)
        db.execute("ROLLBACK")
        db.close()

    def __enter__(self) -> LockHolder:
        self.thread.start()
        assert self.taken.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self.thread.join()
