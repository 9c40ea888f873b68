"""The transaction log: an fsynced JSONL outbox in the TypeScript SDK's format. Unit tests of the
file (torn last line, compaction, the retention set-aside), then against the real service: what
is unsettled is re-sent in order with its request id, and a client SIGKILLed mid-stream loses
nothing and applies nothing twice."""

import json
import logging
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Set

import pytest

import memory_sidecar.transaction_log as transaction_log_module
from memory_sidecar import MemoryClient, PendingMutation, TransactionLog
from tests.client_support import all_events, own_service, record_wire, wait_until  # noqa: F401 - own_service is a fixture

LOGGER = logging.getLogger("test-transaction-log")


def mutation(i: int, *, at: str = "2026-05-01T10:00:00.000Z", ns: str = "tx") -> PendingMutation:
    return PendingMutation(id=f"req-{i}", op="episodic.append", body={"ns": ns, "type": "note", "payload": i}, at=at)


def lines_of(path: Path) -> List[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_what_is_neither_acknowledged_nor_refused_is_pending_after_a_reopen_in_order(tmp_path):
    path = tmp_path / "tx.jsonl"
    log = TransactionLog.open(str(path), LOGGER)
    for i in range(5):
        log.written(mutation(i))
    log.written(mutation(0))  # a retry of the same id changes nothing
    log.acknowledged("req-1", 42)
    log.refused("req-3", "INVALID_ARGUMENT")
    assert [line["kind"] for line in lines_of(path)] == ["pending"] * 5 + ["acked", "refused"]
    assert lines_of(path)[0] == {"kind": "pending", "id": "req-0", "op": "episodic.append", "body": {"ns": "tx", "type": "note", "payload": 0}, "at": "2026-05-01T10:00:00.000Z"}
    # No close: as after a crash.
    reopened = TransactionLog.open(str(path), LOGGER)
    assert [m.id for m in reopened.pending()] == ["req-0", "req-2", "req-4"]
    # Opening compacts the file to what is unsettled.
    assert [(line["kind"], line["id"]) for line in lines_of(path)] == [("pending", "req-0"), ("pending", "req-2"), ("pending", "req-4")]
    reopened.close()


def test_a_torn_last_line_is_skipped_with_a_warning(tmp_path, caplog):
    path = tmp_path / "tx.jsonl"
    log = TransactionLog.open(str(path), LOGGER)
    log.written(mutation(0))
    log.written(mutation(1))
    log.close()
    with open(path, "a") as f:
        f.write('{"kind":"pending","id":"req-2","op":"episodic.app')
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        reopened = TransactionLog.open(str(path), LOGGER)
    assert [m.id for m in reopened.pending()] == ["req-0", "req-1"]
    assert any("torn last line" in r.getMessage() for r in caplog.records)
    reopened.close()


def test_an_unreadable_line_in_the_middle_is_skipped_and_named(tmp_path, caplog):
    path = tmp_path / "tx.jsonl"
    path.write_text(json.dumps(mutation(0).as_line()) + "\nnot json\n" + json.dumps(mutation(1).as_line()) + '\n{"kind":"pending","id":"no-op"}\n')
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        log = TransactionLog.open(str(path), LOGGER)
    assert [m.id for m in log.pending()] == ["req-0", "req-1"]
    assert any("unreadable line 2" in r.getMessage() for r in caplog.records)
    assert any("unreadable line 4" in r.getMessage() for r in caplog.records)
    log.close()


def test_the_file_is_compacted_after_many_settled_lines(tmp_path, monkeypatch):
    monkeypatch.setattr(transaction_log_module, "COMPACT_AFTER_SETTLED_LINES", 10)
    path = tmp_path / "tx.jsonl"
    log = TransactionLog.open(str(path), LOGGER)
    log.written(mutation(999))
    for i in range(25):
        log.written(mutation(i))
        log.acknowledged(f"req-{i}")
    assert len(lines_of(path)) < 25
    assert "req-999" in {line["id"] for line in lines_of(path) if line["kind"] == "pending"}
    log.close()
    assert lines_of(path) == [mutation(999).as_line()]


def test_entries_past_the_retention_are_set_aside_not_forgotten(tmp_path):
    path = tmp_path / "tx.jsonl"
    log = TransactionLog.open(str(path), LOGGER)
    log.written(mutation(0, at="2026-01-01T00:00:00.000Z"))
    log.written(mutation(1, at="2026-03-01T00:00:00.000Z"))
    old = log.set_aside_older_than(datetime(2026, 2, 1, tzinfo=timezone.utc))
    assert [m.id for m in old] == ["req-0"]
    assert [m.id for m in log.pending()] == ["req-1"]
    assert [line["id"] for line in lines_of(Path(log.expired_path))] == ["req-0"]
    log.close()
    assert [m.id for m in TransactionLog.open(str(path), LOGGER).pending()] == ["req-1"]


def now_minus(delta: timedelta) -> str:
    return (datetime.now(timezone.utc) - delta).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_a_new_client_resends_the_unsettled_in_order_with_their_request_ids_once(service, token, unique_ns, tmp_path):
    path = tmp_path / "tx.jsonl"
    recent = now_minus(timedelta(minutes=5))
    log = TransactionLog.open(str(path), LOGGER)
    for i in range(4):
        log.written(mutation(i, at=recent, ns=unique_ns))
    log.written(PendingMutation(id="req-bad", op="kv.put", body={"ns": "bad ns!", "key": "k", "value": 1}, at=recent))
    log.written(mutation(99, at=now_minus(timedelta(days=8)), ns=unique_ns))  # past the service's 7 days
    log.written(PendingMutation(id="req-future-op", op="kv.teleport", body={}, at=recent))  # of a newer contract
    # One of them had reached the service before the "crash".
    with MemoryClient(service.unix_endpoint, token=token) as first:
        first.call("episodic.append", mutation(2, ns=unique_ns).body, request_id="req-2")

    with MemoryClient(service.unix_endpoint, token=token, transaction_log=str(path)) as client:
        assert client.outbox is not None and client.outbox.pending() == []
        events = all_events(client, unique_ns)
    assert [e["payload"] for e in events] == [2, 0, 1, 3]
    expired = lines_of(Path(f"{path}.expired"))
    assert [e["id"] for e in expired] == ["req-99"]
    assert lines_of(path) == []


def test_each_journaled_mutation_is_fsynced_before_it_is_sent_and_settled_after(service, token, unique_ns, tmp_path):
    path = tmp_path / "tx.jsonl"
    seen_in_log_when_sent: List[Set[str]] = []
    with MemoryClient(service.unix_endpoint, token=token, transaction_log=str(path)) as client:
        wire = record_wire(client)
        original_call = wire.call

        def call_noting_the_log(op, body, headers, timeout_s=None):
            seen_in_log_when_sent.append({line["id"] for line in lines_of(path) if line["kind"] == "pending"})
            return original_call(op, body, headers, timeout_s)

        wire.call = call_noting_the_log  # type: ignore[method-assign]
        client.call("kv.put", {"ns": unique_ns, "key": "k", "value": 1})
        client.call("kv.get", {"ns": unique_ns, "key": "k"})  # a read is not journaled
        with pytest.raises(Exception):
            client.call("kv.put", {"ns": unique_ns, "key": "k", "value": 2, "ifVersion": 0})
        put_ids = [a.request_id for a in wire.of("kv.put")]
        assert put_ids[0] in seen_in_log_when_sent[0] and put_ids[1] in seen_in_log_when_sent[2]
        kinds = {(line["kind"], line["id"]) for line in lines_of(path)}
        assert ("acked", put_ids[0]) in kinds and ("refused", put_ids[1]) in kinds
        assert not any(line.get("op") == "kv.get" for line in lines_of(path))
    assert lines_of(path) == []


def unsettled_in(path: Path) -> Dict[str, str]:
    """Pending payloads by request id in a log file, as a reader after a crash would see it."""
    pending: Dict[str, str] = {}
    for raw in path.read_text().split("\n"):
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if line["kind"] == "pending":
            pending[line["id"]] = line["body"]["payload"]
        else:
            pending.pop(line["id"], None)
    return pending


def journaled_in(path: Path) -> Dict[str, str]:
    payloads: Dict[str, str] = {}
    for raw in path.read_text().split("\n"):
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if line["kind"] == "pending":
            payloads[line["id"]] = line["body"]["payload"]
    return payloads


def test_a_client_killed_mid_stream_loses_nothing_and_applies_nothing_twice(own_service, unique_ns, tmp_path):
    path = tmp_path / "crash-tx.jsonl"
    threads = 4
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("client_crash_child.py")), own_service.unix_endpoint, own_service.admin_token(), str(path), unique_ns, str(threads)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    frozen = False
    try:
        assert child.stdout is not None
        acked = 0
        for line in child.stdout:
            acked += line.startswith("acked ")
            if acked >= 40:
                break
        assert acked >= 40, child.stderr.read() if child.stderr else ""
        # Freeze the service so every writer thread has a mutation journaled and on the wire, then kill the client.
        os.killpg(own_service.process.pid, signal.SIGSTOP)
        frozen = True
        wait_until(lambda: len(unsettled_in(path)) >= threads, what="every writer waiting on a frozen service")
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
        if frozen:
            os.killpg(own_service.process.pid, signal.SIGCONT)

    journaled = journaled_in(path)
    unsettled = unsettled_in(path)
    assert len(unsettled) >= threads
    with MemoryClient(own_service.unix_endpoint, token=own_service.admin_token(), transaction_log=str(path)) as recovered:
        assert recovered.outbox is not None and recovered.outbox.pending() == []
        payloads = [e["payload"] for e in all_events(recovered, unique_ns, type="crash-test")]
    assert sorted(payloads) == sorted(journaled.values()), "every journaled mutation applied exactly once"
    # Each writer's mutations landed in the order it wrote them.
    for worker in range(threads):
        mine = [int(p.split("-")[1]) for p in payloads if p.startswith(f"{worker}-")]
        assert mine == sorted(mine)
