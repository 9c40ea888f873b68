"""LeaseBlock against the real service: contention, waiting, fencing, expiry."""

import threading
import time
from datetime import timedelta

import pytest

from memory_sidecar import FailedPrecondition, InvalidArgument
from memory_sidecar.blocks import LeaseBlock, LeaseHolding
from tests.wire_caller import caller  # noqa: F401 - the fixture


@pytest.fixture()
def lease(caller) -> LeaseBlock:  # noqa: F811
    return LeaseBlock(caller)


def test_acquire_inspect_renew_release(lease, unique_ns):
    held = lease.acquire(unique_ns, "job", ttl=timedelta(seconds=30), holder="worker-1", metadata={"pid": "1"})
    assert held.key == "job" and held.holder_id and held.fencing_token > 0 and held.expires_at > held.acquired_at
    seen = lease.inspect(unique_ns, "job", min_seq=held.seq)
    assert isinstance(seen, LeaseHolding)
    assert (seen.key, seen.holder_id, seen.holder, seen.fencing_token, seen.metadata) == ("job", held.holder_id, "worker-1", held.fencing_token, {"pid": "1"})
    renewed = lease.renew(unique_ns, "job", held.holder_id, ttl_ms=60_000)
    assert renewed.fencing_token == held.fencing_token and renewed.expires_at > held.expires_at
    with pytest.raises(FailedPrecondition) as stranger:
        lease.renew(unique_ns, "job", "someone-else")
    assert stranger.value.reason == "NOT_HOLDER"
    released = lease.release(unique_ns, "job", held.holder_id)
    assert released.existed and released.seq is not None
    assert lease.inspect(unique_ns, "job", min_seq=released.seq) is None
    assert lease.release(unique_ns, "job", held.holder_id).existed is False


def test_contention_and_fencing_tokens_increase(lease, unique_ns):
    first = lease.acquire(unique_ns, "k", ttl_ms=30_000)
    with pytest.raises(FailedPrecondition) as held:
        lease.acquire(unique_ns, "k", ttl_ms=30_000)
    assert held.value.reason == "LEASE_HELD"
    releaser = threading.Timer(0.3, lambda: lease.release(unique_ns, "k", first.holder_id))
    releaser.start()
    second = lease.acquire(unique_ns, "k", ttl_ms=30_000, wait=timedelta(seconds=20))
    releaser.join()
    assert second.holder_id != first.holder_id and second.fencing_token > first.fencing_token


def test_an_expired_lease_is_free_again_and_its_holder_fenced_off(lease, unique_ns):
    first = lease.acquire(unique_ns, "k", ttl=timedelta(milliseconds=300))
    deadline = time.monotonic() + 10
    while lease.inspect(unique_ns, "k") is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    second = lease.acquire(unique_ns, "k", ttl_ms=30_000)
    assert second.fencing_token > first.fencing_token
    with pytest.raises(FailedPrecondition):
        lease.renew(unique_ns, "k", first.holder_id)


def test_list_the_held_leases(lease, unique_ns):
    for key in ("b", "a", "other"):
        lease.acquire(unique_ns, key, ttl_ms=30_000)
    assert [h.key for h in lease.list(unique_ns)] == ["a", "b", "other"]
    assert [h.key for h in lease.list(unique_ns, prefix="o")] == ["other"]


def test_bad_durations(lease, unique_ns):
    with pytest.raises(InvalidArgument) as both:
        lease.acquire(unique_ns, "k", ttl=timedelta(seconds=1), ttl_ms=1000)
    assert both.value.details["field"] == "ttl"
    with pytest.raises(InvalidArgument):
        lease.acquire(unique_ns, "k")
