"""Worker processes for the tests that kill them or run two at once.

Importing the worker takes seconds (the scoring stack), so a fork server imports
``tests.worker.crashing`` once and forks every worker process from there: each is a process of
its own (its own pid, connections and memory), killed for real with SIGKILL.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.context
import multiprocessing.process
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.worker import crashing


def _forkserver() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.worker.crashing"])
    return context


FORKSERVER = _forkserver()


@dataclass
class Process:
    """A worker process (``tests/worker/crashing.py``) that waits for its go-file to tick."""

    process: multiprocessing.process.BaseProcess
    folder: Path  # its working folder: the go-file, its log, the file it writes when frozen

    @classmethod
    def spawn(cls, folder: Path, env: dict[str, str], *args: str) -> Process:
        """Start a worker process with ``env`` (``TENURE_*``) and the entry's ``args``."""
        folder.mkdir()
        argv = ["--go", str(folder / "go"), *args]
        process = FORKSERVER.Process(
            target=crashing.run, args=(argv, env, str(folder)), name=folder.name
        )
        process.start()
        return cls(process, folder)

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def start(self) -> None:
        """Let it tick."""
        (self.folder / "go").touch()

    def output(self) -> str:
        log = self.folder / "log"
        return log.read_text() if log.exists() else ""

    def ended(self) -> bool:
        return self.process.exitcode is not None

    def finish(self, timeout: float) -> dict[str, Any]:
        """Wait for it to end well; return what it did (its JSON line)."""
        self.process.join(timeout)
        assert self.process.exitcode == 0, self.output()
        return dict(json.loads(self.output().strip().splitlines()[-1]))

    def wait_until_frozen(self, timeout: float) -> None:
        """Wait for it to freeze at its point, or fail if it ends."""
        deadline = time.monotonic() + timeout
        while not (self.folder / "frozen").exists():
            if self.ended():
                pytest.fail(
                    f"the worker ended ({self.process.exitcode}) before its point:\n{self.output()}"
                )
            if time.monotonic() > deadline:
                pytest.fail("the worker did not reach its point in time")
            time.sleep(0.01)

    def kill_9(self, timeout: float) -> None:
        """``kill -9`` it, and wait until it is gone."""
        os.kill(self.pid, signal.SIGKILL)
        self.process.join(timeout)
        assert self.process.exitcode == -signal.SIGKILL

    def close(self, timeout: float) -> None:
        """Kill it if it still runs (a test that failed halfway)."""
        if not self.ended():
            self.process.kill()
            self.process.join(timeout)
