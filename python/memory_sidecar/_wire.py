"""The gRPC wire: one generic call path for every operation of proto/memsidecar/<block>/v1.

Bodies are the contract's JSON bodies as Python values (camelCase keys, as over NATS and HTTP);
they are converted to and from the operation's protobuf messages here, so the typed blocks above
never touch protobuf.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterator, Mapping, Optional, Sequence, Tuple

import grpc
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor

from .errors import MemoryError, error_for

_WELL_KNOWN_JSON = {"google.protobuf.Value", "google.protobuf.Struct", "google.protobuf.ListValue"}
_INT64 = {FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED64}


@dataclass(frozen=True)
class Headers:
    """What travels beside a body: the contract's request headers as gRPC metadata."""

    request_id: Optional[str] = None
    session_id: Optional[str] = None
    session_token: Optional[str] = None


def _pascal(name: str) -> str:
    """``upload.begin`` → ``UploadBegin``: rpc names are the op names in PascalCase."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("."))


def _json_name(field: FieldDescriptor) -> str:
    return field.json_name


class _Method:
    """One rpc: its path, its request and response classes, and whether the server streams."""

    def __init__(self, op: str):
        block, _, name = op.partition(".")
        module = importlib.import_module(f"memory_sidecar._proto.memsidecar.{block}.v1.{block}_pb2")
        service = next(iter(module.DESCRIPTOR.services_by_name.values()))
        method = service.methods_by_name.get(_pascal(name))
        if method is None:
            raise ValueError(f"{op} is not an operation of {service.full_name}")
        self.path = f"/{service.full_name}/{method.name}"
        self.request = getattr(module, method.input_type.name)
        self.response = getattr(module, method.output_type.name)
        self.server_streaming = method.server_streaming
        self.client_streaming = method.client_streaming


_METHODS: Dict[str, _Method] = {}


def _method(op: str) -> _Method:
    if op not in _METHODS:
        _METHODS[op] = _Method(op)
    return _METHODS[op]


def to_message(body: Mapping[str, Any], cls: Any) -> Any:
    """A JSON body as the operation's request message. ``None`` means "not set", except where the field holds any JSON value."""
    message = cls()
    cleaned = {k: v for k, v in body.items() if v is not None or _holds_any_json(cls, k)}
    json_format.ParseDict(cleaned, message, ignore_unknown_fields=False)
    return message


def _holds_any_json(cls: Any, key: str) -> bool:
    for field in cls.DESCRIPTOR.fields:
        if key in (field.json_name, field.name):
            return field.message_type is not None and field.message_type.full_name == "google.protobuf.Value"
    return False


def to_body(message: Any) -> Dict[str, Any]:
    """A response message as the contract's JSON body: camelCase keys, int64 as int, unset optional fields left out."""
    out: Dict[str, Any] = {}
    for field in message.DESCRIPTOR.fields:
        name = _json_name(field)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            out[name] = {k: _field_value(value_field, v) for k, v in getattr(message, field.name).items()}
        elif field.label == FieldDescriptor.LABEL_REPEATED:
            out[name] = [_field_value(field, v) for v in getattr(message, field.name)]
        elif field.has_presence:
            if message.HasField(field.name):
                out[name] = _field_value(field, getattr(message, field.name))
        else:
            out[name] = _field_value(field, getattr(message, field.name))
    return out


def _field_value(field: FieldDescriptor, value: Any) -> Any:
    if field.message_type is not None:
        if field.message_type.full_name in _WELL_KNOWN_JSON:
            return json_format.MessageToDict(value)
        return to_body(value)
    if field.type in _INT64:
        return int(value)
    return value


def parse_endpoint(endpoint: str) -> Tuple[str, bool]:
    """``unix:///path`` or ``host:port`` (``grpcs://host:port`` asks for TLS) → the gRPC target and whether TLS is implied."""
    if endpoint.startswith("unix:"):
        return endpoint, False
    match = re.fullmatch(r"(?:(grpcs?)://)?(\[[0-9a-fA-F:]+\]|[^\s:/]+):(\d{1,5})", endpoint)
    if not match:
        raise ValueError(f"endpoint must be unix:///path, host:port or grpcs://host:port, not {endpoint!r}")
    scheme, host, port = match.groups()
    return f"{host}:{port}", scheme == "grpcs"


@dataclass(frozen=True)
class TlsConfig:
    """TLS towards the service: a private CA and, for mTLS, a client certificate and key (PEM files)."""

    ca_file: Optional[str] = None
    cert_file: Optional[str] = None
    key_file: Optional[str] = None


def _read(path: Optional[str]) -> Optional[bytes]:
    if path is None:
        return None
    with open(path, "rb") as f:
        return f.read()


def open_channel(endpoint: str, tls: Optional[TlsConfig] = None, options: Sequence[Tuple[str, Any]] = ()) -> grpc.Channel:
    """``options``: further gRPC channel arguments (e.g. how fast to reconnect)."""
    target, implied = parse_endpoint(endpoint)
    options = [("grpc.max_receive_message_length", 16 * 1024 * 1024), ("grpc.max_send_message_length", 16 * 1024 * 1024), *options]
    if tls is None and not implied:
        return grpc.insecure_channel(target, options=options)
    tls = tls or TlsConfig()
    credentials = grpc.ssl_channel_credentials(root_certificates=_read(tls.ca_file), private_key=_read(tls.key_file), certificate_chain=_read(tls.cert_file))
    return grpc.secure_channel(target, credentials, options=options)


class Wire:
    """Calls operations by name (``kv.put``) with JSON bodies over one gRPC channel."""

    def __init__(self, channel: grpc.Channel, token: Optional[str]):
        self.channel = channel
        self.token = token

    def metadata(self, headers: Headers) -> Tuple[Tuple[str, str], ...]:
        pairs = []
        if self.token:
            pairs.append(("authorization", f"Bearer {self.token}"))
        if headers.request_id:
            pairs.append(("mem-request-id", headers.request_id))
        if headers.session_id:
            pairs.append(("mem-session-id", headers.session_id))
        if headers.session_token:
            pairs.append(("mem-session-token", headers.session_token))
        return tuple(pairs)

    def call(self, op: str, body: Mapping[str, Any], headers: Headers = Headers(), timeout_s: Optional[float] = None) -> Dict[str, Any]:
        method = _method(op)
        request = self._request(op, method, body)
        rpc = self.channel.unary_unary(method.path, request_serializer=method.request.SerializeToString, response_deserializer=method.response.FromString)
        try:
            return to_body(rpc(request, metadata=self.metadata(headers), timeout=timeout_s))
        except grpc.RpcError as e:
            raise as_memory_error(e) from None

    def stream(self, op: str, body: Mapping[str, Any], headers: Headers = Headers(), timeout_s: Optional[float] = None) -> Iterator[Dict[str, Any]]:
        method = _method(op)
        request = self._request(op, method, body)
        rpc = self.channel.unary_stream(method.path, request_serializer=method.request.SerializeToString, response_deserializer=method.response.FromString)
        call = rpc(request, metadata=self.metadata(headers), timeout=timeout_s)
        try:
            for item in call:
                yield to_body(item)
        except grpc.RpcError as e:
            raise as_memory_error(e) from None
        finally:
            call.cancel()

    @staticmethod
    def _request(op: str, method: _Method, body: Mapping[str, Any]) -> Any:
        try:
            return to_message(body, method.request)
        except json_format.ParseError as e:
            field = _field_of(str(e))
            raise error_for("INVALID_ARGUMENT", f"{op}: {e}", None, {"field": field} if field else None) from None


def _field_of(parse_error: str) -> Optional[str]:
    match = re.search(r'field named "([^"]+)"|Failed to parse ([A-Za-z_][A-Za-z0-9_]*) field', parse_error)
    return next((g for g in match.groups() if g), None) if match else None


_STATUS_CODES = {
    grpc.StatusCode.INVALID_ARGUMENT: "INVALID_ARGUMENT",
    grpc.StatusCode.UNAUTHENTICATED: "UNAUTHENTICATED",
    grpc.StatusCode.PERMISSION_DENIED: "PERMISSION_DENIED",
    grpc.StatusCode.NOT_FOUND: "NOT_FOUND",
    grpc.StatusCode.FAILED_PRECONDITION: "FAILED_PRECONDITION",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "RESOURCE_EXHAUSTED",
    grpc.StatusCode.UNAVAILABLE: "UNAVAILABLE",
    grpc.StatusCode.DEADLINE_EXCEEDED: "DEADLINE_EXCEEDED",
}


def as_memory_error(e: grpc.RpcError) -> MemoryError:
    """The contract's error from the trailers (``mem-error-code``, ``-reason``, ``-details``), else from the gRPC status."""
    trailers = {k: v for k, v in (e.trailing_metadata() or ())} if hasattr(e, "trailing_metadata") else {}
    code = trailers.get("mem-error-code") or _STATUS_CODES.get(e.code(), "UNAVAILABLE" if e.code() == grpc.StatusCode.CANCELLED else "INTERNAL")
    details = None
    if "mem-error-details" in trailers:
        try:
            details = json.loads(trailers["mem-error-details"])
        except ValueError:
            details = None
    return error_for(code, e.details() or code, trailers.get("mem-error-reason"), details)


def default_endpoint() -> str:
    return os.environ.get("MEMSIDECAR_ENDPOINT") or ("unix://" + os.environ["MEMSIDECAR_GRPC_SOCKET"] if os.environ.get("MEMSIDECAR_GRPC_SOCKET") else "127.0.0.1:7777")
