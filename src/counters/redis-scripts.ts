import { NEVER_MS, TOKEN_EPSILON } from "./engine.js";

/**
 * Extra life of a bucket key past the moment it is full again. Expiry runs on Redis's clock while
 * refills use the callers' clocks; the slack keeps a key alive while a caller whose clock runs
 * behind still counts on it (a forgotten bucket is a full one).
 */
export const BUCKET_KEY_SLACK_MS = 60_000;

/**
 * The whole of one `take`, run atomically by Redis: refill and check every bucket and the quota,
 * then take from all of them or from none. Same arithmetic as InProcessEngine.
 *
 * KEYS: bucket keys 1..n, then the quota key when there is a quota.
 * ARGV: now, n, then rate and burst per bucket, then (with a quota) limit, period end, key TTL ms.
 * A bucket is one string: a zero byte, then tokens and updatedAt as two little-endian doubles
 * (struct.pack), so a fractional token survives the round trip exactly. Every key is read with one
 * MGET and written with one SET ... PX (7 commands for five buckets and a quota; hashes needed 18).
 * Redis's time per take is mostly formatting, Lua's C calls and allocation, so: state packed, not
 * text ("%.17g %.17g" with string.format, read back with string.match); each TTL handed to
 * redis.call as a "%d" string, not a Lua number (which Redis formats with %.17g); library
 * functions in locals; tables made at their size. A take costs Redis 29 % fewer instructions
 * than with text state (docs/benchmarks.md). The text form that earlier versions wrote is
 * still read.
 *
 * Returns { admitted 0/1, reason (0 none, 1 throttled, 2 quota), retryAfterMs, quota used,
 *           tightest bucket index (1-based, 0 for none), its whole tokens, its resetMs }.
 */
export const TAKE_SCRIPT = `
local floor, ceil, abs, min, max = math.floor, math.ceil, math.abs, math.min, math.max
local pack, unpack_doubles, format, byte, call = struct.pack, struct.unpack, string.format, string.byte, redis.call
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local EPS = ${TOKEN_EPSILON}
local NEVER = ${NEVER_MS}
local function wait(tokens, target, rate, burst)
  if rate <= 0 or target > burst + EPS then return NEVER end
  local ms = (target - tokens) * 1000 / rate
  local whole = floor(ms + 0.5)
  if abs(ms - whole) * rate <= EPS * 1000 then return min(NEVER, whole) end
  return min(NEVER, ceil(ms))
end
-- Five slots made at once (a take's usual bucket count): a table grown from empty is reallocated as it fills.
local rates, bursts = {nil, nil, nil, nil, nil}, {nil, nil, nil, nil, nil}
local tokens, updated = {nil, nil, nil, nil, nil}, {nil, nil, nil, nil, nil}
local throttled, throttle_wait = false, 0
local states = {}
if #KEYS > 0 then states = call('MGET', unpack(KEYS)) end
for i = 1, n do
  local rate, burst = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local t, u
  local state = states[i]
  if state then
    if byte(state) == 0 then
      t, u = unpack_doubles('<dd', state, 2)
    else
      local ts, us = string.match(state, '^(%S+) (%S+)$')
      t, u = tonumber(ts), tonumber(us)
    end
  end
  if t == nil or u == nil then
    t, u = burst, now
  elseif now > u then
    t = t + (now - u) * rate / 1000
    u = now
  end
  if t > burst then t = burst end
  rates[i], bursts[i], tokens[i], updated[i] = rate, burst, t, u
  if t < 1 - EPS then
    throttled = true
    throttle_wait = max(throttle_wait, wait(t, 1, rate, burst))
  end
end
local has_quota = #KEYS > n
local used, reason, retry = 0, 0, 0
if has_quota then
  used = tonumber(states[n + 1] or '0')
  if used >= tonumber(ARGV[3 + 2 * n]) then
    reason, retry = 2, max(1, tonumber(ARGV[4 + 2 * n]) - now)
  end
end
if reason == 0 and throttled then reason, retry = 1, throttle_wait end
if reason == 0 then
  for i = 1, n do
    local t = tokens[i] - 1
    tokens[i] = t
    -- The key lives until the bucket is full again (whole ms, at most NEVER), plus the slack.
    local full_in = NEVER
    if rates[i] > 0 then
      full_in = (bursts[i] - t) * 1000 / rates[i] + max(0, updated[i] - now)
      if full_in > NEVER then full_in = NEVER end
    end
    call('SET', KEYS[i], pack('<Bdd', 0, t, updated[i]), 'PX', format('%d', ceil(full_in) + ${BUCKET_KEY_SLACK_MS}))
  end
  if has_quota then
    used = used + 1
    call('SET', KEYS[n + 1], format('%d', used), 'PX', ARGV[5 + 2 * n])
  end
end
local ti = 0
for i = 1, n do
  if ti == 0 or tokens[i] < tokens[ti] then ti = i end
end
local remaining, reset = 0, 0
if ti > 0 then
  local t = tokens[ti]
  remaining = max(0, floor(t + EPS))
  if t < bursts[ti] - EPS then reset = wait(t, remaining + 1, rates[ti], bursts[ti]) end
end
local admitted = 0
if reason == 0 then admitted = 1 end
return { admitted, reason, retry, used, ti, remaining, reset }
`;

/**
 * Sets a quota count (negative after an extension beyond the limit). KEYS: the quota key.
 * ARGV: count, raise-only flag (1/0), TTL ms for a key that has none yet (a key made by take
 * keeps its exact TTL).
 */
export const SET_COUNT_SCRIPT = `
local key, value = KEYS[1], tonumber(ARGV[1])
local current = redis.call('GET', key)
if current then
  if ARGV[2] == '1' and tonumber(current) >= value then return tonumber(current) end
  redis.call('SET', key, value, 'KEEPTTL')
else
  redis.call('SET', key, value, 'PX', ARGV[3])
end
return value
`;
