"""Where an item returned by a read came from, and the ``derived_from`` argument of the writes that take it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping, Optional, Tuple

from .blocks._common import check, invalid, req_time

TRUST_LABELS = ("low", "medium", "high")
"""Lowest first. Set on the token by the operator (``memctl token issue --trust``), never by a request;
``None`` (unlabelled) ranks below ``low``."""

MAX_DERIVED_FROM = 100


@dataclass(frozen=True)
class Provenance:
    """The event on the log that produced an item: who wrote it, over what, when, and with what trust."""

    agent: str
    seq: int
    """Stream sequence of the event: what ``derived_from`` names."""
    at: datetime
    session_id: Optional[str] = None
    token_id: Optional[str] = None
    transport: Optional[str] = None
    """``nats``, ``grpc``, ``http``, ``mcp``, or the operator tool that wrote it (``memctl``)."""
    trust: Optional[str] = None
    """One of ``TRUST_LABELS``; ``None``: unlabelled."""
    derived_from: Tuple[int, ...] = ()


def provenance_of(item: Mapping[str, Any]) -> Optional[Provenance]:
    """The ``provenance`` of a reply item; ``None`` only on rows projected before read models kept it."""
    p = item.get("provenance")
    if not p:
        return None
    return Provenance(
        agent=p.get("agent", ""),
        seq=int(p["seq"]),
        at=req_time(p["at"]),
        session_id=p.get("sessionId"),
        token_id=p.get("tokenId"),
        transport=p.get("transport"),
        trust=p.get("trust"),
        derived_from=tuple(int(s) for s in p.get("derivedFrom") or ()),
    )


def derived_from_arg(values: Optional[Iterable[int]]) -> Optional[list]:
    """``derived_from`` as the request carries it: log sequences (``Provenance.seq``) of the sources."""
    if values is None:
        return None
    if isinstance(values, (str, bytes, int)) or not isinstance(values, Iterable):
        raise invalid("derived_from", f"expected a sequence of int, got {type(values).__name__}")
    out = [check(v, int, "derived_from") for v in values]
    if len(out) > MAX_DERIVED_FROM:
        raise invalid("derived_from", f"at most {MAX_DERIVED_FROM} sources")
    return out
