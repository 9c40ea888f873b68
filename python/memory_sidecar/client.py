"""``MemoryClient``: the memsidecar client for agents written in Python, over gRPC.

Typed APIs for every block, retries with bounded session-derived jitter that never apply a
mutation twice, sessions kept alive by heartbeats, buffered turn recording that survives session
switches and shutdown, and an optional transaction log that survives crashes — the guarantees of
the TypeScript SDK (docs/client.md).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List, Mapping, Optional, Set, Union

import grpc

from ._wire import TlsConfig, Wire, open_channel
from .block_access import BlockAccess, SessionScope
from .caller import OnRetry, RetryingCaller, SessionBinding
from .config import DEFAULT_REQUEST_RETENTION_S, DEFAULT_REQUEST_TIMEOUT_S, ClientConfig, RetryPolicy, SessionDefaults, parse_client_config
from .errors import ClientConfigError, ClientShutDownError
from .session import Session
from .transaction_log import TransactionLog
from .turn_writer import AbandonedWrite
from .turns import Recall, TurnRecorder

DEFAULT_SHUTDOWN_TIMEOUT_S = 5.0

RECONNECT_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 1000),
    ("grpc.min_reconnect_backoff_ms", 1000),
    ("grpc.max_reconnect_backoff_ms", 1000),
)
"""The retry policy paces the retries; the channel must not sit out a long reconnect backoff of
its own after the service came back (gRPC's default grows to two minutes), or every retry in
that time would fail without trying. gRPC also takes the minimum as the connect timeout, hence
not less than a second."""


@dataclass(frozen=True)
class ShutdownReport:
    """What ``shutdown`` could not do, instead of dropping it silently."""

    flushed_turns: int = 0
    """Buffered turns written by the final flush."""
    abandoned: List[AbandonedWrite] = field(default_factory=list)
    """Writes not completed when the time ran out (still in the transaction log if one is kept), or refused."""
    closed_sessions: List[str] = field(default_factory=list)
    """Sessions closed (with their final checkpoint)."""
    unclosed_sessions: List[str] = field(default_factory=list)
    """Sessions that could not be closed in time: the service will find them orphaned."""
    timed_out: bool = False
    """The deadline passed, or something was abandoned or left open."""


class MemoryClient(BlockAccess):
    """The client: ``call``/``stream`` any operation, the blocks as attributes (``client.kv``, ...),
    ``open_session``, ``turns`` and ``shutdown``. Use it as a context manager to shut it down.

    Without ``endpoint`` it uses ``MEMSIDECAR_ENDPOINT`` (else ``MEMSIDECAR_GRPC_SOCKET``, else
    ``127.0.0.1:7777``); without ``token``, ``MEMSIDECAR_TOKEN``. With a ``transaction_log``,
    the mutations a crash left unsettled are sent again, in order, before the constructor returns.
    """

    def __init__(
        self,
        endpoint: Optional[str] = None,
        *,
        token: Optional[str] = None,
        tls: Union[TlsConfig, Mapping[str, Any], None] = None,
        request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
        session_config: Union[SessionDefaults, Mapping[str, Any], None] = None,
        retry_policy: Union[RetryPolicy, Mapping[str, Any], None] = None,
        transaction_log: Union[str, "os.PathLike[str]", None] = None,
        request_retention_s: float = DEFAULT_REQUEST_RETENTION_S,
        logger: Optional[logging.Logger] = None,
        on_retry: Optional[OnRetry] = None,
        **unknown: Any,
    ):
        self.logger = logger if logger is not None else logging.getLogger("memory_sidecar")
        self.config: ClientConfig = parse_client_config(
            endpoint=endpoint,
            token=token,
            tls=tls,
            request_timeout_s=request_timeout_s,
            session_config=session_config,
            retry_policy=retry_policy,
            transaction_log=transaction_log,
            request_retention_s=request_retention_s,
            unknown=unknown,
            stacklevel=3,
        )
        self._client_id = str(uuid.uuid4())
        self._current_session_id: Optional[str] = None
        self._sessions: Set[Session] = set()
        self._recorders: List[TurnRecorder[Any]] = []
        self._lock = threading.Lock()
        self._shutting_down = False
        self._shutdown_lock = threading.Lock()
        self._report: Optional[ShutdownReport] = None
        self._channel: grpc.Channel = open_channel(self.config.endpoint, self.config.tls, RECONNECT_OPTIONS)
        self.outbox: Optional[TransactionLog] = None
        try:
            if self.config.transaction_log is not None:
                try:
                    self.outbox = TransactionLog.open(self.config.transaction_log, self.logger)
                except OSError as e:
                    raise ClientConfigError(f"invalid memory client configuration: transaction_log: cannot be opened: {e}") from e
            self.caller = RetryingCaller(
                Wire(self._channel, self.config.token),
                policy=self.config.retry_policy,
                request_timeout_s=self.config.request_timeout_s,
                jitter_key=self._jitter_key,
                outbox=self.outbox,
                logger=self.logger,
                on_retry=on_retry,
            )
            self._recover()
        except BaseException:
            # What could not be sent stays in the log for the next start; nothing is left open.
            if self.outbox is not None:
                self.outbox.close()
            self._channel.close()
            raise

    # -- the Caller protocol -------------------------------------------------------------------

    def call(
        self,
        op: str,
        body: Mapping[str, Any],
        *,
        timeout_s: Optional[float] = None,
        request_id: Optional[str] = None,
        session: Optional[SessionBinding] = None,
        cancel: Optional[threading.Event] = None,
    ) -> Dict[str, Any]:
        """Runs any operation of the contract by name (``kv.put``) with its JSON body (camelCase
        keys) and returns the reply body. ``request_id`` is generated for a mutation when absent
        and is the same on every retry; ``session`` ties the call to an open session; ``timeout_s``
        bounds each attempt (default ``request_timeout_s``); ``cancel`` stops further retries."""
        self._assert_open(op)
        return self.caller.call(op, body, request_id=request_id, session=session, timeout_s=timeout_s, cancel=cancel)

    def stream(self, op: str, body: Mapping[str, Any], *, timeout_s: Optional[float] = None, session: Optional[SessionBinding] = None) -> Iterator[Dict[str, Any]]:
        """Runs a server-streaming operation (``episodic.tail``, ``artifact.read``): an iterator of
        its items, the request sent when iteration starts. Leaving the loop early ends it."""
        self._assert_open(op)
        return self.caller.stream(op, body, session=session, timeout_s=timeout_s)

    # -- sessions and turns ----------------------------------------------------------------------

    def open_session(
        self,
        *,
        agent: Optional[str] = None,
        parent_session_id: Optional[str] = None,
        session_id: Optional[str] = None,
        heartbeat_interval_s: Optional[float] = None,
        heartbeat_timeout_s: Optional[float] = None,
        on_orphan: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
    ) -> Session:
        """Opens a session on the service and keeps it alive with heartbeats until it is closed.
        Heartbeat settings and ``on_orphan`` come from ``session_config`` unless given;
        ``parent_session_id`` records lineage (a branch, a continuation after compression)."""
        self._assert_open("session.open")
        session = Session.open(
            caller=self.caller,
            call=self.call,
            defaults=self.config.session,
            logger=self.logger,
            session_id=session_id,
            parent_session_id=parent_session_id,
            agent=agent,
            heartbeat_interval_s=heartbeat_interval_s,
            heartbeat_timeout_s=heartbeat_timeout_s,
            on_orphan=on_orphan,
            metadata=metadata,
        )
        with self._lock:
            if self._shutting_down:
                # Shutdown began while it opened: it would not be closed, so leave it to the orphan detector.
                session.stop_heartbeats()
                raise ClientShutDownError("session.open: the memory client has been shut down")
            self._sessions.add(session)
            self._current_session_id = session.session_id
        session.on_end(lambda _reason: self._forget(session))
        return session

    def in_session(self, session: SessionBinding) -> SessionScope:
        """A ``Caller`` (with the blocks on it) whose every call is tied to ``session``."""
        return SessionScope(self, session)

    def turns(
        self,
        *,
        ns: str,
        session_id: str,
        parent_session_id: Optional[str] = None,
        retain_every_n_turns: int = 1,
        first_turn_index: Optional[int] = None,
        recall: Optional[Recall[Any]] = None,
    ) -> TurnRecorder[Any]:
        """Buffered turn recording for an agent framework (see ``TurnRecorder``); ``recall`` (by
        default ``semantic.search`` on ``ns``, top 5) is what ``queue_prefetch`` runs."""
        self._assert_open("turns")
        recorder: TurnRecorder[Any] = TurnRecorder(
            self,
            ns=ns,
            session_id=session_id,
            parent_session_id=parent_session_id,
            retain_every_n_turns=retain_every_n_turns,
            first_turn_index=first_turn_index,
            recall=recall,
            logger=self.logger,
        )
        with self._lock:
            self._recorders.append(recorder)
            self._current_session_id = session_id
        recorder.on_session_switch(lambda change: self._set_current_session(change.session_id))
        return recorder

    # -- shutdown --------------------------------------------------------------------------------

    def shutdown(self, *, timeout_s: float = DEFAULT_SHUTDOWN_TIMEOUT_S) -> ShutdownReport:
        """Stops intake (later calls raise ``ClientShutDownError``), flushes every turn buffer
        exactly once, drains the writers, closes the open sessions with their final checkpoint —
        all within ``timeout_s`` — then closes the transaction log and the channel. Returns on time
        even when the service is down, with a report of what it could not do; calling it again
        returns the same report."""
        with self._shutdown_lock:
            if self._report is not None:
                return self._report
            deadline = time.monotonic() + timeout_s
            with self._lock:
                self._shutting_down = True
                recorders, sessions = list(self._recorders), list(self._sessions)
            # Every recorder stops taking input at once; their writers then drain side by side against one deadline.
            for recorder in recorders:
                recorder.begin_stop()
            flushed, abandoned = 0, []
            for recorder in recorders:
                stopped = recorder.finish_stop(deadline)
                flushed += stopped.flushed_turns
                abandoned.extend(stopped.abandoned)
            closed, unclosed = self._close_sessions(sessions, deadline)
            self._report = ShutdownReport(
                flushed_turns=flushed,
                abandoned=abandoned,
                closed_sessions=closed,
                unclosed_sessions=unclosed,
                timed_out=time.monotonic() >= deadline or bool(abandoned) or bool(unclosed),
            )
            for a in abandoned:
                self.logger.warning("shutdown: could not write %s of session %s (%s turns): %s", a.op, a.session_id, a.turns, a.error)
            if self.outbox is not None:
                self.outbox.close()
            self._channel.close()
            return self._report

    @property
    def is_shut_down(self) -> bool:
        return self._shutting_down

    def __enter__(self) -> "MemoryClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- inside ----------------------------------------------------------------------------------

    def _close_sessions(self, sessions: List[Session], deadline: float) -> "tuple[List[str], List[str]]":
        """Closes the sessions side by side, each bounded by what is left of the time."""
        closed: List[str] = []
        unclosed: List[str] = []
        if not sessions:
            return closed, unclosed

        def close(session: Session) -> bool:
            try:
                return session.close(timeout_s=max(0.0, deadline - time.monotonic()))
            except Exception as e:  # noqa: BLE001 - reported, not raised: shutdown goes on
                self.logger.warning("shutdown: session %s not closed: %s", session.session_id, e)
                return False
            finally:
                session.stop_heartbeats()

        with ThreadPoolExecutor(max_workers=min(8, len(sessions)), thread_name_prefix="memsidecar-close") as pool:
            for session, ok in zip(sessions, pool.map(close, sessions)):
                (closed if ok else unclosed).append(session.session_id)
        return closed, unclosed

    def _forget(self, session: Session) -> None:
        with self._lock:
            self._sessions.discard(session)

    def _set_current_session(self, session_id: str) -> None:
        with self._lock:
            self._current_session_id = session_id

    def _jitter_key(self) -> str:
        """Whose jitter the retry pauses use: the current session, or this client's own id."""
        return self._current_session_id or self._client_id

    def _assert_open(self, what: str) -> None:
        if self._shutting_down:
            raise ClientShutDownError(f"{what}: the memory client has been shut down")

    def _recover(self) -> None:
        """Sends again, in order, what a crash left unsettled in the transaction log; entries past
        the service's request retention are set aside instead (they could be applied twice)."""
        if self.outbox is None:
            return
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=self.config.request_retention_s)
        expired = self.outbox.set_aside_older_than(cutoff)
        if expired:
            self.logger.warning(
                "transaction log: %d unacknowledged mutation(s) are older than the service keeps request ids (%g s); "
                "sending them again could apply them twice, so they are kept in %s instead",
                len(expired),
                self.config.request_retention_s,
                self.outbox.expired_path,
            )
        pending = self.outbox.pending()
        if not pending:
            return
        self.logger.warning("transaction log: sending %d unacknowledged mutation(s) again", len(pending))
        for entry in pending:
            self.caller.resend(entry)
        self.outbox.compact()
