"""kv.put and kv.get latency from Python: through MemoryClient and, as the raw baseline, one bare
gRPC call per operation (the generic wire, no retries, no journal). Prints one JSON object.

Run by ``npm run bench -- python`` (bench/python-client.ts), next to the TypeScript client over NATS.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memory_sidecar import MemoryClient  # noqa: E402
from memory_sidecar._wire import Wire, open_channel  # noqa: E402

VALUE = {"hello": "world", "n": 42, "tags": ["a", "b", "c"]}


def summarize(samples_ms: List[float]) -> Dict[str, float]:
    ordered = sorted(samples_ms)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": at(0.5), "p99": at(0.99), "count": len(ordered)}


def time_each(n: int, op: Callable[[int], object], warmup: int = 200) -> Dict[str, float]:
    for i in range(min(warmup, n)):
        op(-1 - i)
    samples = []
    for i in range(n):
        started = time.perf_counter_ns()
        op(i)
        samples.append((time.perf_counter_ns() - started) / 1e6)
    return summarize(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--ns", default="bench-python")
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    key = lambda i: f"k{abs(i) % 100}"  # noqa: E731

    wire = Wire(open_channel(args.endpoint), args.token)
    raw_ns = f"{args.ns}-raw"
    figures = {
        "raw gRPC put": time_each(args.n, lambda i: wire.call("kv.put", {"ns": raw_ns, "key": key(i), "value": VALUE})),
        "raw gRPC get": time_each(args.n, lambda i: wire.call("kv.get", {"ns": raw_ns, "key": key(i)})),
    }
    with MemoryClient(endpoint=args.endpoint, token=args.token) as client:
        figures["put"] = time_each(args.n, lambda i: client.kv.put(ns=args.ns, key=key(i), value=VALUE))
        figures["get"] = time_each(args.n, lambda i: client.kv.get(ns=args.ns, key=key(i)))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
