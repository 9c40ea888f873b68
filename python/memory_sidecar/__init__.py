"""memory_sidecar: the Python client of memsidecar, over gRPC (unix socket or TCP, optional TLS).

```python
from memory_sidecar import MemoryClient

with MemoryClient(endpoint="unix:///var/run/mem-sidecar.sock") as client:
    put = client.call("kv.put", {"ns": "notes", "key": "plan", "value": {"step": 1}})
```
"""

from ._protocol import Caller
from ._wire import TlsConfig
from .backoff import retry_delay_ms
from .block_access import SessionScope
from .catalogue import JOURNALED, MUTATIONS, OPERATION_CATALOGUE, OperationTraits
from .client import MemoryClient, ShutdownReport
from .config import ClientConfig, ClientConfigWarning, DeprecatedSettingWarning, RetryPolicy, SessionDefaults, parse_client_config
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
from .provenance import TRUST_LABELS, Provenance
from .session import Session
from .transaction_log import PendingMutation, TransactionLog
from .turn_writer import AbandonedWrite, RecordedTurn
from .turns import RecallContext, SessionSwitch, TurnRecorder, TurnRecorderStopReport

__all__ = [
    "AbandonedWrite",
    "Caller",
    "ClientConfig",
    "ClientConfigError",
    "ClientConfigWarning",
    "ClientShutDownError",
    "DeadlineExceeded",
    "DeprecatedSettingWarning",
    "FailedPrecondition",
    "Internal",
    "InvalidArgument",
    "JOURNALED",
    "MUTATIONS",
    "MemoryClient",
    "MemoryError",
    "NotFound",
    "OPERATION_CATALOGUE",
    "OperationTraits",
    "PendingMutation",
    "PermissionDenied",
    "Provenance",
    "RecallContext",
    "RecordedTurn",
    "ResourceExhausted",
    "RetryPolicy",
    "Session",
    "SessionClosedError",
    "SessionDefaults",
    "SessionScope",
    "SessionSwitch",
    "TRUST_LABELS",
    "ShutdownReport",
    "TlsConfig",
    "TransactionLog",
    "TurnRecorder",
    "TurnRecorderStopReport",
    "Unauthenticated",
    "Unavailable",
    "parse_client_config",
    "retry_delay_ms",
]
