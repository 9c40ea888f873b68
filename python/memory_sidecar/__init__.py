"""memory_sidecar: the Python client of memsidecar, over gRPC (unix socket or TCP, optional TLS)."""

from .errors import (
    ClientConfigError,
    ClientShutDownError,
    DeadlineExceeded,
    FailedPrecondition,
    Internal,
    InvalidArgument,
    MemoryError,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    SessionClosedError,
    Unauthenticated,
    Unavailable,
)

__all__ = [
    "ClientConfigError",
    "ClientShutDownError",
    "DeadlineExceeded",
    "FailedPrecondition",
    "Internal",
    "InvalidArgument",
    "MemoryError",
    "NotFound",
    "PermissionDenied",
    "ResourceExhausted",
    "SessionClosedError",
    "Unauthenticated",
    "Unavailable",
]
