"""audit: the caller's tenant's events from the log, oldest first (op ``audit.read``), and the
erasure of the tenant or one of its namespaces (op ``audit.erase``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, Iterator, Mapping, Optional, Tuple

from .._protocol import Caller
from ._common import TimeInput, body, check, check_strings, integral, req_time, time_arg


@dataclass(frozen=True)
class AuditEvent:
    """One event of the log: its envelope and its stream sequence."""

    seq: int
    id: str
    type: str
    """What happened, in the past tense (``kv.value_set``)."""
    v: int
    """Schema version of ``data``."""
    at: datetime
    tenant: str
    agent: str
    token_id: Optional[str]
    session_id: Optional[str]
    block: str
    ns: str
    entity: str
    request_id: Optional[str]
    data: Any
    transport: Optional[str] = None
    """What carried the request (``nats``, ``grpc``, ``http``, ``mcp``, ``memctl``)."""
    trust: Optional[str] = None
    derived_from: Tuple[int, ...] = ()


@dataclass(frozen=True)
class AuditQueryResult:
    events: Tuple[AuditEvent, ...]
    next_seq: Optional[int]
    """``from_seq`` of the next page; ``None`` when there is none."""


@dataclass(frozen=True)
class AuditEraseResult:
    """The receipt of an erasure; the same receipt is the payload of its ``audit.subject_erased`` event at ``seq``."""

    tenant: str
    ns: Optional[str]
    """The namespace erased; ``None`` for the whole tenant."""
    keys: Tuple[str, ...]
    """Ids of the data keys destroyed."""
    erased_events: int
    """How many of the subject's events the log held; they now read as erased."""
    ranges: Tuple[Tuple[int, int], ...]
    """Their sequences, as runs ``(from, to)`` with both ends included."""
    truncated: bool
    rows: Dict[str, int]
    """Rows deleted from each read-model table."""
    blobs: int
    erased_at: datetime
    seq: int
    """Sequence of the erasure's own event in the log."""


def _receipt(reply: Mapping[str, Any]) -> AuditEraseResult:
    subject = reply.get("subject", {})
    events = reply.get("events", {})
    return AuditEraseResult(
        tenant=subject.get("tenant", ""),
        ns=subject.get("ns"),
        keys=tuple(reply.get("keys", ())),
        erased_events=int(events.get("count", 0)),
        ranges=tuple((int(r["from"]), int(r["to"])) for r in events.get("ranges", ())),
        truncated=bool(events.get("truncated", False)),
        rows={table: int(n) for table, n in reply.get("rows", {}).items()},
        blobs=int(reply.get("blobs", 0)),
        erased_at=req_time(reply["erasedAt"]),
        seq=int(reply["seq"]),
    )


def _event(reply: Mapping[str, Any]) -> AuditEvent:
    return AuditEvent(
        seq=int(reply["seq"]),
        id=reply["id"],
        type=reply["type"],
        v=int(reply.get("v", 0)),
        at=req_time(reply["at"]),
        tenant=reply.get("tenant", ""),
        agent=reply.get("agent", ""),
        token_id=reply.get("tokenId"),
        session_id=reply.get("sessionId"),
        block=reply.get("block", ""),
        ns=reply.get("ns", ""),
        entity=reply.get("entity", ""),
        request_id=reply.get("requestId"),
        data=integral(reply.get("data")),
        transport=reply.get("transport"),
        trust=reply.get("trust"),
        derived_from=tuple(int(s) for s in reply.get("derivedFrom") or ()),
    )


class AuditBlock:
    def __init__(self, caller: Caller):
        self._caller = caller

    def query(
        self,
        *,
        from_seq: Optional[int] = None,
        since: Optional[TimeInput] = None,
        until: Optional[TimeInput] = None,
        block: Optional[str] = None,
        ns: Optional[str] = None,
        agent: Optional[str] = None,
        session_id: Optional[str] = None,
        types: Optional[Iterable[str]] = None,
        limit: Optional[int] = None,
        min_seq: Optional[int] = None,
        timeout_s: Optional[float] = None,
    ) -> AuditQueryResult:
        """One page of events; every argument narrows the query (AND). ``types`` takes prefixes ending in ``*``
        (``kv.*``); ``since`` is inclusive, ``until`` exclusive."""
        request = body(from_seq=check(from_seq, int, "from_seq"), since=time_arg(since, "since"), until=time_arg(until, "until"),
                       block=check(block, str, "block"), ns=check(ns, str, "ns"), agent=check(agent, str, "agent"),
                       session_id=check(session_id, str, "session_id"), types=check_strings(types, "types"),
                       limit=check(limit, int, "limit"), min_seq=check(min_seq, int, "min_seq"))
        reply = self._caller.call("audit.query", request, timeout_s=timeout_s)
        return AuditQueryResult(events=tuple(_event(e) for e in reply.get("events", ())), next_seq=reply.get("nextSeq"))

    def events(
        self,
        *,
        from_seq: Optional[int] = None,
        since: Optional[TimeInput] = None,
        until: Optional[TimeInput] = None,
        block: Optional[str] = None,
        ns: Optional[str] = None,
        agent: Optional[str] = None,
        session_id: Optional[str] = None,
        types: Optional[Iterable[str]] = None,
        page_size: Optional[int] = None,
        min_seq: Optional[int] = None,
        timeout_s: Optional[float] = None,
    ) -> Iterator[AuditEvent]:
        """Every event ``query`` matches, page after page, as one iterator."""
        kinds = check_strings(types, "types")
        while True:
            page = self.query(from_seq=from_seq, since=since, until=until, block=block, ns=ns, agent=agent, session_id=session_id,
                              types=kinds, limit=page_size, min_seq=min_seq, timeout_s=timeout_s)
            yield from page.events
            if page.next_seq is None:
                return
            from_seq = page.next_seq

    def erase(self, *, tenant: str, ns: Optional[str] = None, timeout_s: Optional[float] = None) -> AuditEraseResult:
        """Erases the caller's own ``tenant`` (named to confirm it), or one namespace of it, for good: its data
        keys are destroyed, so its events read as erased everywhere, and its read-model rows, blobs and cached
        state are deleted. Returns the receipt."""
        subject = body(tenant=check(tenant, str, "tenant"), ns=check(ns, str, "ns"))
        return _receipt(self._caller.call("audit.erase", {"subject": subject}, timeout_s=timeout_s))
