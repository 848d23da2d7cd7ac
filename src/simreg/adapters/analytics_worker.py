"""The process SQLite reports are read in (see adapters/analytics.py for why).

A plain child process started with ``python -m simreg.adapters.analytics_worker``: it imports
only the analytics code (not the web application a ``multiprocessing`` spawn would import
again as ``__main__``), stays up between questions, and answers one at a time over its
stdin/stdout: length-prefixed pickles of ``(question, arguments)`` in, ``(ok, result or
exception)`` out. Both ends are this program, so nothing untrusted is ever unpickled.
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

_HEADER = struct.Struct(">Q")


def _send(stream: IO[bytes], value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the analytics worker closed its pipe")
    (size,) = _HEADER.unpack(header)
    return pickle.loads(stream.read(size))  # noqa: S301 - our own process on the other end


class AnalyticsWorker:
    """One child process, started on first use and again if it died; calls are serialised."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def ask(self, question: str, *args: Any) -> Any:
        with self._lock:
            process = self._started()
            assert process.stdin is not None and process.stdout is not None
            try:
                _send(process.stdin, (question, args))
                ok, value = _receive(process.stdout)
            except (BrokenPipeError, EOFError):
                self._stop()
                raise
        if not ok:
            raise value
        return value

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            # This interpreter running a fixed module of this package.
            self._process = subprocess.Popen(
                [sys.executable, "-m", "simreg.adapters.analytics_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        return self._process

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def close(self) -> None:
        with self._lock:
            self._stop()


def serve(incoming: IO[bytes], outgoing: IO[bytes]) -> None:
    from simreg.adapters import analytics

    questions: dict[str, Callable[..., object]] = {
        "census_groups": analytics.census_groups,
        "waiting_times": analytics.waiting_times,
        "waiting_times_by": analytics.waiting_times_by,
        "registration_buckets": analytics.registration_buckets,
    }
    while True:
        try:
            question, args = _receive(incoming)
        except EOFError:
            return
        try:
            _send(outgoing, (True, questions[question](*args)))
        except Exception as error:  # handed back to the caller, who raises it
            _send(outgoing, (False, error))


if __name__ == "__main__":
    # Answers go out on a private copy of stdout; stdout itself is pointed at stderr, so
    # whatever a library prints can never land in the middle of an answer.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, answers)
