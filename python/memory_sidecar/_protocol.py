"""What a block's typed API needs from the client: run one operation by name with its JSON body.

``MemoryClient`` implements it with retries, request ids, session headers and the transaction log;
the blocks (``memory_sidecar.blocks``) only build bodies and read replies.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, Mapping, Optional, Protocol


class Caller(Protocol):
    def call(self, op: str, body: Mapping[str, Any], *, timeout_s: Optional[float] = None) -> Dict[str, Any]:
        """Runs operation ``op`` (``kv.put``) with ``body`` (camelCase keys, ``None`` values left out) and returns its reply body."""
        ...

    def stream(self, op: str, body: Mapping[str, Any], *, timeout_s: Optional[float] = None) -> Iterator[Dict[str, Any]]:
        """Runs a server-streaming operation (``episodic.tail``, ``artifact.read``) and yields its items in order."""
        ...
