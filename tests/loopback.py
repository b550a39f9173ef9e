"""A loopback HTTP server for the online geocoders' tests: real sockets on 127.0.0.1, faults
served in order (one a request), and what it was asked logged."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LoopbackService(ThreadingHTTPServer):
    """postcodes.io and Nominatim imitated in one server; subclasses add what they answer."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.faults: list[str] = []
        self.always: str | None = None  # a fault served to every request
        self.log: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def next_fault(self) -> str:
        """The fault for this request: ``always`` if set, else the next queued one, else "ok"."""
        with self.lock:
            return self.always or (self.faults.pop(0) if self.faults else "ok")
