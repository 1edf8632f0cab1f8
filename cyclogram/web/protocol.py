"""uvicorn's HTTP/1.1 protocol, with one fix: a connection that never sends a request is closed.

uvicorn starts its keep-alive timer only after a response, so a client that connects and stays
silent keeps its socket forever (a few hundred of them exhaust the process's file descriptors).
Here the same timer also runs from the moment the connection is made; the first byte of a request
cancels it, exactly as between requests. Behind a reverse proxy (docs/deploying.md) the proxy
guards against slow clients as well.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol


class FirstRequestTimeout(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)
