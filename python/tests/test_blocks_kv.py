"""KvBlock against the real service."""

import time
from datetime import datetime, timedelta

import pytest

from memory_sidecar import FailedPrecondition, InvalidArgument, Provenance
from memory_sidecar.blocks import KvBlock, KvEntry
from tests.wire_caller import caller  # noqa: F401 - the fixture


@pytest.fixture()
def kv(caller) -> KvBlock:  # noqa: F811
    return KvBlock(caller)


def test_put_get_round_trip_with_times_and_metadata(kv, unique_ns):
    put = kv.put(unique_ns, "k", {"nested": [1, "two", None, True]}, metadata={"a": "b"})
    assert put.version == 1 and put.seq > 0
    assert isinstance(put.created_at, datetime) and put.created_at.tzinfo is not None
    assert put.expires_at is None
    got = kv.get(unique_ns, "k", min_seq=put.seq)
    assert isinstance(got, KvEntry)
    assert (got.key, got.value, got.version, got.metadata) == ("k", {"nested": [1, "two", None, True]}, 1, {"a": "b"})
    assert got.created_at == put.created_at
    assert kv.get(unique_ns, "missing") is None


def test_compare_and_set(kv, unique_ns):
    assert kv.put(unique_ns, "k", 1, if_version=0).version == 1
    with pytest.raises(FailedPrecondition) as lost:
        kv.put(unique_ns, "k", 2, if_version=0)
    assert lost.value.reason == "VERSION_MISMATCH"
    assert kv.put(unique_ns, "k", 2, if_version=1).version == 2
    with pytest.raises(FailedPrecondition):
        kv.delete(unique_ns, "k", if_version=1)
    deleted = kv.delete(unique_ns, "k", if_version=2)
    assert deleted.existed and deleted.seq is not None
    assert kv.delete(unique_ns, "k").existed is False


def test_ttl_as_timedelta_or_ms_expires_the_key(kv, unique_ns):
    put = kv.put(unique_ns, "short", "v", ttl=timedelta(milliseconds=300))
    assert put.expires_at is not None and put.expires_at > put.updated_at
    kv.put(unique_ns, "long", "v", ttl_ms=60_000)
    deadline = time.monotonic() + 10
    while kv.get(unique_ns, "short") is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert kv.get(unique_ns, "short") is None
    assert kv.get(unique_ns, "long").value == "v"


def test_mget_list_and_scan(kv, unique_ns):
    for key in ("b", "a", "c", "other"):
        kv.put(unique_ns, key, key.upper())
    assert [e.key for e in kv.mget(unique_ns, ["c", "a", "missing", "a"])] == ["a", "c"]
    page = kv.list(unique_ns, limit=2)
    assert [e.key for e in page.items] == ["a", "b"] and page.next_start_after == "b"
    assert all(not e.has_value for e in page.items)
    rest = kv.list(unique_ns, start_after=page.next_start_after, include_values=True)
    assert [(e.key, e.value) for e in rest.items] == [("c", "C"), ("other", "OTHER")] and rest.next_start_after is None
    assert [e.key for e in kv.list(unique_ns, reverse=True, prefix="").items] == ["other", "c", "b", "a"]
    assert [e.key for e in kv.scan(unique_ns, page_size=1)] == ["a", "b", "c", "other"]


def test_bad_input_is_invalid_argument_naming_the_field(kv, unique_ns):
    with pytest.raises(InvalidArgument) as wrong_type:
        kv.put(unique_ns, "k", 1, ttl="5m")
    assert wrong_type.value.details["field"] == "ttl"
    with pytest.raises(InvalidArgument) as both:
        kv.put(unique_ns, "k", 1, ttl=timedelta(seconds=1), ttl_ms=1000)
    assert both.value.details["field"] == "ttl"
    with pytest.raises(InvalidArgument) as refused:
        kv.put("bad ns!", "k", 1)
    assert refused.value.details.get("field") == "ns"


def test_revert_restores_a_past_value_as_a_new_event(kv, unique_ns):
    first = kv.put(unique_ns, "plan", {"step": 1}, metadata={"by": "planner"})
    kv.put(unique_ns, "plan", {"step": 2})
    reverted = kv.revert(unique_ns, "plan", to_seq=first.seq)
    assert (reverted.restored, reverted.from_seq, reverted.version) == ("value", first.seq, 3) and reverted.seq is not None
    got = kv.get(unique_ns, "plan", min_seq=reverted.seq)
    assert got is not None and (got.value, got.version, got.metadata) == ({"step": 1}, 3, {"by": "planner"})
    with pytest.raises(InvalidArgument) as bad:
        kv.revert(unique_ns, "plan", to_seq=0)
    assert bad.value.details.get("field") == "toSeq"


def test_items_carry_the_provenance_of_their_write_over_grpc(kv, unique_ns):
    source = kv.put(unique_ns, "source", 1)
    derived = kv.put(unique_ns, "derived", 2, derived_from=[source.seq])
    got = kv.get(unique_ns, "derived", min_seq=derived.seq)
    assert got.provenance == Provenance(agent="admin", seq=derived.seq, at=got.updated_at, token_id="admin", transport="grpc", derived_from=(source.seq,))
    assert [e.provenance.seq for e in kv.mget(unique_ns, ["source", "derived"])] == [derived.seq, source.seq]


def test_derived_from_naming_no_event_is_invalid_argument(kv, unique_ns):
    with pytest.raises(InvalidArgument) as refused:
        kv.put(unique_ns, "derived", 1, derived_from=[10**12])
    assert refused.value.details.get("field") == "derivedFrom"
    with pytest.raises(InvalidArgument):
        kv.put(unique_ns, "derived", 1, derived_from="12")
