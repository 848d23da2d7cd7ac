"""Running the simulated authority: a real uvicorn server, in the foreground (the
``simreg identity-authority serve`` command) or on a background thread (the demo, tests).

A background server can be stopped and started again on the same port, so a test or the demo
can take the authority away and bring it back while simreg keeps running.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import uvicorn

from simreg.simulators.identity_authority.app import (
    Behaviour,
    SimulatedAuthority,
    create_authority_app,
)
from simreg.simulators.identity_authority.population import Population


def _config(authority: SimulatedAuthority, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        create_authority_app(authority),
        host=host,
        port=port,
        log_level=log_level,
        lifespan="off",
        # Hanging requests (failure mode "hang") must not hold a stop for their whole hang.
        timeout_graceful_shutdown=1,
    )


def serve_forever(
    authority: SimulatedAuthority, host: str, port: int, *, log_level: str = "info"
) -> None:
    uvicorn.Server(_config(authority, host, port, log_level)).run()


class AuthorityServer:
    """The simulator on a background thread. ``port=0`` picks a free port, kept across
    restarts."""

    def __init__(
        self,
        authority: SimulatedAuthority,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.authority = authority
        self.host = host
        self.port = port
        self.log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self, timeout: float = 20.0) -> AuthorityServer:
        if self._server is not None:
            return self
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # A restart binds the port its predecessor just closed.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self.host, self.port))
        except OSError:
            listener.close()
            raise
        self.port = int(listener.getsockname()[1])
        server = uvicorn.Server(_config(self.authority, self.host, self.port, self.log_level))
        thread = threading.Thread(
            target=self._run, args=(server, listener), name="identity-authority", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(5)
                raise RuntimeError("the identity-authority simulator did not start")
            time.sleep(0.02)
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(10)

    def __enter__(self) -> AuthorityServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @staticmethod
    def _run(server: uvicorn.Server, listener: socket.socket) -> None:
        try:
            server.run(sockets=[listener])
        finally:
            listener.close()


@contextmanager
def running_authority(
    population: Population | None = None,
    behaviour: Behaviour | None = None,
    *,
    token: str = "",
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[AuthorityServer]:
    """A simulator on a free port for the length of a ``with`` block (tests, scripts)."""
    authority = SimulatedAuthority(
        population if population is not None else Population(seed=0, size=1_000),
        behaviour,
        token=token,
    )
    with AuthorityServer(authority, host=host, port=port) as server:
        yield server
