"""The HTTP protocol grantflow is served with: uvicorn's h11, with Nagle's algorithm off."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

SERVED_WITH = "services.api.http:NoDelayH11Protocol"


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, setting TCP_NODELAY on each connection itself.

    With --workers N, uvicorn binds the listening socket with proto 0, and asyncio only turns
    Nagle off for sockets that say IPPROTO_TCP; so every keep-alive response after the first
    waits ~40 ms for the client's delayed ACK (Kludex/uvicorn#3149, open). One worker or
    several, a response goes out when it is ready.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
