"""The client for asyncio code.

``AsyncMemoryClient`` is a ``MemoryClient`` whose blocking calls run in worker threads
(``asyncio.to_thread``), so an event loop never waits on the network. It has the same
guarantees, because it is the same client underneath: the retries, the request ids, the
heartbeat threads, the turn writer and the transaction log are all shared.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, AsyncIterator, Callable, Dict, Iterator, Mapping, Optional, TypeVar

from .client import MemoryClient, ShutdownReport
from .session import Session
from .turns import TurnRecorder

T = TypeVar("T")

#: Block methods that return iterators: in asyncio they are async iterators.
STREAMING_METHODS = frozenset({"tail", "read", "scan", "events"})


async def _iterate(open_iterator: Callable[[], Iterator[T]]) -> AsyncIterator[T]:
    """A blocking iterator as an async one: each step in a worker thread; leaving the loop closes it."""
    iterator = await asyncio.to_thread(open_iterator)
    done = object()
    try:
        while True:
            item = await asyncio.to_thread(next, iterator, done)
            if item is done:
                return
            yield item  # type: ignore[misc]
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            await asyncio.to_thread(close)


class AsyncBlock:
    """A block's typed API with every method awaitable (streams as async iterators)."""

    def __init__(self, block: Any):
        self._block = block

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._block, name)
        if name.startswith("_") or not callable(method):
            return method
        if name in STREAMING_METHODS:
            return lambda *args, **kwargs: _iterate(functools.partial(method, *args, **kwargs))

        async def run(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        run.__doc__ = method.__doc__
        return run


class AsyncTurns:
    """A ``TurnRecorder`` for asyncio: recording and queueing never block; waiting for recall is awaited."""

    def __init__(self, recorder: TurnRecorder[Any]):
        self.recorder = recorder

    def record_turn(self, **turn: Any) -> int:
        return self.recorder.record_turn(**turn)

    def queue_prefetch(self, query: str) -> None:
        self.recorder.queue_prefetch(query)

    def switch_session(self, session_id: str, **lineage: Any) -> None:
        self.recorder.switch_session(session_id, **lineage)

    async def prefetch(self, *, wait_s: float = 3.0) -> Optional[Any]:
        return await asyncio.to_thread(self.recorder.prefetch, wait_s=wait_s)

    async def drain(self, timeout_s: float) -> bool:
        return await asyncio.to_thread(self.recorder.drain, timeout_s)


class AsyncMemoryClient:
    """``await AsyncMemoryClient.connect(endpoint=…, …)`` takes ``MemoryClient``'s arguments."""

    def __init__(self, client: MemoryClient):
        self.client = client
        self.kv = AsyncBlock(client.kv)
        self.episodic = AsyncBlock(client.episodic)
        self.semantic = AsyncBlock(client.semantic)
        self.artifact = AsyncBlock(client.artifact)
        self.lease = AsyncBlock(client.lease)
        self.session = AsyncBlock(client.session)
        self.facts = AsyncBlock(client.facts)
        self.audit = AsyncBlock(client.audit)
        self.graph = AsyncBlock(client.graph)

    @classmethod
    async def connect(cls, *args: Any, **kwargs: Any) -> "AsyncMemoryClient":
        """Constructs the client in a worker thread: it may re-send its transaction log first."""
        return cls(await asyncio.to_thread(MemoryClient, *args, **kwargs))

    async def call(self, op: str, body: Mapping[str, Any], **options: Any) -> Dict[str, Any]:
        return await asyncio.to_thread(self.client.call, op, body, **options)

    def stream(self, op: str, body: Mapping[str, Any], **options: Any) -> AsyncIterator[Dict[str, Any]]:
        return _iterate(lambda: self.client.stream(op, body, **options))

    async def open_session(self, **options: Any) -> Session:
        """A heartbeating session (its heartbeats run on their own thread, whatever the loop does)."""
        return await asyncio.to_thread(self.client.open_session, **options)

    def in_session(self, session: Session) -> Any:
        """The blocks with every call tied to ``session``, awaitable."""
        scope = self.client.in_session(session)
        return type("AsyncSessionScope", (), {name: AsyncBlock(getattr(scope, name)) for name in ("kv", "episodic", "semantic", "artifact", "lease", "session", "facts", "audit", "graph")})()

    def turns(self, **options: Any) -> AsyncTurns:
        return AsyncTurns(self.client.turns(**options))

    async def shutdown(self, *, timeout_s: float = 5.0) -> ShutdownReport:
        return await asyncio.to_thread(self.client.shutdown, timeout_s=timeout_s)

    async def __aenter__(self) -> "AsyncMemoryClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.shutdown()
