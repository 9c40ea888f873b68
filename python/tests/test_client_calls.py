"""The client as a Caller against the real service: call and stream over both listeners, the
blocks attached on first use, the context manager, and what a shut-down client refuses."""

import importlib
import threading

import pytest

import memory_sidecar
from memory_sidecar import Caller, ClientShutDownError, InvalidArgument, MemoryClient, SessionScope, Unauthenticated
from tests.client_support import own_service, record_wire  # noqa: F401 - own_service is a fixture

BLOCK_CLASSES = {
    "kv": "KvBlock",
    "episodic": "EpisodicBlock",
    "semantic": "SemanticBlock",
    "artifact": "ArtifactBlock",
    "lease": "LeaseBlock",
    "session": "SessionBlock",
    "facts": "FactsBlock",
    "audit": "AuditBlock",
    "graph": "GraphBlock",
}


@pytest.mark.parametrize("endpoint_of", [lambda s: s.unix_endpoint, lambda s: s.tcp_endpoint], ids=["unix", "tcp"])
def test_call_and_stream_over_both_listeners(service, token, unique_ns, endpoint_of):
    with MemoryClient(endpoint_of(service), token=token) as client:
        put = client.call("kv.put", {"ns": unique_ns, "key": "k", "value": {"n": [1, "two"]}})
        assert client.call("kv.get", {"ns": unique_ns, "key": "k", "minSeq": put["seq"]})["value"] == {"n": [1, "two"]}
        for i in range(3):
            client.call("episodic.append", {"ns": unique_ns, "type": "message", "payload": i})
        items = client.stream("episodic.tail", {"ns": unique_ns, "afterCursor": 0, "maxMs": 300})
        assert [item["payload"] for item in items] == [0, 1, 2]


def test_the_token_comes_from_the_environment(service, token, unique_ns, monkeypatch):
    monkeypatch.setenv("MEMSIDECAR_TOKEN", token)
    with MemoryClient(service.unix_endpoint) as client:
        assert client.call("kv.get", {"ns": unique_ns, "key": "none"})["found"] is False
    monkeypatch.delenv("MEMSIDECAR_TOKEN")
    with MemoryClient(service.unix_endpoint) as client, pytest.raises(Unauthenticated):
        client.call("kv.get", {"ns": unique_ns, "key": "none"})


def test_a_stream_is_not_sent_until_it_is_iterated_and_leaving_it_early_ends_it(service, token, unique_ns):
    with MemoryClient(service.unix_endpoint, token=token) as client:
        client.call("episodic.append", {"ns": unique_ns, "type": "message", "payload": "first"})
        wire = record_wire(client)
        tail = client.stream("episodic.tail", {"ns": unique_ns, "afterCursor": 0, "maxMs": 30_000})
        assert wire.of("episodic.tail") == []
        for item in tail:
            assert len(wire.of("episodic.tail")) == 1
            assert item["payload"] == "first"
            break
        tail.close()


def test_a_refused_stream_raises_at_once(service, token, unique_ns):
    with MemoryClient(service.unix_endpoint, token=token) as client:
        with pytest.raises(InvalidArgument):
            list(client.stream("episodic.tail", {"ns": "bad ns!", "maxMs": 100}))


def test_the_client_is_a_caller_and_so_is_a_session_scope(service, token):
    with MemoryClient(service.unix_endpoint, token=token) as client:
        assert isinstance(client, memory_sidecar.MemoryClient)
        caller: Caller = client
        scope: Caller = client.in_session(client.open_session(agent="py-caller"))
        assert isinstance(scope, SessionScope) and callable(caller.call) and callable(scope.stream)


def test_the_blocks_are_attached_on_first_use_over_the_client(service, token):
    blocks = importlib.import_module("memory_sidecar.blocks")
    with MemoryClient(service.unix_endpoint, token=token) as client:
        for attribute, class_name in BLOCK_CLASSES.items():
            block = getattr(client, attribute)
            assert isinstance(block, getattr(blocks, class_name))
            assert getattr(client, attribute) is block


def test_a_shut_down_client_refuses_everything(service, token, unique_ns):
    client = MemoryClient(service.unix_endpoint, token=token)
    report = client.shutdown()
    assert client.is_shut_down and not report.timed_out
    for attempt in (
        lambda: client.call("kv.get", {"ns": unique_ns, "key": "k"}),
        lambda: client.stream("episodic.tail", {"ns": unique_ns}),
        lambda: client.open_session(agent="late"),
        lambda: client.turns(ns=unique_ns, session_id="late"),
    ):
        with pytest.raises(ClientShutDownError):
            attempt()


def test_shutdown_returns_on_time_when_the_service_is_gone_and_reports_the_open_sessions(own_service):
    client = MemoryClient(own_service.unix_endpoint, token=own_service.admin_token(), session_config={"heartbeat_interval_s": 0.2, "heartbeat_timeout_s": 1})
    session = client.open_session(agent="py-unclosed")
    own_service.kill()
    try:
        report = client.shutdown(timeout_s=1)
        assert report.unclosed_sessions == [session.session_id] and report.closed_sessions == [] and report.timed_out
        assert not session.heartbeating
    finally:
        own_service.start()


def test_concurrent_callers_share_one_client(service, token, unique_ns):
    with MemoryClient(service.unix_endpoint, token=token) as client:
        errors = []
        seqs = []

        def write(worker: int) -> None:
            try:
                for i in range(10):
                    seqs.append(client.call("kv.put", {"ns": unique_ns, "key": f"{worker}-{i:02d}", "value": i})["seq"])
            except Exception as e:  # noqa: BLE001 - collected for the assertion below
                errors.append(e)

        workers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert errors == []
        listed = client.call("kv.list", {"ns": unique_ns, "limit": 100, "minSeq": max(seqs)})
        assert [item["key"] for item in listed["items"]] == sorted(f"{w}-{i:02d}" for w in range(4) for i in range(10))


def test_an_operation_outside_the_contract_is_refused_before_anything_is_sent(service, token):
    with MemoryClient(service.unix_endpoint, token=token) as client:
        wire = record_wire(client)
        with pytest.raises(InvalidArgument, match="kv.nope"):
            client.call("kv.nope", {})
        with pytest.raises(InvalidArgument):
            client.stream("nope.tail", {})
        assert wire.attempts == []


def test_the_blocks_go_through_the_clients_retries_and_a_scopes_session(service, token, unique_ns):
    with MemoryClient(service.unix_endpoint, token=token) as client:
        wire = record_wire(client)
        put = client.kv.put(unique_ns, "k", {"v": 1})
        assert client.kv.get(unique_ns, "k", min_seq=put.seq).value == {"v": 1}
        session = client.open_session(agent="py-blocks")
        scoped = client.in_session(session)
        scoped.kv.put(unique_ns, "k2", 2)
        puts = wire.of("kv.put")
        assert puts[0].request_id and puts[0].session_id is None
        assert puts[1].request_id and puts[1].session_id == session.session_id
        assert scoped.kv is not client.kv
