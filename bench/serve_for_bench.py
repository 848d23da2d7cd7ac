"""The real service, as `simreg serve` runs it, for the benchmark's server process."""

from __future__ import annotations

import sys

import uvicorn

from simreg.bootstrap import bootstrap
from simreg.core.settings import Settings
from simreg.web.app import create_app

if __name__ == "__main__":
    port = int(sys.argv[1])
    app = create_app(bootstrap(Settings()))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
