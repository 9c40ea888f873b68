"""The typed block APIs (``client.kv``, ``client.episodic``, ...) on anything that is a ``Caller``,
each made on first use (``KvBlock(caller)``, ...) and kept."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Generic, Iterator, Mapping, Optional, TypeVar, overload

from .blocks import ArtifactBlock, AuditBlock, EpisodicBlock, FactsBlock, GraphBlock, KvBlock, LeaseBlock, SemanticBlock, SessionBlock
from .caller import SessionBinding

if TYPE_CHECKING:
    from .client import MemoryClient

B = TypeVar("B")


class BlockAttribute(Generic[B]):
    """A block API made on first access as ``block_class(owner)`` and kept."""

    def __init__(self, block_class: Callable[[Any], B]):
        self.block_class = block_class
        self.name = getattr(block_class, "__name__", "block")

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: Optional[type] = None) -> "BlockAttribute[B]": ...

    @overload
    def __get__(self, obj: object, owner: Optional[type] = None) -> B: ...

    def __get__(self, obj: Optional[object], owner: Optional[type] = None) -> Any:
        if obj is None:
            return self
        block = self.block_class(obj)
        # A non-data descriptor: from now on the instance's own attribute is found first.
        obj.__dict__[self.name] = block
        return block


class BlockAccess:
    """Mixin for a ``Caller``: one attribute per block of the contract."""

    kv: BlockAttribute[KvBlock] = BlockAttribute(KvBlock)
    episodic: BlockAttribute[EpisodicBlock] = BlockAttribute(EpisodicBlock)
    semantic: BlockAttribute[SemanticBlock] = BlockAttribute(SemanticBlock)
    artifact: BlockAttribute[ArtifactBlock] = BlockAttribute(ArtifactBlock)
    lease: BlockAttribute[LeaseBlock] = BlockAttribute(LeaseBlock)
    session: BlockAttribute[SessionBlock] = BlockAttribute(SessionBlock)
    facts: BlockAttribute[FactsBlock] = BlockAttribute(FactsBlock)
    audit: BlockAttribute[AuditBlock] = BlockAttribute(AuditBlock)
    graph: BlockAttribute[GraphBlock] = BlockAttribute(GraphBlock)


class SessionScope(BlockAccess):
    """The client's calls tied to one session (``Mem-Session-Id``/``Mem-Session-Token`` on each),
    with the blocks on top: ``client.in_session(session).kv.put(...)``."""

    def __init__(self, client: "MemoryClient", session: SessionBinding):
        self.client = client
        self.bound_session = session

    def call(self, op: str, body: Mapping[str, Any], *, timeout_s: Optional[float] = None) -> Dict[str, Any]:
        return self.client.call(op, body, timeout_s=timeout_s, session=self.bound_session)

    def stream(self, op: str, body: Mapping[str, Any], *, timeout_s: Optional[float] = None) -> Iterator[Dict[str, Any]]:
        return self.client.stream(op, body, timeout_s=timeout_s, session=self.bound_session)
