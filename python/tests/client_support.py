"""Shared pieces of the client tests: a service of the test module's own (to kill and restart), a
recorder of what the client puts on the wire, and reads that see every write made before them."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

from memory_sidecar import MemoryClient
from memory_sidecar._wire import Headers, Wire
from tests.harness import Database, Nats, Service


@pytest.fixture(scope="module")
def own_service(nats: Nats, database: Database) -> Iterator[Service]:
    """A service instance of this module alone, on the run's NATS and database: killing and
    restarting it (same data dir, same socket) leaves the other tests' service alone."""
    svc = Service(nats_url=nats.url, database_url=database.url).start()
    yield svc
    svc.stop()


@dataclass(frozen=True)
class Attempt:
    op: str
    request_id: Optional[str]
    session_id: Optional[str]
    session_token: Optional[str]


class RecordingWire(Wire):
    """The client's real wire, noting every attempt; ``after(op, attempt_number, reply)`` may act
    once the service answered (kill it, say) and raise in place of the reply, as a lost reply."""

    def __init__(self, inner: Wire, after: Optional[Callable[[str, int, Dict[str, Any]], None]] = None):
        super().__init__(inner.channel, inner.token)
        self.attempts: List[Attempt] = []
        self.after = after
        self._lock = threading.Lock()

    def call(self, op: str, body: Any, headers: Headers = Headers(), timeout_s: Optional[float] = None) -> Dict[str, Any]:
        with self._lock:
            self.attempts.append(Attempt(op, headers.request_id, headers.session_id, headers.session_token))
            number = sum(1 for a in self.attempts if a.op == op)
        reply = super().call(op, body, headers, timeout_s)
        if self.after is not None:
            self.after(op, number, reply)
        return reply

    def stream(self, op: str, body: Any, headers: Headers = Headers(), timeout_s: Optional[float] = None) -> Iterator[Dict[str, Any]]:
        # Noted when the request is sent: when iteration starts.
        with self._lock:
            self.attempts.append(Attempt(op, headers.request_id, headers.session_id, headers.session_token))
        yield from super().stream(op, body, headers, timeout_s)

    def of(self, op: str) -> List[Attempt]:
        with self._lock:
            return [a for a in self.attempts if a.op == op]


def record_wire(client: MemoryClient, after: Optional[Callable[[str, int, Dict[str, Any]], None]] = None) -> RecordingWire:
    recording = RecordingWire(client.caller.wire, after)
    client.caller.wire = recording
    return recording


def wait_until(condition: Callable[[], Any], *, timeout_s: float = 20, every_s: float = 0.05, what: str = "the condition") -> Any:
    """Polls ``condition`` until it is truthy; fails the test (not a timing assertion) if it never is."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout_s} s")
        time.sleep(every_s)


def read_barrier(client: MemoryClient, ns: str) -> int:
    """A write after everything written so far: reading with its ``seq`` as ``minSeq`` sees them all."""
    return client.call("episodic.append", {"ns": f"{ns}-barrier", "type": "barrier", "payload": None})["seq"]


def all_events(client: MemoryClient, ns: str, **filters: Any) -> List[Dict[str, Any]]:
    """Every event of ``ns`` (matching ``filters``), oldest first, as of now."""
    min_seq = read_barrier(client, ns)
    events: List[Dict[str, Any]] = []
    after: Optional[int] = None
    while True:
        page = client.call("episodic.range", {"ns": ns, "limit": 500, "minSeq": min_seq, **({"afterCursor": after} if after else {}), **filters})
        events.extend(page["events"])
        if "nextCursor" not in page:
            return events
        after = page["nextCursor"]


def turns_of(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The turns stored in ``turns`` events, in the order they were written, each with its event's session."""
    return [{**turn, "sessionId": e.get("sessionId"), "event": e} for e in events if e["type"] == "turns" for turn in e["payload"]["turns"]]
