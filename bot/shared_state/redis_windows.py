"""Fair-use windows in Redis: one sorted set per (quota, owner), checked and charged by one Lua script.

The script runs atomically in Redis, so two processes charging the same member at the same moment cannot
both fit under a quota with room for one. Members are `<use id>:<amount>` scored by the time of the use;
uses older than the window are trimmed on every charge and each set expires with its window.
"""

from __future__ import annotations

import secrets

from bot.shared_state.redis_link import TROUBLE, RedisLink
from bot.shared_state.windows import Claim, LocalWindows, Refusal

# KEYS: one sorted set per claim. ARGV: now, amount, use id, then limit and window (s) per claim.
# Returns {0, spent after the charge per claim...} when charged, else {index (1-based), spent, oldest use
# time as a string or false}.
SPEND = """
local now = tonumber(ARGV[1])
local amount = tonumber(ARGV[2])
local after = {0}
for i, key in ipairs(KEYS) do
    local limit = tonumber(ARGV[2 + 2 * i])
    local window = tonumber(ARGV[3 + 2 * i])
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    local uses = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    local spent = 0
    for j = 1, #uses, 2 do
        spent = spent + tonumber(string.match(uses[j], ':(%d+)$'))
    end
    if spent + amount > limit then
        return {i, spent, uses[2] or false}
    end
    after[i + 1] = spent + amount
end
for i, key in ipairs(KEYS) do
    redis.call('ZADD', key, now, ARGV[3] .. ':' .. amount)
    redis.call('PEXPIRE', key, math.ceil(tonumber(ARGV[3 + 2 * i]) * 1000))
end
return after
"""


class RedisWindows:
    """Quota windows every process shares; `busy` reports what this process last saw of each window.

    While Redis does not answer, this process's own windows stand in: quotas then count its uses only, which
    is what a single process does anyway, rather than refusing everyone or letting everything through."""

    def __init__(self, link: RedisLink) -> None:
        self.link = link
        self._spend = link.client.register_script(SPEND)
        self._seen: dict[tuple[str, str], tuple[float, int, float]] = {}
        self.local = LocalWindows()

    async def spend(self, claims: list[Claim], amount: int, now: float) -> Refusal | None:
        keys = [self.link.key("quota", c.quota, c.owner) for c in claims]
        args: list[str | int | float] = [repr(now), amount, secrets.token_hex(8)]
        for claim in claims:
            args += [claim.limit, repr(claim.window)]
        try:
            reply = await self._spend(keys=keys, args=args)
        except TROUBLE as exc:
            self.link.worked_around(exc, "fair-use quotas count this process's uses only")
            return await self.local.spend(claims, amount, now)
        if int(reply[0]) == 0:
            for claim, spent in zip(claims, reply[1:], strict=True):
                self._seen[(claim.quota, claim.owner)] = (now, int(spent), claim.window)
            return None
        index, spent = int(reply[0]) - 1, int(reply[1])
        oldest = float(reply[2]) if reply[2] else None
        claim = claims[index]
        self._seen[(claim.quota, claim.owner)] = (now, spent, claim.window)
        return Refusal(index, spent, oldest)

    def busy(self, quota: str, now: float) -> list[int]:
        return [
            spent for (q, _), (at, spent, window) in self._seen.items() if q == quota and at > now - window
        ]
