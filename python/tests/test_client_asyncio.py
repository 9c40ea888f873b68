"""The asyncio client against the real service: awaitable operations, async iteration, sessions
and turns, concurrency on one loop, and shutdown on leaving ``async with``."""

import asyncio

import pytest

from memory_sidecar import ClientShutDownError, FailedPrecondition
from memory_sidecar.aio import AsyncMemoryClient


def test_awaitable_operations_and_async_streams(service, token, unique_ns):
    async def scenario():
        async with await AsyncMemoryClient.connect(service.unix_endpoint, token=token) as client:
            put = await client.kv.put(unique_ns, "k", {"n": 1})
            assert (await client.kv.get(unique_ns, "k", min_seq=put.seq)).value == {"n": 1}
            with pytest.raises(FailedPrecondition) as lost:
                await client.kv.put(unique_ns, "k", {"n": 2}, if_version=0)
            assert lost.value.reason == "VERSION_MISMATCH"
            for i in range(3):
                await client.episodic.append(unique_ns, "message", i)
            tailed = [e.payload async for e in client.episodic.tail(unique_ns, after_cursor=0, max_events=3)]
            assert tailed == [0, 1, 2]
            keys = [e.key async for e in client.kv.scan(unique_ns)]
            assert keys == ["k"]
            assert (await client.call("kv.get", {"ns": unique_ns, "key": "k"}))["value"] == {"n": 1}
            return client

    client = asyncio.run(scenario())
    with pytest.raises(ClientShutDownError):
        client.client.kv.get(unique_ns, "k")


def test_many_calls_on_one_loop_run_side_by_side_and_each_applies_once(service, token, unique_ns):
    async def scenario():
        async with await AsyncMemoryClient.connect(service.unix_endpoint, token=token) as client:
            appended = await asyncio.gather(*(client.episodic.append(unique_ns, "message", i) for i in range(40)))
            assert sorted(a.cursor for a in appended) == list(range(1, 41))
            events = (await client.episodic.range(unique_ns, limit=100)).events
            assert sorted(e.payload for e in events) == list(range(40))

    asyncio.run(scenario())


def test_sessions_and_turns_in_asyncio(service, token, unique_ns):
    async def scenario():
        async with await AsyncMemoryClient.connect(service.unix_endpoint, token=token) as client:
            await client.semantic.upsert(unique_ns, [{"content": "the deploy window is tuesday"}])
            session = await client.open_session(agent="py-asyncio")
            scoped = client.in_session(session)
            await scoped.kv.put(unique_ns, "in-session", 1)
            turns = client.turns(ns=unique_ns, session_id=session.session_id)
            turns.record_turn(user="when is the deploy window", assistant="checking")
            turns.queue_prefetch("deploy window")
            recalled = await turns.prefetch(wait_s=30)
            assert [h["content"] for h in recalled["hits"]][:1] == ["the deploy window is tuesday"]
            assert await turns.drain(30)
            batches = [e for e in (await client.episodic.range(unique_ns)).events if e.type == "turns"]
            assert [t["user"] for t in batches[0].payload["turns"]] == ["when is the deploy window"]
            assert batches[0].session_id == session.session_id
            entry = await client.kv.get(unique_ns, "in-session")
            assert entry is not None and entry.value == 1

    asyncio.run(scenario())
