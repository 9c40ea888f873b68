"""session: the session operations as the service serves them. ``MemoryClient``'s sessions build on
them and keep the heartbeats going; these are for driving a session by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, Literal, Mapping, Optional, Tuple

from .._protocol import Caller
from ._common import body, check, check_metadata, duration_ms, integral, metadata_of, parse_time, req_time


@dataclass(frozen=True)
class SessionOpenResult:
    session_id: str
    session_token: str
    """Sent with every call in the session (``Mem-Session-Token``); each open issues a new one."""
    heartbeat_interval_ms: int
    heartbeat_timeout_ms: int
    expires_at: datetime
    warnings: Tuple[str, ...]
    seq: int

    @property
    def heartbeat_interval(self) -> timedelta:
        return timedelta(milliseconds=self.heartbeat_interval_ms)

    @property
    def heartbeat_timeout(self) -> timedelta:
        return timedelta(milliseconds=self.heartbeat_timeout_ms)


@dataclass(frozen=True)
class SessionHeartbeatResult:
    expires_at: datetime
    seq: int


@dataclass(frozen=True)
class SessionCheckpointResult:
    seq: int


@dataclass(frozen=True)
class SessionCloseResult:
    closed: bool
    released_leases: int
    """Leases acquired in the session, released by the close."""
    seq: int


@dataclass(frozen=True)
class SessionCheckpoint:
    state: Any
    turn: Optional[int]
    at: datetime


@dataclass(frozen=True)
class SessionRecord:
    """``session.get``'s reply."""

    session_id: str
    status: str
    """``open``, ``closed`` or ``orphaned``."""
    parent_session_id: Optional[str]
    agent: str
    heartbeat_interval_ms: int
    heartbeat_timeout_ms: int
    on_orphan: str
    metadata: Dict[str, str]
    opened_at: Optional[datetime]
    last_heartbeat_at: Optional[datetime]
    expires_at: Optional[datetime]
    last_checkpoint: Optional[SessionCheckpoint]
    closed_at: Optional[datetime]
    close_reason: Optional[str]
    """Who closed it and why, or why it was found orphaned."""


def _checkpoint(reply: Optional[Mapping[str, Any]]) -> Optional[SessionCheckpoint]:
    if not reply:
        return None
    turn = reply.get("turn")
    return SessionCheckpoint(state=integral(reply.get("state")), turn=int(turn) if turn is not None else None, at=req_time(reply["at"]))


def _held(session_id: str, session_token: str) -> Dict[str, str]:
    return {"sessionId": check(session_id, str, "session_id"), "sessionToken": check(session_token, str, "session_token")}


class SessionBlock:
    def __init__(self, caller: Caller):
        self._caller = caller

    def open(
        self,
        *,
        session_id: Optional[str] = None,
        parent_session_id: Optional[str] = None,
        agent: Optional[str] = None,
        heartbeat_interval: Optional[timedelta] = None,
        heartbeat_interval_ms: Optional[int] = None,
        heartbeat_timeout: Optional[timedelta] = None,
        heartbeat_timeout_ms: Optional[int] = None,
        on_orphan: Optional[Literal["checkpoint_and_close", "abort_quietly"]] = None,
        metadata: Optional[Mapping[str, str]] = None,
        timeout_s: Optional[float] = None,
    ) -> SessionOpenResult:
        """Opens (or re-opens, with a new token) a session; the heartbeat timeout must exceed the interval."""
        request = body(
            session_id=check(session_id, str, "session_id"),
            parent_session_id=check(parent_session_id, str, "parent_session_id"),
            agent=check(agent, str, "agent"),
            heartbeat_interval_ms=duration_ms(heartbeat_interval_ms, heartbeat_interval, "heartbeat_interval"),
            heartbeat_timeout_ms=duration_ms(heartbeat_timeout_ms, heartbeat_timeout, "heartbeat_timeout"),
            on_orphan=check(on_orphan, str, "on_orphan"),
            metadata=check_metadata(metadata),
        )
        reply = self._caller.call("session.open", request, timeout_s=timeout_s)
        return SessionOpenResult(
            session_id=reply["sessionId"],
            session_token=reply["sessionToken"],
            heartbeat_interval_ms=int(reply["heartbeatIntervalMs"]),
            heartbeat_timeout_ms=int(reply["heartbeatTimeoutMs"]),
            expires_at=req_time(reply["expiresAt"]),
            warnings=tuple(reply.get("warnings") or ()),
            seq=int(reply["seq"]),
        )

    def heartbeat(self, session_id: str, session_token: str, *, timeout_s: Optional[float] = None) -> SessionHeartbeatResult:
        """Pushes the session's orphan deadline out by its heartbeat timeout."""
        reply = self._caller.call("session.heartbeat", _held(session_id, session_token), timeout_s=timeout_s)
        return SessionHeartbeatResult(expires_at=req_time(reply["expiresAt"]), seq=int(reply["seq"]))

    def checkpoint(self, session_id: str, session_token: str, *, state: Any = None, turn: Optional[int] = None, timeout_s: Optional[float] = None) -> SessionCheckpointResult:
        """Records ``state`` (any JSON value) as the session's latest checkpoint."""
        request: Dict[str, Any] = {**_held(session_id, session_token), **body(turn=check(turn, int, "turn"))}
        request["state"] = state
        reply = self._caller.call("session.checkpoint", request, timeout_s=timeout_s)
        return SessionCheckpointResult(seq=int(reply["seq"]))

    def close(self, session_id: str, session_token: str, *, state: Any = None, timeout_s: Optional[float] = None) -> SessionCloseResult:
        """Writes a final checkpoint (when ``state`` is given), then releases the session's leases."""
        request: Dict[str, Any] = _held(session_id, session_token)
        if state is not None:
            request["state"] = state
        reply = self._caller.call("session.close", request, timeout_s=timeout_s)
        return SessionCloseResult(closed=bool(reply.get("closed")), released_leases=int(reply.get("releasedLeases", 0)), seq=int(reply["seq"]))

    def get(self, session_id: str, *, min_seq: Optional[int] = None, timeout_s: Optional[float] = None) -> SessionRecord:
        """The session's record; unknown session → ``NotFound``."""
        reply = self._caller.call("session.get", body(session_id=check(session_id, str, "session_id"), min_seq=check(min_seq, int, "min_seq")), timeout_s=timeout_s)
        return SessionRecord(
            session_id=reply["sessionId"],
            status=reply["status"],
            parent_session_id=reply.get("parentSessionId"),
            agent=reply.get("agent", ""),
            heartbeat_interval_ms=int(reply.get("heartbeatIntervalMs", 0)),
            heartbeat_timeout_ms=int(reply.get("heartbeatTimeoutMs", 0)),
            on_orphan=reply.get("onOrphan", ""),
            metadata=metadata_of(reply),
            opened_at=parse_time(reply.get("openedAt")),
            last_heartbeat_at=parse_time(reply.get("lastHeartbeatAt")),
            expires_at=parse_time(reply.get("expiresAt")),
            last_checkpoint=_checkpoint(reply.get("lastCheckpoint")),
            closed_at=parse_time(reply.get("closedAt")),
            close_reason=reply.get("closeReason"),
        )
