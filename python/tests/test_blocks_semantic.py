"""SemanticBlock against the real service (its hashing embedder)."""

from datetime import datetime, timedelta, timezone

import pytest

from memory_sidecar import FailedPrecondition, InvalidArgument
from memory_sidecar.blocks import SemanticBlock, SemanticFusion, SemanticFusionWeights, SemanticPredicate, SemanticRecord
from tests.wire_caller import caller  # noqa: F401 - the fixture

DOCS = [
    SemanticRecord(id="cats", content="cats purr and chase mice around the house", metadata={"kind": "pet", "legs": 4}, payload={"n": 1}),
    SemanticRecord(id="birds", content="birds sing at dawn and build nests", metadata={"kind": "wild", "legs": 2}),
    SemanticRecord(id="cars", content="diesel engines need regular oil changes", metadata={"kind": "machine", "legs": 0}),
]


@pytest.fixture()
def semantic(caller) -> SemanticBlock:  # noqa: F811
    return SemanticBlock(caller)


def test_upsert_then_search_in_every_mode(semantic, unique_ns):
    upserted = semantic.upsert(unique_ns, DOCS)
    assert [(i.id, i.version) for i in upserted.items] == [("cats", 1), ("birds", 1), ("cars", 1)] and upserted.seq > 0
    for mode in ("dense", "sparse", "hybrid"):
        hits = semantic.search(unique_ns, query_text="cats chase mice", mode=mode, top_k=3, min_seq=upserted.seq).hits
        assert hits and hits[0].id == "cats", mode
        assert hits[0].content == DOCS[0].content and hits[0].metadata == {"kind": "pet", "legs": 4}
        assert hits[0].version == 1 and isinstance(hits[0].valid_from, datetime) and hits[0].valid_to is None
    assert all(hits[i].score >= hits[i + 1].score for i in range(len(hits) - 1))


def test_filters_predicates_and_what_hits_carry(semantic, unique_ns):
    seq = semantic.upsert(unique_ns, DOCS).seq
    assert [h.id for h in semantic.search(unique_ns, query_text="anything", filter={"kind": "wild"}, min_seq=seq).hits] == ["birds"]
    assert semantic.search(unique_ns, query_text="anything", filter={"legs": "4"}).hits == ()
    legged = semantic.search(unique_ns, query_text="animals", predicates=[SemanticPredicate("legs", "gt", 0), {"field": "kind", "op": "in", "value": ["pet", "wild"]}])
    assert sorted(h.id for h in legged.hits) == ["birds", "cats"]
    only_ids = semantic.search(unique_ns, query_text="cats", ids_only=True, top_k=1).hits[0]
    assert only_ids.id == "cats" and only_ids.content is None and only_ids.metadata == {}
    full = semantic.search(unique_ns, query_text="cats", include_payload=True, include_vector=True, top_k=1).hits[0]
    assert full.payload == {"n": 1} and full.vector and all(isinstance(x, float) for x in full.vector)


def test_hybrid_explain_and_fusion(semantic, unique_ns):
    semantic.upsert(unique_ns, DOCS)
    result = semantic.search(unique_ns, query_text="what do cats chase", mode="hybrid", explain=True,
                             fusion=SemanticFusion("rrf", k=5, weights=SemanticFusionWeights(dense=1.0, sparse=2.0)))
    assert result.explain is not None and result.explain.mode == "hybrid"
    assert "cat" in " ".join(result.explain.sparse_terms)
    assert result.explain.fusion is not None and result.explain.fusion.method == "rrf"
    top = result.hits[0]
    assert top.id == "cats" and top.explain is not None and top.explain.fused is not None
    assert top.explain.sparse is not None and top.explain.sparse.rank == 1 and top.explain.sparse.terms


def test_hybrid_explains_what_a_neighbour_in_write_order_added(semantic, unique_ns):
    semantic.upsert(unique_ns, DOCS)
    result = semantic.search(unique_ns, query_text="what do cats chase", mode="hybrid", explain=True)
    assert result.explain is not None and result.explain.fusion is not None and result.explain.fusion.neighbors == 0.6
    birds = next(h for h in result.hits if h.id == "birds")
    assert birds.explain is not None and birds.explain.neighbor is not None and birds.explain.neighbor.source == "cats"
    assert birds.explain.neighbor.boost > 0
    plain = semantic.search(unique_ns, query_text="what do cats chase", mode="hybrid", explain=True, fusion=SemanticFusion("linear", neighbors=0))
    assert all(h.explain is not None and h.explain.neighbor is None for h in plain.hits)
    assert plain.explain is not None and plain.explain.fusion == SemanticFusion("linear", weights=SemanticFusionWeights(0.35, 0.65), neighbors=0.0)


def test_versions_supersession_and_as_of(semantic, unique_ns):
    semantic.upsert(unique_ns, [{"id": "fact", "content": "the office is in Paris"}])
    with pytest.raises(FailedPrecondition) as lost:
        semantic.upsert(unique_ns, [SemanticRecord(id="fact", content="the office is in Lyon", if_version=5)])
    assert lost.value.reason == "VERSION_MISMATCH"
    moved_at = datetime.now(timezone.utc)
    seq = semantic.upsert(unique_ns, [SemanticRecord(id="fact2", content="the office is in Lyon", valid_from=moved_at, supersedes=["fact"])]).seq
    now = [h.id for h in semantic.search(unique_ns, query_text="office", min_seq=seq).hits]
    assert now == ["fact2"]
    before = [h.id for h in semantic.search(unique_ns, query_text="office", as_of=moved_at - timedelta(milliseconds=1)).hits]
    assert "fact" in before and "fact2" not in before
    everything = semantic.search(unique_ns, query_text="office", include_invalidated=True).hits
    assert {h.id for h in everything} == {"fact", "fact2"}
    closed = next(h for h in everything if h.id == "fact")
    assert closed.valid_to is not None


def test_delete_and_expire(semantic, unique_ns):
    semantic.upsert(unique_ns, DOCS)
    deleted = semantic.delete(unique_ns, ["cats", "missing"])
    assert deleted.existed == (True, False) and deleted.seq is not None
    assert "cats" not in [h.id for h in semantic.search(unique_ns, query_text="cats", min_seq=deleted.seq).hits]
    expired = semantic.expire(unique_ns, filter={"kind": "machine"}, action="hard", max_rows=10)
    assert expired.affected == 1 and expired.seq is not None
    assert [h.id for h in semantic.search(unique_ns, query_text="engines oil", min_seq=expired.seq).hits] == ["birds"]


def test_bad_input(semantic, unique_ns):
    with pytest.raises(InvalidArgument) as bad:
        semantic.upsert(unique_ns, [SemanticRecord(id="x", content="c", metadata={"nested": {"no": 1}})])
    assert bad.value.details["field"] == "records.metadata"
    with pytest.raises(InvalidArgument):
        semantic.search(unique_ns)


def test_revert_restores_a_record_as_it_stood_at_a_sequence(semantic, unique_ns):
    first = semantic.upsert(unique_ns, [{"id": "office", "content": "the office is in Paris"}]).seq
    semantic.upsert(unique_ns, [{"id": "office", "content": "the office is in Lyon"}])
    reverted = semantic.revert(unique_ns, "office", to_seq=first)
    assert (reverted.restored, reverted.from_seq, reverted.version) == ("record", first, 3) and reverted.seq is not None
    hits = semantic.search(unique_ns, query_text="office", mode="sparse", min_seq=reverted.seq).hits
    assert [(h.id, h.content) for h in hits] == [("office", "the office is in Paris")]
