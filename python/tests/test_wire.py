"""The generic gRPC path against the real service: bodies in, bodies out, errors with the contract's code."""

import pytest

from memory_sidecar import FailedPrecondition, InvalidArgument, Unauthenticated
from memory_sidecar._wire import Headers, Wire, open_channel, parse_endpoint


def test_endpoints_are_parsed_as_users_write_them():
    assert parse_endpoint("unix:///var/run/mem-sidecar.sock") == ("unix:///var/run/mem-sidecar.sock", False)
    assert parse_endpoint("127.0.0.1:7777") == ("127.0.0.1:7777", False)
    assert parse_endpoint("grpcs://mem.example.com:443") == ("mem.example.com:443", True)
    assert parse_endpoint("[::1]:7777") == ("[::1]:7777", False)
    with pytest.raises(ValueError, match="endpoint"):
        parse_endpoint("http://x")


@pytest.mark.parametrize("endpoint_of", [lambda s: s.unix_endpoint, lambda s: s.tcp_endpoint], ids=["unix", "tcp"])
def test_a_put_and_get_round_trip_over_both_listeners(service, token, unique_ns, endpoint_of):
    wire = Wire(open_channel(endpoint_of(service)), token)
    put = wire.call("kv.put", {"ns": unique_ns, "key": "k", "value": {"nested": [1, "two", None, True]}, "metadata": {"a": "b"}})
    assert put["version"] == 1 and isinstance(put["seq"], int) and put["seq"] > 0
    got = wire.call("kv.get", {"ns": unique_ns, "key": "k"})
    assert got["found"] is True
    assert got["value"] == {"nested": [1, "two", None, True]}
    assert got["metadata"] == {"a": "b"}
    assert "expiresAt" not in got
    assert wire.call("kv.get", {"ns": unique_ns, "key": "missing"}) == {"found": False, "metadata": {}}


def test_errors_carry_the_contract_code_reason_and_field(service, token, unique_ns):
    wire = Wire(open_channel(service.unix_endpoint), token)
    wire.call("kv.put", {"ns": unique_ns, "key": "k", "value": 1, "ifVersion": 0})
    with pytest.raises(FailedPrecondition) as lost:
        wire.call("kv.put", {"ns": unique_ns, "key": "k", "value": 2, "ifVersion": 0})
    assert (lost.value.code, lost.value.reason) == ("FAILED_PRECONDITION", "VERSION_MISMATCH")
    with pytest.raises(InvalidArgument) as bad:
        wire.call("kv.put", {"ns": "bad ns!", "key": "k", "value": 1})
    assert bad.value.details.get("field") == "ns"
    with pytest.raises(Unauthenticated):
        Wire(open_channel(service.unix_endpoint), None).call("kv.get", {"ns": unique_ns, "key": "k"})


def test_a_request_id_applies_once(service, token, unique_ns):
    wire = Wire(open_channel(service.unix_endpoint), token)
    first = wire.call("episodic.append", {"ns": unique_ns, "type": "message", "payload": "hi"}, Headers(request_id="py-req-1"))
    again = wire.call("episodic.append", {"ns": unique_ns, "type": "message", "payload": "hi"}, Headers(request_id="py-req-1"))
    assert again["cursor"] == first["cursor"] and again["seq"] == first["seq"]
    events = wire.call("episodic.range", {"ns": unique_ns})["events"]
    assert len(events) == 1


def test_a_server_stream_is_an_iterator_of_bodies(service, token, unique_ns):
    wire = Wire(open_channel(service.unix_endpoint), token)
    for i in range(3):
        wire.call("episodic.append", {"ns": unique_ns, "type": "message", "payload": i})
    items = list(wire.stream("episodic.tail", {"ns": unique_ns, "afterCursor": 0, "maxMs": 300}))
    assert [item["payload"] for item in items] == [0, 1, 2]
