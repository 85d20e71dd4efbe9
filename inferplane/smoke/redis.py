"""A throwaway ``redis-server`` on a free loopback port, for a router whose state is Redis."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time

from inferplane.errors import InferplaneError
from inferplane.smoke.server import Running

__all__ = ["LocalRedis", "free_port"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalRedis(Running):
    """``with LocalRedis() as redis: redis.url`` -- no persistence, gone on exit. ``stop``
    then ``start`` again is an outage and a restart on the same port (an empty store)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise InferplaneError("redis-server is not installed (apt-get install redis-server)")
        self._dir = tempfile.TemporaryDirectory(prefix="inferplane-redis-")
        self._process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._dir.name,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise InferplaneError(f"redis-server did not answer on port {self.port} within 10 s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
