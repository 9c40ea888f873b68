"""Real servers for the Python tests and benchmarks: a nats-server child with JetStream on a free
port and a temporary store, a fresh database on the system Postgres, and the service itself
(``node bin/memsidecar.js`` from this checkout, built) serving gRPC on a unix socket and on TCP.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _nats_binary() -> str:
    found = shutil.which("nats-server") or ("/usr/sbin/nats-server" if os.path.exists("/usr/sbin/nats-server") else None)
    if not found:
        raise RuntimeError("nats-server is not installed (Debian package nats-server)")
    return found


def _wait_for_port(port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


class Nats:
    """A nats-server with JetStream, for one test run."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="memsidecar-py-nats-")
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [_nats_binary(), "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", os.path.join(self.dir, "store")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_for_port(self.port, 20)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def admin_postgres_url() -> str:
    return os.environ.get("MEMSIDECAR_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


class Database:
    """A new, empty database on the system Postgres (through psql), dropped by ``drop()``."""

    def __init__(self) -> None:
        self.name = f"memsidecar_pytest_{secrets.token_hex(6)}"
        self._psql(f"CREATE DATABASE {self.name}")
        admin = admin_postgres_url()
        self.url = admin[: admin.rindex("/")] + "/" + self.name

    @staticmethod
    def _psql(sql: str) -> None:
        subprocess.run(["psql", admin_postgres_url(), "-qAtc", sql], check=True, capture_output=True)

    def drop(self) -> None:
        self._psql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


@dataclass
class Service:
    """One memsidecar process from this checkout, driven as a user would."""

    nats_url: str
    database_url: Optional[str]
    env: Dict[str, str] = field(default_factory=dict)
    data_dir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="memsidecar-py-data-"))
    socket_path: str = ""
    grpc_port: int = 0
    process: Optional[subprocess.Popen] = None
    output: List[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.socket_path = self.socket_path or os.path.join(tempfile.mkdtemp(prefix="memsidecar-py-sock-"), "mem.sock")
        self.grpc_port = self.grpc_port or free_port()

    @property
    def unix_endpoint(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def tcp_endpoint(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def admin_token(self) -> str:
        return Path(self.data_dir, "admin.token").read_text().strip()

    def start(self, timeout_s: float = 90) -> "Service":
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", tempfile.gettempdir()),
            "MEMSIDECAR_NATS_URL": self.nats_url,
            "MEMSIDECAR_DATA_DIR": self.data_dir,
            "MEMSIDECAR_HTTP_ADDR": f"127.0.0.1:{free_port()}",
            "MEMSIDECAR_GRPC_ADDR": self.tcp_endpoint,
            "MEMSIDECAR_GRPC_SOCKET": self.socket_path,
            "MEMSIDECAR_EMBEDDER": "hashing",
            **({"MEMSIDECAR_DATABASE_URL": self.database_url} if self.database_url else {}),
            **self.env,
        }
        self.output = []
        self.process = subprocess.Popen(
            ["node", str(REPO / "bin" / "memsidecar.js")], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
        ready = threading.Event()

        def read() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                self.output.append(line)
                if "memsidecar ready" in line:
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + timeout_s
        while not ready.wait(0.1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("service did not become ready:\n" + "".join(self.output))
        return self

    def stop(self) -> None:
        """SIGTERM to the process group, as an operator stops it."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)

    def kill(self) -> None:
        """SIGKILL: a crash."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)
