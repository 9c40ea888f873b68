"""The smallest ``Caller`` over the gRPC wire: what the blocks' tests run on, without the client's retries."""

from __future__ import annotations

from typing import Any, Dict, Iterator, Mapping, Optional

from memory_sidecar._wire import Headers, Wire, open_channel


class WireCaller:
    """Delegates each operation to ``Wire``, with fixed headers (e.g. a session's id and token)."""

    def __init__(self, wire: Wire, headers: Headers = Headers()):
        self.wire = wire
        self.headers = headers

    @classmethod
    def connect(cls, endpoint: str, token: Optional[str]) -> "WireCaller":
        return cls(Wire(open_channel(endpoint), token))

    def call(self, op: str, body: Mapping[str, Any], *, timeout_s: Optional[float] = None) -> Dict[str, Any]:
        return self.wire.call(op, body, self.headers, timeout_s if timeout_s is not None else 30.0)

    def stream(self, op: str, body: Mapping[str, Any], *, timeout_s: Optional[float] = None) -> Iterator[Dict[str, Any]]:
        return self.wire.stream(op, body, self.headers, timeout_s)


import pytest  # noqa: E402


@pytest.fixture()
def caller(service: Any, token: str) -> WireCaller:
    """A caller on the test service's unix socket, as the admin."""
    return WireCaller.connect(service.unix_endpoint, token)
