"""kv: typed, versioned, TTL'd key-value with compare-and-set (``if_version``; 0 means create-only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, Iterator, Literal, Mapping, Optional, Tuple

from .._protocol import Caller
from ..provenance import Provenance, derived_from_arg, provenance_of
from ._common import body, check, check_metadata, check_strings, duration_ms, integral, metadata_of, parse_time, req_time

_NOTHING = object()


@dataclass(frozen=True)
class KvPutResult:
    version: int
    created_at: datetime
    updated_at: datetime
    expires_at: Optional[datetime]
    seq: int


@dataclass(frozen=True)
class KvEntry:
    """One stored key. ``value`` is ``None`` on ``list`` pages read without ``include_values``
    (``has_value`` tells that apart from a stored JSON null)."""

    key: str
    value: Any
    version: int
    created_at: datetime
    updated_at: datetime
    expires_at: Optional[datetime]
    metadata: Dict[str, str]
    has_value: bool = True
    provenance: Optional[Provenance] = None
    """The write that set the value."""


@dataclass(frozen=True)
class KvDeleteResult:
    existed: bool
    seq: Optional[int] = None


@dataclass(frozen=True)
class KvRevertResult:
    restored: Literal["value", "absent"]
    """What the key holds now: the value it held at ``to_seq`` (with its metadata and expiry), or nothing."""
    from_seq: Optional[int]
    """The event whose state was restored; ``None`` when the key had no event by ``to_seq``."""
    version: int
    seq: Optional[int] = None
    """The revert's own event; ``None`` when nothing had to change."""


@dataclass(frozen=True)
class KvListResult:
    """Ascending key order (descending with ``reverse``); ``next_start_after`` is ``None`` on the last page."""

    items: Tuple[KvEntry, ...]
    next_start_after: Optional[str]


def _entry(item: Mapping[str, Any], key: Optional[str] = None) -> KvEntry:
    value = item.get("value", _NOTHING)
    return KvEntry(
        key=item.get("key") or key or "",
        value=None if value is _NOTHING else integral(value),
        version=int(item["version"]),
        created_at=req_time(item["createdAt"]),
        updated_at=req_time(item["updatedAt"]),
        expires_at=parse_time(item.get("expiresAt")),
        metadata=metadata_of(item),
        has_value=value is not _NOTHING,
        provenance=provenance_of(item),
    )


class KvBlock:
    """The kv operations. A missing or expired key reads as ``None``, never as an error."""

    def __init__(self, caller: Caller):
        self._caller = caller

    def put(
        self,
        ns: str,
        key: str,
        value: Any,
        *,
        ttl: Optional[timedelta] = None,
        ttl_ms: Optional[int] = None,
        if_version: Optional[int] = None,
        metadata: Optional[Mapping[str, str]] = None,
        derived_from: Optional[Iterable[int]] = None,
        timeout_s: Optional[float] = None,
    ) -> KvPutResult:
        """Stores ``value`` (any JSON value). With ``if_version``, only over that version (0: only if absent);
        a lost compare-and-set raises ``FailedPrecondition`` with reason ``VERSION_MISMATCH``. ``derived_from`` names the
        ``Provenance.seq`` of the memories the value came from: its trust becomes the lowest of theirs and the token's."""
        request = body(ns=check(ns, str, "ns"), key=check(key, str, "key"), ttl_ms=duration_ms(ttl_ms, ttl, "ttl"),
                       if_version=check(if_version, int, "if_version"), metadata=check_metadata(metadata),
                       derived_from=derived_from_arg(derived_from))
        request["value"] = value
        reply = self._caller.call("kv.put", request, timeout_s=timeout_s)
        return KvPutResult(
            version=int(reply["version"]),
            created_at=req_time(reply["createdAt"]),
            updated_at=req_time(reply["updatedAt"]),
            expires_at=parse_time(reply.get("expiresAt")),
            seq=int(reply["seq"]),
        )

    def get(self, ns: str, key: str, *, min_seq: Optional[int] = None, timeout_s: Optional[float] = None) -> Optional[KvEntry]:
        """The entry, or ``None`` when the key is missing or expired. ``min_seq`` waits for a write's ``seq`` to be readable."""
        reply = self._caller.call("kv.get", body(ns=check(ns, str, "ns"), key=check(key, str, "key"), min_seq=check(min_seq, int, "min_seq")), timeout_s=timeout_s)
        if not reply.get("found"):
            return None
        return _entry(reply, key)

    def mget(self, ns: str, keys: Iterable[str], *, min_seq: Optional[int] = None, timeout_s: Optional[float] = None) -> Tuple[KvEntry, ...]:
        """The keys found, sorted and de-duplicated; missing keys are simply absent."""
        reply = self._caller.call("kv.mget", body(ns=check(ns, str, "ns"), keys=check_strings(keys, "keys"), min_seq=check(min_seq, int, "min_seq")), timeout_s=timeout_s)
        return tuple(_entry(item) for item in reply.get("items", ()))

    def delete(self, ns: str, key: str, *, if_version: Optional[int] = None, timeout_s: Optional[float] = None) -> KvDeleteResult:
        reply = self._caller.call("kv.delete", body(ns=check(ns, str, "ns"), key=check(key, str, "key"), if_version=check(if_version, int, "if_version")), timeout_s=timeout_s)
        return KvDeleteResult(existed=bool(reply.get("existed")), seq=reply.get("seq"))

    def revert(self, ns: str, key: str, *, to_seq: int, if_version: Optional[int] = None, timeout_s: Optional[float] = None) -> KvRevertResult:
        """Restores the key to what it held at log sequence ``to_seq``, as a new event (history is never rewritten)."""
        reply = self._caller.call(
            "kv.revert",
            body(ns=check(ns, str, "ns"), key=check(key, str, "key"), to_seq=check(to_seq, int, "to_seq"), if_version=check(if_version, int, "if_version")),
            timeout_s=timeout_s,
        )
        return KvRevertResult(restored=reply["restored"], from_seq=reply.get("fromSeq"), version=int(reply.get("version", 0)), seq=reply.get("seq"))

    def list(
        self,
        ns: str,
        *,
        prefix: Optional[str] = None,
        start_after: Optional[str] = None,
        limit: Optional[int] = None,
        include_values: Optional[bool] = None,
        reverse: Optional[bool] = None,
        min_seq: Optional[int] = None,
        timeout_s: Optional[float] = None,
    ) -> KvListResult:
        """One page of keys; pass ``next_start_after`` back as ``start_after`` for the next (or use ``scan``)."""
        request = body(ns=check(ns, str, "ns"), prefix=check(prefix, str, "prefix"), start_after=check(start_after, str, "start_after"),
                       limit=check(limit, int, "limit"), include_values=check(include_values, bool, "include_values"),
                       reverse=check(reverse, bool, "reverse"), min_seq=check(min_seq, int, "min_seq"))
        reply = self._caller.call("kv.list", request, timeout_s=timeout_s)
        return KvListResult(items=tuple(_entry(item) for item in reply.get("items", ())), next_start_after=reply.get("nextStartAfter") or None)

    def scan(
        self,
        ns: str,
        *,
        prefix: Optional[str] = None,
        page_size: Optional[int] = None,
        include_values: Optional[bool] = None,
        reverse: Optional[bool] = None,
        min_seq: Optional[int] = None,
        timeout_s: Optional[float] = None,
    ) -> Iterator[KvEntry]:
        """Every key of ``list``, page after page, as one iterator."""
        start_after: Optional[str] = None
        while True:
            page = self.list(ns, prefix=prefix, start_after=start_after, limit=page_size, include_values=include_values,
                             reverse=reverse, min_seq=min_seq, timeout_s=timeout_s)
            yield from page.items
            if page.next_start_after is None:
                return
            start_after = page.next_start_after
