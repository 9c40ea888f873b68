"""Records an agent's turns into episodic memory and prefetches recall for its next model call,
across session switches and shutdown, without losing or misplacing a turn:

- turns are buffered and written every ``retain_every_n_turns`` as one ``episodic.append`` of type
  ``turns``, through one FIFO writer (in order, never concurrently);
- ``switch_session`` queues the flush of what is buffered under the OLD session and lineage,
  behind any write still pending, before it moves to the new session;
- a prefetch started before a switch can never deliver into the new session, and of two prefetches
  the newer wins;
- ``client.shutdown`` flushes the buffer exactly once and drains the writer within a deadline,
  reporting what it could not write.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Dict, Generic, List, Mapping, Optional, TypeVar, Union

from .errors import ClientConfigError, ClientShutDownError
from .latest_recall import LatestRecall
from .turn_writer import AbandonedWrite, RecordedTurn, TurnBatch, TurnWriter

if TYPE_CHECKING:
    from .client import MemoryClient

T = TypeVar("T")

DEFAULT_PREFETCH_WAIT_S = 3.0


@dataclass(frozen=True)
class RecallContext:
    session_id: str
    """The session the recall is for: its result never reaches another one."""
    client: "MemoryClient"
    cancelled: threading.Event
    """Set once the result can no longer be used (a session switch, shutdown)."""


Recall = Callable[[str, RecallContext], T]


@dataclass(frozen=True)
class SessionSwitch:
    previous_session_id: str
    session_id: str
    parent_session_id: Optional[str] = None
    reason: Optional[str] = None


@dataclass(frozen=True)
class TurnRecorderStopReport:
    flushed_turns: int
    """Buffered turns written by the final flush."""
    abandoned: List[AbandonedWrite] = field(default_factory=list)
    """Writes refused or not completed by the deadline."""


class TurnRecorder(Generic[T]):
    """Made by ``client.turns(...)``: the piece an agent framework calls after every turn and before every model call."""

    def __init__(
        self,
        client: "MemoryClient",
        *,
        ns: str,
        session_id: str,
        parent_session_id: Optional[str] = None,
        retain_every_n_turns: int = 1,
        first_turn_index: Optional[int] = None,
        recall: Optional[Recall[T]] = None,
        logger: logging.Logger,
    ):
        if isinstance(retain_every_n_turns, bool) or not isinstance(retain_every_n_turns, int) or retain_every_n_turns < 1:
            raise ClientConfigError(f"turns: retain_every_n_turns must be a whole number of at least 1, not {retain_every_n_turns!r}")
        self._client = client
        self._ns = ns
        self._every_n = retain_every_n_turns
        self._logger = logger
        self._lock = threading.RLock()
        self._session_id = session_id
        self._parent_session_id = parent_session_id
        self._next_index = _first_index(first_turn_index)
        self._buffer: List[RecordedTurn] = []
        self._writer = TurnWriter(client.caller, logger)
        self._latest: LatestRecall[T] = LatestRecall(logger)
        self._recall: Recall[Any] = recall if recall is not None else self._search
        self._switch_listeners: List[Callable[[SessionSwitch], None]] = []
        self._stopping = False
        self._final_write: Optional[Future[bool]] = None
        self._final_turns = 0
        self._report: Optional[TurnRecorderStopReport] = None
        self._stop_lock = threading.Lock()

    @property
    def ns(self) -> str:
        return self._ns

    @property
    def session_id(self) -> str:
        return self._session_id

    @property
    def parent_session_id(self) -> Optional[str]:
        return self._parent_session_id

    @property
    def buffered_turns(self) -> int:
        """Turns recorded but not yet queued for writing."""
        return len(self._buffer)

    @property
    def next_turn_index(self) -> int:
        return self._next_index

    @property
    def pending_writes(self) -> int:
        """Batches queued or being written."""
        return self._writer.pending

    def record_turn(self, *, user: str, assistant: str, at: Union[datetime, str, None] = None, metadata: Optional[Mapping[str, str]] = None) -> int:
        """Buffers a turn of the current session and returns its index; every N turns the buffer is queued for writing."""
        with self._lock:
            self._assert_taking_input("turns.record_turn")
            turn = RecordedTurn(index=self._next_index, user=user, assistant=assistant, at=_iso(at), metadata=dict(metadata) if metadata else None)
            self._buffer.append(turn)
            self._next_index += 1
            if len(self._buffer) >= self._every_n:
                self._queue_buffer()
            return turn.index

    def flush(self) -> None:
        """Queues whatever is buffered now, without waiting for N turns."""
        with self._lock:
            self._assert_taking_input("turns.flush")
            self._queue_buffer()

    def switch_session(self, session_id: str, *, parent_session_id: Optional[str] = None, reason: Optional[str] = None, first_turn_index: Optional[int] = None) -> None:
        """Moves to another session. What is buffered is queued under the OLD session id and
        lineage, behind anything still pending; prefetches started before now are fenced off; the
        new session starts with an empty buffer at turn ``first_turn_index`` (1). Returns once the
        flush is queued: ``drain`` waits for it to land."""
        with self._lock:
            self._assert_taking_input("turns.switch_session")
            previous = self._session_id
            if session_id == previous:
                raise ClientConfigError(f"turns.switch_session: already in session {session_id}")
            next_index = _first_index(first_turn_index)
            self._queue_buffer()
            self._latest.fence(f"session switched from {previous} to {session_id}")
            self._session_id, self._parent_session_id, self._next_index = session_id, parent_session_id, next_index
            listeners = list(self._switch_listeners)
        change = SessionSwitch(previous_session_id=previous, session_id=session_id, parent_session_id=parent_session_id, reason=reason)
        for listener in listeners:
            try:
                listener(change)
            except Exception as e:  # noqa: BLE001 - one listener's failure must not stop the others
                self._logger.warning("turns: an on_session_switch listener failed: %s", e)

    def on_session_switch(self, listener: Callable[[SessionSwitch], None]) -> Callable[[], None]:
        """Calls ``listener`` after every switch. Returns an unsubscribe function."""
        with self._lock:
            self._switch_listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._switch_listeners:
                    self._switch_listeners.remove(listener)

        return unsubscribe

    def queue_prefetch(self, query: str) -> None:
        """Starts recall for the next model call in the background (typically with the finished turn's text)."""
        with self._lock:
            self._assert_taking_input("turns.queue_prefetch")
            session_id = self._session_id
            self._latest.start(lambda cancelled: self._recall(query, RecallContext(session_id, self._client, cancelled)), f"for session {session_id}")

    def prefetch(self, *, wait_s: float = DEFAULT_PREFETCH_WAIT_S) -> Optional[T]:
        """The newest prefetched result for the current session, or None; taking it clears it.
        Waits up to ``wait_s`` for the newest prefetch still running."""
        return self._latest.take(wait_s)

    def drain(self, timeout_s: float) -> bool:
        """Whether every write queued so far settled within ``timeout_s``. The buffer is not flushed: see ``flush``."""
        return self._writer.drain(timeout_s)

    def stop(self, deadline: float) -> TurnRecorderStopReport:
        """Stops taking input, queues the buffer exactly once and drains the writer until
        ``deadline`` (a ``time.monotonic()`` instant); what is unwritten then is abandoned and
        reported (and stays in the transaction log if there is one). Again: the same report."""
        self.begin_stop()
        return self.finish_stop(deadline)

    def begin_stop(self) -> None:
        """Stops intake and queues the final flush: later input raises ``ClientShutDownError``."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            self._latest.fence("the memory client is shutting down")
            self._final_turns = len(self._buffer)
            self._final_write = self._queue_buffer()

    def finish_stop(self, deadline: float) -> TurnRecorderStopReport:
        # Not under the intake lock: a thread still recording gets its ClientShutDownError at once.
        with self._stop_lock:
            if self._report is not None:
                return self._report
            if not self._writer.drain(deadline - time.monotonic()):
                self._writer.abandon("shutdown deadline reached")
            self._writer.close()
            flushed = self._final_write.result() if self._final_write is not None else False
            self._report = TurnRecorderStopReport(flushed_turns=self._final_turns if flushed else 0, abandoned=self._writer.abandoned)
            return self._report

    def _queue_buffer(self) -> Optional["Future[bool]"]:
        """Snapshots the buffer with the session it belongs to and queues it (journaled first: if
        the transaction log cannot be written, the turns stay buffered)."""
        if not self._buffer:
            return None
        batch = TurnBatch(ns=self._ns, session_id=self._session_id, parent_session_id=self._parent_session_id, turns=tuple(self._buffer))
        written = self._writer.enqueue(batch)
        self._buffer = []
        return written

    def _assert_taking_input(self, what: str) -> None:
        if self._stopping:
            raise ClientShutDownError(f"{what}: the memory client has been shut down")

    def _search(self, query: str, context: RecallContext) -> Dict[str, Any]:
        return context.client.call("semantic.search", {"ns": self._ns, "queryText": query, "topK": 5}, cancel=context.cancelled)


def _first_index(given: Optional[int]) -> int:
    if given is None:
        return 1
    if isinstance(given, bool) or not isinstance(given, int) or given < 1:
        raise ClientConfigError(f"turns: first_turn_index must be a whole number of at least 1, not {given!r}")
    return given


def _iso(at: Union[datetime, str, None]) -> str:
    """As JavaScript's ``toISOString`` writes it; a naive time is local time, as there."""
    moment = datetime.now(timezone.utc) if at is None else datetime.fromisoformat(at) if isinstance(at, str) else at
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
