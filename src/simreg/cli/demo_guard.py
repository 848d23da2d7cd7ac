"""What `simreg demo` (and `serve --demo`) checks before it seeds: a demo starts from a known
state, so it clears its directory, but it must never clear, or seed, an operator's real one."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from sqlalchemy import inspect, make_url

from simreg.core.errors import Conflict
from simreg.db.engine import make_engine

MARK = ".simreg-demo"
# Written by every demo, also by those from before the mark existed.
_DEMO_FILES = (MARK, "specimen-front.jpg")


def clear_demo_dir(data_dir: Path) -> None:
    """Remove an earlier demo's directory; refuse any other directory that holds files."""
    if not data_dir.exists():
        return
    if data_dir.is_dir() and any((data_dir / name).exists() for name in _DEMO_FILES):
        shutil.rmtree(data_dir)
        return
    if data_dir.is_dir() and not any(data_dir.iterdir()):
        return
    raise Conflict(
        f"{data_dir} holds files that no demo made; the demo clears its directory, so it "
        "does not use this one. Choose another --data-dir.",
        code="DEMO-DIR",
        message_zh=f"{data_dir} 中有非演示生成的文件；演示会清空其目录，因此不使用该目录。"
        "请另选 --data-dir。",
    )


def mark_demo_dir(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARK).write_text("made by simreg demo; removed by the next demo\n")


def require_empty_database(url: str) -> None:
    """A demo seeds accounts with a published password: only into a database with no tables."""
    parsed = make_url(url)
    sqlite_file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if sqlite_file and not Path(sqlite_file).exists():
        return  # connecting would create the file just to look at it
    engine = make_engine(url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise Conflict(
            "This database is not empty; the demo seeds only an empty one (its accounts share "
            "a published password). Create a new database for it.",
            code="DEMO-DATABASE-NOT-EMPTY",
            message_zh="该数据库不为空；演示只写入空数据库（其账号密码是公开的）。请为演示新建数据库。",
            tables=len(tables),
        )


def require_free_port(host: str, port: int) -> None:
    """Fail before seeding, not after printing the accounts, when the port is taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise Conflict(
                f"Port {port} on {host} is in use; choose another with --port.",
                code="DEMO-PORT",
                message_zh=f"{host} 的端口 {port} 已被占用；请用 --port 另选端口。",
            ) from None
