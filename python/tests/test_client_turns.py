"""The turn recorder against the real service: batches in order through one writer; a switch
flushes under the OLD session behind what is pending, even while the service is unreachable;
shutdown flushes once and reports, and with a transaction log nothing is lost; no prefetch
started before a switch is delivered after it, and of two prefetches the newer wins."""

import threading
from typing import Any, Dict, List

import pytest

from memory_sidecar import ClientConfigError, ClientShutDownError, MemoryClient, RecallContext
from tests.client_support import all_events, own_service, turns_of  # noqa: F401 - own_service is a fixture

QUICK_RETRIES = {"max_retries": 2, "base_delay_ms": 50, "cap_delay_s": 1, "jitter_factor": 0.25}
"""The writer keeps trying at least every second while the service is away."""


def test_turns_are_written_in_batches_with_their_session_lineage_and_indices(service, token, unique_ns):
    with MemoryClient(service.unix_endpoint, token=token) as client:
        recorder = client.turns(ns=unique_ns, session_id="s-1", parent_session_id="s-0", retain_every_n_turns=2)
        indices = [recorder.record_turn(user=f"u{i}", assistant=f"a{i}", metadata={"i": str(i)}) for i in range(1, 6)]
        assert indices == [1, 2, 3, 4, 5] and recorder.buffered_turns == 1
        recorder.flush()
        assert recorder.drain(20)
        events = all_events(client, unique_ns, type="turns", sessionId="s-1")
    assert [e["dedupKey"] for e in events] == ["s-1:turns:1-2", "s-1:turns:3-4", "s-1:turns:5-5"]
    assert [e["metadata"] for e in events] == [
        {"parentSessionId": "s-0", "firstTurn": "1", "lastTurn": "2"},
        {"parentSessionId": "s-0", "firstTurn": "3", "lastTurn": "4"},
        {"parentSessionId": "s-0", "firstTurn": "5", "lastTurn": "5"},
    ]
    turns = turns_of(events)
    assert [(t["index"], t["user"], t["assistant"], t["metadata"]) for t in turns] == [(i, f"u{i}", f"a{i}", {"i": str(i)}) for i in range(1, 6)]
    assert all(t["at"].endswith("Z") for t in turns)


def test_a_switch_while_the_service_is_unreachable_flushes_under_the_old_session_in_order(own_service, unique_ns):
    client = MemoryClient(own_service.unix_endpoint, token=own_service.admin_token(), retry_policy=QUICK_RETRIES)
    try:
        recorder = client.turns(ns=unique_ns, session_id="old", parent_session_id="root", retain_every_n_turns=2)
        switches: List[Any] = []
        recorder.on_session_switch(switches.append)
        for i in (1, 2):
            recorder.record_turn(user=f"old-u{i}", assistant=f"old-a{i}")
        assert recorder.drain(20)

        own_service.kill()
        for i in (3, 4, 5):
            recorder.record_turn(user=f"old-u{i}", assistant=f"old-a{i}")
        assert recorder.pending_writes >= 1 and recorder.buffered_turns == 1
        recorder.switch_session("new", parent_session_id="old", reason="reset")
        assert (recorder.session_id, recorder.parent_session_id, recorder.next_turn_index, recorder.buffered_turns) == ("new", "old", 1, 0)
        assert switches[0].previous_session_id == "old" and switches[0].reason == "reset"
        for i in (1, 2, 3):
            recorder.record_turn(user=f"new-u{i}", assistant=f"new-a{i}")
        assert not recorder.drain(0.2)

        own_service.start()
        recorder.flush()
        assert recorder.drain(30)
        events = all_events(client, unique_ns, type="turns")
    finally:
        client.shutdown(timeout_s=2)
    turns = turns_of(events)
    assert [(t["sessionId"], t["index"], t["user"]) for t in turns] == [
        *[("old", i, f"old-u{i}") for i in range(1, 6)],
        *[("new", i, f"new-u{i}") for i in range(1, 4)],
    ]
    assert {t["event"]["metadata"].get("parentSessionId") for t in turns if t["sessionId"] == "old"} == {"root"}
    assert {t["event"]["metadata"].get("parentSessionId") for t in turns if t["sessionId"] == "new"} == {"old"}


def test_shutdown_with_the_service_down_reports_what_it_could_not_write_and_the_log_keeps_it(own_service, unique_ns, tmp_path):
    log = str(tmp_path / "turns-tx.jsonl")
    client = MemoryClient(own_service.unix_endpoint, token=own_service.admin_token(), retry_policy=QUICK_RETRIES, transaction_log=log)
    recorder = client.turns(ns=unique_ns, session_id="s-down", retain_every_n_turns=2)
    recorder.record_turn(user="u1", assistant="a1")
    recorder.record_turn(user="u2", assistant="a2")
    assert recorder.drain(20)
    own_service.kill()
    try:
        for i in range(3, 8):
            recorder.record_turn(user=f"u{i}", assistant=f"a{i}")
        report = client.shutdown(timeout_s=1)
        assert report.timed_out and report.flushed_turns == 0
        assert [(a.op, a.session_id, a.turns) for a in report.abandoned] == [("episodic.append", "s-down", 2), ("episodic.append", "s-down", 2), ("episodic.append", "s-down", 1)]
        assert client.shutdown() is report
        with pytest.raises(ClientShutDownError):
            recorder.record_turn(user="late", assistant="late")
        with pytest.raises(ClientShutDownError):
            client.call("kv.get", {"ns": unique_ns, "key": "k"})
    finally:
        own_service.start()
    # The next client sends what the shutdown could not, in order, and nothing twice.
    with MemoryClient(own_service.unix_endpoint, token=own_service.admin_token(), transaction_log=log) as again:
        assert again.outbox is not None and again.outbox.pending() == []
        turns = turns_of(all_events(again, unique_ns, type="turns", sessionId="s-down"))
    assert [t["index"] for t in turns] == list(range(1, 8))


def test_shutdown_flushes_the_buffer_exactly_once(service, token, unique_ns):
    client = MemoryClient(service.unix_endpoint, token=token)
    recorder = client.turns(ns=unique_ns, session_id="s-flush", retain_every_n_turns=5)
    for i in range(1, 4):
        recorder.record_turn(user=f"u{i}", assistant=f"a{i}")
    report = client.shutdown(timeout_s=10)
    assert (report.flushed_turns, report.abandoned, report.timed_out) == (3, [], False)
    with MemoryClient(service.unix_endpoint, token=token) as reader:
        events = all_events(reader, unique_ns, type="turns")
    assert [[t["index"] for t in e["payload"]["turns"]] for e in events] == [[1, 2, 3]]


def test_recorder_options_are_checked(service, token, unique_ns):
    with MemoryClient(service.unix_endpoint, token=token) as client:
        with pytest.raises(ClientConfigError, match="retain_every_n_turns"):
            client.turns(ns=unique_ns, session_id="s", retain_every_n_turns=0)
        recorder = client.turns(ns=unique_ns, session_id="s", first_turn_index=4)
        assert recorder.next_turn_index == 4
        with pytest.raises(ClientConfigError, match="already in session"):
            recorder.switch_session("s")
        with pytest.raises(ClientConfigError, match="first_turn_index"):
            recorder.switch_session("t", first_turn_index=0)


class GatedRecall:
    """A recall that waits for its gate and then asks the real service, reporting whom it answered for."""

    def __init__(self, ns: str):
        self.ns = ns
        self.gates: Dict[str, threading.Event] = {}
        self.finished: Dict[str, threading.Event] = {}
        self.cancelled: Dict[str, threading.Event] = {}

    def gate(self, query: str) -> threading.Event:
        self.finished[query] = threading.Event()
        return self.gates.setdefault(query, threading.Event())

    def __call__(self, query: str, context: RecallContext) -> Dict[str, Any]:
        self.cancelled[query] = context.cancelled
        try:
            assert self.gates[query].wait(30)
            hits = context.client.call("semantic.search", {"ns": self.ns, "queryText": query, "topK": 1})["hits"]
            return {"for_session": context.session_id, "query": query, "hits": hits}
        finally:
            self.finished[query].set()


def test_a_prefetch_started_before_a_switch_is_never_delivered_after_it(service, token, unique_ns):
    recall = GatedRecall(unique_ns)
    with MemoryClient(service.unix_endpoint, token=token) as client:
        recorder = client.turns(ns=unique_ns, session_id="before", recall=recall)
        release_old = recall.gate("old question")
        recorder.queue_prefetch("old question")
        recorder.switch_session("after")
        release_old.set()
        assert recall.finished["old question"].wait(30)
        assert recall.cancelled["old question"].is_set()
        assert recorder.prefetch(wait_s=0) is None

        recall.gate("new question").set()
        recorder.queue_prefetch("new question")
        delivered = recorder.prefetch(wait_s=30)
        assert delivered is not None and (delivered["for_session"], delivered["query"]) == ("after", "new question")
        assert recorder.prefetch(wait_s=0) is None, "taking a prefetch clears it"


def test_of_two_prefetches_the_newer_wins_even_when_the_older_finishes_last(service, token, unique_ns):
    recall = GatedRecall(unique_ns)
    with MemoryClient(service.unix_endpoint, token=token) as client:
        recorder = client.turns(ns=unique_ns, session_id="s", recall=recall)
        older, newer = recall.gate("older"), recall.gate("newer")
        recorder.queue_prefetch("older")
        recorder.queue_prefetch("newer")
        newer.set()
        assert recall.finished["newer"].wait(30)
        older.set()
        assert recall.finished["older"].wait(30)
        assert recorder.prefetch(wait_s=0)["query"] == "newer"


def test_the_default_prefetch_searches_the_recorders_namespace(service, token, unique_ns):
    with MemoryClient(service.unix_endpoint, token=token) as client:
        upserted = client.call("semantic.upsert", {"ns": unique_ns, "records": [{"id": "doc-1", "content": "the plan is to ship on friday"}]})
        client.call("semantic.search", {"ns": unique_ns, "queryText": "plan", "minSeq": upserted["seq"]})
        recorder = client.turns(ns=unique_ns, session_id="s")
        recorder.queue_prefetch("when do we ship the plan")
        result = recorder.prefetch(wait_s=30)
        assert result is not None and [hit["id"] for hit in result["hits"]] == ["doc-1"]
