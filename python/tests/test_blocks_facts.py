"""FactsBlock against the real service: notation, supersession, scopes cooling on a tick, the prompt block."""

from datetime import timedelta

import pytest

from memory_sidecar import InvalidArgument
from memory_sidecar.blocks import Fact, FactsBlock
from tests.wire_caller import caller  # noqa: F401 - the fixture


@pytest.fixture()
def facts(caller) -> FactsBlock:  # noqa: F811
    return FactsBlock(caller)


def test_write_search_supersede_and_duplicate(facts, unique_ns):
    first = facts.write("D[database]: use postgres for the read models", ns=unique_ns)
    assert (first.status, first.type, first.target, first.scope) == ("stored", "D", "database", None)
    assert first.seq is not None and first.pressure.level and first.pressure.pct >= 0
    duplicate = facts.write("D[database]: use postgres for the read models", ns=unique_ns)
    assert duplicate.status == "duplicate" and duplicate.seq is None
    second = facts.write("D[database]: use sqlite for the read models", ns=unique_ns)
    assert second.superseded == (first.id,)
    hits = facts.search("sqlite read models", ns=unique_ns)
    assert hits and isinstance(hits[0], Fact)
    assert (hits[0].id, hits[0].type, hits[0].target, hits[0].tier) == (second.id, "D", "database", "hot")
    assert hits[0].line.startswith("D[database]:")
    with pytest.raises(InvalidArgument):
        facts.write("not a fact line", ns=unique_ns)


def test_scopes_cool_on_closing_words(facts, unique_ns):
    written = facts.write("C[api]: keep the response under 200ms", ns=unique_ns, scope="perf work", session_id="s1")
    assert written.scope == "perf work"
    assert [f.scope for f in facts.search("response", ns=unique_ns, scope="perf work")] == ["perf work"]
    quiet = facts.tick("s1", turn=1, message="still working on it", ns=unique_ns)
    assert quiet.cooled == () and quiet.seq > 0
    closed = facts.tick("s1", turn=2, message="ok, that is merged", ns=unique_ns)
    assert closed.cooled == ("perf work",) and closed.reasons == {"perf work": "closing_words"}
    assert [f.tier for f in facts.search("response", ns=unique_ns, scope="perf work")] == ["cold"]


def test_status_reflect_export_and_purge(facts, unique_ns):
    facts.write("C[deploy]: never deploy on fridays", ns=unique_ns)
    facts.write("V[deploy]: deploys take ten minutes", ns=unique_ns)
    old = facts.write("D[deploy]: deploy with scripts", ns=unique_ns)
    facts.write("D[deploy]: deploy with the pipeline", ns=unique_ns)
    status = facts.status(ns=unique_ns)
    assert status.hot == 3 and status.tokens > 0 and "fridays" in status.block
    reflected = facts.reflect("deploy", ns=unique_ns)
    assert reflected.topic == "deploy" and reflected.count >= 3
    assert [f.content for f in reflected.groups.constraints] == ["never deploy on fridays"]
    assert [f.type for f in reflected.groups.values] == ["V"]
    exported = facts.export(ns=unique_ns, status="active")
    assert len(exported.lines) == len(exported.facts) == 3 and old.id not in [f.id for f in exported.facts]
    purged = facts.purge(ns=unique_ns)
    assert purged.purged == 1 and purged.seq is not None
    assert facts.purge(ns=unique_ns, older_than_days=30).purged == 0
    assert facts.purge(ns=unique_ns, older_than=timedelta(days=30)).purged == 0
    with pytest.raises(InvalidArgument) as partial:
        facts.purge(ns=unique_ns, older_than=timedelta(hours=36))
    assert partial.value.details["field"] == "older_than"


def test_revert_restores_a_superseded_fact_as_a_new_event(facts, unique_ns):
    first = facts.write("D[cache]: redis", ns=unique_ns)
    facts.write("D[cache]: memcached", ns=unique_ns)
    reverted = facts.revert(first.id, to_seq=first.seq, ns=unique_ns)
    assert (reverted.restored, reverted.from_seq, reverted.tier, reverted.line) == ("fact", first.seq, "hot", "D[cache]: redis")
    assert reverted.seq is not None
    assert sorted(facts.export(ns=unique_ns).lines) == ["D[cache]: memcached", "D[cache]: redis"]
    again = facts.revert(first.id, to_seq=first.seq, ns=unique_ns)
    assert (again.restored, again.seq) == ("fact", None)
    with pytest.raises(InvalidArgument) as bad:
        facts.revert(first.id, to_seq=0, ns=unique_ns)
    assert bad.value.details.get("field") == "toSeq"
