"""GraphBlock: what it sends and how it reads replies (no service), then against the real service."""

from datetime import datetime, timedelta, timezone

import pytest

from memory_sidecar import FailedPrecondition, InvalidArgument
from memory_sidecar._wire import _method, to_message
from memory_sidecar.blocks import GraphBlock, GraphEdge, GraphNode, GraphTraverseLimits, GraphTraverseTruncated
from tests.wire_caller import caller  # noqa: F401 - the fixture

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


class Recording:
    """A caller that keeps each request and answers with a canned JSON body."""

    def __init__(self, reply=None):
        self.reply = reply or {}
        self.sent = []

    def call(self, op, body, *, timeout_s=None):
        self.sent.append((op, body))
        return self.reply

    def stream(self, op, body, *, timeout_s=None):
        raise AssertionError("graph has no streams")


def edge_json(**overrides):
    edge = {
        "id": "e1", "type": "knows", "from": "ada", "to": "charles", "props": {"since": 1833}, "validFrom": "2024-01-01T00:00:00.000Z",
        "validTo": None, "supersedes": None, "version": 1, "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z",
        "provenance": {"agent": "a", "seq": 7, "at": "2024-01-01T00:00:00.000Z"},
    }
    return {**edge, **overrides}


def node_json(id, **overrides):  # noqa: A002
    node = {"id": id, "labels": ["person"], "props": {}, "version": 1, "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z"}
    return {**node, **overrides}


def test_upsert_sends_the_contract_body_which_the_grpc_request_accepts():
    wire = Recording({"nodes": [{"id": "ada", "version": 1}], "edges": [{"id": "e1", "version": 2}], "closed": ["e0"], "seq": 9})
    result = GraphBlock(wire).upsert(
        "ns",
        nodes=[{"id": "ada", "labels": ["person"], "props": {"born": 1815}}, {"id": "charles"}],
        edges=[{"id": "e1", "type": "knows", "from": "ada", "to": "charles", "valid_from": T0, "valid_to": "2025-01-01T00:00:00Z", "supersedes": "e0", "props": {}}],
        derived_from=[3],
    )
    op, sent = wire.sent[0]
    assert op == "graph.upsert"
    assert sent == {
        "ns": "ns",
        "nodes": [{"id": "ada", "labels": ["person"], "props": {"born": 1815}}, {"id": "charles"}],
        "edges": [{"id": "e1", "type": "knows", "from": "ada", "to": "charles", "props": {}, "validFrom": "2024-01-01T00:00:00.000Z",
                   "validTo": "2025-01-01T00:00:00Z", "supersedes": "e0"}],
        "derivedFrom": [3],
    }
    message = to_message(sent, _method("graph.upsert").request)
    assert getattr(message.edges[0], "from") == "ada" and message.edges[0].valid_from == "2024-01-01T00:00:00.000Z"
    assert (result.nodes[0].id, result.edges[0].version, result.closed, result.seq) == ("ada", 2, ("e0",), 9)


@pytest.mark.parametrize(
    ("op", "call"),
    [
        ("graph.get", lambda g: g.get("ns", node_ids=["a"], edge_ids=["e"], min_seq=3)),
        ("graph.neighbors", lambda g: g.neighbors("ns", "a", direction="in", edge_types=["knows"], node_labels=["person"], limit=5, as_of=T0, min_seq=3)),
        ("graph.traverse", lambda g: g.traverse("ns", "a", direction="both", depth=3, max_nodes=10, fan_out=4, edge_types=["knows"], as_of=T0, min_seq=3)),
        ("graph.delete", lambda g: g.delete("ns", node_ids=["a"], edge_ids=["e"], cascade=True)),
    ],
)
def test_every_read_and_delete_body_is_a_valid_grpc_request(op, call):
    wire = Recording({"seq": 1})
    call(GraphBlock(wire))
    sent_op, sent = wire.sent[0]
    assert sent_op == op
    to_message(sent, _method(op).request)  # raises on a field the proto lacks


def test_arguments_of_the_wrong_type_are_refused_before_sending():
    wire = Recording()
    graph = GraphBlock(wire)
    cases = [
        (lambda: graph.upsert("ns", nodes={"id": "a"}), "nodes"),
        (lambda: graph.upsert("ns", nodes=["a"]), "nodes[0]"),
        (lambda: graph.upsert("ns", nodes=[{"id": 1}]), "nodes[0].id"),
        (lambda: graph.upsert("ns", nodes=[{"id": "a", "labels": "person"}]), "nodes[0].labels"),
        (lambda: graph.upsert("ns", nodes=[{"id": "a", "props": [1]}]), "nodes[0].props"),
        (lambda: graph.upsert("ns", nodes=[{"id": "a", "name": "x"}]), "nodes[0]"),
        (lambda: graph.upsert("ns", edges=[{"type": "t", "from": "a", "to": 2}]), "edges[0].to"),
        (lambda: graph.upsert("ns", edges=[{"type": "t", "from": "a", "to": "b", "valid_from": datetime(2024, 1, 1)}]), "edges[0].valid_from"),
        (lambda: graph.upsert("ns", edges=[{"type": "t", "from": "a", "to": "b", "supersedes": ["x"]}]), "edges[0].supersedes"),
        (lambda: graph.upsert("ns", edges=[{"type": "t", "source": "a", "to": "b"}]), "edges[0]"),
        (lambda: graph.upsert("ns", nodes=[{"id": "a"}], derived_from=5), "derived_from"),
        (lambda: graph.get("ns", node_ids="a"), "node_ids"),
        (lambda: graph.neighbors("ns", "a", direction="sideways"), "direction"),
        (lambda: graph.neighbors("ns", "a", limit=True), "limit"),
        (lambda: graph.traverse("ns", "a", depth="2"), "depth"),
        (lambda: graph.traverse("ns", "a", as_of=datetime(2024, 1, 1)), "as_of"),
        (lambda: graph.delete("ns", node_ids=["a"], cascade="yes"), "cascade"),
    ]
    for call, field in cases:
        with pytest.raises(InvalidArgument) as bad:
            call()
        assert bad.value.details["field"] == field
    assert wire.sent == []


def test_replies_read_from_json_bodies_with_nulls():
    reply = {"neighbors": [{"direction": "out", "edge": edge_json(), "node": node_json("charles", props={"n": 2.0})}], "truncated": True}
    result = GraphBlock(Recording(reply)).neighbors("ns", "ada")
    [n] = result.neighbors
    assert result.truncated is True and n.direction == "out" and n.node.props == {"n": 2} and n.node.depth is None
    assert n.edge.from_id == "ada" and n.edge.to_id == "charles" and n.edge.valid_to is None and n.edge.supersedes is None
    assert n.edge.valid_from == T0 and n.edge.provenance is not None and n.edge.provenance.seq == 7
    traversed = GraphBlock(Recording({
        "nodes": [node_json("ada", depth=0), node_json("charles", depth=1)], "edges": [edge_json()],
        "truncated": {"depth": False, "nodes": True, "fanOut": False}, "limits": {"depth": 2, "maxNodes": 2, "fanOut": 50},
    })).traverse("ns", "ada")
    assert [(n.id, n.depth) for n in traversed.nodes] == [("ada", 0), ("charles", 1)]
    assert traversed.truncated == GraphTraverseTruncated(nodes=True) and traversed.limits == GraphTraverseLimits(2, 2, 50)
    deleted = GraphBlock(Recording({"nodes": [], "edges": []})).delete("ns", edge_ids=["gone"])
    assert (deleted.nodes, deleted.edges, deleted.seq) == ((), (), None)


# Against the real service.


@pytest.fixture()
def graph(caller) -> GraphBlock:  # noqa: F811
    return GraphBlock(caller)


PEOPLE = [{"id": "ada", "labels": ["person"], "props": {"born": 1815}}, {"id": "charles", "labels": ["person"]}, {"id": "engine", "labels": ["machine"]}]


def test_upsert_then_get_in_the_order_asked(graph, unique_ns):
    up = graph.upsert(unique_ns, nodes=PEOPLE, edges=[{"id": "k", "type": "knows", "from": "ada", "to": "charles", "props": {"met": "1833"}}, {"type": "designed", "from": "charles", "to": "engine"}])
    assert [(n.id, n.version) for n in up.nodes] == [("ada", 1), ("charles", 1), ("engine", 1)] and up.closed == () and up.seq > 0
    assert up.edges[0].id == "k" and up.edges[1].id and all(e.version == 1 for e in up.edges)
    got = graph.get(unique_ns, node_ids=["engine", "nobody", "ada"], edge_ids=[up.edges[1].id, "k"], min_seq=up.seq)
    assert [n.id for n in got.nodes] == ["engine", "ada"]
    ada = got.nodes[1]
    assert isinstance(ada, GraphNode) and ada.labels == ("person",) and ada.props == {"born": 1815} and ada.depth is None
    assert ada.provenance is not None and ada.provenance.seq == up.seq
    designed, knows = got.edges
    assert isinstance(knows, GraphEdge) and (knows.type, knows.from_id, knows.to_id, knows.props) == ("knows", "ada", "charles", {"met": "1833"})
    assert (designed.type, designed.from_id, designed.to_id) == ("designed", "charles", "engine")
    assert knows.valid_to is None and knows.supersedes is None and isinstance(knows.valid_from, datetime)


def test_an_upsert_replaces_a_node_whole(graph, unique_ns):
    first = graph.upsert(unique_ns, nodes=[{"id": "ada", "labels": ["person", "author"], "props": {"born": 1815, "city": "London"}}])
    again = graph.upsert(unique_ns, nodes=[{"id": "ada", "labels": ["person"], "props": {"born": 1815}}])
    assert again.nodes[0].version == 2
    [before] = graph.get(unique_ns, node_ids=["ada"], min_seq=first.seq).nodes
    [ada] = graph.get(unique_ns, node_ids=["ada"], min_seq=again.seq).nodes
    assert (ada.labels, ada.props, ada.version) == (("person",), {"born": 1815}, 2)
    assert ada.created_at == before.created_at and ada.updated_at >= before.updated_at


def test_what_an_upsert_refuses(graph, unique_ns):
    with pytest.raises(InvalidArgument) as empty:
        graph.upsert(unique_ns, nodes=[])
    assert empty.value.details["field"] == "nodes"
    with pytest.raises(FailedPrecondition) as dangling:
        graph.upsert(unique_ns, nodes=[{"id": "ada"}], edges=[{"type": "knows", "from": "ada", "to": "nobody"}])
    assert dangling.value.details["field"] == "edges[0].to"
    with pytest.raises(InvalidArgument) as backwards:
        graph.upsert(unique_ns, nodes=[{"id": "a"}, {"id": "b"}], edges=[{"type": "t", "from": "a", "to": "b", "valid_from": T0, "valid_to": T0 - timedelta(days=1)}])
    assert backwards.value.details["field"] == "edges[0].validTo"
    assert graph.get(unique_ns, node_ids=["ada", "a"]).nodes == ()


def test_neighbors_by_direction_type_label_and_limit(graph, unique_ns):
    seq = graph.upsert(unique_ns, nodes=PEOPLE, edges=[
        {"id": "e1", "type": "knows", "from": "ada", "to": "charles"},
        {"id": "e2", "type": "designed", "from": "charles", "to": "engine"},
        {"id": "e3", "type": "admires", "from": "charles", "to": "ada"},
    ]).seq
    both = graph.neighbors(unique_ns, "charles", min_seq=seq)
    assert [(n.edge.id, n.direction, n.node.id) for n in both.neighbors] == [("e1", "in", "ada"), ("e2", "out", "engine"), ("e3", "out", "ada")]
    assert both.truncated is False
    assert [n.edge.id for n in graph.neighbors(unique_ns, "charles", direction="out").neighbors] == ["e2", "e3"]
    assert [n.edge.id for n in graph.neighbors(unique_ns, "charles", direction="in").neighbors] == ["e1"]
    assert [n.edge.id for n in graph.neighbors(unique_ns, "charles", edge_types=["designed"]).neighbors] == ["e2"]
    assert [n.node.id for n in graph.neighbors(unique_ns, "charles", node_labels=["machine"]).neighbors] == ["engine"]
    limited = graph.neighbors(unique_ns, "charles", limit=2)
    assert [n.edge.id for n in limited.neighbors] == ["e1", "e2"] and limited.truncated is True
    nobody = graph.neighbors(unique_ns, "nobody")
    assert (nobody.neighbors, nobody.truncated) == ((), False)


def test_supersedes_closes_an_edge_and_as_of_reads_the_past(graph, unique_ns):
    graph.upsert(unique_ns, nodes=[{"id": "ada"}, {"id": "acme"}, {"id": "globex"}], edges=[{"id": "job1", "type": "works_at", "from": "ada", "to": "acme", "valid_from": T0}])
    moved = T0 + timedelta(days=30)
    up = graph.upsert(unique_ns, edges=[{"id": "job2", "type": "works_at", "from": "ada", "to": "globex", "valid_from": moved, "supersedes": "job1"}])
    assert up.closed == ("job1",)
    assert [n.node.id for n in graph.neighbors(unique_ns, "ada", min_seq=up.seq).neighbors] == ["globex"]
    assert [n.node.id for n in graph.neighbors(unique_ns, "ada", as_of=moved - timedelta(days=1)).neighbors] == ["acme"]
    assert graph.neighbors(unique_ns, "ada", as_of=T0 - timedelta(days=1)).neighbors == ()
    old, new = graph.get(unique_ns, edge_ids=["job1", "job2"]).edges
    assert old.valid_to == moved and new.supersedes == "job1" and new.valid_to is None
    assert [n.id for n in graph.traverse(unique_ns, "ada", as_of=moved - timedelta(days=1)).nodes] == ["ada", "acme"]


def test_traverse_breadth_first_within_its_limits(graph, unique_ns):
    chain = [{"id": f"n{i}"} for i in range(5)]
    leaves = [{"id": f"leaf{i}"} for i in range(4)]
    edges = [{"id": f"c{i}", "type": "next", "from": f"n{i}", "to": f"n{i + 1}"} for i in range(4)]
    edges += [{"id": f"l{i}", "type": "has", "from": "n0", "to": f"leaf{i}"} for i in range(4)]
    seq = graph.upsert(unique_ns, nodes=chain + leaves, edges=edges).seq

    walk = graph.traverse(unique_ns, "n0", edge_types=["next"], depth=2, min_seq=seq)
    assert [(n.id, n.depth) for n in walk.nodes] == [("n0", 0), ("n1", 1), ("n2", 2)]
    assert sorted(e.id for e in walk.edges) == ["c0", "c1"]
    assert walk.truncated.depth is True and walk.limits is not None and walk.limits.depth == 2

    whole = graph.traverse(unique_ns, "n0", edge_types=["next"], depth=6)
    assert [n.id for n in whole.nodes] == ["n0", "n1", "n2", "n3", "n4"] and whole.truncated == GraphTraverseTruncated()

    by_depth = graph.traverse(unique_ns, "n0", depth=1)
    assert [n.id for n in by_depth.nodes] == ["n0", "leaf0", "leaf1", "leaf2", "leaf3", "n1"]

    few = graph.traverse(unique_ns, "n0", max_nodes=3)
    assert len(few.nodes) == 3 and few.nodes[0].id == "n0" and few.truncated.nodes is True

    narrow = graph.traverse(unique_ns, "n0", depth=1, fan_out=2)
    assert len(narrow.nodes) == 3 and narrow.truncated.fan_out is True and narrow.limits == GraphTraverseLimits(depth=1, max_nodes=narrow.limits.max_nodes, fan_out=2)

    backwards = graph.traverse(unique_ns, "n2", direction="in", depth=6)
    assert [(n.id, n.depth) for n in backwards.nodes] == [("n2", 0), ("n1", 1), ("n0", 2)]


def test_traverse_clamps_what_is_above_the_maxima_and_answers_a_missing_start(graph, unique_ns):
    graph.upsert(unique_ns, nodes=[{"id": "a"}])
    clamped = graph.traverse(unique_ns, "a", depth=1_000, max_nodes=10_000_000, fan_out=1_000_000)
    assert clamped.limits is not None and clamped.limits.depth < 1_000 and clamped.limits.max_nodes < 10_000_000 and clamped.limits.fan_out < 1_000_000
    missing = graph.traverse(unique_ns, "nobody")
    assert (missing.nodes, missing.edges, missing.truncated) == ((), (), GraphTraverseTruncated())
    assert missing.limits is not None and missing.limits.depth >= 1
    with pytest.raises(InvalidArgument) as zero:
        graph.traverse(unique_ns, "a", depth=0)
    assert zero.value.details["field"] == "depth"


def test_delete_refuses_a_node_with_edges_unless_cascade(graph, unique_ns):
    graph.upsert(unique_ns, nodes=PEOPLE, edges=[{"id": "k", "type": "knows", "from": "ada", "to": "charles"}])
    with pytest.raises(FailedPrecondition) as linked:
        graph.delete(unique_ns, node_ids=["charles", "engine"])
    assert linked.value.details["field"] == "nodeIds"
    assert len(graph.get(unique_ns, node_ids=["charles", "engine"]).nodes) == 2
    deleted = graph.delete(unique_ns, node_ids=["charles", "engine", "nobody"], cascade=True)
    assert sorted(deleted.nodes) == ["charles", "engine"] and deleted.edges == ("k",) and deleted.seq is not None
    after = graph.get(unique_ns, node_ids=["ada", "charles"], edge_ids=["k"], min_seq=deleted.seq)
    assert [n.id for n in after.nodes] == ["ada"] and after.edges == ()
    nothing = graph.delete(unique_ns, node_ids=["charles"], edge_ids=["k"])
    assert (nothing.nodes, nothing.edges, nothing.seq) == ((), (), None)


def test_derived_from_is_kept_in_the_provenance(graph, unique_ns):
    source = graph.upsert(unique_ns, nodes=[{"id": "source"}]).seq
    up = graph.upsert(unique_ns, nodes=[{"id": "derived"}], derived_from=[source])
    [node] = graph.get(unique_ns, node_ids=["derived"], min_seq=up.seq).nodes
    assert node.provenance is not None and node.provenance.derived_from == (source,)
