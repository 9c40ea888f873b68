"""How the client may treat each operation of the contract.

``mutation``: it changes something, so every attempt of one call carries the same ``Mem-Request-Id``.
``journaled``: a mutation of memory itself, written to the transaction log and sent again after a
crash. Leases, sessions and uploads are mutations but not journaled: re-acquiring a lease or
re-opening a session after a restart would be wrong, and an upload is resumed by its id.

This is a copy of ``libs/core/src/operation-catalogue.ts``, the list the service checks its
operations against; ``tests/test_client_catalogue.py`` fails when the two differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, Literal


@dataclass(frozen=True)
class OperationTraits:
    mutation: bool
    journaled: bool


_READ = OperationTraits(mutation=False, journaled=False)
_CHANGE = OperationTraits(mutation=True, journaled=False)
_MEMORY_CHANGE = OperationTraits(mutation=True, journaled=True)

OPERATION_CATALOGUE: Dict[str, OperationTraits] = {
    "kv.put": _MEMORY_CHANGE,
    "kv.get": _READ,
    "kv.mget": _READ,
    "kv.delete": _MEMORY_CHANGE,
    "kv.revert": _MEMORY_CHANGE,
    "kv.list": _READ,
    "episodic.append": _MEMORY_CHANGE,
    "episodic.range": _READ,
    "episodic.expire": _MEMORY_CHANGE,
    "episodic.tail": _READ,
    "semantic.upsert": _MEMORY_CHANGE,
    "semantic.search": _READ,
    "semantic.delete": _MEMORY_CHANGE,
    "semantic.revert": _MEMORY_CHANGE,
    "semantic.expire": _MEMORY_CHANGE,
    "artifact.put": _MEMORY_CHANGE,
    "artifact.get": _READ,
    "artifact.read": _READ,
    "artifact.stat": _READ,
    "artifact.list": _READ,
    "artifact.delete": _MEMORY_CHANGE,
    "artifact.upload.begin": _CHANGE,
    "artifact.upload.append": _CHANGE,
    "artifact.upload.commit": _CHANGE,
    "lease.acquire": _CHANGE,
    "lease.renew": _CHANGE,
    "lease.release": _CHANGE,
    "lease.inspect": _READ,
    "lease.list": _READ,
    "session.open": _CHANGE,
    "session.heartbeat": _CHANGE,
    "session.checkpoint": _CHANGE,
    "session.close": _CHANGE,
    "session.get": _READ,
    "facts.write": _MEMORY_CHANGE,
    "facts.search": _READ,
    "facts.tick": _CHANGE,
    "facts.status": _READ,
    "facts.reflect": _READ,
    "facts.export": _READ,
    "facts.purge": _MEMORY_CHANGE,
    "facts.revert": _MEMORY_CHANGE,
    "graph.upsert": _MEMORY_CHANGE,
    "graph.get": _READ,
    "graph.neighbors": _READ,
    "graph.traverse": _READ,
    "graph.delete": _MEMORY_CHANGE,
    "audit.query": _READ,
    "audit.erase": _CHANGE,
}


def operations_where(trait: Literal["mutation", "journaled"]) -> FrozenSet[str]:
    """The catalogued operations with a trait, e.g. every mutation."""
    return frozenset(name for name, traits in OPERATION_CATALOGUE.items() if getattr(traits, trait))


MUTATIONS: FrozenSet[str] = operations_where("mutation")
"""Operations whose every attempt of one call carries the same request id."""

JOURNALED: FrozenSet[str] = operations_where("journaled")
"""Mutations of memory itself: written to the transaction log before they are sent."""
