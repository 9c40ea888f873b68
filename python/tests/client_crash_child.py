"""A child process for the crash test: several threads write episodic events through a client
with a transaction log, printing each acknowledged payload, until the test SIGKILLs the process.

Usage: client_crash_child.py <endpoint> <token> <transaction log> <ns> <threads>
"""

import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memory_sidecar import MemoryClient  # noqa: E402


def main() -> None:
    endpoint, token, log, ns, threads = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    client = MemoryClient(endpoint, token=token, transaction_log=log, request_timeout_s=60, retry_policy={"max_retries": 5, "base_delay_ms": 100})
    printing = threading.Lock()

    def write(worker: int) -> None:
        for i in range(1_000_000):
            payload = f"{worker}-{i}"
            client.call("episodic.append", {"ns": ns, "type": "crash-test", "payload": payload})
            with printing:
                print(f"acked {payload}", flush=True)

    workers = [threading.Thread(target=write, args=(w,), daemon=True) for w in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


if __name__ == "__main__":
    main()
