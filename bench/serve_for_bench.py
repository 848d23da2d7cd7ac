"""The real service for the benchmark's server process, as `simreg serve --workers N` runs it."""

from __future__ import annotations

import sys

import uvicorn

if __name__ == "__main__":
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    uvicorn.run(
        "simreg.web.app:create_app_from_environment",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )
