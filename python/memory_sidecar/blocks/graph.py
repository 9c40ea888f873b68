"""graph: labelled nodes and typed, time-valid edges; neighbours and bounded breadth-first traversal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Iterable, Literal, Mapping, Optional, Tuple

from .._protocol import Caller
from ..provenance import Provenance, derived_from_arg, provenance_of
from ._common import TimeInput, body, check, check_strings, integral, invalid, parse_time, req_time, time_arg

Direction = Literal["out", "in", "both"]

_NODE_KEYS = ("id", "labels", "props")
_EDGE_KEYS = ("id", "type", "from", "to", "props", "valid_from", "valid_to", "supersedes")


@dataclass(frozen=True)
class GraphNode:
    """A node: it has no validity, it exists until deleted."""

    id: str
    labels: Tuple[str, ...]
    props: Dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime
    provenance: Optional[Provenance] = None
    """The upsert that wrote the node's current version."""
    depth: Optional[int] = None
    """``traverse`` only: hops from the start node (0 for the start node itself)."""


@dataclass(frozen=True)
class GraphEdge:
    """An edge from ``from_id`` to ``to_id`` (``from`` and ``to`` in the contract), valid from ``valid_from``
    until ``valid_to`` (``None``: without end)."""

    id: str
    type: str
    from_id: str
    to_id: str
    props: Dict[str, Any]
    valid_from: datetime
    valid_to: Optional[datetime]
    supersedes: Optional[str]
    """The edge id this one superseded."""
    version: int
    created_at: datetime
    updated_at: datetime
    provenance: Optional[Provenance] = None
    """The upsert that wrote the edge's current version."""


@dataclass(frozen=True)
class GraphUpserted:
    id: str
    version: int


@dataclass(frozen=True)
class GraphUpsertResult:
    nodes: Tuple[GraphUpserted, ...]
    edges: Tuple[GraphUpserted, ...]
    """Generated ids included, in the order given."""
    closed: Tuple[str, ...]
    """Ids of the edges whose validity a ``supersedes`` closed."""
    seq: int


@dataclass(frozen=True)
class GraphGetResult:
    """The ids found, in the order asked; missing ids are simply absent. Edges whatever their validity."""

    nodes: Tuple[GraphNode, ...]
    edges: Tuple[GraphEdge, ...]


@dataclass(frozen=True)
class GraphNeighbor:
    direction: Literal["out", "in"]
    """``out``: the edge leaves the node asked for; ``in``: it arrives there."""
    edge: GraphEdge
    node: GraphNode
    """The node at the edge's other end."""


@dataclass(frozen=True)
class GraphNeighborsResult:
    neighbors: Tuple[GraphNeighbor, ...]
    """Ordered by edge id."""
    truncated: bool
    """More than ``limit`` matched."""


@dataclass(frozen=True)
class GraphTraverseTruncated:
    """Which limit cut the walk short."""

    depth: bool = False
    nodes: bool = False
    fan_out: bool = False


@dataclass(frozen=True)
class GraphTraverseLimits:
    """The limits as applied: after defaults, the service's maxima and policy caps."""

    depth: int
    max_nodes: int
    fan_out: int


@dataclass(frozen=True)
class GraphTraverseResult:
    nodes: Tuple[GraphNode, ...]
    """The start node first (depth 0), then by depth, then by id; each carries its ``depth``."""
    edges: Tuple[GraphEdge, ...]
    """Every edge followed."""
    truncated: GraphTraverseTruncated = field(default_factory=GraphTraverseTruncated)
    limits: Optional[GraphTraverseLimits] = None


@dataclass(frozen=True)
class GraphDeleteResult:
    nodes: Tuple[str, ...]
    """Deleted node ids that existed."""
    edges: Tuple[str, ...]
    """Deleted edge ids, cascaded ones included."""
    seq: Optional[int] = None
    """``None`` when nothing existed."""


def _items(values: Optional[Iterable[Any]], name: str) -> Optional[list]:
    """A sequence of mappings (a lone mapping is refused: it would be read as its keys)."""
    if values is None:
        return None
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise invalid(name, f"expected a sequence of mappings, got {type(values).__name__}")
    out = list(values)
    for i, item in enumerate(out):
        if not isinstance(item, Mapping):
            raise invalid(f"{name}[{i}]", f"expected a mapping, got {type(item).__name__}")
    return out


def _unknown(item: Mapping[str, Any], known: Tuple[str, ...], name: str) -> None:
    extra = sorted(str(k) for k in item if k not in known)
    if extra:
        raise invalid(name, f"unknown field(s) {', '.join(extra)}; expected {', '.join(known)}")


def _props(props: Any, name: str) -> Optional[Dict[str, Any]]:
    if props is None:
        return None
    if not isinstance(props, Mapping):
        raise invalid(name, f"expected a mapping, got {type(props).__name__}")
    for key in props:
        check(key, str, name)
    return dict(props)


def _node_body(node: Mapping[str, Any], i: int) -> Dict[str, Any]:
    at = f"nodes[{i}]"
    _unknown(node, _NODE_KEYS, at)
    return body(id=check(node.get("id"), str, f"{at}.id"), labels=check_strings(node.get("labels"), f"{at}.labels"), props=_props(node.get("props"), f"{at}.props"))


def _edge_body(edge: Mapping[str, Any], i: int) -> Dict[str, Any]:
    at = f"edges[{i}]"
    _unknown(edge, _EDGE_KEYS, at)
    out = body(
        id=check(edge.get("id"), str, f"{at}.id"),
        type=check(edge.get("type"), str, f"{at}.type"),
        props=_props(edge.get("props"), f"{at}.props"),
        valid_from=time_arg(edge.get("valid_from"), f"{at}.valid_from"),
        valid_to=time_arg(edge.get("valid_to"), f"{at}.valid_to"),
        supersedes=check(edge.get("supersedes"), str, f"{at}.supersedes"),
    )
    # `from` is a Python keyword, so body() cannot take it as an argument.
    for end in ("from", "to"):
        if edge.get(end) is not None:
            out[end] = check(edge[end], str, f"{at}.{end}")
    return out


def _direction(value: Optional[str], allowed: Tuple[str, ...]) -> Optional[str]:
    check(value, str, "direction")
    if value is not None and value not in allowed:
        raise invalid("direction", f"expected one of {', '.join(allowed)}, got {value!r}")
    return value


def _node(reply: Mapping[str, Any]) -> GraphNode:
    depth = reply.get("depth")
    return GraphNode(
        id=reply["id"],
        labels=tuple(reply.get("labels") or ()),
        props=integral(dict(reply.get("props") or {})),
        version=int(reply["version"]),
        created_at=req_time(reply["createdAt"]),
        updated_at=req_time(reply["updatedAt"]),
        provenance=provenance_of(reply),
        depth=int(depth) if depth is not None else None,
    )


def _edge(reply: Mapping[str, Any]) -> GraphEdge:
    return GraphEdge(
        id=reply["id"],
        type=reply["type"],
        from_id=reply["from"],
        to_id=reply["to"],
        props=integral(dict(reply.get("props") or {})),
        valid_from=req_time(reply["validFrom"]),
        valid_to=parse_time(reply.get("validTo")),
        supersedes=reply.get("supersedes") or None,
        version=int(reply["version"]),
        created_at=req_time(reply["createdAt"]),
        updated_at=req_time(reply["updatedAt"]),
        provenance=provenance_of(reply),
    )


def _upserted(items: Iterable[Mapping[str, Any]]) -> Tuple[GraphUpserted, ...]:
    return tuple(GraphUpserted(i["id"], int(i["version"])) for i in items)


class GraphBlock:
    """The graph operations. Nodes and edges go in as plain mappings:
    ``{"id": "ada", "labels": ["person"], "props": {"born": 1815}}`` and
    ``{"type": "knows", "from": "ada", "to": "charles", "valid_from": datetime(...)}``."""

    def __init__(self, caller: Caller):
        self._caller = caller

    def upsert(
        self,
        ns: str,
        *,
        nodes: Optional[Iterable[Mapping[str, Any]]] = None,
        edges: Optional[Iterable[Mapping[str, Any]]] = None,
        derived_from: Optional[Iterable[int]] = None,
        timeout_s: Optional[float] = None,
    ) -> GraphUpsertResult:
        """Inserts or replaces nodes (keys ``id``, ``labels``, ``props``) and edges (``id``, ``type``, ``from``, ``to``,
        ``props``, ``valid_from``, ``valid_to``, ``supersedes``), all or none. An existing id is replaced whole
        (version + 1); an edge without ``id`` gets a generated one; ``from``/``to`` must name nodes that exist or
        that the same call writes (else ``FailedPrecondition``). ``supersedes`` closes that edge's validity at
        this edge's ``valid_from``. ``derived_from`` (``Provenance.seq`` of the sources) applies to every item."""
        node_items = _items(nodes, "nodes")
        edge_items = _items(edges, "edges")
        request = body(
            ns=check(ns, str, "ns"),
            nodes=[_node_body(n, i) for i, n in enumerate(node_items)] if node_items is not None else None,
            edges=[_edge_body(e, i) for i, e in enumerate(edge_items)] if edge_items is not None else None,
            derived_from=derived_from_arg(derived_from),
        )
        reply = self._caller.call("graph.upsert", request, timeout_s=timeout_s)
        return GraphUpsertResult(
            nodes=_upserted(reply.get("nodes", ())),
            edges=_upserted(reply.get("edges", ())),
            closed=tuple(reply.get("closed") or ()),
            seq=int(reply["seq"]),
        )

    def get(
        self,
        ns: str,
        *,
        node_ids: Optional[Iterable[str]] = None,
        edge_ids: Optional[Iterable[str]] = None,
        min_seq: Optional[int] = None,
        timeout_s: Optional[float] = None,
    ) -> GraphGetResult:
        """The nodes and edges found (edges whatever their validity), in the order asked; missing ids are absent."""
        request = body(ns=check(ns, str, "ns"), node_ids=check_strings(node_ids, "node_ids"), edge_ids=check_strings(edge_ids, "edge_ids"), min_seq=check(min_seq, int, "min_seq"))
        reply = self._caller.call("graph.get", request, timeout_s=timeout_s)
        return GraphGetResult(nodes=tuple(_node(n) for n in reply.get("nodes", ())), edges=tuple(_edge(e) for e in reply.get("edges", ())))

    def neighbors(
        self,
        ns: str,
        id: str,  # noqa: A002 - the contract's field name
        *,
        direction: Optional[Direction] = None,
        edge_types: Optional[Iterable[str]] = None,
        node_labels: Optional[Iterable[str]] = None,
        limit: Optional[int] = None,
        as_of: Optional[TimeInput] = None,
        min_seq: Optional[int] = None,
        timeout_s: Optional[float] = None,
    ) -> GraphNeighborsResult:
        """The edges of node ``id`` (``both`` directions by default) valid at ``as_of`` (default: now), each with
        the node at its other end, ordered by edge id. A node that does not exist has no neighbours."""
        request = body(
            ns=check(ns, str, "ns"),
            id=check(id, str, "id"),
            direction=_direction(direction, ("out", "in", "both")),
            edge_types=check_strings(edge_types, "edge_types"),
            node_labels=check_strings(node_labels, "node_labels"),
            limit=check(limit, int, "limit"),
            as_of=time_arg(as_of, "as_of"),
            min_seq=check(min_seq, int, "min_seq"),
        )
        reply = self._caller.call("graph.neighbors", request, timeout_s=timeout_s)
        return GraphNeighborsResult(
            neighbors=tuple(GraphNeighbor(direction=n["direction"], edge=_edge(n["edge"]), node=_node(n["node"])) for n in reply.get("neighbors", ())),
            truncated=bool(reply.get("truncated")),
        )

    def traverse(
        self,
        ns: str,
        start_id: str,
        *,
        direction: Optional[Direction] = None,
        depth: Optional[int] = None,
        max_nodes: Optional[int] = None,
        fan_out: Optional[int] = None,
        edge_types: Optional[Iterable[str]] = None,
        as_of: Optional[TimeInput] = None,
        min_seq: Optional[int] = None,
        timeout_s: Optional[float] = None,
    ) -> GraphTraverseResult:
        """Breadth-first from ``start_id`` (``out`` by default) over edges valid at ``as_of`` (default: now).
        ``depth``, ``max_nodes`` and ``fan_out`` above the service's maxima are clamped, not refused;
        ``limits`` says what was applied and ``truncated`` which limit cut the walk short."""
        request = body(
            ns=check(ns, str, "ns"),
            start_id=check(start_id, str, "start_id"),
            direction=_direction(direction, ("out", "in", "both")),
            depth=check(depth, int, "depth"),
            max_nodes=check(max_nodes, int, "max_nodes"),
            fan_out=check(fan_out, int, "fan_out"),
            edge_types=check_strings(edge_types, "edge_types"),
            as_of=time_arg(as_of, "as_of"),
            min_seq=check(min_seq, int, "min_seq"),
        )
        reply = self._caller.call("graph.traverse", request, timeout_s=timeout_s)
        truncated = reply.get("truncated") or {}
        limits = reply.get("limits")
        return GraphTraverseResult(
            nodes=tuple(_node(n) for n in reply.get("nodes", ())),
            edges=tuple(_edge(e) for e in reply.get("edges", ())),
            truncated=GraphTraverseTruncated(depth=bool(truncated.get("depth")), nodes=bool(truncated.get("nodes")), fan_out=bool(truncated.get("fanOut"))),
            limits=GraphTraverseLimits(depth=int(limits.get("depth", 0)), max_nodes=int(limits.get("maxNodes", 0)), fan_out=int(limits.get("fanOut", 0))) if limits else None,
        )

    def delete(
        self,
        ns: str,
        *,
        node_ids: Optional[Iterable[str]] = None,
        edge_ids: Optional[Iterable[str]] = None,
        cascade: Optional[bool] = None,
        timeout_s: Optional[float] = None,
    ) -> GraphDeleteResult:
        """Deletes nodes and edges. A node that still has edges is refused (``FailedPrecondition``, nothing
        deleted) unless ``cascade``, which deletes its edges too."""
        request = body(ns=check(ns, str, "ns"), node_ids=check_strings(node_ids, "node_ids"), edge_ids=check_strings(edge_ids, "edge_ids"), cascade=check(cascade, bool, "cascade"))
        reply = self._caller.call("graph.delete", request, timeout_s=timeout_s)
        return GraphDeleteResult(nodes=tuple(reply.get("nodes") or ()), edges=tuple(reply.get("edges") or ()), seq=reply.get("seq"))
