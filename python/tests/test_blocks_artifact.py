"""ArtifactBlock against the real service: bytes in, bytes out, chunked uploads checked by SHA-256."""

import base64
import hashlib
import io
import os

import pytest

from memory_sidecar import FailedPrecondition, InvalidArgument, NotFound
from memory_sidecar.blocks import ArtifactBlock, ArtifactRef
from memory_sidecar.blocks.artifact import CHUNK_BYTES, rechunk
from tests.wire_caller import caller  # noqa: F401 - the fixture


@pytest.fixture()
def artifact(caller) -> ArtifactBlock:  # noqa: F811
    return ArtifactBlock(caller)


def test_put_get_stat_round_trip(artifact, unique_ns):
    data = bytes(range(256)) * 4
    ref = artifact.put(unique_ns, data, id="doc", content_type="application/octet-stream", metadata={"kind": "test"})
    assert isinstance(ref, ArtifactRef)
    assert (ref.id, ref.size, ref.sha256, ref.version) == ("doc", len(data), hashlib.sha256(data).hexdigest(), 1)
    got = artifact.get(unique_ns, "doc", min_seq=ref.seq)
    assert got.data == data and got.ref == ref
    assert artifact.get(unique_ns, "doc", offset=10, length=5).data == data[10:15]
    assert artifact.stat(unique_ns, "doc") == ref
    assert artifact.stat(unique_ns, "missing") is None
    with pytest.raises(NotFound):
        artifact.get(unique_ns, "missing")
    assert artifact.put(unique_ns, b"", id="empty").size == 0
    assert artifact.get(unique_ns, "empty").data == b""


def test_read_streams_chunks_in_order_and_read_all_reassembles(artifact, unique_ns):
    data = os.urandom(CHUNK_BYTES * 2 + 1234)
    ref = artifact.upload(unique_ns, data, id="big")
    chunks = list(artifact.read(unique_ns, "big", min_seq=ref.seq))
    assert len(chunks) > 1 and all(isinstance(c, bytes) for c in chunks)
    assert b"".join(chunks) == data
    assert artifact.read_all(unique_ns, "big", offset=CHUNK_BYTES - 10, length=100) == data[CHUNK_BYTES - 10:CHUNK_BYTES + 90]
    assert artifact.read_all(unique_ns, "big", offset=len(data) - 7) == data[-7:]


def test_chunked_upload_from_bytes_pieces_or_a_file(artifact, unique_ns):
    data = os.urandom(CHUNK_BYTES + 99)
    pieces = [data[i:i + 1000] for i in range(0, len(data), 1000)]
    ref = artifact.upload(unique_ns, iter(pieces), id="pieces", content_type="application/x-test", metadata={"from": "pieces"})
    assert (ref.size, ref.sha256, ref.content_type, ref.metadata) == (len(data), hashlib.sha256(data).hexdigest(), "application/x-test", {"from": "pieces"})
    again = artifact.upload(unique_ns, io.BytesIO(data), id="pieces", chunk_bytes=100_000)
    assert again.version == 2 and again.sha256 == ref.sha256
    assert artifact.read_all(unique_ns, "pieces", min_seq=again.seq) == data


def test_upload_by_hand_and_digest_mismatch(artifact, unique_ns):
    begun = artifact.upload_begin(unique_ns, id="manual", content_type="text/plain")
    assert artifact.upload_append(begun.upload_id, b"hello ").size == 6
    assert artifact.upload_append(begun.upload_id, b"world").size == 11
    ref = artifact.upload_commit(begun.upload_id, sha256=hashlib.sha256(b"hello world").hexdigest())
    assert (ref.id, ref.size, ref.content_type) == ("manual", 11, "text/plain")
    wrong = artifact.upload_begin(unique_ns, id="damaged")
    artifact.upload_append(wrong.upload_id, b"bytes")
    with pytest.raises(FailedPrecondition) as mismatch:
        artifact.upload_commit(wrong.upload_id, sha256=hashlib.sha256(b"other").hexdigest())
    assert mismatch.value.reason == "DIGEST_MISMATCH"
    assert artifact.stat(unique_ns, "damaged") is None


def test_list_and_delete(artifact, unique_ns):
    for name in ("a.1", "a.2", "b.1"):
        artifact.put(unique_ns, name.encode(), id=name, metadata={"top": name[0]})
    page = artifact.list(unique_ns, prefix="a.", limit=1)
    assert [r.id for r in page.items] == ["a.1"] and page.next_start_after == "a.1"
    assert [r.id for r in artifact.list(unique_ns, prefix="a.", start_after=page.next_start_after).items] == ["a.2"]
    assert [r.id for r in artifact.list(unique_ns, filter={"top": "b"}).items] == ["b.1"]
    deleted = artifact.delete(unique_ns, "a.1")
    assert deleted.existed and deleted.seq is not None
    assert [r.id for r in artifact.list(unique_ns, min_seq=deleted.seq).items] == ["a.2", "b.1"]
    assert artifact.delete(unique_ns, "a.1").existed is False


def test_content_must_be_bytes(artifact, unique_ns):
    with pytest.raises(InvalidArgument) as text:
        artifact.put(unique_ns, "text is not bytes")
    assert text.value.details["field"] == "data"
    with pytest.raises(InvalidArgument):
        artifact.upload(unique_ns, ["text"])


def test_rechunk_cuts_any_source_into_exact_pieces():
    data = bytes(range(250))
    for source in (data, [data[:7], data[7:100], b"", data[100:]], io.BytesIO(data)):
        pieces = list(rechunk(source, 64))
        assert b"".join(pieces) == data
        assert [len(p) for p in pieces] == [64, 64, 64, 58]


class JsonBodies:
    """A caller whose replies are the contract's JSON bodies exactly (bytes as base64), as over NATS or HTTP."""

    def __init__(self, inner):
        self.inner = inner

    @staticmethod
    def as_json(value):
        if isinstance(value, bytes):
            return base64.b64encode(value).decode("ascii")
        if isinstance(value, dict):
            return {k: JsonBodies.as_json(v) for k, v in value.items()}
        return value

    def call(self, op, body, *, timeout_s=None):
        return self.as_json(self.inner.call(op, body, timeout_s=timeout_s))

    def stream(self, op, body, *, timeout_s=None):
        return (self.as_json(item) for item in self.inner.stream(op, body, timeout_s=timeout_s))


def test_content_reads_the_same_from_json_bodies(caller, unique_ns):  # noqa: F811
    data = os.urandom(5000)
    over_json = ArtifactBlock(JsonBodies(caller))
    ref = over_json.put(unique_ns, data, id="j")
    assert over_json.get(unique_ns, "j", min_seq=ref.seq).data == data
    assert over_json.read_all(unique_ns, "j", offset=100) == data[100:]
