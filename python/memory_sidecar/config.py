"""The client's settings, validated once when the client is made.

An unknown or misspelled key (``on_orhpan``) is a ``ClientConfigError`` that names it and the
likely right one; a value out of range is one too. Values over a clamp are lowered with one
warning each, and the deprecated ``session_config['timeout_ms']`` is honoured with one warning
naming its replacement — the same rules as the TypeScript SDK's ``parseClientConfig``.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import warnings
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Literal, Mapping, Optional, Union

from ._wire import TlsConfig, default_endpoint, parse_endpoint
from .errors import ClientConfigError

OnOrphan = Literal["checkpoint_and_close", "abort_quietly"]
ON_ORPHAN_CHOICES = ("checkpoint_and_close", "abort_quietly")

MAX_RETRIES_CLAMP = 5
CAP_DELAY_S_CLAMP = 30.0
DEFAULT_REQUEST_TIMEOUT_S = 10.0
DEFAULT_REQUEST_RETENTION_S = 7 * 24 * 3600.0
"""The service's default ``MEMSIDECAR_REQUEST_RETENTION_MS``: how long it honours a request id."""
MIN_REQUEST_RETENTION_S = 3600.0


class ClientConfigWarning(UserWarning):
    """A setting was accepted but changed: a value over its clamp was lowered."""


class DeprecatedSettingWarning(ClientConfigWarning, FutureWarning):
    """A deprecated setting was honoured; the message names its replacement."""


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Capped exponential backoff with session-derived jitter (see ``backoff.retry_delay_ms``)."""

    max_retries: int = 3
    """Retries after the first attempt; clamped to 5."""
    base_delay_ms: float = 200
    """The first pause's ceiling."""
    cap_delay_s: float = 30
    """No pause is longer; clamped to 30."""
    jitter_factor: float = 0.25
    """How much of each pause the jitter may take off, 0 to 1."""

    @property
    def cap_delay_ms(self) -> float:
        return self.cap_delay_s * 1000


@dataclass(frozen=True, kw_only=True)
class SessionDefaults:
    """What sessions opened with ``MemoryClient.open_session`` use unless told otherwise."""

    heartbeat_interval_s: float = 10
    heartbeat_timeout_s: float = 25
    """Silence after which the service finds a session orphaned; must exceed the interval."""
    on_orphan: OnOrphan = "checkpoint_and_close"

    @property
    def heartbeat_interval_ms(self) -> int:
        return round(self.heartbeat_interval_s * 1000)

    @property
    def heartbeat_timeout_ms(self) -> int:
        return round(self.heartbeat_timeout_s * 1000)


@dataclass(frozen=True, kw_only=True)
class ClientConfig:
    """A validated configuration: every default filled in, every clamp applied."""

    endpoint: str
    token: Optional[str]
    tls: Optional[TlsConfig]
    request_timeout_s: float
    session: SessionDefaults
    retry_policy: RetryPolicy
    transaction_log: Optional[str]
    request_retention_s: float


TOP_LEVEL_SETTINGS = ("endpoint", "token", "tls", "request_timeout_s", "session_config", "retry_policy", "transaction_log", "request_retention_s")
_SESSION_KEYS = ("heartbeat_interval_s", "heartbeat_timeout_s", "on_orphan", "timeout_ms")
_RETRY_KEYS = tuple(f.name for f in dataclasses.fields(RetryPolicy))
_TLS_KEYS = tuple(f.name for f in dataclasses.fields(TlsConfig))
_NESTED = {"session_config": _SESSION_KEYS, "retry_policy": _RETRY_KEYS, "tls": _TLS_KEYS}


def parse_client_config(
    *,
    endpoint: Optional[str] = None,
    token: Optional[str] = None,
    tls: Union[TlsConfig, Mapping[str, Any], None] = None,
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
    session_config: Union[SessionDefaults, Mapping[str, Any], None] = None,
    retry_policy: Union[RetryPolicy, Mapping[str, Any], None] = None,
    transaction_log: Union[str, "os.PathLike[str]", None] = None,
    request_retention_s: float = DEFAULT_REQUEST_RETENTION_S,
    unknown: Optional[Mapping[str, Any]] = None,
    stacklevel: int = 2,
) -> ClientConfig:
    """Validates the client's settings; ``unknown`` holds keyword arguments no setting is called by.

    ``stacklevel`` points warnings at the caller's line (2: whoever called this function).
    """
    if unknown:
        raise _unknown_settings("", unknown.keys(), TOP_LEVEL_SETTINGS)
    warn_at = stacklevel + 1
    return ClientConfig(
        endpoint=_endpoint(endpoint),
        token=_token(token),
        tls=_tls(tls),
        request_timeout_s=_number("request_timeout_s", request_timeout_s, above=0),
        session=_session(session_config, warn_at),
        retry_policy=_retry(retry_policy, warn_at),
        transaction_log=_path("transaction_log", transaction_log),
        request_retention_s=_number("request_retention_s", request_retention_s, at_least=MIN_REQUEST_RETENTION_S),
    )


def _invalid(message: str) -> ClientConfigError:
    return ClientConfigError(f"invalid memory client configuration: {message}")


def suggest(key: str, known: Iterable[str]) -> Optional[str]:
    """The known name ``key`` was probably meant to be: the same letters in another case or
    spelling (``maxRetries``, ``max-retries``), else the closest by ``difflib``."""
    known = list(known)
    squashed = key.replace("_", "").replace("-", "").lower()
    for name in known:
        if name.replace("_", "").lower() == squashed:
            return name
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return close[0]
    # The short form of a name (``ca`` for ``ca_file``).
    starting = [name for name in known if squashed and name.replace("_", "").lower().startswith(squashed)]
    return starting[0] if len(starting) == 1 else None


def _unknown_settings(section: str, keys: Iterable[str], known: Iterable[str]) -> ClientConfigError:
    known = tuple(known)
    named = []
    for key in keys:
        where = f"{section}.{key}" if section else key
        hint = suggest(str(key), known)
        if hint is None and not section:
            # A nested setting given at the top level: point at the section it belongs in.
            hint = next((f"{outer}={{{key!r}: ...}}" for outer, inner in _NESTED.items() if key in inner), None)
        named.append(f"{where} (did you mean {hint}?)" if hint else where)
    return _invalid(f"unknown setting {', '.join(named)}; known: {', '.join(known)}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value  # NaN is not a number here


def _number(where: str, value: Any, *, above: Optional[float] = None, at_least: Optional[float] = None, at_most: Optional[float] = None, integer: bool = False) -> Any:
    if not _is_number(value) or (integer and not isinstance(value, int)):
        raise _invalid(f"{where}: must be a {'whole number' if integer else 'number'}, not {value!r}")
    if above is not None and not value > above:
        raise _invalid(f"{where}: must be more than {above:g}, not {value!r}")
    if at_least is not None and value < at_least:
        raise _invalid(f"{where}: must be at least {at_least:g}, not {value!r}")
    if at_most is not None and value > at_most:
        raise _invalid(f"{where}: must be at most {at_most:g}, not {value!r}")
    return value


def _section(name: str, given: Any, dataclass_type: type, known: tuple) -> Dict[str, Any]:
    """A nested setting as a dict, from a mapping or from its dataclass (validated the same way)."""
    if given is None:
        return {}
    if isinstance(given, dataclass_type):
        return dataclasses.asdict(given)
    if not isinstance(given, Mapping):
        raise _invalid(f"{name}: must be a dict or a {dataclass_type.__name__}, not {type(given).__name__}")
    unknown = [k for k in given if k not in known]
    if unknown:
        raise _unknown_settings(name, unknown, known)
    return dict(given)


def _session(given: Any, warn_at: int) -> SessionDefaults:
    s = _section("session_config", given, SessionDefaults, _SESSION_KEYS)
    defaults = SessionDefaults()
    interval = _number("session_config.heartbeat_interval_s", s.get("heartbeat_interval_s", defaults.heartbeat_interval_s), above=0)
    timeout = _number("session_config.heartbeat_timeout_s", s.get("heartbeat_timeout_s", defaults.heartbeat_timeout_s), above=0)
    on_orphan = s.get("on_orphan", defaults.on_orphan)
    if on_orphan not in ON_ORPHAN_CHOICES:
        raise _invalid(f"session_config.on_orphan: must be {' or '.join(ON_ORPHAN_CHOICES)}, not {on_orphan!r}")
    if s.get("timeout_ms") is not None:
        legacy = _number("session_config.timeout_ms", s["timeout_ms"], above=0, integer=True)
        given_too = s.get("heartbeat_timeout_s") is not None
        warnings.warn(
            f"session_config.timeout_ms is deprecated: use session_config.heartbeat_timeout_s (in seconds){' (given, and it wins)' if given_too else ''}",
            DeprecatedSettingWarning,
            stacklevel=warn_at,
        )
        if not given_too:
            timeout = legacy / 1000
    if timeout <= interval:
        raise _invalid(f"session_config.heartbeat_timeout_s ({timeout:g}) must exceed session_config.heartbeat_interval_s ({interval:g})")
    return SessionDefaults(heartbeat_interval_s=interval, heartbeat_timeout_s=timeout, on_orphan=on_orphan)


def _retry(given: Any, warn_at: int) -> RetryPolicy:
    r = _section("retry_policy", given, RetryPolicy, _RETRY_KEYS)
    defaults = RetryPolicy()
    max_retries = _number("retry_policy.max_retries", r.get("max_retries", defaults.max_retries), at_least=0, integer=True)
    base_delay_ms = _number("retry_policy.base_delay_ms", r.get("base_delay_ms", defaults.base_delay_ms), at_least=0)
    cap_delay_s = _number("retry_policy.cap_delay_s", r.get("cap_delay_s", defaults.cap_delay_s), above=0)
    jitter_factor = _number("retry_policy.jitter_factor", r.get("jitter_factor", defaults.jitter_factor), at_least=0, at_most=1)
    if max_retries > MAX_RETRIES_CLAMP:
        warnings.warn(f"retry_policy.max_retries {max_retries} is clamped to {MAX_RETRIES_CLAMP}", ClientConfigWarning, stacklevel=warn_at)
        max_retries = MAX_RETRIES_CLAMP
    if cap_delay_s > CAP_DELAY_S_CLAMP:
        warnings.warn(f"retry_policy.cap_delay_s {cap_delay_s:g} is clamped to {CAP_DELAY_S_CLAMP:g}", ClientConfigWarning, stacklevel=warn_at)
        cap_delay_s = CAP_DELAY_S_CLAMP
    return RetryPolicy(max_retries=max_retries, base_delay_ms=base_delay_ms, cap_delay_s=cap_delay_s, jitter_factor=jitter_factor)


def _endpoint(given: Optional[str]) -> str:
    endpoint = default_endpoint() if given is None else given
    if not isinstance(endpoint, str):
        raise _invalid(f"endpoint: must be a string, not {type(endpoint).__name__}")
    try:
        parse_endpoint(endpoint)
    except ValueError as e:
        raise _invalid(str(e)) from None
    return endpoint


def _token(given: Optional[str]) -> Optional[str]:
    if given is None:
        return os.environ.get("MEMSIDECAR_TOKEN") or None
    if not isinstance(given, str) or not given:
        raise _invalid("token: must be a non-empty string")
    return given


def _path(where: str, given: Any) -> Optional[str]:
    if given is None:
        return None
    if not isinstance(given, (str, os.PathLike)) or not os.fspath(given):
        raise _invalid(f"{where}: must be a path, not {given!r}")
    return os.fspath(given)


def _tls(given: Any) -> Optional[TlsConfig]:
    if given is None:
        return None
    t = _section("tls", given, TlsConfig, _TLS_KEYS)
    files = {k: _path(f"tls.{k}", v) for k, v in t.items()}
    if (files.get("cert_file") is None) != (files.get("key_file") is None):
        raise _invalid("tls.cert_file and tls.key_file go together (a client certificate needs its key)")
    for key, path in files.items():
        if path is not None and not os.path.isfile(path):
            raise _invalid(f"tls.{key}: no such file {path!r}")
    return TlsConfig(**files)
