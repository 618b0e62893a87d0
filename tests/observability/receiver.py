"""A real HTTP receiver on 127.0.0.1 for the webhook tests: it answers each POST with the next
status of its script (then 200) and keeps what it got."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    statuses: list[int] = field(default_factory=list)
    #: Seconds between two bytes of the answer's status line (a receiver that drips).
    drip: float = 0.0
    received: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)


@contextmanager
def receiver(*statuses: int, drip: float = 0.0) -> Iterator[Receiver]:
    state = Receiver(url="", statuses=list(statuses), drip=drip)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length", "0"))
            got = Received(self.path, dict(self.headers.items()), self.rfile.read(length))
            with state.arrived:
                status = state.statuses.pop(0) if state.statuses else 200
                state.received.append(got)
                state.arrived.notify_all()
            if state.drip:
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                    time.sleep(state.drip)
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                return
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802 (a followed redirect would arrive here)
            with state.arrived:
                state.received.append(Received(self.path, dict(self.headers.items()), b""))
                state.arrived.notify_all()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/truss"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def subscribe(
    url: str,
    *,
    secret: str,
    events: list[str] | tuple[str, ...] = ("run.succeeded",),
    format: str = "json",
    name: str = "ops",
):
    """A webhook to ``url`` (stored as the admin stores it: URL and secret sealed)."""
    from migrations_manager.models import Webhook
    from migrations_manager.observability.sealing import seal

    return Webhook.objects.create(
        name=name,
        url_sealed=seal(url),
        url_host="127.0.0.1",
        secret_sealed=seal(secret),
        events=list(events),
        format=format,
    )
