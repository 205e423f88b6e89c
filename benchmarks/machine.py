"""Describe the machine a benchmark ran on (figures mean little without it)."""

from __future__ import annotations

import os
import platform
import resource
import sys

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "POLARS_MAX_THREADS",
)


def pin_threads(default: str = "2") -> None:
    """Pin BLAS, OpenMP and Polars to ``--threads N`` (else ``default``) threads; idle ones sleep.

    Call before numpy, polars or duckdb are imported: their thread pools start with them, and a
    busy machine must not make one run use more cores than another.
    """
    threads = default
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            threads = sys.argv[i + 1]
    for name in THREAD_VARIABLES:
        os.environ[name] = threads
    # an idle OpenMP thread sleeps instead of spinning: on a busy machine a spinning one burns
    # CPU time waiting for its sibling to be scheduled (LightGBM's threads, above all)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def describe() -> str:
    """Return CPU model, cores, memory and Python version on one line."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo", encoding="utf-8") as handle:
            mem_kb = int(handle.readline().split()[1])
    except OSError:
        mem_kb = 0
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_kb / 1024 / 1024:.0f} GiB, "
        f"Python {platform.python_version()}"
    )


def peak_rss_gib() -> float:
    """Return this process's peak resident memory in GiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
