"""One writer per turn recorder: batches of turns written strictly in the order they were queued.

Never two at once, so turn N lands before turn N+1 and a session switch's flush lands behind what
the old session still had queued. A batch is journaled the moment it is queued. A write that fails
for want of the service is tried again (same request id) until it lands, is refused, or the writer
is abandoned; a refused one is reported, not retried.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Deque, Dict, List, Optional, Tuple

from .backoff import retry_delay_ms
from .caller import RetryingCaller, is_refusal
from .errors import MemoryError

APPEND = "episodic.append"


@dataclass(frozen=True)
class RecordedTurn:
    """One turn as stored: ``payload.turns[i]`` of a ``turns`` event."""

    index: int
    """1, 2, 3, ... within its session."""
    user: str
    assistant: str
    at: str
    metadata: Optional[Dict[str, str]] = None

    def as_payload(self) -> Dict[str, Any]:
        item: Dict[str, Any] = {"index": self.index, "user": self.user, "assistant": self.assistant, "at": self.at}
        if self.metadata:
            item["metadata"] = dict(self.metadata)
        return item


@dataclass(frozen=True)
class TurnBatch:
    """Turns to be written as one ``episodic.append``. Session, lineage and indices are fixed when
    the batch is made, so nothing that happens later — a switch, more turns — can move them."""

    ns: str
    session_id: str
    parent_session_id: Optional[str]
    turns: Tuple[RecordedTurn, ...]


@dataclass(frozen=True)
class AbandonedWrite:
    """A write that did not happen; with a transaction log it stays there to be sent on the next start."""

    op: str
    session_id: Optional[str] = None
    turns: Optional[int] = None
    error: Optional[str] = None


def append_body_of(batch: TurnBatch) -> Dict[str, Any]:
    """The ``episodic.append`` body of a batch; its ``dedupKey`` makes a repeat of the same turns a no-op."""
    first, last = batch.turns[0].index, batch.turns[-1].index
    metadata = {"firstTurn": str(first), "lastTurn": str(last)}  # metadata values are strings on the wire
    if batch.parent_session_id:
        metadata = {"parentSessionId": batch.parent_session_id, **metadata}
    return {
        "ns": batch.ns,
        "type": "turns",
        "sessionId": batch.session_id,
        "payload": {"turns": [t.as_payload() for t in batch.turns]},
        "metadata": metadata,
        "dedupKey": f"{batch.session_id}:turns:{first}-{last}",
    }


@dataclass
class _Queued:
    batch: TurnBatch
    body: Dict[str, Any]
    request_id: str
    written: "Future[bool]" = field(default_factory=Future)
    settled: bool = False


class TurnWriter:
    def __init__(self, caller: RetryingCaller, logger: logging.Logger):
        self._caller = caller
        self._logger = logger
        self._cond = threading.Condition()
        self._queue: Deque[_Queued] = deque()
        self._in_flight: Optional[_Queued] = None
        self._give_up = threading.Event()
        self._give_up_reason = "abandoned"
        self._closing = False
        self._not_written: List[AbandonedWrite] = []
        self._thread: Optional[threading.Thread] = None

    @property
    def pending(self) -> int:
        """Batches queued or being written."""
        with self._cond:
            return len(self._queue) + (1 if self._in_flight is not None else 0)

    @property
    def abandoned(self) -> List[AbandonedWrite]:
        """Writes refused or abandoned so far."""
        with self._cond:
            return list(self._not_written)

    def enqueue(self, batch: TurnBatch) -> "Future[bool]":
        """Queues a batch behind everything queued before it; the future says whether it was written.
        Journaled first: if the transaction log cannot be written, this raises and nothing is queued."""
        body = append_body_of(batch)
        request_id = str(uuid.uuid4())
        self._caller.journal(APPEND, body, request_id)
        item = _Queued(batch, body, request_id)
        with self._cond:
            if self._give_up.is_set():
                self._settle(item, False, f"not sent: {self._give_up_reason}")
                return item.written
            self._queue.append(item)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="memsidecar-turn-writer", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        return item.written

    def drain(self, timeout_s: float) -> bool:
        """Whether everything queued so far was settled (written, refused or abandoned) within ``timeout_s``."""
        deadline = time.monotonic() + max(0.0, timeout_s)
        with self._cond:
            while self._queue or self._in_flight is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def abandon(self, reason: str) -> None:
        """Stops writing at once: the write in flight and everything queued behind it are reported as abandoned."""
        with self._cond:
            self._give_up_reason = reason
            self._give_up.set()
            for item in [*([self._in_flight] if self._in_flight else []), *self._queue]:
                self._settle(item, False, f"not sent: {reason}" if item is not self._in_flight else f"not confirmed: {reason}")
            self._queue.clear()
            self._cond.notify_all()

    def close(self) -> None:
        """Lets the writer thread end once its queue is empty."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()

    def _settle(self, item: _Queued, written: bool, error: Optional[str]) -> None:
        """Records a batch's outcome once (whoever comes first: the writer, or ``abandon``). Holds ``_cond``."""
        if item.settled:
            return
        item.settled = True
        if not written:
            self._not_written.append(AbandonedWrite(op=APPEND, session_id=item.batch.session_id, turns=len(item.batch.turns), error=error))
        item.written.set_result(written)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._give_up.is_set() and not self._closing:
                    self._cond.wait()
                if self._give_up.is_set() or not self._queue:
                    return
                item = self._queue.popleft()
                self._in_flight = item
            written, error = self._write(item)
            with self._cond:
                self._in_flight = None
                self._settle(item, written, error)
                self._cond.notify_all()

    def _write(self, item: _Queued) -> Tuple[bool, Optional[str]]:
        policy = self._caller.policy
        dedup_key, session_id = item.body["dedupKey"], item.batch.session_id
        last_error: Optional[BaseException] = None
        round_ = 0
        while not self._give_up.is_set():
            try:
                reply = self._caller.call(APPEND, item.body, request_id=item.request_id, cancel=self._give_up)
            except MemoryError as e:
                last_error = e
                if is_refusal(e):
                    self._logger.warning("turns %s of session %s could not be written: %s", dedup_key, session_id, e)
                    break
                if self._give_up.is_set():
                    break
                if round_ == 0:
                    self._logger.warning("turns %s of session %s: %s; trying again until it lands", dedup_key, session_id, e)
                # The caller already spent its own retries; keep growing the pause from there.
                self._give_up.wait(retry_delay_ms(policy, session_id, policy.max_retries + round_) / 1000)
                round_ += 1
                continue
            except Exception as e:  # noqa: BLE001 - not the service's failure (a bug, or the channel closed at shutdown): never retried
                last_error = e
                if not self._give_up.is_set():
                    self._logger.warning("turns %s of session %s could not be written: %r", dedup_key, session_id, e)
                break
            if reply.get("deduplicated"):
                self._logger.warning(
                    "turns %s were already stored by an earlier write; if this session was resumed, start its turn index after the turns it has (first_turn_index)",
                    dedup_key,
                )
            return True, None
        return False, str(last_error) if last_error is not None else f"not sent: {self._give_up_reason}"
