"""The blocks' typed APIs: one class per block, each built on a ``Caller`` (``KvBlock(caller)``).

Methods take keyword arguments in snake_case and return frozen dataclasses; times are ``datetime``,
durations ``timedelta`` (or ``*_ms`` ints), artifact content ``bytes``, streams iterators.
"""

from .artifact import (
    ArtifactBlock,
    ArtifactDeleteResult,
    ArtifactGetResult,
    ArtifactListResult,
    ArtifactRef,
    ArtifactUploadAppendResult,
    ArtifactUploadBeginResult,
)
from .audit import AuditBlock, AuditEraseResult, AuditEvent, AuditQueryResult
from .episodic import EpisodicAppendResult, EpisodicBlock, EpisodicEvent, EpisodicExpireResult, EpisodicRangeResult
from .facts import (
    Fact,
    FactGroups,
    FactsBlock,
    FactsExportResult,
    FactsPressure,
    FactsPurgeResult,
    FactsReflectResult,
    FactsRevertResult,
    FactsStatusResult,
    FactsTickResult,
    FactsWriteResult,
)
from .graph import (
    GraphBlock,
    GraphDeleteResult,
    GraphEdge,
    GraphGetResult,
    GraphNeighbor,
    GraphNeighborsResult,
    GraphNode,
    GraphTraverseLimits,
    GraphTraverseResult,
    GraphTraverseTruncated,
    GraphUpserted,
    GraphUpsertResult,
)
from .kv import KvBlock, KvDeleteResult, KvEntry, KvListResult, KvPutResult, KvRevertResult
from .lease import LeaseAcquireResult, LeaseBlock, LeaseHolding, LeaseReleaseResult, LeaseRenewResult
from .semantic import (
    SemanticBlock,
    SemanticDeleteResult,
    SemanticExpireResult,
    SemanticFusion,
    SemanticFusionWeights,
    SemanticHit,
    SemanticHitExplanation,
    SemanticLanePosition,
    SemanticNeighborBoost,
    SemanticPredicate,
    SemanticRecord,
    SemanticRevertResult,
    SemanticSearchExplanation,
    SemanticSearchResult,
    SemanticUpserted,
    SemanticUpsertResult,
)
from .session import (
    SessionBlock,
    SessionCheckpoint,
    SessionCheckpointResult,
    SessionCloseResult,
    SessionHeartbeatResult,
    SessionOpenResult,
    SessionRecord,
)

BLOCKS = {
    "kv": KvBlock,
    "episodic": EpisodicBlock,
    "semantic": SemanticBlock,
    "artifact": ArtifactBlock,
    "lease": LeaseBlock,
    "session": SessionBlock,
    "facts": FactsBlock,
    "audit": AuditBlock,
    "graph": GraphBlock,
}
"""Each block's class by the block's name in the contract (``kv.put`` → ``BLOCKS['kv'].put``)."""

__all__ = [name for name, value in dict(globals()).items() if not name.startswith("_") and isinstance(value, (type, dict))]
