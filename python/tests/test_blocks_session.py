"""SessionBlock against the real service: open, heartbeat, checkpoint, close, get."""

import uuid
from datetime import timedelta

import pytest

from memory_sidecar import FailedPrecondition, InvalidArgument, NotFound
from memory_sidecar._wire import Headers
from memory_sidecar.blocks import LeaseBlock, SessionBlock
from tests.wire_caller import WireCaller, caller  # noqa: F401 - the fixture


@pytest.fixture()
def session(caller) -> SessionBlock:  # noqa: F811
    return SessionBlock(caller)


def test_open_heartbeat_checkpoint_close(session, caller, unique_ns):  # noqa: F811
    opened = session.open(heartbeat_interval=timedelta(seconds=5), heartbeat_timeout_ms=15_000, metadata={"task": "t"})
    assert opened.session_id and opened.session_token and opened.seq > 0
    assert opened.heartbeat_interval == timedelta(seconds=5) and opened.heartbeat_timeout_ms == 15_000
    beat = session.heartbeat(opened.session_id, opened.session_token)
    assert beat.expires_at >= opened.expires_at
    checkpoint = session.checkpoint(opened.session_id, opened.session_token, state={"step": 3, "notes": ["a"]}, turn=7)
    record = session.get(opened.session_id, min_seq=checkpoint.seq)
    assert (record.status, record.metadata, record.heartbeat_interval_ms) == ("open", {"task": "t"}, 5_000)
    assert record.last_checkpoint is not None
    assert (record.last_checkpoint.state, record.last_checkpoint.turn) == ({"step": 3, "notes": ["a"]}, 7)
    assert record.opened_at is not None and record.closed_at is None

    in_session = LeaseBlock(WireCaller(caller.wire, Headers(session_id=opened.session_id, session_token=opened.session_token)))
    in_session.acquire(unique_ns, "held-by-session", ttl_ms=30_000)
    closed = session.close(opened.session_id, opened.session_token, state={"step": 4})
    assert closed.closed and closed.released_leases == 1
    after = session.get(opened.session_id, min_seq=closed.seq)
    assert after.status == "closed" and after.closed_at is not None and after.last_checkpoint.state == {"step": 4}
    assert LeaseBlock(caller).inspect(unique_ns, "held-by-session") is None


def test_a_chosen_id_a_parent_and_a_wrong_token(session):
    chosen = f"py-session-{uuid.uuid4().hex}"
    parent = session.open(session_id=chosen, agent="py-agent")
    assert parent.session_id == chosen and session.get(chosen).agent == "py-agent"
    child = session.open(parent_session_id=parent.session_id, on_orphan="abort_quietly")
    record = session.get(child.session_id)
    assert (record.parent_session_id, record.on_orphan) == (parent.session_id, "abort_quietly")
    with pytest.raises(FailedPrecondition):
        session.heartbeat(parent.session_id, child.session_token)
    with pytest.raises(NotFound):
        session.get("no-such-session")


def test_heartbeat_timeout_must_exceed_the_interval(session):
    with pytest.raises(InvalidArgument):
        session.open(heartbeat_interval_ms=10_000, heartbeat_timeout_ms=5_000)
