"""The client's settings: defaults, clamps with one warning each, the deprecated session timeout,
and refusals that name the setting and the likely right one. No service is needed."""

import warnings
from typing import Any, List, Tuple

import pytest

from memory_sidecar import ClientConfigError, ClientConfigWarning, DeprecatedSettingWarning, MemoryClient, RetryPolicy, SessionDefaults, TlsConfig
from memory_sidecar.config import parse_client_config


def parsed(**settings: Any) -> Tuple[Any, List[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config = parse_client_config(endpoint="unix:///tmp/none.sock", **settings)
    return config, caught


def refusal(**settings: Any) -> str:
    with pytest.raises(ClientConfigError) as refused, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parse_client_config(endpoint="unix:///tmp/none.sock", **settings)
    return str(refused.value)


def test_the_seed_configuration_is_taken_as_written(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = MemoryClient(
            endpoint="unix:///var/run/mem-sidecar.sock",
            session_config={"heartbeat_interval_s": 10, "heartbeat_timeout_s": 25, "on_orphan": "checkpoint_and_close"},
            retry_policy={"max_retries": 3, "base_delay_ms": 200, "cap_delay_s": 30, "jitter_factor": 0.25},
            transaction_log=str(tmp_path / "tx.jsonl"),
        )
    try:
        assert client.config.endpoint == "unix:///var/run/mem-sidecar.sock"
        assert client.config.session == SessionDefaults(heartbeat_interval_s=10, heartbeat_timeout_s=25, on_orphan="checkpoint_and_close")
        assert client.config.retry_policy == RetryPolicy(max_retries=3, base_delay_ms=200, cap_delay_s=30, jitter_factor=0.25)
        assert client.config.transaction_log == str(tmp_path / "tx.jsonl")
    finally:
        client.shutdown(timeout_s=1)


def test_defaults_are_the_documented_ones_and_say_nothing(monkeypatch):
    monkeypatch.delenv("MEMSIDECAR_TOKEN", raising=False)
    config, caught = parsed()
    assert config.session == SessionDefaults()
    assert (config.session.heartbeat_interval_s, config.session.heartbeat_timeout_s, config.session.on_orphan) == (10, 25, "checkpoint_and_close")
    assert config.retry_policy == RetryPolicy(max_retries=3, base_delay_ms=200, cap_delay_s=30, jitter_factor=0.25)
    assert config.request_timeout_s == 10
    assert config.request_retention_s == 7 * 24 * 3600
    assert config.token is None and config.tls is None and config.transaction_log is None
    assert caught == []


def test_the_token_defaults_to_the_environment(monkeypatch):
    monkeypatch.setenv("MEMSIDECAR_TOKEN", "from-env")
    assert parsed()[0].token == "from-env"
    assert parsed(token="given")[0].token == "given"


def test_dataclasses_are_accepted_and_validated_like_dicts():
    config, caught = parsed(retry_policy=RetryPolicy(max_retries=9), session_config=SessionDefaults(heartbeat_interval_s=1, heartbeat_timeout_s=3))
    assert config.retry_policy.max_retries == 5
    assert config.session.heartbeat_timeout_s == 3
    assert len(caught) == 1


@pytest.mark.parametrize(
    "settings, field, clamped",
    [({"max_retries": 7}, "max_retries", 5), ({"cap_delay_s": 60}, "cap_delay_s", 30)],
)
def test_a_value_over_its_clamp_is_lowered_with_one_warning(settings, field, clamped):
    config, caught = parsed(retry_policy=settings)
    assert getattr(config.retry_policy, field) == clamped
    assert len(caught) == 1
    assert issubclass(caught[0].category, ClientConfigWarning)
    assert f"retry_policy.{field}" in str(caught[0].message)


def test_two_clamped_values_warn_once_each():
    config, caught = parsed(retry_policy={"max_retries": 7, "cap_delay_s": 60})
    assert (config.retry_policy.max_retries, config.retry_policy.cap_delay_s) == (5, 30)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2
    assert sum("max_retries" in m for m in messages) == 1 and sum("cap_delay_s" in m for m in messages) == 1


def test_values_at_the_clamp_are_left_alone():
    config, caught = parsed(retry_policy={"max_retries": 5, "cap_delay_s": 30})
    assert (config.retry_policy.max_retries, config.retry_policy.cap_delay_s) == (5, 30)
    assert caught == []


def test_the_warning_points_at_the_line_that_made_the_client():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MemoryClient(endpoint="unix:///tmp/none.sock", retry_policy={"max_retries": 6}).shutdown(timeout_s=0.1)
    assert len(caught) == 1 and caught[0].filename == __file__


def test_deprecated_timeout_ms_is_honoured_with_a_warning_naming_its_replacement():
    config, caught = parsed(session_config={"timeout_ms": 40_000})
    assert config.session.heartbeat_timeout_s == 40
    assert len(caught) == 1
    assert issubclass(caught[0].category, DeprecatedSettingWarning)
    assert "session_config.timeout_ms" in str(caught[0].message)
    assert "session_config.heartbeat_timeout_s" in str(caught[0].message)


def test_heartbeat_timeout_s_wins_over_timeout_ms_still_with_one_warning():
    config, caught = parsed(session_config={"timeout_ms": 40_000, "heartbeat_timeout_s": 60})
    assert config.session.heartbeat_timeout_s == 60
    assert len(caught) == 1 and "heartbeat_timeout_s" in str(caught[0].message)


def test_timeout_ms_must_still_exceed_the_interval():
    assert "heartbeat_timeout_s" in refusal(session_config={"timeout_ms": 10_000})


@pytest.mark.parametrize(
    "settings, named, suggested",
    [
        ({"session_config": {"on_orhpan": "abort_quietly"}}, "session_config.on_orhpan", "on_orphan"),
        ({"session_config": {"heartbeatIntervalS": 5}}, "session_config.heartbeatIntervalS", "heartbeat_interval_s"),
        ({"retry_policy": {"max_retry": 2}}, "retry_policy.max_retry", "max_retries"),
        ({"retry_policy": {"maxRetries": 2}}, "retry_policy.maxRetries", "max_retries"),
        ({"tls": {"ca": "/x"}}, "tls.ca", "ca_file"),
    ],
)
def test_a_misspelled_key_is_named_with_the_right_one(settings, named, suggested):
    message = refusal(**settings)
    assert named in message
    assert f"did you mean {suggested}?" in message


@pytest.mark.parametrize(
    "kwargs, named, suggested",
    [
        ({"retry_polcy": {}}, "retry_polcy", "retry_policy"),
        ({"sessionConfig": {}}, "sessionConfig", "session_config"),
        ({"transaction_log_path": "/x"}, "transaction_log_path", "transaction_log"),
        ({"on_orphan": "abort_quietly"}, "on_orphan", "session_config={'on_orphan': ...}"),
    ],
)
def test_an_unknown_keyword_of_the_client_is_a_config_error_with_a_suggestion(kwargs, named, suggested):
    with pytest.raises(ClientConfigError) as refused:
        MemoryClient(endpoint="unix:///tmp/none.sock", **kwargs)
    assert named in str(refused.value)
    assert f"did you mean {suggested}?" in str(refused.value)


def test_a_key_like_no_known_one_is_named_without_a_guess():
    message = refusal(session_config={"zzz": 1})
    assert "session_config.zzz" in message and "did you mean" not in message


@pytest.mark.parametrize(
    "settings, named",
    [
        ({"session_config": {"on_orphan": "sometimes"}}, "session_config.on_orphan"),
        ({"retry_policy": {"jitter_factor": 2}}, "retry_policy.jitter_factor"),
        ({"retry_policy": {"max_retries": -1}}, "retry_policy.max_retries"),
        ({"retry_policy": {"max_retries": 2.5}}, "retry_policy.max_retries"),
        ({"retry_policy": {"max_retries": True}}, "retry_policy.max_retries"),
        ({"retry_policy": {"cap_delay_s": 0}}, "retry_policy.cap_delay_s"),
        ({"session_config": {"heartbeat_interval_s": 0}}, "session_config.heartbeat_interval_s"),
        ({"request_timeout_s": 0}, "request_timeout_s"),
        ({"request_retention_s": 60}, "request_retention_s"),
        ({"session_config": "fast"}, "session_config"),
        ({"token": ""}, "token"),
    ],
)
def test_a_bad_value_is_named(settings, named):
    assert named in refusal(**settings)


@pytest.mark.parametrize("interval, timeout", [(10, 10), (10, 5), (30, None)])
def test_the_heartbeat_timeout_must_exceed_the_interval(interval, timeout):
    session = {"heartbeat_interval_s": interval, **({"heartbeat_timeout_s": timeout} if timeout is not None else {})}
    assert "heartbeat_timeout_s" in refusal(session_config=session)


def test_a_bad_endpoint_is_a_config_error():
    with pytest.raises(ClientConfigError, match="endpoint"):
        MemoryClient(endpoint="http://x")


def test_tls_files_are_checked(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("not really a certificate")
    assert parsed(tls={"ca_file": str(ca)})[0].tls == TlsConfig(ca_file=str(ca))
    assert parsed(tls=TlsConfig(ca_file=str(ca)))[0].tls == TlsConfig(ca_file=str(ca))
    assert "tls.ca_file" in refusal(tls={"ca_file": str(tmp_path / "missing.pem")})
    assert "tls.cert_file and tls.key_file" in refusal(tls={"cert_file": str(ca)})


def test_a_transaction_log_that_cannot_be_opened_is_a_config_error(tmp_path):
    with pytest.raises(ClientConfigError, match="transaction_log"):
        MemoryClient(endpoint="unix:///tmp/none.sock", transaction_log=str(tmp_path / "missing-dir" / "tx.jsonl"))
