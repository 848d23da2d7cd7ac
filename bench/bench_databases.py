"""The databases a bench runs on, one after the other: an SQLite file in a scratch folder,
then PostgreSQL (when a server is named) in a schema of the bench's own, dropped afterwards so
a bench never touches the data already on that server."""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text

from simreg.db.engine import normalise_url


def add_database_options(parser: argparse.ArgumentParser, *, rows: int, rounds: int) -> None:
    parser.add_argument("--rows", type=int, default=rows)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SIMREG_BENCH_POSTGRES_URL")
        or os.environ.get("SIMREG_TEST_POSTGRES_URL", ""),
        help="PostgreSQL server; the bench works in a schema of its own, dropped afterwards",
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")


def databases(args: argparse.Namespace, scratch: Path) -> Iterator[tuple[str, str, Path]]:
    """(name, database URL, a folder of its own) for each database the options ask for."""
    if not args.skip_sqlite:
        yield "SQLite", f"sqlite:///{scratch / 'bench.db'}", scratch / "sqlite"
    if args.skip_postgres or not args.database_url:
        return
    base = normalise_url(args.database_url)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in base else "?"
        yield "PostgreSQL", f"{base}{sep}options=-csearch_path%3D{schema}", scratch / "pg"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
