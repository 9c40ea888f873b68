"""The pause before each retry: capped exponential backoff whose jitter comes from the session id.

The same computation as the TypeScript SDK's ``backoff.ts``, so an agent retries on the same
schedule whichever SDK it uses: one agent's retries are repeatable, while many agents that lost
the service at the same moment spread out instead of returning together.
"""

from __future__ import annotations

import hashlib
import math

from .config import RetryPolicy


def jitter_unit(session_key: str, attempt: int) -> float:
    """A number in [0, 1) fixed by the session id and the attempt."""
    digest = hashlib.sha256(f"{session_key}\u0000{attempt}".encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 0x1_0000_0000


def retry_delay_ms(policy: RetryPolicy, session_key: str, attempt: int) -> int:
    """The pause before retry number ``attempt`` (0 for the first): ``min(cap, base * 2**attempt)``,
    less up to ``jitter_factor`` of it. Never over the cap; whole milliseconds, rounded half up as
    JavaScript's ``Math.round`` does."""
    # The exponent is bounded so that the product stays finite whatever the attempt.
    ceiling = min(policy.cap_delay_ms, policy.base_delay_ms * 2 ** min(attempt, 30))
    return math.floor(ceiling * (1 - policy.jitter_factor * jitter_unit(session_key, attempt)) + 0.5)


def retry_delay_s(policy: RetryPolicy, session_key: str, attempt: int) -> float:
    return retry_delay_ms(policy, session_key, attempt) / 1000
