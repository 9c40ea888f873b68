"""Retries against the real service: the same request id on every attempt of a mutation, applied
once across a crash and restart of the service; reads without one; refusals never retried."""

import threading
from typing import Any, Dict, List, Tuple

import pytest

from memory_sidecar import FailedPrecondition, MemoryClient, MemoryError, Unavailable, retry_delay_ms
from tests.client_support import all_events, own_service, record_wire  # noqa: F401 - own_service is a fixture

PATIENT = {"max_retries": 5, "base_delay_ms": 500, "cap_delay_s": 5, "jitter_factor": 0.25}
"""Retries that outlast a restart of the service (pauses of about 0.4-0.5, 0.8-1, 1.5-2, 3-4, 4-5 s)."""


def test_a_reply_lost_to_a_crash_is_retried_across_the_restart_with_the_same_request_id_and_applied_once(own_service, unique_ns):
    client = MemoryClient(own_service.unix_endpoint, token=own_service.admin_token(), retry_policy=PATIENT)
    original: Dict[str, Any] = {}
    restarted = threading.Thread(target=own_service.start)

    def crash_after_the_first_append(op: str, number: int, reply: Dict[str, Any]) -> None:
        if op == "episodic.append" and number == 1:
            # The service applied it and dies before the reply reaches the client.
            original.update(reply)
            own_service.kill()
            restarted.start()
            raise Unavailable("UNAVAILABLE", "connection lost before the reply")

    try:
        wire = record_wire(client, crash_after_the_first_append)
        reply = client.call("episodic.append", {"ns": unique_ns, "type": "note", "payload": "once"})
        restarted.join()
        attempts = wire.of("episodic.append")
        assert len(attempts) >= 2
        assert len({a.request_id for a in attempts}) == 1 and attempts[0].request_id
        assert (reply["id"], reply["cursor"]) == (original["id"], original["cursor"])
        assert [e["payload"] for e in all_events(client, unique_ns)] == ["once"]
    finally:
        restarted.join() if restarted.is_alive() else None
        client.shutdown(timeout_s=2)


def test_a_call_made_while_the_service_is_down_lands_once_it_is_back(own_service, unique_ns):
    pauses: List[Tuple[str, int, float]] = []
    restarted = threading.Thread(target=own_service.start)

    def on_retry(op: str, attempt: int, delay_s: float, error: MemoryError) -> None:
        assert error.code == "UNAVAILABLE"
        pauses.append((op, attempt, delay_s))
        if attempt == 0:
            restarted.start()

    client = MemoryClient(own_service.unix_endpoint, token=own_service.admin_token(), retry_policy=PATIENT, on_retry=on_retry)
    try:
        wire = record_wire(client)
        own_service.kill()
        reply = client.call("kv.put", {"ns": unique_ns, "key": "k", "value": "after the restart"})
        restarted.join()
        assert reply["version"] == 1
        attempts = wire.of("kv.put")
        assert len(attempts) == len(pauses) + 1 and len({a.request_id for a in attempts}) == 1
        # Each pause is the client's schedule for its jitter key and attempt.
        policy = client.config.retry_policy
        assert [p[2] for p in pauses] == [retry_delay_ms(policy, client._jitter_key(), n) / 1000 for n in range(len(pauses))]
        assert client.call("kv.get", {"ns": unique_ns, "key": "k", "minSeq": reply["seq"]})["value"] == "after the restart"
    finally:
        if not restarted.is_alive() and own_service.process.poll() is not None:
            own_service.start()
        client.shutdown(timeout_s=2)


def test_a_refusal_is_final_and_never_sent_again(service, token, unique_ns):
    pauses: List[int] = []
    client = MemoryClient(service.unix_endpoint, token=token, on_retry=lambda op, n, d, e: pauses.append(n))
    try:
        wire = record_wire(client)
        client.call("kv.put", {"ns": unique_ns, "key": "k", "value": 1, "ifVersion": 0})
        with pytest.raises(FailedPrecondition) as lost:
            client.call("kv.put", {"ns": unique_ns, "key": "k", "value": 2, "ifVersion": 0})
        assert lost.value.reason == "VERSION_MISMATCH"
        assert len(wire.of("kv.put")) == 2 and pauses == []
    finally:
        client.shutdown(timeout_s=2)


def test_mutations_carry_a_fresh_request_id_each_and_reads_none(service, token, unique_ns):
    client = MemoryClient(service.unix_endpoint, token=token)
    try:
        wire = record_wire(client)
        client.call("kv.put", {"ns": unique_ns, "key": "a", "value": 1})
        client.call("kv.put", {"ns": unique_ns, "key": "b", "value": 2})
        client.call("kv.get", {"ns": unique_ns, "key": "a"})
        client.call("kv.put", {"ns": unique_ns, "key": "c", "value": 3}, request_id="mine-1")
        puts = wire.of("kv.put")
        assert all(a.request_id for a in puts) and len({a.request_id for a in puts}) == 3
        assert puts[-1].request_id == "mine-1"
        assert wire.of("kv.get")[0].request_id is None
    finally:
        client.shutdown(timeout_s=2)


def test_the_service_unreachable_is_unavailable_after_the_retries(tmp_path):
    pauses: List[int] = []
    client = MemoryClient(f"unix://{tmp_path}/nothing.sock", token="t", retry_policy={"max_retries": 2, "base_delay_ms": 10}, on_retry=lambda op, n, d, e: pauses.append(n))
    try:
        with pytest.raises(Unavailable):
            client.call("kv.get", {"ns": "x", "key": "k"})
        assert pauses == [0, 1]
    finally:
        client.shutdown(timeout_s=1)


def test_an_attempt_past_its_deadline_is_retried_with_the_same_request_id(service, token, unique_ns):
    """A lease held elsewhere: each waiting acquire outlives its per-attempt deadline and is tried again."""
    pauses: List[str] = []
    holder = MemoryClient(service.unix_endpoint, token=token)
    waiter = MemoryClient(service.unix_endpoint, token=token, retry_policy={"max_retries": 2, "base_delay_ms": 50}, on_retry=lambda op, n, d, e: pauses.append(e.code))
    try:
        holder.call("lease.acquire", {"ns": unique_ns, "key": "l", "ttlMs": 60_000})
        wire = record_wire(waiter)
        with pytest.raises(MemoryError) as timed_out:
            waiter.call("lease.acquire", {"ns": unique_ns, "key": "l", "ttlMs": 60_000, "waitMs": 10_000}, timeout_s=0.3)
        assert timed_out.value.code == "DEADLINE_EXCEEDED"
        assert pauses == ["DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED"]
        attempts = wire.of("lease.acquire")
        assert len(attempts) == 3 and len({a.request_id for a in attempts}) == 1
    finally:
        waiter.shutdown(timeout_s=1)
        holder.shutdown(timeout_s=1)


def test_a_stream_is_retried_before_its_first_item_only(service, token, unique_ns):
    pauses: List[str] = []
    with MemoryClient(service.unix_endpoint, token=token, retry_policy={"max_retries": 2, "base_delay_ms": 50}, on_retry=lambda op, n, d, e: pauses.append(e.code)) as client:
        # A quiet tail past its deadline, before any item: retried, then the failure.
        with pytest.raises(MemoryError) as quiet:
            list(client.stream("episodic.tail", {"ns": unique_ns, "maxMs": 5_000}, timeout_s=0.3))
        assert quiet.value.code == "DEADLINE_EXCEEDED" and pauses == ["DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED"]
        # After an item, the same failure reaches the loop at once: a retry would repeat the item.
        client.call("episodic.append", {"ns": unique_ns, "type": "message", "payload": "only"})
        pauses.clear()
        seen = []
        with pytest.raises(MemoryError) as after_one:
            for item in client.stream("episodic.tail", {"ns": unique_ns, "afterCursor": 0, "maxMs": 5_000}, timeout_s=0.5):
                seen.append(item["payload"])
        assert after_one.value.code == "DEADLINE_EXCEEDED" and seen == ["only"] and pauses == []
