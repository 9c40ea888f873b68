"""AuditBlock against the real service: the log's events, narrowed and paged."""

from datetime import datetime, timedelta, timezone

import pytest

from memory_sidecar import InvalidArgument
from memory_sidecar.blocks import AuditBlock, AuditEvent, EpisodicBlock, KvBlock
from tests.wire_caller import caller  # noqa: F401 - the fixture


@pytest.fixture()
def audit(caller) -> AuditBlock:  # noqa: F811
    return AuditBlock(caller)


def test_query_narrows_by_namespace_block_and_type(audit, caller, unique_ns):  # noqa: F811
    started = datetime.now(timezone.utc) - timedelta(seconds=1)
    kv = KvBlock(caller)
    kv.put(unique_ns, "a", 1)
    kv.put(unique_ns, "a", 2)
    last = EpisodicBlock(caller).append(unique_ns, "message", "hi")
    result = audit.query(ns=unique_ns, min_seq=last.seq)
    assert len(result.events) == 3 and result.next_seq is None
    first = result.events[0]
    assert isinstance(first, AuditEvent) and isinstance(first.at, datetime)
    assert (first.block, first.ns, first.entity) == ("kv", unique_ns, "a") and first.type.startswith("kv.")
    assert first.data and first.v >= 1
    assert [e.seq for e in result.events] == sorted(e.seq for e in result.events)
    assert [e.block for e in audit.query(ns=unique_ns, types=["kv.*"]).events] == ["kv", "kv"]
    assert [e.block for e in audit.query(ns=unique_ns, block="episodic").events] == ["episodic"]
    assert len(audit.query(ns=unique_ns, since=started, until=datetime.now(timezone.utc) + timedelta(minutes=1)).events) == 3
    assert audit.query(ns=unique_ns, until=started).events == ()
    assert [e.seq for e in audit.query(ns=unique_ns, from_seq=result.events[1].seq).events] == [e.seq for e in result.events[1:]]


def test_pages_and_the_events_iterator(audit, caller, unique_ns):  # noqa: F811
    kv = KvBlock(caller)
    seqs = [kv.put(unique_ns, f"k{i}", i).seq for i in range(5)]
    page = audit.query(ns=unique_ns, limit=2, min_seq=seqs[-1])
    assert len(page.events) == 2 and page.next_seq is not None
    assert [e.seq for e in audit.events(ns=unique_ns, page_size=2)] == seqs


def test_a_naive_datetime_is_refused(audit):
    with pytest.raises(InvalidArgument) as naive:
        audit.query(since=datetime(2024, 1, 1))
    assert naive.value.details["field"] == "since"


def test_erase_forgets_a_namespace_and_returns_its_receipt(audit, caller, unique_ns):  # noqa: F811
    kv = KvBlock(caller)
    first = kv.put(unique_ns, "email", "someone@example.com")
    kv.put(unique_ns, "email", "someone.else@example.com")
    tenant = audit.query(ns=unique_ns, min_seq=first.seq).events[0].tenant
    receipt = audit.erase(tenant=tenant, ns=unique_ns)
    assert (receipt.tenant, receipt.ns, len(receipt.keys)) == (tenant, unique_ns, 1)
    assert receipt.erased_events == 2 and receipt.ranges[0][0] == first.seq and not receipt.truncated
    assert receipt.rows["kv_entries"] == 1 and receipt.seq > first.seq
    assert kv.get(unique_ns, "email", min_seq=receipt.seq) is None
    assert [e.type for e in audit.query(ns=unique_ns, min_seq=receipt.seq).events] == ["audit.subject_erased"]
    with pytest.raises(InvalidArgument) as bad:
        audit.erase(tenant="", ns=unique_ns)
    assert bad.value.details.get("field") == "subject.tenant"
