#!/usr/bin/env bash
# Regenerates memory_sidecar/_proto from ../proto with Debian's protoc (protobuf-compiler). Only the
# messages are generated: the client calls each rpc by the path its service descriptor gives
# (memory_sidecar/_wire.py), so no per-service stub is needed. The output is checked in: running
# the package needs only python3-grpcio and python3-protobuf.
set -euo pipefail
cd "$(dirname "$0")/.."
out=memory_sidecar/_proto
rm -rf "$out"
mkdir -p "$out"
protos=$(cd ../proto && find . -name '*.proto' | sort)
(cd ../proto && protoc -I . --python_out="../python/$out" $protos)
# protoc writes absolute imports of the proto packages (`from memsidecar.kv.v1 import kv_pb2`): make them the package's own.
find "$out" -name '*.py' -exec sed -i -E 's/^from memsidecar\.([a-z]+)\.v1 import/from memory_sidecar._proto.memsidecar.\1.v1 import/' {} +
find "$out" -type d -exec touch {}/__init__.py \;
