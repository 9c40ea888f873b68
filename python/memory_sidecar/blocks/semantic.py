"""semantic: records with content and vectors, dense/sparse/hybrid search, bitemporal validity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Iterable, Literal, Mapping, Optional, Sequence, Tuple, Union

from .._protocol import Caller
from ..provenance import Provenance, derived_from_arg, provenance_of
from ._common import TimeInput, body, check, check_strings, integral, invalid, parse_time, time_arg

MetadataValue = Union[str, int, float, bool]
"""Semantic metadata keeps its types: filters match the number 5, not the string "5"."""


@dataclass(frozen=True)
class SemanticRecord:
    """One record to upsert: ``content`` (embedded by the namespace's embedder) or ``vector`` (of its dimension)."""

    id: Optional[str] = None
    content: Optional[str] = None
    vector: Optional[Sequence[float]] = None
    payload: Any = None
    metadata: Optional[Mapping[str, MetadataValue]] = None
    valid_from: Optional[TimeInput] = None
    valid_to: Optional[TimeInput] = None
    supersedes: Optional[Sequence[str]] = None
    """Ids whose validity closes at this record's ``valid_from``."""
    if_version: Optional[int] = None
    """A mismatch rejects the whole batch (``FailedPrecondition``/``VERSION_MISMATCH``)."""

    def to_body(self) -> Dict[str, Any]:
        out = body(
            id=check(self.id, str, "records.id"),
            content=check(self.content, str, "records.content"),
            vector=_floats(self.vector, "records.vector"),
            metadata=_metadata(self.metadata, "records.metadata"),
            valid_from=time_arg(self.valid_from, "records.valid_from"),
            valid_to=time_arg(self.valid_to, "records.valid_to"),
            supersedes=check_strings(self.supersedes, "records.supersedes"),
            if_version=check(self.if_version, int, "records.if_version"),
        )
        if self.payload is not None:
            out["payload"] = self.payload
        return out


@dataclass(frozen=True)
class SemanticPredicate:
    """A condition on a metadata field; ``value`` is a list for ``in``."""

    field: str
    op: Literal["eq", "neq", "gt", "gte", "lt", "lte", "in"]
    value: Any


@dataclass(frozen=True)
class SemanticFusionWeights:
    dense: float
    sparse: float


@dataclass(frozen=True)
class SemanticFusion:
    """How hybrid search merges its lanes: ``linear`` (min-max normalised, mixed by weights) or ``rrf``;
    then each record gains ``neighbors`` (0-1) times the higher fused score of the records written just
    before and after it (0 turns that off)."""

    method: Literal["linear", "rrf"]
    k: Optional[int] = None
    weights: Optional[SemanticFusionWeights] = None
    neighbors: Optional[float] = None


@dataclass(frozen=True)
class SemanticUpserted:
    id: str
    version: int


@dataclass(frozen=True)
class SemanticUpsertResult:
    items: Tuple[SemanticUpserted, ...]
    seq: int


@dataclass(frozen=True)
class SemanticLanePosition:
    """A hit's 1-based rank in one lane, the lane's own score and (sparse) the query terms it matched."""

    rank: int
    score: float
    terms: Tuple[str, ...] = ()


@dataclass(frozen=True)
class SemanticNeighborBoost:
    """What a hit gained from a neighbour in write order: which record, and how much it added."""

    source: str
    boost: float


@dataclass(frozen=True)
class SemanticHitExplanation:
    """``None`` lanes did not run, or the hit was not among their candidates; ``neighbor`` is ``None``
    when no neighbour added anything."""

    dense: Optional[SemanticLanePosition]
    sparse: Optional[SemanticLanePosition]
    fused: Optional[float]
    neighbor: Optional[SemanticNeighborBoost] = None


@dataclass(frozen=True)
class SemanticSearchExplanation:
    mode: str
    dense_query: Optional[str]
    sparse_terms: Tuple[str, ...]
    fusion: Optional[SemanticFusion]
    depth: Optional[int]


@dataclass(frozen=True)
class SemanticHit:
    """A search hit. With ``ids_only`` only ``id``, ``score`` (and ``explain``) are set."""

    id: str
    score: float
    content: Optional[str] = None
    metadata: Dict[str, MetadataValue] = field(default_factory=dict)
    version: Optional[int] = None
    valid_from: Optional[datetime] = None
    valid_to: Optional[datetime] = None
    """``None`` while the record is valid without end."""
    payload: Any = None
    """Only with ``include_payload``."""
    vector: Optional[Tuple[float, ...]] = None
    """Only with ``include_vector``."""
    explain: Optional[SemanticHitExplanation] = None
    provenance: Optional[Provenance] = None
    """The upsert that wrote the record's current version; ``None`` with ``ids_only``."""


@dataclass(frozen=True)
class SemanticSearchResult:
    hits: Tuple[SemanticHit, ...]
    """Best first."""
    explain: Optional[SemanticSearchExplanation] = None


@dataclass(frozen=True)
class SemanticRevertResult:
    restored: Literal["record", "absent"]
    """What the record is now: as it stood at ``to_seq`` (content, vector, payload, metadata, validity), or absent."""
    from_seq: Optional[int]
    """The last event that changed the record by ``to_seq``; ``None`` when none had."""
    version: Optional[int] = None
    seq: Optional[int] = None
    """The revert's own event; ``None`` when nothing had to change."""


@dataclass(frozen=True)
class SemanticDeleteResult:
    existed: Tuple[bool, ...]
    """One per requested id, in order."""
    seq: Optional[int] = None


@dataclass(frozen=True)
class SemanticExpireResult:
    affected: int
    seq: Optional[int] = None


def _floats(values: Optional[Iterable[Any]], name: str) -> Optional[list]:
    if values is None:
        return None
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise invalid(name, f"expected a sequence of numbers, got {type(values).__name__}")
    out = list(values)
    for v in out:
        check(v, (int, float), name)
    return [float(v) for v in out]


def _metadata(metadata: Optional[Mapping[str, Any]], name: str) -> Optional[Dict[str, Any]]:
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        raise invalid(name, f"expected a mapping, got {type(metadata).__name__}")
    for key, value in metadata.items():
        check(key, str, name)
        check(value, (str, int, float, bool), name)
    return dict(metadata)


def _record(record: Union[SemanticRecord, Mapping[str, Any]]) -> Dict[str, Any]:
    if isinstance(record, SemanticRecord):
        return record.to_body()
    if isinstance(record, Mapping):
        try:
            return SemanticRecord(**record).to_body()
        except TypeError as e:
            raise invalid("records", str(e)) from None
    raise invalid("records", f"expected SemanticRecord or a mapping, got {type(record).__name__}")


def _predicate(p: Union[SemanticPredicate, Mapping[str, Any]]) -> Dict[str, Any]:
    if isinstance(p, Mapping):
        p = SemanticPredicate(**p)
    if not isinstance(p, SemanticPredicate):
        raise invalid("predicates", f"expected SemanticPredicate, got {type(p).__name__}")
    return {"field": check(p.field, str, "predicates.field"), "op": check(p.op, str, "predicates.op"), "value": p.value}


def _fusion_body(f: Optional[SemanticFusion]) -> Optional[Dict[str, Any]]:
    if f is None:
        return None
    check(f, SemanticFusion, "fusion")
    weights = {"dense": f.weights.dense, "sparse": f.weights.sparse} if f.weights is not None else None
    return body(method=f.method, k=check(f.k, int, "fusion.k"), weights=weights, neighbors=check(f.neighbors, (int, float), "fusion.neighbors"))


def _fusion(reply: Optional[Mapping[str, Any]]) -> Optional[SemanticFusion]:
    if not reply:
        return None
    w = reply.get("weights")
    neighbors = reply.get("neighbors")
    return SemanticFusion(
        method=reply["method"],
        k=reply.get("k"),
        weights=SemanticFusionWeights(float(w["dense"]), float(w["sparse"])) if w else None,
        neighbors=float(neighbors) if neighbors is not None else None,
    )


def _neighbor(reply: Optional[Mapping[str, Any]]) -> Optional[SemanticNeighborBoost]:
    return SemanticNeighborBoost(source=reply["from"], boost=float(reply["boost"])) if reply else None


def _lane(reply: Optional[Mapping[str, Any]]) -> Optional[SemanticLanePosition]:
    if not reply:
        return None
    return SemanticLanePosition(rank=int(reply["rank"]), score=float(reply["score"]), terms=tuple(reply.get("terms") or ()))


def _hit(reply: Mapping[str, Any]) -> SemanticHit:
    explain = reply.get("explain")
    vector = reply.get("vector")
    return SemanticHit(
        id=reply["id"],
        score=float(reply["score"]),
        content=reply.get("content"),
        metadata=integral(dict(reply.get("metadata") or {})),
        version=reply.get("version"),
        valid_from=parse_time(reply.get("validFrom")),
        valid_to=parse_time(reply.get("validTo")),
        payload=integral(reply.get("payload")),
        vector=tuple(vector) if vector else None,
        explain=SemanticHitExplanation(
            dense=_lane(explain.get("dense")), sparse=_lane(explain.get("sparse")), fused=explain.get("fused"), neighbor=_neighbor(explain.get("neighbor"))
        )
        if explain
        else None,
        provenance=provenance_of(reply),
    )


class SemanticBlock:
    def __init__(self, caller: Caller):
        self._caller = caller

    def upsert(
        self,
        ns: str,
        records: Iterable[Union[SemanticRecord, Mapping[str, Any]]],
        *,
        derived_from: Optional[Iterable[int]] = None,
        timeout_s: Optional[float] = None,
    ) -> SemanticUpsertResult:
        """Inserts or replaces records (a mapping with ``SemanticRecord``'s field names works too), all or none.
        ``derived_from`` (``Provenance.seq`` of the sources) applies to every record of the batch."""
        if isinstance(records, (SemanticRecord, Mapping, str)):
            raise invalid("records", "expected a sequence of records")
        request = body(ns=check(ns, str, "ns"), records=[_record(r) for r in records], derived_from=derived_from_arg(derived_from))
        reply = self._caller.call("semantic.upsert", request, timeout_s=timeout_s)
        return SemanticUpsertResult(items=tuple(SemanticUpserted(i["id"], int(i["version"])) for i in reply.get("items", ())), seq=int(reply["seq"]))

    def search(
        self,
        ns: str,
        *,
        query_text: Optional[str] = None,
        query_vector: Optional[Sequence[float]] = None,
        top_k: Optional[int] = None,
        mode: Optional[Literal["dense", "sparse", "hybrid"]] = None,
        filter: Optional[Mapping[str, MetadataValue]] = None,  # noqa: A002 - the contract's field name
        predicates: Optional[Iterable[Union[SemanticPredicate, Mapping[str, Any]]]] = None,
        min_score: Optional[float] = None,
        as_of: Optional[TimeInput] = None,
        include_invalidated: Optional[bool] = None,
        include_payload: Optional[bool] = None,
        include_vector: Optional[bool] = None,
        ids_only: Optional[bool] = None,
        created_after: Optional[TimeInput] = None,
        created_before: Optional[TimeInput] = None,
        min_seq: Optional[int] = None,
        fusion: Optional[SemanticFusion] = None,
        explain: Optional[bool] = None,
        timeout_s: Optional[float] = None,
    ) -> SemanticSearchResult:
        """``query_text`` or ``query_vector`` (``sparse`` and ``hybrid`` need ``query_text``); hits best first."""
        request = body(
            ns=check(ns, str, "ns"),
            query_text=check(query_text, str, "query_text"),
            query_vector=_floats(query_vector, "query_vector"),
            top_k=check(top_k, int, "top_k"),
            mode=check(mode, str, "mode"),
            filter=_metadata(filter, "filter"),
            predicates=[_predicate(p) for p in predicates] if predicates is not None else None,
            min_score=check(min_score, (int, float), "min_score"),
            as_of=time_arg(as_of, "as_of"),
            include_invalidated=check(include_invalidated, bool, "include_invalidated"),
            include_payload=check(include_payload, bool, "include_payload"),
            include_vector=check(include_vector, bool, "include_vector"),
            ids_only=check(ids_only, bool, "ids_only"),
            created_after=time_arg(created_after, "created_after"),
            created_before=time_arg(created_before, "created_before"),
            min_seq=check(min_seq, int, "min_seq"),
            fusion=_fusion_body(fusion),
            explain=check(explain, bool, "explain"),
        )
        reply = self._caller.call("semantic.search", request, timeout_s=timeout_s)
        explained = reply.get("explain")
        return SemanticSearchResult(
            hits=tuple(_hit(h) for h in reply.get("hits", ())),
            explain=SemanticSearchExplanation(
                mode=explained["mode"],
                dense_query=explained.get("denseQuery"),
                sparse_terms=tuple(explained.get("sparseTerms") or ()),
                fusion=_fusion(explained.get("fusion")),
                depth=explained.get("depth"),
            ) if explained else None,
        )

    def delete(self, ns: str, ids: Iterable[str], *, hard: Optional[bool] = None, timeout_s: Optional[float] = None) -> SemanticDeleteResult:
        reply = self._caller.call("semantic.delete", body(ns=check(ns, str, "ns"), ids=check_strings(ids, "ids"), hard=check(hard, bool, "hard")), timeout_s=timeout_s)
        return SemanticDeleteResult(existed=tuple(bool(e) for e in reply.get("existed", ())), seq=reply.get("seq"))

    def revert(self, ns: str, id: str, *, to_seq: int, timeout_s: Optional[float] = None) -> SemanticRevertResult:  # noqa: A002 - the contract's field name
        """Restores one record to its state at log sequence ``to_seq``, as a new event (history is never rewritten)."""
        reply = self._caller.call("semantic.revert", body(ns=check(ns, str, "ns"), id=check(id, str, "id"), to_seq=check(to_seq, int, "to_seq")), timeout_s=timeout_s)
        return SemanticRevertResult(restored=reply["restored"], from_seq=reply.get("fromSeq"), version=reply.get("version"), seq=reply.get("seq"))

    def expire(
        self,
        ns: str,
        *,
        filter: Mapping[str, MetadataValue],  # noqa: A002 - the contract's field name
        action: Literal["invalidate", "soft", "hard"],
        max_rows: int,
        timeout_s: Optional[float] = None,
    ) -> SemanticExpireResult:
        """Acts on up to ``max_rows`` records matching ``filter`` (``{}`` matches every record)."""
        request = {"ns": check(ns, str, "ns"), "filter": _metadata(filter, "filter"), "action": check(action, str, "action"), "maxRows": check(max_rows, int, "max_rows")}
        reply = self._caller.call("semantic.expire", {k: v for k, v in request.items() if v is not None}, timeout_s=timeout_s)
        return SemanticExpireResult(affected=int(reply.get("affected", 0)), seq=reply.get("seq"))
