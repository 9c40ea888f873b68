"""Every operation of the contract has its typed method: the rpcs of proto/ and the operation catalogue."""

import re
from pathlib import Path

from memory_sidecar import blocks
from memory_sidecar._proto.memsidecar.artifact.v1 import artifact_pb2
from memory_sidecar._proto.memsidecar.audit.v1 import audit_pb2
from memory_sidecar._proto.memsidecar.common.v1 import provenance_pb2
from memory_sidecar._proto.memsidecar.episodic.v1 import episodic_pb2
from memory_sidecar._proto.memsidecar.facts.v1 import facts_pb2
from memory_sidecar._proto.memsidecar.graph.v1 import graph_pb2
from memory_sidecar._proto.memsidecar.kv.v1 import kv_pb2
from memory_sidecar._proto.memsidecar.lease.v1 import lease_pb2
from memory_sidecar._proto.memsidecar.semantic.v1 import semantic_pb2
from memory_sidecar._proto.memsidecar.session.v1 import session_pb2

REPO = Path(__file__).resolve().parents[2]
MODULES = [artifact_pb2, audit_pb2, episodic_pb2, facts_pb2, graph_pb2, kv_pb2, lease_pb2, semantic_pb2, session_pb2]
SHARED = {"common": provenance_pb2}
"""Messages the blocks share (no service of their own)."""


def snake(pascal: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", pascal).lower()


def method_of(op: str):
    block, _, name = op.partition(".")
    cls = blocks.BLOCKS.get(block)
    return getattr(cls, name.replace(".", "_"), None) if cls else None


def test_every_block_of_proto_has_a_class():
    served = {next(iter(m.DESCRIPTOR.services_by_name.values())).full_name.split(".")[1] for m in MODULES}
    on_disk = {p.name for p in (REPO / "proto" / "memsidecar").iterdir() if p.is_dir()}
    assert served | set(SHARED) == on_disk, "a block of proto/ has no generated stubs listed here"
    assert set(blocks.BLOCKS) == served


def test_every_rpc_of_proto_has_a_method():
    missing = []
    for module in MODULES:
        for service in module.DESCRIPTOR.services_by_name.values():
            block = service.full_name.split(".")[1]
            for rpc in service.methods:
                if not callable(getattr(blocks.BLOCKS[block], snake(rpc.name), None)):
                    missing.append(f"{service.full_name}/{rpc.name} → {blocks.BLOCKS[block].__name__}.{snake(rpc.name)}")
    assert not missing, f"rpcs without a typed method: {missing}"


def test_every_catalogued_operation_has_a_method():
    catalogue = (REPO / "libs" / "core" / "src" / "operation-catalogue.ts").read_text()
    ops = re.findall(r"^\s*'([a-z]+(?:\.[a-zA-Z]+)+)':", catalogue, re.MULTILINE)
    assert len(ops) >= 40, "the catalogue was not read"
    assert [op for op in ops if not callable(method_of(op))] == []


def test_the_generated_descriptors_hold_every_rpc_of_the_proto_files():
    """Stubs not regenerated after an rpc was added would hide it from the test above."""
    for proto in (REPO / "proto" / "memsidecar").glob("*/v1/*.proto"):
        block = proto.parent.parent.name
        if block in SHARED:
            assert SHARED[block].DESCRIPTOR.package == f"memsidecar.{block}.v1" and SHARED[block].DESCRIPTOR.message_types_by_name, f"{proto.name}: regenerate the stubs"
            continue
        module = next(m for m in MODULES if m.DESCRIPTOR.package == f"memsidecar.{block}.v1")
        declared = set(re.findall(r"^\s*rpc\s+(\w+)\s*\(", proto.read_text(), re.MULTILINE))
        generated = {rpc.name for service in module.DESCRIPTOR.services_by_name.values() for rpc in service.methods}
        assert declared and declared == generated, f"{proto.name}: regenerate the stubs (python/scripts/generate_stubs.sh)"
