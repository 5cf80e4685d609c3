"""One SQLite transaction that never stays open: shared by the job store and the API's outbox."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator


@contextlib.contextmanager
def transaction(db: sqlite3.Connection, begin: str = "BEGIN") -> Iterator[sqlite3.Connection]:
    """`begin` ... COMMIT around the body, rolled back if the body or the COMMIT raises. SQLite
    may have rolled back already (a full disk does); a transaction left open would make every
    later BEGIN fail, so it is ended whatever happened."""
    db.execute(begin)
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
