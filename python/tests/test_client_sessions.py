"""Sessions against the real service: heartbeats from the background thread keep a session alive
past its timeout; when they stop, the service finds it orphaned (honouring on_orphan) and the
client refuses further calls in it; close, and a close elsewhere that the heartbeat learns of."""

import threading
import time

import pytest

from memory_sidecar import MemoryClient, SessionClosedError
from tests.client_support import record_wire, wait_until

FAST = {"heartbeat_interval_s": 0.2, "heartbeat_timeout_s": 1.0}


@pytest.fixture()
def client(service, token):
    c = MemoryClient(service.unix_endpoint, token=token, session_config=FAST)
    yield c
    c.shutdown(timeout_s=2)


def status_of(client: MemoryClient, session_id: str) -> dict:
    return client.call("session.get", {"sessionId": session_id})


def test_heartbeats_keep_a_session_open_past_its_timeout(client):
    session = client.open_session(agent="py-heartbeats")
    assert (session.heartbeat_interval_s, session.heartbeat_timeout_s) == (0.2, 1.0)
    opened = status_of(client, session.session_id)
    # Three timeouts of silence would orphan it; the heartbeats speak meanwhile.
    time.sleep(3 * session.heartbeat_timeout_s)
    now = status_of(client, session.session_id)
    assert now["status"] == "open"
    assert now["lastHeartbeatAt"] > opened["lastHeartbeatAt"]
    assert session.ended_reason is None and session.heartbeating
    assert session.close() is True


@pytest.mark.parametrize("on_orphan", ["checkpoint_and_close", "abort_quietly"])
def test_when_heartbeats_stop_the_service_orphans_the_session_as_on_orphan_says(service, token, on_orphan, unique_ns):
    client = MemoryClient(service.unix_endpoint, token=token, session_config={**FAST, "on_orphan": on_orphan})
    try:
        session = client.open_session(agent="py-orphan")
        session.checkpoint({"step": 3}, turn=7)
        checkpointed_at = status_of(client, session.session_id)["lastCheckpoint"]["at"]
        session.stop_heartbeats()
        record = wait_until(lambda: (r := status_of(client, session.session_id))["status"] != "open" and r, what="the orphan detection")
        assert record["status"] == "orphaned"
        assert record["onOrphan"] == on_orphan and on_orphan in record["closeReason"]
        assert record["lastCheckpoint"]["state"] == {"step": 3} and record["lastCheckpoint"]["turn"] == 7
        # checkpoint_and_close writes a final checkpoint when it orphans the session; abort_quietly leaves the last one.
        assert (record["lastCheckpoint"]["at"] != checkpointed_at) == (on_orphan == "checkpoint_and_close")

        wire = record_wire(client)
        with pytest.raises(SessionClosedError):
            client.call("kv.put", {"ns": unique_ns, "key": "k", "value": 1}, session=session)
        assert wire.of("kv.put")[0].session_id == session.session_id
        assert session.ended_reason and "orphaned" in session.ended_reason
        # Known to be over: later calls in it fail at once, without a round trip.
        with pytest.raises(SessionClosedError):
            client.call("kv.put", {"ns": unique_ns, "key": "k", "value": 2}, session=session)
        with pytest.raises(SessionClosedError):
            session.checkpoint({"step": 4})
        with pytest.raises(SessionClosedError):
            session.close()
        assert len(wire.of("kv.put")) == 1 and wire.of("session.checkpoint") == [] and wire.of("session.close") == []
    finally:
        client.shutdown(timeout_s=2)


def test_the_heartbeat_learns_of_a_close_elsewhere(client):
    session = client.open_session(agent="py-closed-elsewhere")
    ended = threading.Event()
    reasons = []
    session.on_end(lambda reason: (reasons.append(reason), ended.set()))
    client.call("session.close", {"sessionId": session.session_id, "sessionToken": session.session_token})
    assert ended.wait(10 * session.heartbeat_interval_s + 5), "the heartbeat did not learn of the close"
    assert "closed" in reasons[0] and session.ended_reason == reasons[0]
    assert not session.heartbeating
    with pytest.raises(SessionClosedError):
        session.checkpoint("late")


def test_calls_in_a_session_carry_its_headers_and_the_service_checks_them(service, token, unique_ns):
    client = MemoryClient(service.unix_endpoint, token=token)  # heartbeats every 10 s: none during this test
    try:
        session = client.open_session(agent="py-headers", metadata={"purpose": "test"})
        wire = record_wire(client)
        scope = client.in_session(session)
        scope.call("episodic.append", {"ns": unique_ns, "type": "note", "payload": 1})
        attempt = wire.of("episodic.append")[0]
        assert (attempt.session_id, attempt.session_token) == (session.session_id, session.session_token)
        # Closed behind the client's back: the service refuses the next call in it.
        client.call("session.close", {"sessionId": session.session_id, "sessionToken": session.session_token})
        with pytest.raises(SessionClosedError):
            scope.call("episodic.append", {"ns": unique_ns, "type": "note", "payload": 2})
        assert session.ended_reason is not None
    finally:
        client.shutdown(timeout_s=2)


def test_close_writes_the_final_checkpoint_and_answers_true_again(client):
    child_of = client.open_session(agent="py-parent")
    session = client.open_session(agent="py-close", parent_session_id=child_of.session_id)
    assert session.parent_session_id == child_of.session_id
    assert session.close({"done": True}) is True
    assert session.close() is True
    record = status_of(client, session.session_id)
    assert record["status"] == "closed" and record["lastCheckpoint"]["state"] == {"done": True}
    assert record["parentSessionId"] == child_of.session_id
    assert session.ended_reason == "was closed" and not session.heartbeating
    with client.open_session(agent="py-with") as scoped:
        pass
    assert status_of(client, scoped.session_id)["status"] == "closed"


def test_shutdown_closes_the_open_sessions(service, token):
    client = MemoryClient(service.unix_endpoint, token=token, session_config=FAST)
    session = client.open_session(agent="py-shutdown")
    report = client.shutdown(timeout_s=5)
    assert report.closed_sessions == [session.session_id] and report.unclosed_sessions == []
    assert not report.timed_out
    assert session.ended_reason == "was closed"
    reader = MemoryClient(service.unix_endpoint, token=token)
    try:
        assert status_of(reader, session.session_id)["status"] == "closed"
    finally:
        reader.shutdown(timeout_s=1)
