"""lease: TTL'd mutual exclusion on keys, with fencing tokens that strictly increase per key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, Mapping, Optional, Tuple

from .._protocol import Caller
from ._common import body, check, check_metadata, duration_ms, metadata_of, req_time

_WAIT_SLACK_MS = 10_000
"""The reply to a waiting acquire comes after up to ``wait``: the call's timeout must outlast the wait."""


@dataclass(frozen=True)
class LeaseAcquireResult:
    key: str
    holder_id: str
    """Proves holding to ``renew`` and ``release``."""
    fencing_token: int
    """Strictly increases with every successful acquire of the key: pass it to what the lease protects."""
    acquired_at: datetime
    expires_at: datetime
    seq: int


@dataclass(frozen=True)
class LeaseRenewResult:
    expires_at: datetime
    fencing_token: int
    seq: int


@dataclass(frozen=True)
class LeaseReleaseResult:
    existed: bool
    seq: Optional[int] = None


@dataclass(frozen=True)
class LeaseHolding:
    """A lease held now."""

    key: str
    holder_id: str
    holder: Optional[str]
    fencing_token: int
    acquired_at: datetime
    expires_at: datetime
    metadata: Dict[str, str]


def _holding(reply: Mapping[str, Any], key: str) -> LeaseHolding:
    return LeaseHolding(
        key=reply.get("key") or key,
        holder_id=reply["holderId"],
        holder=reply.get("holder"),
        fencing_token=int(reply["fencingToken"]),
        acquired_at=req_time(reply["acquiredAt"]),
        expires_at=req_time(reply["expiresAt"]),
        metadata=metadata_of(reply),
    )


class LeaseBlock:
    def __init__(self, caller: Caller):
        self._caller = caller

    def acquire(
        self,
        ns: str,
        key: str,
        *,
        ttl: Optional[timedelta] = None,
        ttl_ms: Optional[int] = None,
        wait: Optional[timedelta] = None,
        wait_ms: Optional[int] = None,
        holder: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
        timeout_s: Optional[float] = None,
    ) -> LeaseAcquireResult:
        """Takes the lease for ``ttl``. Held by another: ``FailedPrecondition``/``LEASE_HELD`` at once, or after
        waiting up to ``wait`` for it to free up. ``holder`` is a free-form label; the ``holder_id`` is generated."""
        waiting = duration_ms(wait_ms, wait, "wait")
        request = body(ns=check(ns, str, "ns"), key=check(key, str, "key"), ttl_ms=duration_ms(ttl_ms, ttl, "ttl"), wait_ms=waiting,
                       holder=check(holder, str, "holder"), metadata=check_metadata(metadata))
        if timeout_s is None and waiting:
            timeout_s = (waiting + _WAIT_SLACK_MS) / 1000
        reply = self._caller.call("lease.acquire", request, timeout_s=timeout_s)
        return LeaseAcquireResult(key=reply["key"], holder_id=reply["holderId"], fencing_token=int(reply["fencingToken"]),
                                  acquired_at=req_time(reply["acquiredAt"]), expires_at=req_time(reply["expiresAt"]), seq=int(reply["seq"]))

    def renew(
        self,
        ns: str,
        key: str,
        holder_id: str,
        *,
        ttl: Optional[timedelta] = None,
        ttl_ms: Optional[int] = None,
        timeout_s: Optional[float] = None,
    ) -> LeaseRenewResult:
        """Extends the lease (by its own TTL unless given); not the holder or expired → ``FailedPrecondition``/``NOT_HOLDER``."""
        request = body(ns=check(ns, str, "ns"), key=check(key, str, "key"), holder_id=check(holder_id, str, "holder_id"), ttl_ms=duration_ms(ttl_ms, ttl, "ttl"))
        reply = self._caller.call("lease.renew", request, timeout_s=timeout_s)
        return LeaseRenewResult(expires_at=req_time(reply["expiresAt"]), fencing_token=int(reply["fencingToken"]), seq=int(reply["seq"]))

    def release(self, ns: str, key: str, holder_id: str, *, timeout_s: Optional[float] = None) -> LeaseReleaseResult:
        reply = self._caller.call("lease.release", {"ns": check(ns, str, "ns"), "key": check(key, str, "key"), "holderId": check(holder_id, str, "holder_id")}, timeout_s=timeout_s)
        return LeaseReleaseResult(existed=bool(reply.get("existed")), seq=reply.get("seq"))

    def inspect(self, ns: str, key: str, *, min_seq: Optional[int] = None, timeout_s: Optional[float] = None) -> Optional[LeaseHolding]:
        """The lease as held now, or ``None`` when free."""
        reply = self._caller.call("lease.inspect", body(ns=check(ns, str, "ns"), key=check(key, str, "key"), min_seq=check(min_seq, int, "min_seq")), timeout_s=timeout_s)
        return _holding(reply, key) if reply.get("held") else None

    def list(self, ns: str, *, prefix: Optional[str] = None, min_seq: Optional[int] = None, timeout_s: Optional[float] = None) -> Tuple[LeaseHolding, ...]:
        """The leases held now, in key order."""
        reply = self._caller.call("lease.list", body(ns=check(ns, str, "ns"), prefix=check(prefix, str, "prefix"), min_seq=check(min_seq, int, "min_seq")), timeout_s=timeout_s)
        return tuple(_holding(item, item["key"]) for item in reply.get("items", ()))
