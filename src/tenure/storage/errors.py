"""Tell database errors apart by what they mean for the caller, on SQLite and PostgreSQL.

A driver's error arrives wrapped (SQLAlchemy's ``DBAPIError.orig``, an exception's cause or
context); every layer of the chain is looked at.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator

from tenure.kit.errors import TenureError

# SQLite primary result codes (the low byte of an extended code)
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_FULL = 5, 6, 13
# PostgreSQL SQLSTATEs: serialization failure, deadlock, lock not available; disk full
_PG_BUSY = frozenset({"40001", "40P01", "55P03"})
_PG_FULL = frozenset({"53100"})
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


class StoreBusy(TenureError):
    """The store stayed busy with other writes past the wait allowed: come back shortly.

    The API answers 503 with ``Retry-After: retry_after`` (seconds); nothing was changed.
    """

    status_code = 503

    def __init__(self, message: str | None = None, *, retry_after: int = 2) -> None:
        super().__init__(
            message
            or "the store is busy with other writes (an import or a scoring run, say); "
            f"nothing was changed: try again in {retry_after} s"
        )
        self.retry_after = retry_after


def is_busy(exc: BaseException) -> bool:
    """Tell whether ``exc`` says the store was busy with other work (trying again may help)."""
    for layer in _chain(exc):
        code = getattr(layer, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED):
            return True
        if getattr(layer, "sqlstate", None) in _PG_BUSY:
            return True
        if "database is locked" in str(layer):  # e.g. from the ADBC reader's child process
            return True
    return False


def is_out_of_space(exc: BaseException) -> bool:
    """Tell whether ``exc`` says a disk (the store's or the scratch files') is full."""
    for layer in _chain(exc):
        code = getattr(layer, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF == _SQLITE_FULL:
            return True
        if getattr(layer, "sqlstate", None) in _PG_FULL:
            return True
        if isinstance(layer, OSError) and layer.errno in _NO_SPACE:
            return True
        text = str(layer)
        if "database or disk is full" in text or "No space left on device" in text:
            return True
    return False


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """Yield ``exc``, the driver error it wraps, and its causes, each once."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        layer = todo.pop()
        if layer is None or id(layer) in seen:
            continue
        seen.add(id(layer))
        yield layer
        orig = getattr(layer, "orig", None)
        todo += [orig if isinstance(orig, BaseException) else None]
        todo += [layer.__cause__, layer.__context__]
