"""What every block shares: request bodies from keyword arguments, replies into Python values.

The service validates every request; the checks here only catch a wrong Python type early, where
the mistake is cheap to name (``ttl`` given a string), so it surfaces as the same
``InvalidArgument`` the service would answer, with ``details['field']`` set.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple, Type, Union

from ..errors import InvalidArgument

TimeInput = Union[datetime, str]
"""A time as the caller has it: an aware ``datetime``, or the contract's ISO 8601 string as is."""


def invalid(field: str, message: str) -> InvalidArgument:
    return InvalidArgument("INVALID_ARGUMENT", f"{field}: {message}", None, {"field": field})


def check(value: Any, types: Union[Type[Any], Tuple[Type[Any], ...]], field: str) -> Any:
    """``value`` unchanged when it is ``None`` or of ``types``; else ``InvalidArgument`` naming ``field``.

    ``bool`` is an ``int`` to Python but never a count or a version to the contract, so it is refused
    where ``int`` is asked for.
    """
    if value is None:
        return None
    wanted = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool) and bool not in wanted:
        raise invalid(field, f"expected {_names(wanted)}, got bool")
    if not isinstance(value, wanted):
        raise invalid(field, f"expected {_names(wanted)}, got {type(value).__name__}")
    return value


def _names(types: Tuple[Type[Any], ...]) -> str:
    return " or ".join(t.__name__ for t in types)


def check_strings(values: Optional[Iterable[Any]], field: str) -> Optional[list]:
    """A list of strings (a lone ``str`` is refused: it would be read as its characters)."""
    if values is None:
        return None
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise invalid(field, f"expected a sequence of str, got {type(values).__name__}")
    out = list(values)
    for item in out:
        check(item, str, field)
    return out


def check_metadata(metadata: Optional[Mapping[str, Any]], field: str = "metadata") -> Optional[Dict[str, str]]:
    """String-to-string metadata (kv, episodic, artifact, lease, session)."""
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        raise invalid(field, f"expected a mapping of str to str, got {type(metadata).__name__}")
    for key, value in metadata.items():
        check(key, str, field)
        check(value, str, field)
    return dict(metadata)


def body(**fields: Any) -> Dict[str, Any]:
    """A request body: keyword names in camelCase, ``None`` (not given) left out."""
    return {camel(name): value for name, value in fields.items() if value is not None}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def time_arg(value: Optional[TimeInput], field: str) -> Optional[str]:
    """A time input as the contract's ISO 8601 string (UTC, milliseconds). Naive datetimes are refused:
    the service would read them in its own time zone, not the caller's."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if not isinstance(value, datetime):
        raise invalid(field, f"expected datetime or ISO 8601 str, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise invalid(field, "a naive datetime has no time zone; pass an aware one (e.g. tzinfo=timezone.utc)")
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def duration_ms(ms: Optional[int], duration: Optional[timedelta], field: str, ms_field: Optional[str] = None) -> Optional[int]:
    """One duration given either as ``<field>_ms`` (int) or as ``<field>`` (``timedelta``); both is ambiguous."""
    ms_field = ms_field or f"{field}_ms"
    check(ms, int, ms_field)
    check(duration, timedelta, field)
    if ms is not None and duration is not None:
        raise invalid(field, f"give {field} or {ms_field}, not both")
    if duration is not None:
        return int(duration / timedelta(milliseconds=1))
    return ms


def encode_bytes(data: Any, field: str) -> str:
    """Bytes as the contract carries them: base64."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise invalid(field, f"expected bytes, got {type(data).__name__}")
    return base64.b64encode(bytes(data)).decode("ascii")


def decode_bytes(value: Any) -> bytes:
    """A ``data`` field of a reply: base64 in a JSON body, already bytes from the gRPC wire."""
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return base64.b64decode(value)


def parse_time(value: Optional[str]) -> Optional[datetime]:
    """An ISO 8601 string of a reply as an aware ``datetime``; ``None`` stays ``None``."""
    if value is None or value == "":
        return None
    return datetime.fromisoformat(value)


def req_time(value: str) -> datetime:
    """A time the reply always carries."""
    parsed = parse_time(value)
    if parsed is None:
        raise ValueError("a reply lacked a time it always carries")
    return parsed


def metadata_of(reply: Mapping[str, Any], key: str = "metadata") -> Dict[str, Any]:
    return dict(reply.get(key) or {})


def integral(value: Any) -> Any:
    """JSON numbers from a ``google.protobuf.Value`` come back as floats: whole ones are ints again."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [integral(v) for v in value]
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    return value
