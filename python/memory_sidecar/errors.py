"""One exception hierarchy for every failure the service or the client reports.

Each error carries the contract's ``code`` (``INVALID_ARGUMENT``, ``FAILED_PRECONDITION``, ...),
an optional ``reason`` (``VERSION_MISMATCH``, ``LEASE_HELD``, ...) and ``details`` (e.g. the
``field`` a bad request named).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional


class MemoryError(Exception):  # noqa: A001 - the SDK's name for its errors, as in the TypeScript SDK
    """An error answered by the service (or raised by the client) with the contract's code."""

    def __init__(self, code: str, message: str, reason: Optional[str] = None, details: Optional[Mapping[str, Any]] = None):
        super().__init__(f"{code}{f'/{reason}' if reason else ''}: {message}")
        self.code = code
        self.message = message
        self.reason = reason
        self.details = dict(details or {})

    @property
    def retryable(self) -> bool:
        """Only the service being away or busy is worth another attempt; a 4xx never is."""
        return self.code in ("UNAVAILABLE", "DEADLINE_EXCEEDED")


class InvalidArgument(MemoryError):
    """Malformed or out-of-range input; ``details['field']`` names the field."""


class Unauthenticated(MemoryError):
    pass


class PermissionDenied(MemoryError):
    pass


class NotFound(MemoryError):
    pass


class FailedPrecondition(MemoryError):
    """A compare-and-set lost (``VERSION_MISMATCH``), a lease is held (``LEASE_HELD``), ..."""


class ResourceExhausted(MemoryError):
    pass


class Unavailable(MemoryError):
    pass


class DeadlineExceeded(MemoryError):
    pass


class Internal(MemoryError):
    pass


_BY_CODE = {
    "INVALID_ARGUMENT": InvalidArgument,
    "UNAUTHENTICATED": Unauthenticated,
    "PERMISSION_DENIED": PermissionDenied,
    "NOT_FOUND": NotFound,
    "FAILED_PRECONDITION": FailedPrecondition,
    "RESOURCE_EXHAUSTED": ResourceExhausted,
    "UNAVAILABLE": Unavailable,
    "DEADLINE_EXCEEDED": DeadlineExceeded,
    "INTERNAL": Internal,
}


def error_for(code: str, message: str, reason: Optional[str] = None, details: Optional[Mapping[str, Any]] = None) -> MemoryError:
    """The exception class of ``code`` (``MemoryError`` itself for a code this version does not know)."""
    return _BY_CODE.get(code, MemoryError)(code, message, reason, details)


class ClientConfigError(ValueError):
    """The client's configuration is invalid: unknown keys (with the likely right name) or bad values."""


class SessionClosedError(MemoryError):
    """The session was closed (by the client, or by the service as an orphan): open a new one."""

    def __init__(self, message: str):
        super().__init__("FAILED_PRECONDITION", message, "SESSION_CLOSED")


class ClientShutDownError(RuntimeError):
    """The client was shut down; nothing more is accepted."""
