"""The pause before each retry: within its band, never over the cap, repeatable per session id and
attempt, spread across sessions, and the same numbers as the TypeScript SDK's backoff.ts."""

import json
import random
import shutil
import subprocess

import pytest

from memory_sidecar import RetryPolicy, retry_delay_ms
from tests.harness import REPO

DEFAULTS = RetryPolicy(max_retries=5, base_delay_ms=200, cap_delay_s=30, jitter_factor=0.25)
SESSION_IDS = [f"session-{i}" for i in range(200)]


def ceiling_of(policy: RetryPolicy, attempt: int) -> float:
    return min(policy.cap_delay_ms, policy.base_delay_ms * 2**attempt)


def assert_in_band(policy: RetryPolicy, attempt: int, delay: int) -> None:
    ceiling = ceiling_of(policy, attempt)
    # The bounds are widened by the rounding to whole milliseconds.
    assert int(ceiling * (1 - policy.jitter_factor)) <= delay <= ceiling
    assert delay <= policy.cap_delay_ms


def test_every_delay_lies_in_its_band_and_under_the_cap():
    for session_id in SESSION_IDS:
        for attempt in range(20):
            assert_in_band(DEFAULTS, attempt, retry_delay_ms(DEFAULTS, session_id, attempt))


def test_the_band_holds_for_any_policy_session_and_attempt():
    rng = random.Random(7)
    for _ in range(2000):
        policy = RetryPolicy(max_retries=5, base_delay_ms=rng.randint(0, 10_000), cap_delay_s=rng.randint(1, 30_000) / 1000, jitter_factor=rng.random())
        session_id = "".join(rng.choice("abcdef-0123456789é✓") for _ in range(rng.randint(0, 40)))
        attempt = rng.randint(0, 100)
        assert_in_band(policy, attempt, retry_delay_ms(policy, session_id, attempt))


def test_without_jitter_it_doubles_until_the_cap():
    no_jitter = RetryPolicy(max_retries=5, base_delay_ms=200, cap_delay_s=30, jitter_factor=0)
    delays = [retry_delay_ms(no_jitter, "s", a) for a in (0, 1, 2, 3, 7, 8, 20)]
    assert delays == [200 * 2**a if 200 * 2**a < 30_000 else 30_000 for a in (0, 1, 2, 3, 7, 8, 20)]


def test_the_same_session_waits_the_same_way():
    for session_id in SESSION_IDS[:20]:
        first = [retry_delay_ms(DEFAULTS, session_id, a) for a in range(10)]
        assert first == [retry_delay_ms(DEFAULTS, session_id, a) for a in range(10)]


def test_different_sessions_spread_over_the_band():
    attempt = 6
    delays = [retry_delay_ms(DEFAULTS, s, attempt) for s in SESSION_IDS]
    band = ceiling_of(DEFAULTS, attempt) * DEFAULTS.jitter_factor
    assert len(set(delays)) > 190
    assert max(delays) - min(delays) > 0.9 * band
    middle = ceiling_of(DEFAULTS, attempt) - band / 2
    assert sum(d < middle for d in delays) > 60 and sum(d >= middle for d in delays) > 60
    schedules = {tuple(retry_delay_ms(DEFAULTS, s, a) for a in range(5)) for s in SESSION_IDS}
    assert len(schedules) == len(SESSION_IDS)


@pytest.mark.skipif(shutil.which("node") is None or not (REPO / "dist/libs/client/src/backoff.js").exists(), reason="needs node and a built checkout")
def test_the_schedule_is_the_typescript_sdks():
    policies = [DEFAULTS, RetryPolicy(max_retries=3, base_delay_ms=333, cap_delay_s=1.5, jitter_factor=0.9)]
    cases = [(p, s, a) for p in policies for s in ["", "session-1", "5180d1a7-7c78-4c3d-a790-22e85e12239e", "✓ unicode"] for a in range(8)]
    script = (
        "const { retryDelayMs } = require(process.argv[1]);"
        "const cases = JSON.parse(process.argv[2]);"
        "console.log(JSON.stringify(cases.map(([p, s, a]) => retryDelayMs(p, s, a))));"
    )
    payload = [[{"maxRetries": p.max_retries, "baseDelayMs": p.base_delay_ms, "capDelayMs": p.cap_delay_ms, "jitterFactor": p.jitter_factor}, s, a] for p, s, a in cases]
    out = subprocess.run(["node", "-e", script, str(REPO / "dist/libs/client/src/backoff.js"), json.dumps(payload)], capture_output=True, text=True, check=True)
    assert [retry_delay_ms(p, s, a) for p, s, a in cases] == json.loads(out.stdout)
