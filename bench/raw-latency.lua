-- wrk script: every response's latency as the client saw it, in whole microseconds, printed as
-- "per-request latency: p50 <us> p99 <us> of <n>" when the run ends.
--
-- wrk 4.1 corrects its own latency distribution for coordinated omission: for every response
-- slower than the run's mean interval it adds made-up samples (latency - interval, latency -
-- 2 x interval, ...). With one connection, one 2 ms stall among 100 µs requests becomes 20
-- samples, so wrk's p99 there reports rare stalls, not the 99th percentile of the requests.
-- This script keeps the requests' own latencies. `wrk ... -s raw-latency.lua -- other.lua`
-- first runs other.lua (a request's method and body).
local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } raw_latency_timespec;
int clock_gettime(int clock, raw_latency_timespec *tp);
]])
local now = ffi.new("raw_latency_timespec")
local function micros()
  ffi.C.clock_gettime(1, now) -- CLOCK_MONOTONIC
  return tonumber(now.tv_sec) * 1000000 + tonumber(now.tv_nsec) / 1000
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  if args[1] then dofile(args[1]) end
end

local sent = 0
counts = {} -- latency in whole µs -> responses
function request()
  sent = micros()
  return wrk.format()
end

function response()
  local us = math.floor(micros() - sent)
  counts[us] = (counts[us] or 0) + 1
end

function done()
  local merged, total = {}, 0
  for _, thread in ipairs(threads) do
    for us, n in pairs(thread:get("counts")) do
      merged[us] = (merged[us] or 0) + n
      total = total + n
    end
  end
  local sorted = {}
  for us in pairs(merged) do table.insert(sorted, us) end
  table.sort(sorted)
  local function percentile(p)
    local seen = 0
    for _, us in ipairs(sorted) do
      seen = seen + merged[us]
      if seen >= total * p then return us end
    end
    return 0
  end
  io.write(string.format("per-request latency: p50 %d p99 %d of %d\n", percentile(0.5), percentile(0.99), total))
end
