"""The typed block APIs (``client.kv``, ``client.episodic``, ...) on anything that is a ``Caller``.

Each is made on first use from ``memory_sidecar.blocks`` (``KvBlock(caller)``, ...), so the client
itself does not depend on the blocks' module being importable until a block is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Dict, Generic, Iterator, Mapping, Optional, Type, TypeVar, overload

from .caller import SessionBinding

if TYPE_CHECKING:
    from .blocks import ArtifactBlock, AuditBlock, EpisodicBlock, FactsBlock, KvBlock, LeaseBlock, SemanticBlock, SessionBlock
    from .client import MemoryClient

B = TypeVar("B")

BLOCKS_MODULE = f"{__package__}.blocks"


class BlockAttribute(Generic[B]):
    """A block API made on first access from ``memory_sidecar.blocks.<class_name>(owner)`` and kept."""

    def __init__(self, class_name: str):
        self.class_name = class_name
        self.name = class_name

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: Optional[type] = None) -> "BlockAttribute[B]": ...

    @overload
    def __get__(self, obj: object, owner: Optional[type] = None) -> B: ...

    def __get__(self, obj: Optional[object], owner: Optional[type] = None) -> Any:
        if obj is None:
            return self
        try:
            module = importlib.import_module(BLOCKS_MODULE)
        except ModuleNotFoundError as e:
            if e.name != BLOCKS_MODULE:
                raise
            raise ImportError(f"{self.name}: the typed block APIs ({BLOCKS_MODULE}) are not installed; use call(op, body) meanwhile") from None
        block_class: Type[Any] = getattr(module, self.class_name)
        block = block_class(obj)
        # A non-data descriptor: from now on the instance's own attribute is found first.
        obj.__dict__[self.name] = block
        return block


class BlockAccess:
    """Mixin for a ``Caller``: one attribute per block of the contract."""

    kv: BlockAttribute["KvBlock"] = BlockAttribute("KvBlock")
    episodic: BlockAttribute["EpisodicBlock"] = BlockAttribute("EpisodicBlock")
    semantic: BlockAttribute["SemanticBlock"] = BlockAttribute("SemanticBlock")
    artifact: BlockAttribute["ArtifactBlock"] = BlockAttribute("ArtifactBlock")
    lease: BlockAttribute["LeaseBlock"] = BlockAttribute("LeaseBlock")
    session: BlockAttribute["SessionBlock"] = BlockAttribute("SessionBlock")
    facts: BlockAttribute["FactsBlock"] = BlockAttribute("FactsBlock")
    audit: BlockAttribute["AuditBlock"] = BlockAttribute("AuditBlock")


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
