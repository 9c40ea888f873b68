"""episodic: an append-only, per-namespace event log with cursors, dedup and supersession."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, Iterator, Literal, Mapping, Optional, Tuple

from .._protocol import Caller
from ..provenance import Provenance, derived_from_arg, provenance_of
from ._common import TimeInput, body, check, check_metadata, check_strings, duration_ms, integral, metadata_of, parse_time, req_time, time_arg

_SERVICE_TAIL_MS = 30_000
"""How long the service keeps a tail open when ``max_ms`` is not given."""
_TAIL_SLACK_MS = 10_000
"""A quiet tail is not a dead one: the caller's timeout outlasts the tail itself."""


@dataclass(frozen=True)
class EpisodicAppendResult:
    id: str
    cursor: int
    """Per namespace, from 1, strictly increasing, never reused."""
    created_at: datetime
    deduplicated: bool
    """True when ``dedup_key`` matched an earlier event: this is that event, nothing was written."""
    seq: int


@dataclass(frozen=True)
class EpisodicEvent:
    """One event of a namespace's log, as ``range`` returns it and ``tail`` yields it."""

    id: str
    cursor: int
    type: str
    payload: Any
    role: Optional[str]
    session_id: Optional[str]
    metadata: Dict[str, str]
    dedup_key: Optional[str]
    supersedes: Tuple[str, ...]
    created_at: datetime
    deleted_at: Optional[datetime] = None
    """Only on soft-deleted events read with ``include_deleted``."""
    provenance: Optional[Provenance] = None
    """The append that wrote it."""


@dataclass(frozen=True)
class EpisodicRangeResult:
    events: Tuple[EpisodicEvent, ...]
    next_cursor: Optional[int]
    """The cursor of the last event of a full page; ``None`` when the page was not full."""


@dataclass(frozen=True)
class EpisodicExpireResult:
    affected: int
    seq: Optional[int] = None


def event_of(item: Mapping[str, Any]) -> EpisodicEvent:
    return EpisodicEvent(
        id=item["id"],
        cursor=int(item["cursor"]),
        type=item["type"],
        payload=integral(item.get("payload")),
        role=item.get("role"),
        session_id=item.get("sessionId"),
        metadata=metadata_of(item),
        dedup_key=item.get("dedupKey"),
        supersedes=tuple(item.get("supersedes") or ()),
        created_at=req_time(item["createdAt"]),
        deleted_at=parse_time(item.get("deletedAt")),
        provenance=provenance_of(item),
    )


class EpisodicBlock:
    def __init__(self, caller: Caller):
        self._caller = caller

    def append(
        self,
        ns: str,
        type: str,  # noqa: A002 - the contract's field name
        payload: Any = None,
        *,
        session_id: Optional[str] = None,
        role: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
        dedup_key: Optional[str] = None,
        supersedes: Optional[Iterable[str]] = None,
        derived_from: Optional[Iterable[int]] = None,
        timeout_s: Optional[float] = None,
    ) -> EpisodicAppendResult:
        """Appends one event. A repeated non-empty ``dedup_key`` returns the original event with ``deduplicated``."""
        request = body(ns=check(ns, str, "ns"), type=check(type, str, "type"), session_id=check(session_id, str, "session_id"),
                       role=check(role, str, "role"), metadata=check_metadata(metadata), dedup_key=check(dedup_key, str, "dedup_key"),
                       supersedes=check_strings(supersedes, "supersedes"), derived_from=derived_from_arg(derived_from))
        if payload is not None:
            request["payload"] = payload
        reply = self._caller.call("episodic.append", request, timeout_s=timeout_s)
        return EpisodicAppendResult(id=reply["id"], cursor=int(reply["cursor"]), created_at=req_time(reply["createdAt"]),
                                    deduplicated=bool(reply.get("deduplicated")), seq=int(reply["seq"]))

    def range(
        self,
        ns: str,
        *,
        after_cursor: Optional[int] = None,
        before_cursor: Optional[int] = None,
        after: Optional[TimeInput] = None,
        before: Optional[TimeInput] = None,
        session_id: Optional[str] = None,
        role: Optional[str] = None,
        type: Optional[str] = None,  # noqa: A002 - the contract's field name
        limit: Optional[int] = None,
        reverse: Optional[bool] = None,
        include_deleted: Optional[bool] = None,
        min_seq: Optional[int] = None,
        timeout_s: Optional[float] = None,
    ) -> EpisodicRangeResult:
        """Events in cursor order (newest first with ``reverse``); every bound exclusive, all AND-ed."""
        request = body(ns=check(ns, str, "ns"), after_cursor=check(after_cursor, int, "after_cursor"), before_cursor=check(before_cursor, int, "before_cursor"),
                       after=time_arg(after, "after"), before=time_arg(before, "before"), session_id=check(session_id, str, "session_id"),
                       role=check(role, str, "role"), type=check(type, str, "type"), limit=check(limit, int, "limit"),
                       reverse=check(reverse, bool, "reverse"), include_deleted=check(include_deleted, bool, "include_deleted"),
                       min_seq=check(min_seq, int, "min_seq"))
        reply = self._caller.call("episodic.range", request, timeout_s=timeout_s)
        return EpisodicRangeResult(events=tuple(event_of(e) for e in reply.get("events", ())), next_cursor=reply.get("nextCursor"))

    def expire(
        self,
        ns: str,
        *,
        action: Literal["soft", "hard"],
        max_rows: int,
        before_cursor: Optional[int] = None,
        before: Optional[TimeInput] = None,
        timeout_s: Optional[float] = None,
    ) -> EpisodicExpireResult:
        """Hides (``soft``) or removes (``hard``) up to ``max_rows`` events before ``before_cursor`` or ``before`` (one is required)."""
        request = body(ns=check(ns, str, "ns"), before_cursor=check(before_cursor, int, "before_cursor"), before=time_arg(before, "before"),
                       action=check(action, str, "action"), max_rows=check(max_rows, int, "max_rows"))
        reply = self._caller.call("episodic.expire", request, timeout_s=timeout_s)
        return EpisodicExpireResult(affected=int(reply.get("affected", 0)), seq=reply.get("seq"))

    def tail(
        self,
        ns: str,
        *,
        after_cursor: Optional[int] = None,
        max_events: Optional[int] = None,
        max_ms: Optional[int] = None,
        max_duration: Optional[timedelta] = None,
        min_seq: Optional[int] = None,
        timeout_s: Optional[float] = None,
    ) -> Iterator[EpisodicEvent]:
        """History after ``after_cursor`` (the live edge without it), then live events, in cursor order with no gap
        and no duplicate, until ``max_events`` or ``max_ms``. Closing the iterator early ends the subscription.
        ``timeout_s`` defaults to outlast the tail."""
        limit_ms = duration_ms(max_ms, max_duration, "max_duration", "max_ms")
        request = body(ns=check(ns, str, "ns"), after_cursor=check(after_cursor, int, "after_cursor"), max_events=check(max_events, int, "max_events"),
                       max_ms=limit_ms, min_seq=check(min_seq, int, "min_seq"))
        if timeout_s is None:
            timeout_s = ((limit_ms if limit_ms is not None else _SERVICE_TAIL_MS) + _TAIL_SLACK_MS) / 1000
        return self._events(request, timeout_s)

    def _events(self, request: Dict[str, Any], timeout_s: float) -> Iterator[EpisodicEvent]:
        items = self._caller.stream("episodic.tail", request, timeout_s=timeout_s)
        try:
            for item in items:
                yield event_of(item)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
