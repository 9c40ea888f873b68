"""A session on the service, kept alive by heartbeats from a background thread until it is closed.

Pass it as ``session=`` to any call (or use ``client.in_session(session)``) to tie the call to it.
Once the client learns the session ended — closed here, or a heartbeat or a call answered
SESSION_CLOSED because the service found it orphaned or it was closed elsewhere — every later call
in it raises ``SessionClosedError`` at once, without a round trip, so an agent never writes into a
session that is gone.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Dict, List, Mapping, Optional

from .caller import RetryingCaller, is_session_closed, session_closed_error
from .config import SessionDefaults
from .errors import MemoryError

EndListener = Callable[[str], None]

_UNSET: Any = object()


class Session:
    """An open session: ``checkpoint``, ``close``, and heartbeats every ``heartbeat_interval_s``."""

    def __init__(self, *, caller: RetryingCaller, call: Callable[..., Dict[str, Any]], opened: Mapping[str, Any], parent_session_id: Optional[str], logger: logging.Logger):
        self.session_id: str = opened["sessionId"]
        self.session_token: str = opened["sessionToken"]
        self.heartbeat_interval_s: float = opened["heartbeatIntervalMs"] / 1000
        self.heartbeat_timeout_s: float = opened["heartbeatTimeoutMs"] / 1000
        self.parent_session_id = parent_session_id
        """The session this one continues (branch, compression, resume), if any."""
        self._caller = caller
        self._call = call
        self._logger = logger
        self._expires_at: str = opened.get("expiresAt", "")
        self._ended: Optional[str] = None
        self._closed = False
        self._lock = threading.RLock()
        self._close_lock = threading.Lock()
        self._end_listeners: List[EndListener] = []
        self._heartbeats_stopped = threading.Event()
        self._heartbeats = threading.Thread(target=self._run_heartbeats, name=f"memsidecar-heartbeat-{self.session_id}", daemon=True)

    @classmethod
    def open(
        cls,
        *,
        caller: RetryingCaller,
        call: Callable[..., Dict[str, Any]],
        defaults: SessionDefaults,
        logger: logging.Logger,
        session_id: Optional[str] = None,
        parent_session_id: Optional[str] = None,
        agent: Optional[str] = None,
        heartbeat_interval_s: Optional[float] = None,
        heartbeat_timeout_s: Optional[float] = None,
        on_orphan: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
    ) -> "Session":
        """Opens a session (``session.open``) with the client's heartbeat settings unless given, and starts its heartbeats."""
        body = {
            "sessionId": session_id,
            "parentSessionId": parent_session_id,
            "agent": agent,
            "heartbeatIntervalMs": round(heartbeat_interval_s * 1000) if heartbeat_interval_s is not None else defaults.heartbeat_interval_ms,
            "heartbeatTimeoutMs": round(heartbeat_timeout_s * 1000) if heartbeat_timeout_s is not None else defaults.heartbeat_timeout_ms,
            "onOrphan": on_orphan if on_orphan is not None else defaults.on_orphan,
            "metadata": dict(metadata) if metadata else None,
        }
        body = {k: v for k, v in body.items() if v is not None}
        opened = _open_once(call, body)
        for warning in opened.get("warnings", []):
            logger.warning("session.open %s: %s", opened["sessionId"], warning)
        session = cls(caller=caller, call=call, opened=opened, parent_session_id=parent_session_id, logger=logger)
        session._heartbeats.start()
        return session

    @property
    def ended_reason(self) -> Optional[str]:
        """Why the session is over ("was closed", "was closed or orphaned on the service (...)"), or None while it is open."""
        return self._ended

    @property
    def expires_at(self) -> str:
        """When the service will find the session orphaned unless a heartbeat arrives first."""
        return self._expires_at

    @property
    def heartbeating(self) -> bool:
        return self._heartbeats.is_alive() and not self._heartbeats_stopped.is_set()

    def checkpoint(self, state: Any = None, *, turn: Optional[int] = None) -> Dict[str, Any]:
        """Saves the agent's state on the service; a checkpoint also counts as a heartbeat."""
        body: Dict[str, Any] = {"sessionId": self.session_id, "sessionToken": self.session_token, "state": state}
        if turn is not None:
            body["turn"] = turn
        return self._call("session.checkpoint", body, session=self)

    def close(self, state: Any = _UNSET, *, timeout_s: Optional[float] = None) -> bool:
        """Closes the session: the service writes the final checkpoint (``state``, else the last
        one) and releases its leases. Returns True, and True again if called again. Raises
        ``SessionClosedError`` if it had already ended elsewhere. A close that failed for want of
        the service can be tried again; the heartbeats keep the session alive meanwhile."""
        deadline = time.monotonic() + timeout_s if timeout_s is not None else None
        with self._close_lock:
            if self._closed:
                return True
            if self._ended:
                raise session_closed_error(self.session_id, f"session.close: session {self.session_id} {self._ended}")
            body: Dict[str, Any] = {"sessionId": self.session_id, "sessionToken": self.session_token}
            if state is not _UNSET:
                body["state"] = state
            try:
                # Through the caller, not the client: shutdown closes sessions after the client stopped taking calls.
                self._caller.call("session.close", body, deadline=deadline)
            except MemoryError as e:
                if not is_session_closed(e):
                    raise
                self.mark_ended(f"was closed or orphaned on the service ({e.message})")
                raise session_closed_error(self.session_id, f"session.close: {e.message}") from None
            self._closed = True
            self.mark_ended("was closed")
            return True

    def stop_heartbeats(self) -> None:
        """Stops the heartbeats without closing: the service will find the session orphaned after its timeout."""
        self._heartbeats_stopped.set()

    def on_end(self, listener: EndListener) -> Callable[[], None]:
        """Calls ``listener`` once with the reason when the session ends (at once if it already has). Returns an unsubscribe function."""
        with self._lock:
            ended = self._ended
            if ended is None:
                self._end_listeners.append(listener)
        if ended is not None:
            listener(ended)
            return lambda: None

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._end_listeners:
                    self._end_listeners.remove(listener)

        return unsubscribe

    def mark_ended(self, reason: str) -> None:
        """Part of ``SessionBinding``: the service answered SESSION_CLOSED to a call in this session."""
        with self._lock:
            if self._ended is not None:
                return
            self._ended = reason
            listeners, self._end_listeners = self._end_listeners, []
        self.stop_heartbeats()
        for listener in listeners:
            try:
                listener(reason)
            except Exception as e:  # noqa: BLE001 - one listener's failure must not stop the others
                self._logger.warning("session %s: an on_end listener failed: %s", self.session_id, e)

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._ended is None:
            self.close()

    def __repr__(self) -> str:
        return f"Session({self.session_id!r}, {'open' if self._ended is None else self._ended})"

    def _run_heartbeats(self) -> None:
        # One thread, so one heartbeat at a time: a slow one is never stacked with the next.
        while not self._heartbeats_stopped.wait(self.heartbeat_interval_s):
            if self._ended is not None:
                return
            self._beat()

    def _beat(self) -> None:
        try:
            beat = self._caller.call(
                "session.heartbeat", {"sessionId": self.session_id, "sessionToken": self.session_token}, cancel=self._heartbeats_stopped
            )
            self._expires_at = beat.get("expiresAt", self._expires_at)
        except MemoryError as e:
            if is_session_closed(e):
                self.mark_ended(f"was closed or orphaned on the service ({e.message})")
            elif not self._heartbeats_stopped.is_set():
                self._logger.warning("session %s: heartbeat failed, next one in %g s: %s", self.session_id, self.heartbeat_interval_s, e)
        except Exception as e:  # noqa: BLE001 - the heartbeat thread must outlive a bug in one beat
            self._logger.warning("session %s: heartbeat failed: %r", self.session_id, e)


def _open_once(call: Callable[..., Dict[str, Any]], body: Mapping[str, Any]) -> Dict[str, Any]:
    """``session.open`` with one more try under a fresh request id when the first was applied but
    its reply lost: the service cannot hand out that token again (it keeps only its hash)."""
    try:
        return call("session.open", body)
    except MemoryError as e:
        if not is_session_closed(e):
            raise
        return call("session.open", body)
