"""facts: structured notation (``T[target]: content`` lines), scopes and memory pressure.

``ns`` defaults to the service's ``default`` namespace when not given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Dict, Iterable, Literal, Mapping, Optional, Tuple

from .._protocol import Caller
from ..provenance import Provenance, derived_from_arg, provenance_of
from ._common import body, check, invalid


@dataclass(frozen=True)
class FactsPressure:
    pct: float
    """How full the namespace's memory is, in percent of capacity."""
    level: str
    """``ok``, ``merge``, ``archive``, ``push`` or ``full``."""


@dataclass(frozen=True)
class Fact:
    id: str
    type: str
    """One of ``C``, ``D``, ``V``, ``?``, ``✓``, ``~``."""
    target: str
    content: str
    scope: Optional[str]
    tier: str
    """``hot`` (active), ``cold``, ``archived`` or ``superseded``."""
    line: str
    """The fact in notation."""
    provenance: Optional[Provenance] = None
    """The write that stored the fact."""


@dataclass(frozen=True)
class FactsWriteResult:
    id: str
    status: str
    """``stored`` or ``duplicate``."""
    type: str
    target: str
    scope: Optional[str]
    superseded: Tuple[str, ...]
    """Ids of the facts this one replaced."""
    truncated: bool
    pressure: FactsPressure
    warnings: Tuple[str, ...]
    seq: Optional[int] = None
    """``None`` for a duplicate: nothing was written."""


@dataclass(frozen=True)
class FactsTickResult:
    cooled: Tuple[str, ...]
    """Labels of the scopes that cooled on this turn."""
    reasons: Dict[str, str]
    """Why each scope cooled: ``closing_words``, ``idle`` or ``topic_shift``."""
    seq: int


@dataclass(frozen=True)
class FactsStatusResult:
    block: str
    """Text for a system prompt, within the configured token budget."""
    tokens: int
    pressure: FactsPressure
    hot: int
    cold: int


@dataclass(frozen=True)
class FactGroups:
    constraints: Tuple[Fact, ...]
    decisions: Tuple[Fact, ...]
    values: Tuple[Fact, ...]
    unknowns: Tuple[Fact, ...]
    done: Tuple[Fact, ...]
    obsolete: Tuple[Fact, ...]


@dataclass(frozen=True)
class FactsReflectResult:
    topic: str
    count: int
    groups: FactGroups


@dataclass(frozen=True)
class FactsExportResult:
    lines: Tuple[str, ...]
    facts: Tuple[Fact, ...]


@dataclass(frozen=True)
class FactsPurgeResult:
    purged: int
    seq: Optional[int] = None


@dataclass(frozen=True)
class FactsRevertResult:
    restored: Literal["fact", "absent"]
    """What the fact is now: as it stood at ``to_seq`` (in the tier it had then), or absent."""
    from_seq: Optional[int]
    """The last event that changed the fact by ``to_seq``; ``None`` when none had."""
    tier: Optional[str] = None
    """The restored fact's tier (``hot``, ``cold``, ``archived`` or ``superseded``); ``None`` when absent."""
    line: Optional[str] = None
    """The restored fact in notation; ``None`` when absent."""
    seq: Optional[int] = None
    """The revert's own event; ``None`` when nothing had to change."""


def _fact(reply: Mapping[str, Any]) -> Fact:
    return Fact(id=reply["id"], type=reply["type"], target=reply.get("target", ""), content=reply.get("content", ""),
                scope=reply.get("scope"), tier=reply.get("tier", ""), line=reply.get("line", ""), provenance=provenance_of(reply))


def _facts(replies: Any) -> Tuple[Fact, ...]:
    return tuple(_fact(f) for f in replies or ())


def _days(days: Optional[int], older_than: Optional[timedelta]) -> Optional[int]:
    """The contract counts in whole days: a ``timedelta`` with a part of a day would be silently rounded, so it is refused."""
    check(days, int, "older_than_days")
    check(older_than, timedelta, "older_than")
    if older_than is None:
        return days
    if days is not None:
        raise invalid("older_than", "give older_than or older_than_days, not both")
    if older_than % timedelta(days=1):
        raise invalid("older_than", "must be whole days")
    return older_than.days


def _pressure(reply: Optional[Mapping[str, Any]]) -> FactsPressure:
    reply = reply or {}
    return FactsPressure(pct=float(reply.get("pct", 0.0)), level=reply.get("level", ""))


class FactsBlock:
    def __init__(self, caller: Caller):
        self._caller = caller

    def write(self, content: str, *, ns: Optional[str] = None, scope: Optional[str] = None, session_id: Optional[str] = None,
              derived_from: Optional[Iterable[int]] = None, timeout_s: Optional[float] = None) -> FactsWriteResult:
        """Stores one line ``T[target]: content``; a malformed line is refused with ``InvalidArgument``. ``derived_from``
        names the ``Provenance.seq`` of the memories it came from: its trust becomes the lowest of theirs and the token's."""
        request = body(ns=check(ns, str, "ns"), content=check(content, str, "content"), scope=check(scope, str, "scope"), session_id=check(session_id, str, "session_id"),
                       derived_from=derived_from_arg(derived_from))
        reply = self._caller.call("facts.write", request, timeout_s=timeout_s)
        return FactsWriteResult(
            id=reply["id"],
            status=reply["status"],
            type=reply["type"],
            target=reply.get("target", ""),
            scope=reply.get("scope"),
            superseded=tuple(reply.get("superseded") or ()),
            truncated=bool(reply.get("truncated")),
            pressure=_pressure(reply.get("pressure")),
            warnings=tuple(reply.get("warnings") or ()),
            seq=reply.get("seq"),
        )

    def search(self, query: str, *, ns: Optional[str] = None, scope: Optional[str] = None, limit: Optional[int] = None,
               timeout_s: Optional[float] = None) -> Tuple[Fact, ...]:
        """The facts best matching ``query`` (5 by default, at most 20)."""
        request = body(ns=check(ns, str, "ns"), query=check(query, str, "query"), scope=check(scope, str, "scope"), limit=check(limit, int, "limit"))
        return _facts(self._caller.call("facts.search", request, timeout_s=timeout_s).get("facts"))

    def tick(self, session_id: str, *, turn: int, message: str, ns: Optional[str] = None, timeout_s: Optional[float] = None) -> FactsTickResult:
        """Tells the block a turn happened, so scopes idle, shifted away from or closed by ``message`` cool."""
        request = {**body(ns=check(ns, str, "ns")), "sessionId": check(session_id, str, "session_id"), "turn": check(turn, int, "turn"), "message": check(message, str, "message")}
        reply = self._caller.call("facts.tick", request, timeout_s=timeout_s)
        return FactsTickResult(cooled=tuple(reply.get("cooled") or ()), reasons=dict(reply.get("reasons") or {}), seq=int(reply["seq"]))

    def status(self, *, ns: Optional[str] = None, session_id: Optional[str] = None, timeout_s: Optional[float] = None) -> FactsStatusResult:
        reply = self._caller.call("facts.status", body(ns=check(ns, str, "ns"), session_id=check(session_id, str, "session_id")), timeout_s=timeout_s)
        return FactsStatusResult(block=reply.get("block", ""), tokens=int(reply.get("tokens", 0)), pressure=_pressure(reply.get("pressure")),
                                 hot=int(reply.get("hot", 0)), cold=int(reply.get("cold", 0)))

    def reflect(self, topic: str, *, ns: Optional[str] = None, limit: Optional[int] = None, timeout_s: Optional[float] = None) -> FactsReflectResult:
        """The facts on ``topic``, grouped by type."""
        reply = self._caller.call("facts.reflect", body(ns=check(ns, str, "ns"), topic=check(topic, str, "topic"), limit=check(limit, int, "limit")), timeout_s=timeout_s)
        groups = reply.get("groups") or {}
        return FactsReflectResult(
            topic=reply.get("topic", topic),
            count=int(reply.get("count", 0)),
            groups=FactGroups(**{name: _facts(groups.get(name)) for name in ("constraints", "decisions", "values", "unknowns", "done", "obsolete")}),
        )

    def export(self, *, ns: Optional[str] = None, scope: Optional[str] = None, status: Optional[Literal["active", "cold", "all"]] = None,
               timeout_s: Optional[float] = None) -> FactsExportResult:
        reply = self._caller.call("facts.export", body(ns=check(ns, str, "ns"), scope=check(scope, str, "scope"), status=check(status, str, "status")), timeout_s=timeout_s)
        return FactsExportResult(lines=tuple(reply.get("lines") or ()), facts=_facts(reply.get("facts")))

    def purge(self, *, ns: Optional[str] = None, scope: Optional[str] = None, older_than_days: Optional[int] = None,
              older_than: Optional[timedelta] = None, timeout_s: Optional[float] = None) -> FactsPurgeResult:
        """Removes superseded and archived facts for good (of ``scope``; only those untouched for ``older_than``,
        whole days, or ``older_than_days``)."""
        request = body(ns=check(ns, str, "ns"), scope=check(scope, str, "scope"), older_than_days=_days(older_than_days, older_than))
        reply = self._caller.call("facts.purge", request, timeout_s=timeout_s)
        return FactsPurgeResult(purged=int(reply.get("purged", 0)), seq=reply.get("seq"))

    def revert(self, id: str, *, to_seq: int, ns: Optional[str] = None, timeout_s: Optional[float] = None) -> FactsRevertResult:  # noqa: A002 - the contract's field name
        """Restores one fact to its state at log sequence ``to_seq``, as a new event (history is never rewritten)."""
        reply = self._caller.call("facts.revert", body(ns=check(ns, str, "ns"), id=check(id, str, "id"), to_seq=check(to_seq, int, "to_seq")), timeout_s=timeout_s)
        return FactsRevertResult(restored=reply["restored"], from_seq=reply.get("fromSeq"), tier=reply.get("tier"), line=reply.get("line"), seq=reply.get("seq"))
