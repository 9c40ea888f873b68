"""A minimal agent loop on memsidecar, without any agent framework.

Start the service (``npx memsidecar``, which serves gRPC on 127.0.0.1:7777), then run::

    MEMSIDECAR_TOKEN=$(cat .memsidecar/admin.token) python3 python/examples/agent_loop.py

and type messages (or pipe them in). ``/remember <text>`` stores a memory the loop can recall,
``/new`` starts a new session (turns still buffered are written under the old one first), end of
input or Ctrl-C shuts down and says what, if anything, could not be written. ``AGENT_TX_LOG=<file>``
keeps a transaction log: writes a crash interrupts are sent again on the next start.
``AGENT_RECALL_WAIT_S`` bounds how long a turn waits for its recall (0.5 s by default).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Mapping, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memory_sidecar import MemoryClient, Session  # noqa: E402

NS = "example-agent"


def call_model(message: str, recalled: Optional[Mapping[str, Any]]) -> str:
    """Stands in for the model call: an agent would put the recalled memories into its prompt."""
    memories = [hit["content"] for hit in (recalled or {}).get("hits", []) if hit.get("content")]
    return f'(remembering: {"; ".join(memories)}) you said "{message}"' if memories else f'you said "{message}"'


def watched(session: Session) -> Session:
    # A session the service found orphaned (or closed elsewhere) says so here; later calls in it raise SessionClosedError.
    session.on_end(lambda reason: print(f"session {session.session_id} {reason}", file=sys.stderr))
    return session


def main() -> int:
    client = MemoryClient(os.environ.get("MEMSIDECAR_ENDPOINT"), transaction_log=os.environ.get("AGENT_TX_LOG"))
    recall_wait_s = float(os.environ.get("AGENT_RECALL_WAIT_S", "0.5"))
    session = watched(client.open_session(agent=NS))
    # Written every 3 turns; a switch or the shutdown writes what is left.
    turns = client.turns(ns=NS, session_id=session.session_id, retain_every_n_turns=3)
    try:
        for line in sys.stdin:
            message = line.strip()
            if not message:
                continue
            if message.startswith("/remember "):
                client.semantic.upsert(NS, [{"content": message[len("/remember ") :]}])
                continue
            if message == "/new":
                previous = session
                session = watched(client.open_session(agent=NS, parent_session_id=previous.session_id))
                turns.switch_session(session.session_id, parent_session_id=previous.session_id, reason="new")
                previous.close()
                print(f"new session {session.session_id}", flush=True)
                continue
            # Recall was prepared in the background after the previous turn; never wait long for it.
            reply = call_model(message, turns.prefetch(wait_s=recall_wait_s))
            print(reply, flush=True)
            turns.record_turn(user=message, assistant=reply)
            turns.queue_prefetch(message)
    except KeyboardInterrupt:
        pass
    report = client.shutdown(timeout_s=5)
    print(f"memory: {report.flushed_turns} buffered turn(s) written at shutdown, {len(report.abandoned)} write(s) abandoned", flush=True)
    return 1 if report.abandoned else 0


if __name__ == "__main__":
    sys.exit(main())
