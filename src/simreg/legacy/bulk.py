"""When an import runs in bulk-load mode (ADR 0011).

Rebuilding an index reads the whole table once; growing it costs a random insertion per row.
So taking the secondary indexes off pays when the file brings at least as many lines as the
table already holds, and only for a file large enough that the rebuild's fixed cost and the
moment of exclusive locking are worth it. The operator can force either way.
"""

from __future__ import annotations

# Below this many rows a file loads in seconds either way; the ordinary mode keeps every
# index and key in place and takes no exclusive lock.
BULK_MIN_ROWS = 100_000


def bulk_wanted(requested: bool | None, *, file_rows: int, lines_present: int) -> bool:
    """``requested`` is the operator's --bulk/--no-bulk; None lets the sizes decide."""
    if requested is not None:
        return requested
    return file_rows >= BULK_MIN_ROWS and lines_present <= file_rows
