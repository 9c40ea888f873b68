"""The README's Python snippets and the agent loop example, run as written against the service."""

import subprocess
import sys
from pathlib import Path

from memory_sidecar import MemoryClient

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "agent_loop.py"


def test_the_seeds_configure_call_works_as_written(service, token, tmp_path):
    client = MemoryClient(
        endpoint=service.unix_endpoint,
        session_config={"heartbeat_interval_s": 10, "heartbeat_timeout_s": 25, "on_orphan": "checkpoint_and_close"},
        retry_policy={"max_retries": 3, "base_delay_ms": 200, "cap_delay_s": 30, "jitter_factor": 0.25},
        transaction_log=str(tmp_path / "mem-sidecar-tx.jsonl"),
        token=token,
    )
    with client:
        put = client.kv.put("py-readme", "greeting", {"hello": "world"})
        assert client.kv.get("py-readme", "greeting", min_seq=put.seq).value == {"hello": "world"}
    assert (tmp_path / "mem-sidecar-tx.jsonl").read_text() == ""


def test_the_agent_loop_records_turns_under_both_sessions_and_recalls_what_it_was_told(service, token):
    script = "/remember the launch is on friday\nwhen is the launch\nwhich day was the launch\n/new\nand the launch day again?\n"
    run = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        env={"MEMSIDECAR_ENDPOINT": service.unix_endpoint, "MEMSIDECAR_TOKEN": token, "AGENT_RECALL_WAIT_S": "30", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    # The first message has nothing prefetched; the second gets the recall the first one started.
    assert lines[0] == 'you said "when is the launch"'
    assert lines[1] == '(remembering: the launch is on friday) you said "which day was the launch"'
    assert lines[2].startswith("new session ")
    # A recall started in the old session never reaches the new one.
    assert lines[3] == 'you said "and the launch day again?"'
    assert lines[4] == "memory: 1 buffered turn(s) written at shutdown, 0 write(s) abandoned"

    with MemoryClient(service.unix_endpoint, token=token) as client:
        batches = [e for e in client.episodic.range("example-agent").events if e.type == "turns"]
        # Buffered per session: the switch wrote the old session's two turns, the shutdown the last one.
        assert [[t["user"] for t in b.payload["turns"]] for b in batches] == [["when is the launch", "which day was the launch"], ["and the launch day again?"]]
        assert batches[0].session_id != batches[1].session_id
