"""Slow clients: a connection must send a whole request head within a few seconds.

uvicorn closes idle keep-alive connections (`timeout_keep_alive`) but waits forever
for the rest of a request head once its first byte has come: 1,000 connections that
each sent part of their headers held a worker's connections indefinitely (slowloris).
This protocol (uvicorn's httptools one, which `rolodex serve` uses) starts a timer when a
connection opens and when a request begins, stops it when the head is complete, and
closes the connection when it fires (`ROLODEX_HEADER_TIMEOUT_SECONDS`). Bodies have
their own time limit (server/limits/bodies.py); behind a proxy, nginx's
`client_header_timeout` and `client_body_timeout` do the same at the edge.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.settings import get_settings


class HeaderTimeoutProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, header_timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = (
            header_timeout if header_timeout is not None else get_settings().header_timeout_seconds
        )
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_timer is None:
            self._start_header_timer()

    def on_headers_complete(self) -> None:
        self._stop_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _start_header_timer(self) -> None:
        if self.header_timeout > 0:
            self._header_timer = self.loop.call_later(self.header_timeout, self._drop_slow_client)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _drop_slow_client(self) -> None:
        self._header_timer = None
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()
