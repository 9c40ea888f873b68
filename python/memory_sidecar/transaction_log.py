"""The client's append-only JSONL outbox of mutations, which survives a crash of the agent.

Each journaled mutation is written (and fsynced) before it is sent and marked when the service
acknowledged or refused it; whatever is neither after a crash is sent again, in order, with its
original request id, so the service applies it exactly once. The file format is the TypeScript
SDK's, line for line, so either SDK can recover the other's outbox. One client at a time owns a file.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

COMPACT_AFTER_SETTLED_LINES = 10_000
"""Settled lines the file may gather before it is rewritten with only what is still unsettled."""


def now_iso() -> str:
    """Now as JavaScript's ``toISOString`` writes it (``2026-05-01T10:00:00.000Z``)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class PendingMutation:
    """A mutation written to the outbox before it is sent."""

    id: str
    op: str
    body: Any
    at: str
    """When it was first written (ISO 8601, UTC)."""

    def written_at(self) -> datetime:
        return datetime.fromisoformat(self.at)

    def as_line(self) -> Dict[str, Any]:
        return {"kind": "pending", "id": self.id, "op": self.op, "body": self.body, "at": self.at}


class TransactionLog:
    """The outbox of one client: ``written`` before a send, ``acknowledged``/``refused`` after.

    Thread-safe: the turn writer, heartbeats and the agent's own calls share it.
    """

    def __init__(self, path: str, unsettled: Dict[str, PendingMutation], logger: logging.Logger):
        self.path = path
        self._unsettled = unsettled
        self._logger = logger
        self._lock = threading.RLock()
        self._settled_lines = 0
        self._fd: Optional[int] = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    @classmethod
    def open(cls, path: str, logger: logging.Logger) -> "TransactionLog":
        """Opens (or creates) the outbox; a torn or unreadable line is skipped with a warning."""
        unsettled: Dict[str, PendingMutation] = {}
        if os.path.exists(path):
            with open(path, "r", encoding="utf-8", errors="replace") as f:
                text = f.read()
            lines = text.split("\n")
            for i, raw in enumerate(lines):
                if raw.strip() == "":
                    continue
                try:
                    line = json.loads(raw)
                    kind, entry_id = line["kind"], line["id"]
                    entry = PendingMutation(id=entry_id, op=line["op"], body=line.get("body"), at=line["at"]) if kind == "pending" else None
                except (ValueError, KeyError, TypeError):
                    # A crash mid-write leaves a last line without its newline; its mutation was
                    # never sent, because sending waits for the fsync.
                    torn = i == len(lines) - 1 and not text.endswith("\n")
                    logger.warning("transaction log %s: %s skipped", path, "torn last line" if torn else f"unreadable line {i + 1}")
                    continue
                if entry is not None:
                    unsettled[entry_id] = entry
                else:
                    unsettled.pop(entry_id, None)
        log = cls(path, unsettled, logger)
        log.compact()
        return log

    def pending(self) -> List[PendingMutation]:
        """Mutations written but neither acknowledged nor refused, oldest first."""
        with self._lock:
            return list(self._unsettled.values())

    def written(self, mutation: PendingMutation) -> None:
        """Durable (fsynced) before the mutation is sent. Writing the same id again (a retry) changes nothing."""
        with self._lock:
            if mutation.id in self._unsettled or self._fd is None:
                return
            self._append(mutation.as_line(), durable=True)
            self._unsettled[mutation.id] = mutation

    def acknowledged(self, entry_id: str, seq: Optional[int] = None) -> None:
        with self._lock:
            if self._unsettled.pop(entry_id, None) is None:
                return
            self._settle({"kind": "acked", "id": entry_id, **({"seq": seq} if seq is not None else {})})

    def refused(self, entry_id: str, code: str) -> None:
        """The service refused it (not a failure of the transport): sending it again would be refused again."""
        with self._lock:
            if self._unsettled.pop(entry_id, None) is None:
                return
            self._settle({"kind": "refused", "id": entry_id, "code": code})

    @property
    def expired_path(self) -> str:
        """Where mutations past the service's request-id retention are kept for an operator to look at."""
        return f"{self.path}.expired"

    def set_aside_older_than(self, cutoff: datetime) -> List[PendingMutation]:
        """Moves the unsettled mutations written before ``cutoff`` into ``<path>.expired`` (appended
        and fsynced first, so none is lost) and returns them: past the service's request-id
        retention, sending one again could apply it twice."""
        with self._lock:
            old = [m for m in self._unsettled.values() if _before(m, cutoff)]
            if not old:
                return []
            fd = os.open(self.expired_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                _write_all(fd, "".join(json.dumps({"id": m.id, "op": m.op, "body": m.body, "at": m.at}) + "\n" for m in old).encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            for m in old:
                del self._unsettled[m.id]
                self._settle({"kind": "expired", "id": m.id})
            return old

    def compact(self) -> None:
        """Rewrites the file atomically with only what is still unsettled, dropping settled history."""
        with self._lock:
            if self._fd is None:
                return
            tmp = f"{self.path}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                _write_all(fd, "".join(json.dumps(m.as_line()) + "\n" for m in self._unsettled.values()).encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.close(self._fd)
            os.replace(tmp, self.path)
            _fsync_dir(os.path.dirname(os.path.abspath(self.path)))
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._settled_lines = 0

    def close(self) -> None:
        """Leaves only what is unsettled in the file. A reply arriving after this is not recorded:
        its entry is simply sent again next time (its request id makes that harmless)."""
        with self._lock:
            if self._fd is None:
                return
            self.compact()
            os.close(self._fd)
            self._fd = None

    @property
    def closed(self) -> bool:
        return self._fd is None

    def _settle(self, line: Dict[str, Any]) -> None:
        # Not fsynced: a lost settle line only means one more (idempotent) re-send after a crash.
        self._append(line, durable=False)
        self._settled_lines += 1
        if self._settled_lines >= COMPACT_AFTER_SETTLED_LINES:
            self.compact()

    def _append(self, line: Dict[str, Any], *, durable: bool) -> None:
        if self._fd is None:
            return
        _write_all(self._fd, (json.dumps(line) + "\n").encode("utf-8"))
        if durable:
            os.fsync(self._fd)


def _before(mutation: PendingMutation, cutoff: datetime) -> bool:
    try:
        return mutation.written_at() < cutoff
    except ValueError:
        return False


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync_dir(path: str) -> None:
    """Makes a rename durable; not every platform lets a directory be opened for it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
