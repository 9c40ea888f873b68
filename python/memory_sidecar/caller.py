"""One operation, with retries: the path every call of the client takes to the wire.

Only failures that another attempt may cure are retried (UNAVAILABLE, DEADLINE_EXCEEDED: the
service away, busy or restarting), after a capped, session-jittered pause, and always with the same
``Mem-Request-Id`` for a mutation, so a mutation whose reply was lost — or that is retried across a
restart of the service — is applied once and the retry gets the original result. A refusal (any
other code) is final and never sent again. Journaled mutations go through the transaction log.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Protocol, TypeVar

from ._wire import Headers, Wire
from .backoff import retry_delay_ms
from .catalogue import JOURNALED, MUTATIONS, OPERATION_CATALOGUE
from .config import RetryPolicy
from .errors import InvalidArgument, MemoryError, SessionClosedError, Unavailable
from .transaction_log import PendingMutation, TransactionLog, now_iso

T = TypeVar("T")

OnRetry = Callable[[str, int, float, MemoryError], None]
"""Told of each pause before a retry: ``(op, attempt, delay_s, error)`` (for logs and metrics)."""

TAIL_DEFAULT_MAX_MS = 30_000
"""The service's default ``maxMs`` of ``episodic.tail``: how long a quiet tail may stay silent."""


class SessionBinding(Protocol):
    """What a call needs of a session: its headers, and whether the client knows it ended."""

    session_id: str
    session_token: str

    @property
    def ended_reason(self) -> Optional[str]: ...

    def mark_ended(self, reason: str) -> None:
        """Told when the service answered SESSION_CLOSED to a call in this session, so later calls fail at once."""
        ...


def is_refusal(error: BaseException) -> bool:
    """The service answered and said no: the same request would get the same answer. A failure
    of the transport or a deadline never counts as one (the mutation may yet be applied)."""
    return isinstance(error, MemoryError) and not error.retryable


def is_session_closed(error: BaseException) -> bool:
    return isinstance(error, MemoryError) and error.code == "FAILED_PRECONDITION" and error.reason == "SESSION_CLOSED"


def session_closed_error(session_id: str, message: str) -> SessionClosedError:
    error = SessionClosedError(message)
    error.details["sessionId"] = session_id
    return error


def unknown_operation(op: str) -> InvalidArgument:
    return InvalidArgument("INVALID_ARGUMENT", f"{op}: not an operation of the contract", None, {"field": "op"})


def gave_up(op: str, why: str) -> MemoryError:
    return Unavailable("UNAVAILABLE", f"{op}: gave up waiting for a reply ({why})", "ABORTED")


class RetryingCaller:
    """Runs operations by name over the wire with retries, request ids, session headers and the outbox."""

    def __init__(
        self,
        wire: Wire,
        *,
        policy: RetryPolicy,
        request_timeout_s: float,
        jitter_key: Callable[[], str],
        outbox: Optional[TransactionLog],
        logger: logging.Logger,
        on_retry: Optional[OnRetry] = None,
    ):
        self.wire = wire
        self.policy = policy
        self.request_timeout_s = request_timeout_s
        self._jitter_key = jitter_key
        self.outbox = outbox
        self._logger = logger
        self._on_retry = on_retry

    def journal(self, op: str, body: Mapping[str, Any], request_id: str) -> None:
        """Writes a journaled mutation to the transaction log now, ahead of its call with the same
        ``request_id``: a write queued behind others is then as durable as one on the wire."""
        if self.outbox is not None and op in JOURNALED:
            self.outbox.written(PendingMutation(id=request_id, op=op, body=dict(body), at=now_iso()))

    def call(
        self,
        op: str,
        body: Mapping[str, Any],
        *,
        request_id: Optional[str] = None,
        session: Optional[SessionBinding] = None,
        timeout_s: Optional[float] = None,
        deadline: Optional[float] = None,
        cancel: Optional[threading.Event] = None,
    ) -> Dict[str, Any]:
        """One operation with retries. ``timeout_s`` bounds each attempt; ``deadline`` (a
        ``time.monotonic()`` instant) bounds them all; once ``cancel`` is set no attempt starts and
        no pause continues. A journaled mutation given up this way stays in the transaction log."""
        if op not in OPERATION_CATALOGUE:
            raise unknown_operation(op)
        if session is not None and session.ended_reason:
            raise session_closed_error(session.session_id, f"{op}: session {session.session_id} {session.ended_reason}")
        if request_id is None and op in MUTATIONS:
            request_id = str(uuid.uuid4())
        journaled = self.outbox is not None and request_id is not None and op in JOURNALED
        if journaled:
            self.journal(op, body, request_id)  # type: ignore[arg-type]
        headers = Headers(request_id=request_id, session_id=session.session_id if session else None, session_token=session.session_token if session else None)
        per_attempt = timeout_s if timeout_s is not None else self.request_timeout_s
        try:
            result = self._with_retries(op, lambda attempt_timeout: self.wire.call(op, body, headers, attempt_timeout), per_attempt, deadline, cancel)
        except MemoryError as e:
            if journaled and is_refusal(e):
                self.outbox.refused(request_id, e.code)  # type: ignore[union-attr, arg-type]
            if session is not None and is_session_closed(e):
                session.mark_ended(f"was closed or orphaned on the service ({e.message})")
                raise session_closed_error(session.session_id, f"{op}: {e.message}") from None
            raise
        if journaled:
            self.outbox.acknowledged(request_id, _seq_of(result))  # type: ignore[union-attr, arg-type]
        return result

    def resend(self, entry: PendingMutation) -> None:
        """Sends an outbox entry again with its original request id; a refusal is recorded and
        logged (sending it once more would be refused again), a failure of the transport raised."""
        try:
            if entry.op not in OPERATION_CATALOGUE:
                raise unknown_operation(entry.op)
            result = self._with_retries(entry.op, lambda t: self.wire.call(entry.op, entry.body, Headers(request_id=entry.id), t), self.request_timeout_s, None, None)
        except MemoryError as e:
            if not is_refusal(e):
                raise
            if self.outbox is not None:
                self.outbox.refused(entry.id, e.code)
            self._logger.warning("transaction log: %s %s refused on re-send: %s", entry.op, entry.id, e)
            return
        if self.outbox is not None:
            self.outbox.acknowledged(entry.id, _seq_of(result))

    def stream(
        self,
        op: str,
        body: Mapping[str, Any],
        *,
        session: Optional[SessionBinding] = None,
        timeout_s: Optional[float] = None,
        cancel: Optional[threading.Event] = None,
    ) -> Iterator[Dict[str, Any]]:
        """A server-streaming operation's items, in order; the request is sent when iteration
        starts. It is retried only before its first item: after that a retry would repeat items."""
        if op not in OPERATION_CATALOGUE:
            raise unknown_operation(op)
        if session is not None and session.ended_reason:
            raise session_closed_error(session.session_id, f"{op}: session {session.session_id} {session.ended_reason}")
        headers = Headers(session_id=session.session_id if session else None, session_token=session.session_token if session else None)
        return self._stream(op, body, headers, timeout_s if timeout_s is not None else self._stream_timeout_s(op, body), cancel)

    def _stream(self, op: str, body: Mapping[str, Any], headers: Headers, timeout_s: float, cancel: Optional[threading.Event]) -> Iterator[Dict[str, Any]]:
        for attempt in range(self.policy.max_retries + 1):
            delivered = False
            try:
                for item in self.wire.stream(op, body, headers, timeout_s):
                    delivered = True
                    yield item
                return
            except MemoryError as e:
                if delivered or not e.retryable or attempt >= self.policy.max_retries:
                    raise
                if not self._pause(op, attempt, e, None, cancel):
                    raise

    def _stream_timeout_s(self, op: str, body: Mapping[str, Any]) -> float:
        """A tail may stay quiet for its ``maxMs``: that is not a dead service."""
        if op == "episodic.tail":
            return self.request_timeout_s + float(body.get("maxMs") or TAIL_DEFAULT_MAX_MS) / 1000
        return self.request_timeout_s

    def _with_retries(self, op: str, attempt: Callable[[float], T], per_attempt_s: float, deadline: Optional[float], cancel: Optional[threading.Event]) -> T:
        n = 0
        while True:
            if cancel is not None and cancel.is_set():
                raise gave_up(op, "cancelled")
            timeout = per_attempt_s
            if deadline is not None:
                timeout = min(timeout, deadline - time.monotonic())
                if timeout <= 0:
                    raise gave_up(op, "deadline reached")
            try:
                return attempt(timeout)
            except MemoryError as e:
                if not e.retryable or n >= self.policy.max_retries:
                    raise
                if not self._pause(op, n, e, deadline, cancel):
                    raise
            n += 1

    def _pause(self, op: str, attempt: int, error: MemoryError, deadline: Optional[float], cancel: Optional[threading.Event]) -> bool:
        """Waits before retry ``attempt``; False when the deadline or a cancel leaves no point in retrying."""
        delay_s = retry_delay_ms(self.policy, self._jitter_key(), attempt) / 1000
        if deadline is not None and time.monotonic() + delay_s >= deadline:
            return False
        if self._on_retry is not None:
            self._on_retry(op, attempt, delay_s, error)
        if cancel is None:
            time.sleep(delay_s)
            return True
        return not cancel.wait(delay_s)


def _seq_of(result: Mapping[str, Any]) -> Optional[int]:
    seq = result.get("seq")
    return seq if isinstance(seq, int) else None
