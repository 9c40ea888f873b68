"""EpisodicBlock against the real service."""

import threading
from datetime import datetime, timedelta, timezone

import pytest

from memory_sidecar import InvalidArgument
from memory_sidecar.blocks import EpisodicBlock, EpisodicEvent
from tests.wire_caller import caller  # noqa: F401 - the fixture


@pytest.fixture()
def episodic(caller) -> EpisodicBlock:  # noqa: F811
    return EpisodicBlock(caller)


def test_append_and_dedup(episodic, unique_ns):
    first = episodic.append(unique_ns, "message", {"text": "hi", "n": 1}, role="user", metadata={"k": "v"}, dedup_key="d1")
    assert first.cursor >= 1 and not first.deduplicated and first.created_at.tzinfo is not None
    again = episodic.append(unique_ns, "message", {"text": "hi again"}, dedup_key="d1")
    assert again.deduplicated and (again.id, again.cursor) == (first.id, first.cursor)
    events = episodic.range(unique_ns, min_seq=first.seq).events
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, EpisodicEvent)
    assert (event.payload, event.role, event.metadata, event.dedup_key) == ({"text": "hi", "n": 1}, "user", {"k": "v"}, "d1")
    assert event.created_at == first.created_at and event.deleted_at is None


def test_range_filters_pages_and_supersession(episodic, unique_ns):
    cursors = [episodic.append(unique_ns, "note" if i % 2 else "message", i, session_id="s1" if i < 2 else "s2").cursor for i in range(4)]
    page = episodic.range(unique_ns, limit=2)
    assert [e.payload for e in page.events] == [0, 1] and page.next_cursor == cursors[1]
    assert [e.payload for e in episodic.range(unique_ns, after_cursor=page.next_cursor).events] == [2, 3]
    assert [e.payload for e in episodic.range(unique_ns, reverse=True, limit=2).events] == [3, 2]
    assert [e.payload for e in episodic.range(unique_ns, type="note").events] == [1, 3]
    assert [e.payload for e in episodic.range(unique_ns, session_id="s2", before_cursor=cursors[3]).events] == [2]
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    assert len(episodic.range(unique_ns, before=later, after="2000-01-01T00:00:00.000Z").events) == 4
    first_id = episodic.range(unique_ns, limit=1).events[0].id
    episodic.append(unique_ns, "message", "correction", supersedes=[first_id])
    assert first_id not in [e.id for e in episodic.range(unique_ns).events]


def test_expire_soft_then_hard(episodic, unique_ns):
    cursors = [episodic.append(unique_ns, "message", i).cursor for i in range(3)]
    soft = episodic.expire(unique_ns, before_cursor=cursors[2], action="soft", max_rows=100)
    assert soft.affected == 2 and soft.seq is not None
    assert [e.payload for e in episodic.range(unique_ns, min_seq=soft.seq).events] == [2]
    hidden = [e for e in episodic.range(unique_ns, include_deleted=True).events if e.deleted_at is not None]
    assert len(hidden) == 2 and all(isinstance(e.deleted_at, datetime) for e in hidden)
    hard = episodic.expire(unique_ns, before=datetime.now(timezone.utc) + timedelta(minutes=1), action="hard", max_rows=100)
    assert hard.affected == 3
    assert episodic.range(unique_ns, include_deleted=True, min_seq=hard.seq).events == ()
    with pytest.raises(InvalidArgument):
        episodic.expire(unique_ns, action="soft", max_rows=10)


def test_tail_yields_history_then_live_events(episodic, unique_ns):
    for i in range(2):
        episodic.append(unique_ns, "message", i)
    tail = episodic.tail(unique_ns, after_cursor=0, max_events=3, max_duration=timedelta(seconds=20))
    seen = [next(tail), next(tail)]
    writer = threading.Thread(target=lambda: episodic.append(unique_ns, "message", 2))
    writer.start()
    seen.append(next(tail))
    writer.join()
    assert [e.payload for e in seen] == [0, 1, 2]
    assert [e.cursor for e in seen] == sorted(e.cursor for e in seen)
    assert list(tail) == []


def test_a_tail_ends_after_max_ms_and_can_be_left_early(episodic, unique_ns):
    assert list(episodic.tail(unique_ns, max_ms=200)) == []
    for i in range(3):
        episodic.append(unique_ns, "message", i)
    tail = episodic.tail(unique_ns, after_cursor=0, max_ms=5_000)
    assert next(tail).payload == 0
    tail.close()
    with pytest.raises(InvalidArgument) as wrong:
        episodic.tail(unique_ns, max_ms="5s")
    assert wrong.value.details["field"] == "max_ms"
