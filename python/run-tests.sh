#!/usr/bin/env bash
# The Python SDK's tests (pytest) against real servers; needs a built checkout (`npm run build`) and
# Debian's python3-grpcio, python3-protobuf and python3-pytest. The system interpreter is preferred:
# an interpreter of another distribution (pyenv, conda) does not see Debian's packages.
set -euo pipefail
cd "$(dirname "$0")"
python=python3
for candidate in /usr/bin/python3 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import grpc, google.protobuf, pytest' 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [ $# -eq 0 ]; then set -- tests; fi
exec "$python" -m pytest -q "$@"
