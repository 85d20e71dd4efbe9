"""Slow clients are cut off: headers within limits.header_timeout_s, the body within
limits.body_timeout_s (slowloris), so they cannot hold connections for ever."""

from __future__ import annotations

import socket
import time

from router.app import create_app
from tests.router import configs
from tests.router.configs import KEY, target
from tests.router.fakes import FakeOpenAI, LoopThread

LIMITS = {"header_timeout_s": 0.5, "body_timeout_s": 0.5}


def _router(loop: LoopThread) -> int:
    up = loop.serve(FakeOpenAI("cloud").app)
    cfg = configs.config(
        {"cloud": target(up.url, ("public",))},
        [{"name": "default", "targets": ["cloud"]}],
        limits=LIMITS,
    )
    return loop.serve(create_app(cfg)).port


def _drip(port: int, head: bytes, drip: bytes, give_up_s: float = 8.0) -> tuple[float, bytes]:
    """Send ``head``, then one byte of ``drip`` every 0.1 s; return when the server closes
    the connection: the seconds it took and what the server sent."""
    started = time.monotonic()
    received = b""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(0.1)
        sock.sendall(head)
        for index in range(int(give_up_s / 0.1)):
            try:
                sock.sendall(drip[index % len(drip) : index % len(drip) + 1])
            except OSError:
                break
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            received += chunk
    return time.monotonic() - started, received


def test_a_client_that_never_finishes_its_headers_is_cut_off(loop: LoopThread) -> None:
    port = _router(loop)
    head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
    took, _ = _drip(port, head, b"X-Slow: aaaaaaaaaaaaaaaa\r\n")
    assert took < 4.0


def test_a_client_that_never_finishes_its_body_gets_a_408(loop: LoopThread) -> None:
    port = _router(loop)
    head = (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Bearer " + KEY.encode() + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
    )
    took, received = _drip(port, head, b" ")
    assert took < 4.0
    assert received.startswith(b"HTTP/1.1 408")
    assert b"limits.body_timeout_s" in received


def test_an_idle_connection_is_closed_after_the_header_timeout(loop: LoopThread) -> None:
    port = _router(loop)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(5)
        started = time.monotonic()
        assert sock.recv(1) == b""  # closed by the server, not by our timeout
        assert time.monotonic() - started < 4.0
