"""artifact: versioned blobs. Content is ``bytes`` here and base64 on the wire; the log keeps size and SHA-256."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Dict, Iterable, Iterator, Mapping, Optional, Tuple, Union

from .._protocol import Caller
from ..errors import Internal
from ..provenance import Provenance, provenance_of
from ._common import body, check, check_metadata, decode_bytes, encode_bytes, invalid, metadata_of, req_time

CHUNK_BYTES = 512 * 1024
"""The contract's largest ``data`` of one request: ``put`` and each ``upload_append`` carry at most this."""

ArtifactSource = Union[bytes, bytearray, memoryview, Iterable[bytes], IO[bytes]]
"""What ``upload`` stores: bytes, an iterable of bytes pieces of any sizes, or a binary file."""


@dataclass(frozen=True)
class ArtifactRef:
    """One stored version of an artifact: what the log knows of it (the bytes live in the blob store)."""

    id: str
    size: int
    sha256: str
    """Lower-case hex."""
    content_type: str
    metadata: Dict[str, str]
    created_at: datetime
    version: int
    seq: int
    provenance: Optional[Provenance] = None
    """The write that stored this version."""


@dataclass(frozen=True)
class ArtifactGetResult:
    ref: ArtifactRef
    data: bytes


@dataclass(frozen=True)
class ArtifactListResult:
    items: Tuple[ArtifactRef, ...]
    next_start_after: Optional[str]


@dataclass(frozen=True)
class ArtifactDeleteResult:
    existed: bool
    seq: Optional[int] = None


@dataclass(frozen=True)
class ArtifactUploadBeginResult:
    upload_id: str
    """Names the namespace too: ``upload_append`` and ``upload_commit`` need nothing else."""


@dataclass(frozen=True)
class ArtifactUploadAppendResult:
    size: int
    """Bytes staged so far."""


def ref_of(reply: Mapping[str, Any]) -> ArtifactRef:
    return ArtifactRef(
        id=reply["id"],
        size=int(reply.get("size", 0)),
        sha256=reply["sha256"],
        content_type=reply.get("contentType", ""),
        metadata=metadata_of(reply),
        created_at=req_time(reply["createdAt"]),
        version=int(reply["version"]),
        seq=int(reply["seq"]),
        provenance=provenance_of(reply),
    )


def rechunk(source: ArtifactSource, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The source cut into pieces of exactly ``size`` bytes (the last one shorter), whatever its own pieces."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        for at in range(0, len(data), size):
            yield data[at:at + size]
        return
    read = getattr(source, "read", None)
    if callable(read):
        while True:
            piece = read(size)
            if not piece:
                return
            if not isinstance(piece, (bytes, bytearray)):
                raise invalid("source", "expected a binary file (read() returned text)")
            yield bytes(piece)
        return
    if not isinstance(source, Iterable) or isinstance(source, str):
        raise invalid("source", f"expected bytes, an iterable of bytes or a binary file, got {type(source).__name__}")
    pending = bytearray()
    for piece in source:
        if not isinstance(piece, (bytes, bytearray, memoryview)):
            raise invalid("source", f"expected bytes pieces, got {type(piece).__name__}")
        pending += piece
        while len(pending) >= size:
            yield bytes(pending[:size])
            del pending[:size]
    if pending:
        yield bytes(pending)


def _range_request(ns: str, id: str, offset: Optional[int], length: Optional[int], min_seq: Optional[int]) -> Dict[str, Any]:  # noqa: A002
    """The body of ``artifact.get`` and ``artifact.read``: a byte range of an artifact's newest version."""
    return body(ns=check(ns, str, "ns"), id=check(id, str, "id"), offset=check(offset, int, "offset"), length=check(length, int, "length"), min_seq=check(min_seq, int, "min_seq"))


class ArtifactBlock:
    def __init__(self, caller: Caller):
        self._caller = caller

    def put(
        self,
        ns: str,
        data: bytes,
        *,
        id: Optional[str] = None,  # noqa: A002 - the contract's field name
        content_type: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
        timeout_s: Optional[float] = None,
    ) -> ArtifactRef:
        """Stores ``data`` (at most 512 KiB; ``upload`` takes any size) as a new version of ``id`` (generated when absent)."""
        request = body(ns=check(ns, str, "ns"), id=check(id, str, "id"), content_type=check(content_type, str, "content_type"),
                       metadata=check_metadata(metadata), data=encode_bytes(data, "data"))
        return ref_of(self._caller.call("artifact.put", request, timeout_s=timeout_s))

    def upload_begin(
        self,
        ns: str,
        *,
        id: Optional[str] = None,  # noqa: A002 - the contract's field name
        content_type: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
        timeout_s: Optional[float] = None,
    ) -> ArtifactUploadBeginResult:
        request = body(ns=check(ns, str, "ns"), id=check(id, str, "id"), content_type=check(content_type, str, "content_type"), metadata=check_metadata(metadata))
        reply = self._caller.call("artifact.upload.begin", request, timeout_s=timeout_s)
        return ArtifactUploadBeginResult(upload_id=reply["uploadId"])

    def upload_append(self, upload_id: str, data: bytes, *, timeout_s: Optional[float] = None) -> ArtifactUploadAppendResult:
        """Stages one part (at most 512 KiB) after the previous ones."""
        reply = self._caller.call("artifact.upload.append", {"uploadId": check(upload_id, str, "upload_id"), "data": encode_bytes(data, "data")}, timeout_s=timeout_s)
        return ArtifactUploadAppendResult(size=int(reply.get("size", 0)))

    def upload_commit(self, upload_id: str, *, sha256: Optional[str] = None, timeout_s: Optional[float] = None) -> ArtifactRef:
        """Stores the staged parts as one version; with ``sha256``, only if they hash to it (else ``DIGEST_MISMATCH``, nothing stored)."""
        reply = self._caller.call("artifact.upload.commit", body(upload_id=check(upload_id, str, "upload_id"), sha256=check(sha256, str, "sha256")), timeout_s=timeout_s)
        return ref_of(reply)

    def upload(
        self,
        ns: str,
        source: ArtifactSource,
        *,
        id: Optional[str] = None,  # noqa: A002 - the contract's field name
        content_type: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
        chunk_bytes: int = CHUNK_BYTES,
        timeout_s: Optional[float] = None,
    ) -> ArtifactRef:
        """Stores a blob of any size: ``upload_begin``, one ``upload_append`` per ``chunk_bytes``, then ``upload_commit``
        with the SHA-256 computed here, so bytes damaged on the way are refused instead of stored."""
        check(chunk_bytes, int, "chunk_bytes")
        if not 0 < chunk_bytes <= CHUNK_BYTES:
            raise invalid("chunk_bytes", f"must be between 1 and {CHUNK_BYTES}")
        upload_id = self.upload_begin(ns, id=id, content_type=content_type, metadata=metadata, timeout_s=timeout_s).upload_id
        digest = hashlib.sha256()
        for chunk in rechunk(source, chunk_bytes):
            digest.update(chunk)
            self.upload_append(upload_id, chunk, timeout_s=timeout_s)
        return self.upload_commit(upload_id, sha256=digest.hexdigest(), timeout_s=timeout_s)

    def get(
        self,
        ns: str,
        id: str,  # noqa: A002 - the contract's field name
        *,
        offset: Optional[int] = None,
        length: Optional[int] = None,
        min_seq: Optional[int] = None,
        timeout_s: Optional[float] = None,
    ) -> ArtifactGetResult:
        """The newest version's ref and up to 512 KiB of its bytes; unknown id → ``NotFound``."""
        reply = self._caller.call("artifact.get", _range_request(ns, id, offset, length, min_seq), timeout_s=timeout_s)
        return ArtifactGetResult(ref=ref_of(reply["ref"]), data=decode_bytes(reply.get("data")))

    def read(
        self,
        ns: str,
        id: str,  # noqa: A002 - the contract's field name
        *,
        offset: Optional[int] = None,
        length: Optional[int] = None,
        min_seq: Optional[int] = None,
        timeout_s: Optional[float] = None,
    ) -> Iterator[bytes]:
        """The bytes (from ``offset``, ``length`` of them, else to the end) as chunks in order, however large the blob.
        Each chunk is checked to start where the previous one ended."""
        return self._chunks(_range_request(ns, id, offset, length, min_seq), offset or 0, timeout_s)

    def _chunks(self, request: Dict[str, Any], start: int, timeout_s: Optional[float]) -> Iterator[bytes]:
        expected = start
        items = self._caller.stream("artifact.read", request, timeout_s=timeout_s)
        try:
            for item in items:
                at = int(item.get("offset", 0))
                if at != expected:
                    raise Internal("INTERNAL", f"artifact.read: expected bytes at offset {expected}, got {at}")
                data = decode_bytes(item.get("data"))
                expected += len(data)
                yield data
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    def read_all(
        self,
        ns: str,
        id: str,  # noqa: A002 - the contract's field name
        *,
        offset: Optional[int] = None,
        length: Optional[int] = None,
        min_seq: Optional[int] = None,
        timeout_s: Optional[float] = None,
    ) -> bytes:
        """``read``, reassembled into one ``bytes``."""
        return b"".join(self.read(ns, id, offset=offset, length=length, min_seq=min_seq, timeout_s=timeout_s))

    def stat(self, ns: str, id: str, *, min_seq: Optional[int] = None, timeout_s: Optional[float] = None) -> Optional[ArtifactRef]:  # noqa: A002
        """The newest version's ref, or ``None`` when there is none."""
        reply = self._caller.call("artifact.stat", body(ns=check(ns, str, "ns"), id=check(id, str, "id"), min_seq=check(min_seq, int, "min_seq")), timeout_s=timeout_s)
        return ref_of(reply) if reply.get("found") else None

    def delete(self, ns: str, id: str, *, timeout_s: Optional[float] = None) -> ArtifactDeleteResult:  # noqa: A002
        reply = self._caller.call("artifact.delete", {"ns": check(ns, str, "ns"), "id": check(id, str, "id")}, timeout_s=timeout_s)
        return ArtifactDeleteResult(existed=bool(reply.get("existed")), seq=reply.get("seq"))

    def list(
        self,
        ns: str,
        *,
        prefix: Optional[str] = None,
        start_after: Optional[str] = None,
        limit: Optional[int] = None,
        filter: Optional[Mapping[str, str]] = None,  # noqa: A002 - the contract's field name
        min_seq: Optional[int] = None,
        timeout_s: Optional[float] = None,
    ) -> ArtifactListResult:
        """One page of artifacts (newest versions) in id order; ``filter`` is an exact-match AND on metadata."""
        request = body(ns=check(ns, str, "ns"), prefix=check(prefix, str, "prefix"), start_after=check(start_after, str, "start_after"),
                       limit=check(limit, int, "limit"), filter=check_metadata(filter, "filter"), min_seq=check(min_seq, int, "min_seq"))
        reply = self._caller.call("artifact.list", request, timeout_s=timeout_s)
        return ArtifactListResult(items=tuple(ref_of(r) for r in reply.get("items", ())), next_start_after=reply.get("nextStartAfter") or None)
